package pg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

var _ backend.Applier = (*Store)(nil)

// ApplyBackfill implements backend.Applier. It re-plans inside one
// transaction that holds Launchplane's bundle lock exclusively, so the rows
// are re-checked under the lock and nothing can change between the check
// and the write; it writes the planned rows, the run (lanegate_runs) and its
// items (lanegate_backfill_items) in that transaction, or nothing.
//
// The plan is read on helper connections that share the transaction's
// snapshot while the transaction's own connection stages the planned rows
// in a temporary table (with one connection, the rows are staged from the
// plan afterwards). Nothing reaches Launchplane's table unless every check
// passes; otherwise the rollback drops the staged rows.
//
// The returned plan (nil on error) is the caller's to Close.
func (s *Store) ApplyBackfill(ctx context.Context, req backend.ApplyRequest) (backend.ApplyResult, error) {
	tx, err := s.BeginWrite(ctx)
	if err != nil {
		return backend.ApplyResult{}, err
	}
	defer tx.Rollback(context.Background())
	if err := s.CheckLanegateTables(ctx, tx, "lanegate_runs", "lanegate_backfill_items"); err != nil {
		return backend.ApplyResult{}, err
	}
	prog := backend.NewProgress(req, "staged")
	plan, staged, err := s.planStaged(ctx, tx, req, prog)
	if err != nil {
		return backend.ApplyResult{}, err
	}
	res, err := s.applyPlan(ctx, tx, req, plan, staged, prog)
	if err != nil {
		plan.Close()
		return backend.ApplyResult{}, err
	}
	return res, nil
}

// planStaged makes the plan under the transaction's lock. With helper
// connections the planned rows are staged as they are planned (staged is
// how many, -1 when they were not).
func (s *Store) planStaged(ctx context.Context, tx pgx.Tx, req backend.ApplyRequest, prog *backend.Progress) (plan *backfill.Plan, staged int, err error) {
	h, err := s.Helpers(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	if h == nil {
		plan, err := req.Plan(func(v store.Visitor) error { return s.ScanTx(ctx, tx, req.Scope, v) }, nil)
		return plan, -1, err
	}
	defer h.Close()
	stager, err := s.StageProviderTargets(ctx, tx, prog.Tick)
	if err != nil {
		return nil, 0, err
	}
	plan, err = req.Plan(func(v store.Visitor) error { return s.ScanHelpers(ctx, h, req.Scope, v) },
		func(c backfill.Create) error { return stager.Add(labelled(c)) })
	n, serr := stager.Close()
	if err == nil {
		err = serr
	}
	if err != nil {
		if plan != nil {
			plan.Close()
		}
		return nil, 0, err
	}
	return plan, n, nil
}

// labelled is the row a create writes, with lanegate's source label.
func labelled(c backfill.Create) *record.ProviderTarget {
	row := *c.Record
	row.SourceLabel = backfill.SourceLabel
	return &row
}

// applyPlan refuses or writes the plan made under the lock. staged is how
// many rows planStaged staged, -1 when it staged none.
func (s *Store) applyPlan(ctx context.Context, tx pgx.Tx, req backend.ApplyRequest, plan *backfill.Plan, staged int, prog *backend.Progress) (backend.ApplyResult, error) {
	res := backend.ApplyResult{Plan: plan}
	if !plan.StartApply(req.ReviewedDigest) {
		if plan.Outcome.Refusal == "" {
			req.Logf("%s", backend.NothingToCreate)
		}
		return res, nil
	}
	prog.Total = plan.Totals.Creates
	if staged < 0 {
		// One connection: stage from the plan's spool now.
		var err error
		if staged, err = s.stageFromPlan(ctx, tx, plan, prog.Tick); err != nil {
			return res, err
		}
	}
	if staged != plan.Totals.Creates {
		return res, fmt.Errorf("staged %d provider-target row(s) but the plan creates %d", staged, plan.Totals.Creates)
	}
	prog.Tick(staged)
	missed, err := s.InsertStaged(ctx, tx, staged)
	if err != nil {
		return res, err
	}
	if len(missed) > 0 {
		// Someone created rows we planned: roll everything back.
		tx.Rollback(context.Background())
		plan.Outcome.Conflicts = map[store.Route]bool{}
		for _, r := range missed {
			plan.Outcome.Conflicts[r] = true
		}
		plan.Outcome.Refusal = fmt.Sprintf("%d planned row(s) already existed at write time; the whole apply was rolled back", len(missed))
		return res, nil
	}
	plan.Outcome.Created = true
	id, created, err := s.recordBackfill(ctx, tx, req.Run, plan)
	if err != nil {
		return res, err
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit the backfill: %v", err)
	}
	res.Created, res.Recorded = created, fmt.Sprintf("lanegate run %d", id)
	req.Logf("lanegate: created %d provider-target row(s); recorded as lanegate run %d (run id %s, source_label %s)", created, id, req.Run.RunID, backfill.SourceLabel)
	return res, nil
}

// stageFromPlan stages the rows of an apply that was planned on one
// connection, replayed from the plan.
func (s *Store) stageFromPlan(ctx context.Context, tx pgx.Tx, plan *backfill.Plan, tick func(int)) (int, error) {
	stager, err := s.StageProviderTargets(ctx, tx, tick)
	if err != nil {
		return 0, err
	}
	err = plan.EachCreate(func(p *record.ProviderTarget) error {
		p.SourceLabel = backfill.SourceLabel
		return stager.Add(p)
	})
	n, serr := stager.Close()
	if err == nil {
		err = serr
	}
	return n, err
}

// recordBackfill records the applied run and its items in the transaction,
// and returns the run's id and how many rows it created.
func (s *Store) recordBackfill(ctx context.Context, tx pgx.Tx, run backend.RunInfo, plan *backfill.Plan) (int64, int, error) {
	final, created, err := plan.FinalTotals()
	if err != nil {
		return 0, 0, err
	}
	v, err := plan.Verdict()
	if err != nil {
		return 0, 0, err
	}
	summary := map[string]any{"schema": backfill.Schema, "plan_digest": plan.Digest, "applied": true,
		"created_count": created, "counts": final.Counts, "blocked_count": final.Blocked,
		"warning_count": final.Warning, "inspected_route_count": final.Inspected, "source_label": backfill.SourceLabel}
	id, err := s.InsertRun(ctx, tx, Run{Kind: "backfill", Status: string(v), Scope: run.Scope,
		Reason: run.Reason, PlanDigest: plan.Digest, GitSHA: run.GitSHA, RunURL: run.RunURL,
		RunID: run.RunID, RunAttempt: run.RunAttempt, Actor: run.Actor, Version: run.Version, Report: summary})
	if err != nil {
		return 0, 0, err
	}
	if err := s.insertPlanItems(ctx, tx, id, plan); err != nil {
		return 0, 0, err
	}
	return id, created, nil
}

// insertPlanItems streams the plan's items into COPY: a producer goroutine
// replays them, COPY pulls; cancelling stops the producer if COPY fails.
func (s *Store) insertPlanItems(ctx context.Context, tx pgx.Tx, runID int64, plan *backfill.Plan) error {
	itemCtx, stopItems := context.WithCancel(ctx)
	itemCh := make(chan BackfillItemRow, 256)
	produced := make(chan error, 1)
	go func() {
		defer close(itemCh)
		produced <- plan.EachSummary(func(it backfill.Item) error {
			select {
			case itemCh <- BackfillItemRow{Context: it.Context, Instance: it.Instance, Status: it.Status, Severity: it.Severity, Detail: it.Detail}:
				return nil
			case <-itemCtx.Done():
				return itemCtx.Err()
			}
		})
	}()
	next := func() (BackfillItemRow, bool, error) {
		it, ok := <-itemCh
		if !ok {
			return it, false, <-produced
		}
		return it, true, nil
	}
	err := s.InsertBackfillItems(ctx, tx, runID, next)
	stopItems()
	if err != nil {
		// Wait for the producer: the plan's spool must not be read while
		// the caller closes it.
		for range itemCh {
		}
	}
	return err
}
