package launchplane

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/store"
)

// LaneState is what an apply did on one lane.
type LaneState string

const (
	// LaneCreated: the service created the row on this call.
	LaneCreated LaneState = "created"
	// LaneReplayed: the service replayed a stored apply with this key (an
	// earlier attempt of the same plan created the row).
	LaneReplayed LaneState = "replayed"
	// LaneExists: the service found the row already matching (skipped-exists).
	LaneExists LaneState = "skipped-exists"
	// LaneRefused: the service answered the apply blocked; nothing written.
	LaneRefused LaneState = "refused"
	// LaneFailed: the call failed (HTTP or network error); unknown for a
	// network error whether the service wrote.
	LaneFailed LaneState = "failed"
	// LaneNotAttempted: an earlier lane stopped the apply.
	LaneNotAttempted LaneState = "not-attempted"
)

// LaneResult is one planned create and what became of it.
type LaneResult struct {
	Route           store.Route
	State           LaneState
	IdempotencyKey  string
	TraceID         string
	OriginalTraceID string // a replay's first call
	// Status and Detail are the service's item for the lane, or the error.
	Status, Detail string
	Err            error
}

// IdempotencyKey is the key of one lane's apply: derived from the reviewed
// plan digest and the lane only, so a re-run of the same plan sends the same
// key (and the service replays instead of writing twice), and another plan
// never reuses it.
func IdempotencyKey(digest string, lane store.Route) string {
	h := sha256.New()
	h.Write([]byte("lanegate.launchplane.backfill-apply/v1\x00"))
	h.Write([]byte(digest))
	h.Write([]byte{0})
	h.Write([]byte(lane.Context))
	h.Write([]byte{0x1f})
	h.Write([]byte(lane.Instance))
	return "lanegate-backfill-" + hex.EncodeToString(h.Sum(nil))
}

// LastApply returns the per-lane results of the last ApplyBackfill, in
// lane order (nil before any).
func (b *Backend) LastApply() []LaneResult {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]LaneResult(nil), b.lastApply...)
}

// ApplyBackfill implements backend.Applier. The service applies one route
// per call, so this cannot be all-or-nothing: it re-plans over a fresh
// backfill-dry-run of every lane, refuses as the other backends do (digest
// changed, blocked items), then sends one backfill-apply per planned create
// in lane order and stops at the first lane that is not created. The plan's
// Outcome says what happened overall; LastApply says it per lane.
//
// A lane that failed in transport or was refused by HTTP status returns its
// error (with the result so far); a lane the service answered blocked is a
// conflict in the outcome.
func (b *Backend) ApplyBackfill(ctx context.Context, req backend.ApplyRequest) (backend.ApplyResult, error) {
	if strings.TrimSpace(req.Run.Reason) == "" {
		return backend.ApplyResult{}, configErr("a Launchplane service apply requires --reason")
	}
	dry := b.DryRun()
	var creates []backfill.Create
	plan, err := req.Plan(func(v store.Visitor) error { return dry.Scan(ctx, req.Scope, v) }, func(c backfill.Create) error {
		creates = append(creates, c)
		return nil
	})
	dryNotes := map[store.Route]string{}
	dry.mu.Lock()
	for k, v := range dry.notes {
		dryNotes[k] = v
	}
	dry.mu.Unlock()
	b.mu.Lock()
	for k, v := range dry.TraceIDs() {
		b.traceIDs[k] = v
	}
	b.notes = dryNotes
	b.mu.Unlock()
	if err != nil {
		return backend.ApplyResult{}, err
	}
	res := backend.ApplyResult{Plan: plan}
	if !plan.StartApply(req.ReviewedDigest) {
		// Refused (Outcome.Refusal says why), or nothing to create.
		if plan.Outcome.Refusal == "" {
			req.Logf("%s", backend.NothingToCreate)
		}
		b.setLastApply(nil)
		return res, nil
	}
	results := make([]LaneResult, len(creates))
	for i, c := range creates {
		results[i] = LaneResult{Route: c.Route, State: LaneNotAttempted, IdempotencyKey: IdempotencyKey(plan.Digest, c.Route)}
	}
	var stopErr error
	for i, c := range creates {
		lr := &results[i]
		acc, err := b.client.Operate(ctx, OperationRequest{Mode: ModeBackfillApply, ProviderID: b.provider,
			Context: c.Route.Context, Instance: c.Route.Instance, Reason: strings.TrimSpace(req.Run.Reason)}, lr.IdempotencyKey)
		if err != nil {
			lr.State, lr.Err, lr.Detail = LaneFailed, err, err.Error()
			var se *ServiceError
			if errors.As(err, &se) {
				lr.TraceID = se.TraceID
			}
			stopErr = err
			break
		}
		lr.TraceID, lr.OriginalTraceID = acc.TraceID, acc.OriginalTraceID
		b.mu.Lock()
		b.traceIDs[c.Route] = acc.TraceID
		b.mu.Unlock()
		state, status, detail := applyState(acc, c)
		lr.State, lr.Status, lr.Detail = state, status, detail
		if state != LaneCreated && state != LaneReplayed && state != LaneExists {
			break
		}
		if req.Progress != nil {
			req.Progress(i+1, len(creates))
		}
	}
	done := 0
	plan.Outcome.Lanes = map[store.Route]backfill.LaneOutcome{}
	for _, lr := range results {
		lo := backfill.LaneOutcome{Detail: lr.Detail, TraceID: lr.TraceID}
		switch lr.State {
		case LaneCreated:
			done++
			res.Created++
			lo.State = backfill.LaneCreated
		case LaneReplayed:
			done++
			res.Created++
			lo.State = backfill.LaneReplayed
		case LaneExists:
			done++
			lo.State = backfill.LaneExists
		case LaneRefused:
			lo.State = backfill.LaneRefused
		case LaneFailed:
			lo.State = backfill.LaneFailed
		default:
			lo.State = backfill.LaneNotAttempted
		}
		plan.Outcome.Lanes[lr.Route] = lo
	}
	plan.Outcome.Created = done == len(creates)
	res.Recorded = "Launchplane service " + b.client.Host() + " (per-lane trace ids)"
	b.setLastApply(results)
	return res, stopErr
}

func (b *Backend) setLastApply(r []LaneResult) {
	b.mu.Lock()
	b.lastApply = r
	b.mu.Unlock()
}

// applyState reads one backfill-apply answer for the planned create c.
func applyState(acc *Accepted, c backfill.Create) (LaneState, string, string) {
	rep, err := DecodeReport(ModeBackfillApply, acc.Result.Report)
	if err != nil {
		return LaneFailed, "", "the apply's report cannot be read: " + err.Error()
	}
	if len(rep.Entries) != 1 || rep.Entries[0].Context != c.Route.Context || rep.Entries[0].Instance != c.Route.Instance {
		return LaneFailed, "", "the apply's report is not one item for this lane"
	}
	it := rep.Entries[0]
	status, detail := clean(it.Status), clean(it.Detail)
	switch {
	case it.Status == backfill.StatusCreated && it.Severity == "ok" && acc.Result.OperationStatus == "ok":
		if it.Projected == nil || !it.Projected.AuthorityEqual(c.Record) {
			return LaneFailed, status, "the service created a row that differs from the reviewed plan's; audit the lane"
		}
		if acc.Replayed {
			return LaneReplayed, status, detail
		}
		return LaneCreated, status, detail
	case it.Status == backfill.StatusSkippedExists && acc.Result.OperationStatus == "ok":
		if it.Physical == nil || !it.Physical.AuthorityEqual(c.Record) {
			return LaneFailed, status, "the service reports an existing row that differs from the reviewed plan's; audit the lane"
		}
		return LaneExists, status, detail
	}
	if acc.Replayed {
		detail += " (replayed: a stored apply with this key was blocked; after a fix review a new dry run, which gives new keys)"
	}
	return LaneRefused, status, detail
}
