// Package migrate is lanegate's small schema-migration runner.
//
// Migrations are NNNN_name.sql files (see Load). Apply runs the pending ones,
// each in its own transaction, and records them in lanegate_schema_migrations.
// A session advisory lock serialises concurrent runners.
package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Migration is one versioned SQL file.
type Migration struct {
	Version  int
	Name     string
	SQL      string
	Checksum string // sha256 hex of SQL
}

// Result reports what Apply did.
type Result struct {
	Applied        []Migration // migrations applied by this call, in order
	AlreadyApplied int         // migrations that were applied before this call
}

var fileName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9][a-z0-9_]*)\.sql$`)

const (
	lockSQL   = `SELECT pg_advisory_lock(hashtextextended('lanegate:migrate', 0))`
	unlockSQL = `SELECT pg_advisory_unlock(hashtextextended('lanegate:migrate', 0))`
	tableSQL  = `CREATE TABLE IF NOT EXISTS lanegate_schema_migrations (
  version    INT         PRIMARY KEY,
  name       TEXT        NOT NULL,
  checksum   TEXT        NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`
)

// Load reads the *.sql files at the top level of fsys. Names must match
// NNNN_name.sql (four digits, lower-case name); versions must start at 1 and
// have no gaps or duplicates. Other files and directories are ignored.
func Load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("migrate: read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		match := fileName.FindStringSubmatch(e.Name())
		if match == nil {
			return nil, fmt.Errorf("migrate: bad migration file name %q (want NNNN_name.sql)", e.Name())
		}
		version, _ := strconv.Atoi(match[1])
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrate: read %s: %w", e.Name(), err)
		}
		if strings.TrimSpace(string(data)) == "" {
			return nil, fmt.Errorf("migrate: %s is empty", e.Name())
		}
		sum := sha256.Sum256(data)
		ms = append(ms, Migration{Version: version, Name: match[2], SQL: string(data), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		switch {
		case i > 0 && m.Version == ms[i-1].Version:
			return nil, fmt.Errorf("migrate: duplicate migration version %04d (%s and %s)", m.Version, ms[i-1].Name, m.Name)
		case m.Version != i+1:
			return nil, fmt.Errorf("migrate: migration versions must be contiguous from 0001: expected %04d, found %04d_%s", i+1, m.Version, m.Name)
		}
	}
	return ms, nil
}

// Apply applies the pending migrations of ms (as returned by Load), each in
// its own transaction, while holding a session advisory lock on conn. It
// refuses to run when the database records a migration whose checksum differs
// from ms, or a version that ms does not know (a newer lanegate migrated it).
func Apply(ctx context.Context, conn *pgx.Conn, ms []Migration) (res Result, err error) {
	if err := validate(ms); err != nil {
		return res, err
	}
	if _, err := conn.Exec(ctx, lockSQL); err != nil {
		return res, fmt.Errorf("migrate: acquire advisory lock: %w", err)
	}
	defer func() {
		// Unlock even if ctx is cancelled; a dead connection releases it anyway.
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), unlockSQL); uerr != nil && err == nil && !conn.IsClosed() {
			err = fmt.Errorf("migrate: release advisory lock: %w", uerr)
		}
	}()
	if _, err := conn.Exec(ctx, tableSQL); err != nil {
		return res, fmt.Errorf("migrate: create lanegate_schema_migrations: %w", err)
	}
	applied, err := appliedChecksums(ctx, conn)
	if err != nil {
		return res, err
	}
	pending, err := plan(ms, applied)
	if err != nil {
		return res, err
	}
	res.AlreadyApplied = len(ms) - len(pending)
	for _, m := range pending {
		if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO lanegate_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
				m.Version, m.Name, m.Checksum)
			return err
		}); err != nil {
			return res, fmt.Errorf("migrate: apply %04d_%s: %w", m.Version, m.Name, err)
		}
		res.Applied = append(res.Applied, m)
	}
	return res, nil
}

// Pending returns the migrations of ms that are not yet applied, without
// changing anything. It works before lanegate_schema_migrations exists and
// reports the same checksum/unknown-version errors as Apply.
func Pending(ctx context.Context, conn *pgx.Conn, ms []Migration) ([]Migration, error) {
	if err := validate(ms); err != nil {
		return nil, err
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('lanegate_schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("migrate: look up lanegate_schema_migrations: %w", err)
	}
	applied := map[int]string{}
	if exists {
		var err error
		if applied, err = appliedChecksums(ctx, conn); err != nil {
			return nil, err
		}
	}
	return plan(ms, applied)
}

func validate(ms []Migration) error {
	for i, m := range ms {
		if i > 0 && m.Version <= ms[i-1].Version {
			return fmt.Errorf("migrate: migrations not sorted by version (%d after %d)", m.Version, ms[i-1].Version)
		}
		if m.Checksum == "" {
			return fmt.Errorf("migrate: migration %04d_%s has no checksum", m.Version, m.Name)
		}
	}
	return nil
}

func appliedChecksums(ctx context.Context, conn *pgx.Conn) (map[int]string, error) {
	rows, err := conn.Query(ctx, `SELECT version, checksum FROM lanegate_schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrate: read lanegate_schema_migrations: %w", err)
	}
	applied := map[int]string{}
	var version int
	var checksum string
	if _, err := pgx.ForEachRow(rows, []any{&version, &checksum}, func() error {
		applied[version] = checksum
		return nil
	}); err != nil {
		return nil, fmt.Errorf("migrate: read lanegate_schema_migrations: %w", err)
	}
	return applied, nil
}

// plan checks the applied versions against ms and returns the pending ones.
func plan(ms []Migration, applied map[int]string) ([]Migration, error) {
	known := make(map[int]bool, len(ms))
	var pending []Migration
	var errs []error
	for _, m := range ms {
		known[m.Version] = true
		sum, ok := applied[m.Version]
		switch {
		case !ok:
			pending = append(pending, m)
		case sum != m.Checksum:
			errs = append(errs, fmt.Errorf("migrate: checksum mismatch for applied migration %04d_%s: database has %s, this lanegate has %s (released migrations must not be edited)",
				m.Version, m.Name, sum, m.Checksum))
		}
	}
	var unknown []int
	for v := range applied {
		if !known[v] {
			unknown = append(unknown, v)
		}
	}
	sort.Ints(unknown)
	for _, v := range unknown {
		errs = append(errs, fmt.Errorf("migrate: database has migration %04d which this lanegate does not know (upgrade lanegate)", v))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return pending, nil
}
