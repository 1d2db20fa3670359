package pg

import (
	"context"
	"errors"
	"fmt"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/pg/migrate"
	"github.com/lanegate/lanegate/migrations"
)

// The database tools (lanegate migrate, export, import) as the optional
// capabilities of internal/backend.
var (
	_ backend.Migrator = (*Store)(nil)
	_ backend.Exporter = (*Store)(nil)
	_ backend.Importer = (*Store)(nil)
)

// loadMigrations reads lanegate's embedded migrations.
func loadMigrations() ([]migrate.Migration, error) {
	ms, err := migrate.Load(migrations.FS)
	if err != nil {
		return nil, fmt.Errorf("embedded migrations are broken: %v", err)
	}
	return ms, nil
}

func toBackend(ms []migrate.Migration) []backend.Migration {
	out := make([]backend.Migration, len(ms))
	for i, m := range ms {
		out[i] = backend.Migration{Version: m.Version, Name: m.Name, Checksum: m.Checksum, SQL: m.SQL}
	}
	return out
}

// PendingMigrations implements backend.Migrator.
func (s *Store) PendingMigrations(ctx context.Context) ([]backend.Migration, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	pending, err := migrate.Pending(ctx, s.Conn, ms)
	if err != nil {
		return nil, err
	}
	return toBackend(pending), nil
}

// ApplyMigrations implements backend.Migrator.
func (s *Store) ApplyMigrations(ctx context.Context) ([]backend.Migration, int, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, 0, err
	}
	res, err := migrate.Apply(ctx, s.Conn, ms)
	if err != nil {
		return nil, 0, err
	}
	return toBackend(res.Applied), res.AlreadyApplied, nil
}

// StoreName implements backend.Importer: the connected database's name.
func (s *Store) StoreName(ctx context.Context) (string, error) { return s.CurrentDatabase(ctx) }

// ImportRecords implements backend.Importer with Import; a database that
// already holds records (without replace) is a *backend.ConfigError.
func (s *Store) ImportRecords(ctx context.Context, set backend.ImportSet, replace bool) error {
	err := s.Import(ctx, Rows{Targets: set.Targets, TargetIDs: set.TargetIDs, Providers: set.Providers}, replace)
	var ne *NotEmptyError
	if errors.As(err, &ne) {
		return &backend.ConfigError{Err: err}
	}
	return err
}
