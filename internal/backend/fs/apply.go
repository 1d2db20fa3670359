package fs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

var _ backend.Applier = (*Store)(nil)

// ApplyBackfill implements backend.Applier. Under Launchplane's bundle lock
// it re-plans over the state, then creates every planned row exclusively
// and writes the run record (.lanegate/backfills/RUN_ID.json), journalled so
// a crash part-way can be rolled back (Recover); a row that appeared at
// write time removes every file the apply created.
//
// A journal left by an interrupted apply makes the plan's read refuse the
// state and name --recover: recovery runs only when asked for, never as a
// side effect of an apply.
//
// The returned plan (nil on error) is the caller's to Close.
func (s *Store) ApplyBackfill(ctx context.Context, req backend.ApplyRequest) (backend.ApplyResult, error) {
	unlock, err := s.Lock()
	if err != nil {
		return backend.ApplyResult{}, err
	}
	defer unlock()
	plan, err := req.Plan(func(v store.Visitor) error { return s.Scan(ctx, req.Scope, v) }, nil)
	if err != nil {
		return backend.ApplyResult{}, err
	}
	if !plan.StartApply(req.ReviewedDigest) {
		if plan.Outcome.Refusal == "" {
			req.Logf("%s", backend.NothingToCreate)
		}
		return backend.ApplyResult{Plan: plan}, nil
	}
	res, err := s.applyPlan(req, plan)
	if err != nil {
		plan.Close()
		return backend.ApplyResult{}, err
	}
	return res, nil
}

// applyPlan writes a plan that may be applied.
func (s *Store) applyPlan(req backend.ApplyRequest, plan *backfill.Plan) (backend.ApplyResult, error) {
	res := backend.ApplyResult{Plan: plan}
	id := req.Run.RunID
	var rows []*record.ProviderTarget
	if err := plan.EachCreate(func(p *record.ProviderTarget) error {
		p.SourceLabel = backfill.SourceLabel
		rows = append(rows, p)
		return nil
	}); err != nil {
		return res, err
	}
	plan.Outcome.Created = true
	rec, created, err := runRecord(req.Run, plan)
	if err != nil {
		return res, err
	}
	prog := backend.NewProgress(req, "created")
	prog.Total = len(rows)
	n, conflict, err := s.ApplyCreates(id, rows, rec, prog.Tick)
	if err != nil {
		return res, err
	}
	if conflict != nil {
		plan.Outcome.Created = false
		plan.Outcome.Conflicts = map[store.Route]bool{*conflict: true}
		plan.Outcome.Refusal = fmt.Sprintf("the provider-target row for %s appeared at write time; every file this apply created was removed", conflict.Key())
		return res, nil
	}
	res.Created, res.Recorded = created, runRecordPath(id)
	req.Logf("lanegate: created %d provider-target file(s); recorded in .lanegate/backfills/%s.json", n, id)
	return res, nil
}

// runRecord is the JSON run record of a plan applied as its outcome says,
// and how many rows it creates.
func runRecord(run backend.RunInfo, plan *backfill.Plan) ([]byte, int, error) {
	final, created, err := plan.FinalTotals()
	if err != nil {
		return nil, 0, err
	}
	var items []backfill.Item
	if err := plan.EachItem(func(it backfill.Item) error { items = append(items, it); return nil }); err != nil {
		return nil, 0, err
	}
	rec, err := json.MarshalIndent(map[string]any{"schema": backfill.Schema, "run_id": run.RunID, "plan_digest": plan.Digest,
		"reason": run.Reason, "actor": run.Actor, "run_url": run.RunURL, "git_sha": run.GitSHA,
		"lanegate_version": run.Version, "source_label": backfill.SourceLabel, "created_count": created, "counts": final.Counts,
		"recorded_at": time.Now().UTC().Format(time.RFC3339), "items": items}, "", "  ")
	return rec, created, err
}
