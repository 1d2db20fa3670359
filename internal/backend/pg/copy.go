package pg

import (
	"context"
	"fmt"
	"github.com/lanegate/lanegate/internal/backend"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// Rows is a batch of records to load, as import and the benchmarks use.
type Rows struct {
	Targets   []*record.DokployTarget
	TargetIDs []*record.DokployTargetID
	Providers []*record.ProviderTarget
}

// TableCounts returns the number of rows in each Launchplane table.
func (s *Store) TableCounts(ctx context.Context, q pgx.Tx) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range tableOrder {
		var n int64
		if err := q.QueryRow(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return nil, s.queryError("count "+t, err)
		}
		out[t] = n
	}
	return out, nil
}

// Import loads records into Launchplane's tables in one transaction under
// the exclusive bundle lock. Unless replace is set the tables must be empty;
// with replace they are emptied first. Either everything loads or nothing.
func (s *Store) Import(ctx context.Context, rows Rows, replace bool) error {
	tx, err := s.BeginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if replace {
		if _, err := tx.Exec(ctx, "DELETE FROM launchplane_provider_targets; DELETE FROM launchplane_dokploy_target_ids; DELETE FROM launchplane_dokploy_targets"); err != nil {
			return s.queryError("empty Launchplane's tables", err)
		}
	} else {
		counts, err := s.TableCounts(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range tableOrder {
			if counts[t] > 0 {
				return &NotEmptyError{Table: t, Rows: counts[t]}
			}
		}
	}
	if err := s.CopyRows(ctx, tx, rows); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return s.queryError("commit import", err)
	}
	return nil
}

// NotEmptyError refuses an import into a database that already has records.
type NotEmptyError struct {
	Table string
	Rows  int64
}

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("table %s already holds %d row(s): import loads only an empty database (use --replace with --confirm-database NAME to overwrite)", e.Table, e.Rows)
}

// CopyRows bulk-loads records with COPY, payloads in Launchplane's shape.
func (s *Store) CopyRows(ctx context.Context, tx pgx.Tx, rows Rows) error {
	if len(rows.Targets) > 0 {
		src := pgx.CopyFromSlice(len(rows.Targets), func(i int) ([]any, error) {
			t := rows.Targets[i]
			return []any{t.Context, t.Instance, t.UpdatedAt, string(t.EncodePython())}, nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"launchplane_dokploy_targets"},
			[]string{"context", "instance", "updated_at", "payload"}, src); err != nil {
			return s.queryError("load launchplane_dokploy_targets", err)
		}
	}
	if len(rows.TargetIDs) > 0 {
		src := pgx.CopyFromSlice(len(rows.TargetIDs), func(i int) ([]any, error) {
			r := rows.TargetIDs[i]
			return []any{r.Context, r.Instance, r.TargetID, r.UpdatedAt, string(r.EncodePython())}, nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"launchplane_dokploy_target_ids"},
			[]string{"context", "instance", "target_id", "updated_at", "payload"}, src); err != nil {
			return s.queryError("load launchplane_dokploy_target_ids", err)
		}
	}
	if len(rows.Providers) > 0 {
		src := pgx.CopyFromSlice(len(rows.Providers), func(i int) ([]any, error) {
			return ProviderRowValues(rows.Providers[i]), nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"launchplane_provider_targets"}, ProviderRowColumns, src); err != nil {
			return s.queryError("load launchplane_provider_targets", err)
		}
	}
	return nil
}

// ProviderRowColumns are the columns of a provider-target row, in insert order.
var ProviderRowColumns = []string{"context", "instance", "provider_id", "target_category", "target_id",
	"display_name", "provider_target_type", "updated_at", "payload"}

// ProviderRowValues are a record's values for ProviderRowColumns. The
// payload goes as compact JSON: JSONB keeps no formatting, and compact text
// is cheaper to write and to parse.
func ProviderRowValues(p *record.ProviderTarget) []any {
	return []any{p.Context, p.Instance, p.ProviderID, p.TargetCategory, p.TargetID, p.DisplayName,
		p.ProviderTargetType, p.UpdatedAt, string(p.AppendJSON(nil))}
}

// ExportRecord is one row read back for export: its route (from the promoted
// columns, which is where Launchplane looks it up) and its raw payload (a
// decoded JSON tree).
type ExportRecord = backend.ExportRecord

// Export streams every row of the three tables in route order, inside one
// read-only snapshot.
func (s *Store) Export(ctx context.Context, fn func(ExportRecord) error) error {
	tx, err := s.BeginRead(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	for _, kind := range record.Kinds {
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT context, instance, payload::text FROM %s ORDER BY context COLLATE "C", instance COLLATE "C"`, kind.Table()))
		if err != nil {
			return s.queryError("read "+kind.Table(), err)
		}
		for rows.Next() {
			var c, i, payload string
			if err := rows.Scan(&c, &i, &payload); err != nil {
				rows.Close()
				return s.queryError("read "+kind.Table(), err)
			}
			tree, err := record.DecodeTree([]byte(payload))
			if err != nil {
				rows.Close()
				return fmt.Errorf("%s: %w", source(kind.Table(), store.Route{Context: c, Instance: i}), err)
			}
			if err := fn(ExportRecord{Kind: kind, Route: store.Route{Context: c, Instance: i}, Payload: tree}); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.queryError("read "+kind.Table(), err)
		}
	}
	return tx.Commit(ctx)
}

// CurrentDatabase returns the connected database's name, for the
// --confirm-database check.
func (s *Store) CurrentDatabase(ctx context.Context) (string, error) {
	var name string
	if err := s.Conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
		return "", s.queryError("read the database name", err)
	}
	return name, nil
}
