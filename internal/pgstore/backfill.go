package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// ErrLanegateTables reports that lanegate's own tables are missing.
var ErrLanegateTables = errors.New("lanegate's tables are missing: run `lanegate migrate --database-url ...` first")

// CheckLanegateTables verifies the tables a recorded run writes to exist, so
// an apply never writes Launchplane rows it cannot account for.
func (s *Store) CheckLanegateTables(ctx context.Context, q pgx.Tx, tables ...string) error {
	for _, t := range tables {
		var ok bool
		if err := q.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", t).Scan(&ok); err != nil {
			return s.queryError("check lanegate's tables", err)
		}
		if !ok {
			return store.Errorf(nil, "%s (table %s not found)", ErrLanegateTables.Error(), t)
		}
	}
	return nil
}

// insertBatch writes rows that cannot overwrite: ON CONFLICT DO NOTHING, and
// RETURNING tells which routes were really inserted.
const insertBatch = `
INSERT INTO launchplane_provider_targets
  (context, instance, provider_id, target_category, target_id, display_name, provider_target_type, updated_at, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[])
ON CONFLICT (context, instance) DO NOTHING
RETURNING context, instance`

// InsertProviderTargets inserts one batch and returns the routes it did not
// insert because a row already existed.
func (s *Store) InsertProviderTargets(ctx context.Context, tx pgx.Tx, rows []*record.ProviderTarget) ([]store.Route, error) {
	cols := make([][]string, 9)
	for _, p := range rows {
		v := ProviderRowValues(p)
		for i := range cols {
			cols[i] = append(cols[i], v[i].(string))
		}
	}
	res, err := tx.Query(ctx, insertBatch, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8])
	if err != nil {
		return nil, s.queryError("insert provider-target rows", err)
	}
	inserted := map[store.Route]bool{}
	for res.Next() {
		var r store.Route
		if err := res.Scan(&r.Context, &r.Instance); err != nil {
			res.Close()
			return nil, s.queryError("insert provider-target rows", err)
		}
		inserted[r] = true
	}
	if err := res.Err(); err != nil {
		return nil, s.queryError("insert provider-target rows", err)
	}
	var missed []store.Route
	for _, p := range rows {
		r := store.Route{Context: p.Context, Instance: p.Instance}
		if !inserted[r] {
			missed = append(missed, r)
		}
	}
	return missed, nil
}

// Run is the provenance lanegate records with every run.
type Run struct {
	Kind, Status, Scope, Reason, PlanDigest string
	GitSHA, RunURL, RunID, RunAttempt       string
	Actor, Version                          string
	Report                                  any // marshalled to the report column
}

// InsertRun records a run in lanegate_runs and returns its id.
func (s *Store) InsertRun(ctx context.Context, tx pgx.Tx, r Run) (int64, error) {
	rep, err := json.Marshal(r.Report)
	if err != nil {
		return 0, fmt.Errorf("encode run report: %w", err)
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO lanegate_runs
		(kind, status, scope, reason, plan_digest, git_sha, run_url, run_id, run_attempt, actor, lanegate_version, report)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		r.Kind, r.Status, r.Scope, r.Reason, r.PlanDigest, r.GitSHA, r.RunURL, r.RunID, r.RunAttempt, r.Actor, r.Version, string(rep)).Scan(&id)
	if err != nil {
		return 0, s.queryError("record the run in lanegate_runs", err)
	}
	return id, nil
}

// BackfillItemRow is one item as lanegate_backfill_items stores it.
type BackfillItemRow struct {
	Context, Instance, Status, Severity, Detail string
}

// InsertBackfillItems records every plan item of a run with COPY, pulling
// items from next until it reports no more, so a large plan is never held
// in memory.
func (s *Store) InsertBackfillItems(ctx context.Context, tx pgx.Tx, runID int64, next func() (BackfillItemRow, bool, error)) error {
	src := pgx.CopyFromFunc(func() ([]any, error) {
		it, ok, err := next()
		if err != nil || !ok {
			return nil, err
		}
		return []any{runID, it.Context, it.Instance, it.Status, it.Severity, it.Detail}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"lanegate_backfill_items"},
		[]string{"run_id", "context", "instance", "status", "severity", "detail"}, src); err != nil {
		return s.queryError("record backfill items", err)
	}
	return nil
}

// UpdateRun sets a recorded run's final status and report.
func (s *Store) UpdateRun(ctx context.Context, tx pgx.Tx, id int64, status string, report any) error {
	rep, err := json.Marshal(report)
	if err != nil {
		return fmt.Errorf("encode run report: %w", err)
	}
	if _, err := tx.Exec(ctx, "UPDATE lanegate_runs SET status = $2, report = $3 WHERE id = $1", id, status, string(rep)); err != nil {
		return s.queryError("record the run in lanegate_runs", err)
	}
	return nil
}

// IsSerializationFailure reports a retryable transaction conflict.
func IsSerializationFailure(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}
