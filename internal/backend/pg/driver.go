package pg

import (
	"context"
	"fmt"

	"github.com/lanegate/lanegate/internal/backend"
)

// Driver is the Postgres backend's registry entry: --database-url, or
// LANEGATE_DATABASE_URL / LAUNCHPLANE_DATABASE_URL (which must agree).
var Driver = backend.Driver{
	Kind:    "postgres",
	Flag:    "database-url",
	Metavar: "URL",
	Usage:   "Launchplane Postgres URL",
	Env:     []string{"LANEGATE_DATABASE_URL", "LAUNCHPLANE_DATABASE_URL"},
	Differ:  "databases",
	Name:    DatabaseName,
	Open:    openSpec,
}

// openSpec opens a chosen Postgres store. With spec.SkipRecordCheck it only
// connects (migrate, evidence: a role with lanegate's grants alone may run
// them); otherwise it checks Launchplane's tables as Open does.
func openSpec(ctx context.Context, spec backend.Spec) (backend.Backend, error) {
	if spec.StatementTimeout <= 0 {
		return nil, &backend.ConfigError{Err: fmt.Errorf("--statement-timeout must be positive")}
	}
	opt := Options{StatementTimeout: spec.StatementTimeout, Notice: spec.Notice}
	if !spec.SkipRecordCheck {
		return Open(ctx, spec.Target, opt)
	}
	conn, err := Connect(ctx, spec.Target, Options{})
	if err != nil {
		return nil, err
	}
	return &Store{Conn: conn, url: spec.Target, opt: opt, timeout: spec.StatementTimeout}, nil
}

// Kind implements backend.Backend.
func (s *Store) Kind() string { return Driver.Kind }

// StoredRecords implements backend.StoredRecords: Scan hands out the
// records as stored.
func (s *Store) StoredRecords() {}
