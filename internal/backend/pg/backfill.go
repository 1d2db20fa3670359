package pg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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

// providerColumnList is launchplane_provider_targets' columns in the order
// ProviderRowValues returns them.
var providerColumnList = []string{"context", "instance", "provider_id", "target_category", "target_id",
	"display_name", "provider_target_type", "updated_at", "payload"}

// Stager stages provider-target rows with COPY into a temporary table on its
// transaction's connection, from rows handed to Add (possibly while a scan
// runs on helper connections). Nothing reaches Launchplane's table until
// InsertStaged.
type Stager struct {
	rows chan *record.ProviderTarget
	done chan error
	stop chan struct{}
	n    int
}

const pendingTable = "lanegate_pending_provider_targets"

// StageProviderTargets creates the temporary table and starts the COPY.
// tick is told how many rows have been staged, every thousand rows.
func (s *Store) StageProviderTargets(ctx context.Context, tx pgx.Tx, tick func(n int)) (*Stager, error) {
	if _, err := tx.Exec(ctx, "CREATE TEMPORARY TABLE "+pendingTable+
		" (LIKE launchplane_provider_targets INCLUDING DEFAULTS) ON COMMIT DROP"); err != nil {
		return nil, s.queryError("stage provider-target rows", err)
	}
	st := &Stager{rows: make(chan *record.ProviderTarget, 256), done: make(chan error, 1), stop: make(chan struct{})}
	go func() {
		n := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			p, ok := <-st.rows
			if !ok {
				return nil, nil
			}
			n++
			if tick != nil && n%1000 == 0 {
				tick(n)
			}
			return ProviderRowValues(p), nil
		})
		_, err := tx.CopyFrom(ctx, pgx.Identifier{pendingTable}, providerColumnList, src)
		if err != nil {
			err = s.queryError("stage provider-target rows", err)
			close(st.stop) // Add stops waiting on a COPY that has ended
		}
		st.done <- err
	}()
	return st, nil
}

// Add stages one row. It fails once the COPY has failed.
func (st *Stager) Add(p *record.ProviderTarget) error {
	select {
	case st.rows <- p:
		st.n++
		return nil
	case <-st.stop:
		return errors.New("staging provider-target rows stopped")
	}
}

// Close ends the COPY and returns how many rows were staged. Call it exactly
// once, before the transaction's connection is used again.
func (st *Stager) Close() (int, error) {
	close(st.rows)
	if err := <-st.done; err != nil {
		return 0, err
	}
	return st.n, nil
}

// InsertStaged moves the n staged rows into launchplane_provider_targets with one INSERT ... ON CONFLICT DO NOTHING,
// so no existing row is overwritten, and returns the routes whose row
// already existed (someone wrote it since the plan was checked). The
// caller's transaction decides what is kept.
func (s *Store) InsertStaged(ctx context.Context, tx pgx.Tx, n int) ([]store.Route, error) {
	cols := strings.Join(providerColumnList, ", ")
	tag, err := tx.Exec(ctx, "INSERT INTO launchplane_provider_targets ("+cols+") SELECT "+cols+" FROM "+pendingTable+
		" ON CONFLICT (context, instance) DO NOTHING")
	if err != nil {
		return nil, s.queryError("insert provider-target rows", err)
	}
	if int(tag.RowsAffected()) == n {
		return nil, nil
	}
	// A shortfall: name the routes whose row is not the one staged; a row
	// that differs was written by someone else. (An identical row leaves
	// the counts apart and fails below, closed.)
	rows, err := tx.Query(ctx, "SELECT q.context, q.instance FROM "+pendingTable+" q JOIN launchplane_provider_targets p"+
		" ON p.context = q.context AND p.instance = q.instance WHERE p.payload IS DISTINCT FROM q.payload"+
		" ORDER BY q.context COLLATE \"C\", q.instance COLLATE \"C\"")
	if err != nil {
		return nil, s.queryError("find conflicting provider-target rows", err)
	}
	missed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Route, error) {
		var rt store.Route
		err := r.Scan(&rt.Context, &rt.Instance)
		return rt, err
	})
	if err != nil {
		return nil, s.queryError("find conflicting provider-target rows", err)
	}
	if short := n - int(tag.RowsAffected()); len(missed) != short {
		return nil, store.Errorf(nil, "%d of %d staged provider-target row(s) were not inserted, but %d conflicting row(s) were found", short, n, len(missed))
	}
	return missed, nil
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
