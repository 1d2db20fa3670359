package launchplane

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	"github.com/lanegate/lanegate/internal/backend/launchplane/lpfake"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// A dry run over the service (backfill-dry-run per lane) and over the audit
// calls plans the same items and the same rows as the filesystem backend.
// The digest differs today only because it still folds in the Dokploy
// source records the service never returns; the rows it should cover agree.
func TestDryRunPlanMatchesFilesystem(t *testing.T) {
	w := newWorld(t, parityRoutes())
	fs, err := fsstore.Open(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	lp := w.open(t, Options{})
	for _, filter := range []audit.Filter{{}, {Context: "syo"}, {ProviderID: "dokploy"}} {
		var want, viaDry, viaAudit planSink
		if _, err := planWith(filter, nil, &want, func(v store.Visitor) error { return fs.Scan(context.Background(), store.Scope{}, v) }); err != nil {
			t.Fatal(err)
		}
		before := len(w.fake.Requests())
		if _, err := planWith(filter, nil, &viaDry, func(v store.Visitor) error { return lp.DryRun().Scan(context.Background(), store.Scope{}, v) }); err != nil {
			t.Fatal(err)
		}
		for _, r := range w.fake.Requests()[before:] {
			if r.Mode != ModeBackfillDryRun {
				t.Fatalf("dry run sent mode %q", r.Mode)
			}
		}
		if _, err := planWith(filter, nil, &viaAudit, func(v store.Visitor) error { return lp.Scan(context.Background(), store.Scope{}, v) }); err != nil {
			t.Fatal(err)
		}
		for name, got := range map[string]*planSink{"backfill-dry-run": &viaDry, "audit": &viaAudit} {
			if !bytes.Equal(bytes.Join(got.items, []byte("\n")), bytes.Join(want.items, []byte("\n"))) {
				t.Errorf("%v %s: items differ\nfs:\n%s\nservice:\n%s", filter, name, bytes.Join(want.items, []byte("\n")), bytes.Join(got.items, []byte("\n")))
			}
			if rowsKey(got.creates) != rowsKey(want.creates) {
				t.Errorf("%v %s: creates differ\nfs: %s\nservice: %s", filter, name, rowsKey(want.creates), rowsKey(got.creates))
			}
		}
		if filter.Context == "" && len(want.creates) < 2 {
			t.Fatalf("the data set plans %d creates; want several", len(want.creates))
		}
	}
}

// rowsKey is what the redefined digest covers: per route, the row apply
// writes (source label lanegate's) and the absence of a row.
func rowsKey(cs []backfill.Create) string {
	var b strings.Builder
	for _, c := range cs {
		row := *c.Record
		row.SourceLabel = backfill.SourceLabel
		b.WriteString(c.Route.Key() + " absent " + string(row.AppendJSON(nil)) + "\n")
	}
	return b.String()
}

func applyWorld(t *testing.T) *world {
	var routes []fixture.Route
	for _, c := range []string{"a", "b", "c"} {
		r := fixture.Complete(c, "prod")
		r.Provider = nil
		routes = append(routes, r)
	}
	routes = append(routes, fixture.Complete("done", "prod"))
	return newWorld(t, routes)
}

func reviewedDigest(t *testing.T, lp *Backend) string {
	t.Helper()
	p, err := planWith(audit.Filter{}, nil, &planSink{}, func(v store.Visitor) error { return lp.DryRun().Scan(context.Background(), store.Scope{}, v) })
	if err != nil {
		t.Fatal(err)
	}
	return p.Digest
}

func states(rs []LaneResult) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Route.Key()+"="+string(r.State))
	}
	return strings.Join(out, " ")
}

func applyCalls(w *world) []lpfake.Request {
	var out []lpfake.Request
	for _, r := range w.fake.Requests() {
		if r.Mode == ModeBackfillApply {
			out = append(out, r)
		}
	}
	return out
}

// Apply: one backfill-apply per planned lane with a key from the digest and
// the lane, rows really created; a re-run converges without writing twice.
func TestApplyPerLaneAndConverges(t *testing.T) {
	w := applyWorld(t)
	lp := w.open(t, Options{})
	digest := reviewedDigest(t, lp)
	res, err := lp.ApplyBackfill(context.Background(), applyRequest(digest, "issue-backed backfill", audit.Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 3 || !res.Plan.Outcome.Applied || !res.Plan.Outcome.Created || res.Plan.Outcome.Refusal != "" {
		t.Fatalf("result %+v outcome %+v", res, res.Plan.Outcome)
	}
	if got := states(lp.LastApply()); got != "a/prod=created b/prod=created c/prod=created" {
		t.Fatalf("lanes %s", got)
	}
	calls := applyCalls(w)
	if len(calls) != 3 {
		t.Fatalf("%d apply calls, want 3", len(calls))
	}
	for _, c := range calls {
		if c.IdempotencyKey != IdempotencyKey(digest, c.Route) {
			t.Errorf("lane %s key %q", c.Route.Key(), c.IdempotencyKey)
		}
		want := `{"mode":"backfill-apply","provider_id":"dokploy","context":"` + c.Route.Context + `","instance":"prod","reason":"issue-backed backfill"}`
		if string(c.Body) != want {
			t.Errorf("body %s", c.Body)
		}
	}
	for _, c := range []string{"a", "b", "c"} {
		if _, err := os.Stat(filepath.Join(w.dir, "launchplane_provider_targets", record.FileName(c, "prod"))); err != nil {
			t.Errorf("row for %s/prod not created: %v", c, err)
		}
	}
	// A re-run with the same reviewed digest: every lane is now
	// skipped-exists, nothing to create, no apply call.
	res, err = lp.ApplyBackfill(context.Background(), applyRequest(digest, "issue-backed backfill", audit.Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 0 || res.Plan.Totals.Creates != 0 || res.Plan.Totals.Counts[backfill.StatusSkippedExists] != 4 || len(applyCalls(w)) != 3 {
		t.Fatalf("re-run created %d, totals %+v, %d apply calls", res.Created, res.Plan.Totals, len(applyCalls(w)))
	}
	// The keys are stable: the same digest and lane give the same key, and
	// another digest another.
	if IdempotencyKey(digest, store.Route{Context: "a", Instance: "prod"}) != calls[0].IdempotencyKey ||
		IdempotencyKey("sha256:"+strings.Repeat("0", 64), store.Route{Context: "a", Instance: "prod"}) == calls[0].IdempotencyKey {
		t.Error("idempotency key not stable per digest and lane")
	}
}

// A reviewed digest that no longer matches refuses every write.
func TestApplyRefusesChangedDigest(t *testing.T) {
	w := applyWorld(t)
	lp := w.open(t, Options{})
	res, err := lp.ApplyBackfill(context.Background(), applyRequest("sha256:"+strings.Repeat("ab", 32), "r", audit.Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Plan.Outcome.Refusal, "the data changed since the reviewed plan") || len(applyCalls(w)) != 0 || res.Created != 0 {
		t.Fatalf("outcome %+v, %d apply calls", res.Plan.Outcome, len(applyCalls(w)))
	}
	if _, err := lp.ApplyBackfill(context.Background(), applyRequest(reviewedDigest(t, lp), " ", audit.Filter{})); err == nil {
		t.Fatal("apply without a reason accepted")
	}
}

// The first failed lane stops the apply; the report says which lanes were
// created, which failed and which were not attempted; HTTP errors are not
// retried.
func TestApplyStopsAtFirstFailedLane(t *testing.T) {
	w := applyWorld(t)
	lp := w.open(t, Options{})
	digest := reviewedDigest(t, lp)
	w.fake.SetHook(func(r lpfake.Request, _ int) lpfake.Fault {
		if r.Mode == ModeBackfillApply && r.Route.Context == "b" {
			return lpfake.Fault503
		}
		return lpfake.FaultNone
	})
	res, err := lp.ApplyBackfill(context.Background(), applyRequest(digest, "r", audit.Filter{}))
	var se *ServiceError
	if !errors.As(err, &se) || se.Code != "database_required" || se.Route.Key() != "b/prod" {
		t.Fatalf("err = %v", err)
	}
	if got := states(lp.LastApply()); got != "a/prod=created b/prod=failed c/prod=not-attempted" {
		t.Fatalf("lanes %s", got)
	}
	if res.Created != 1 || res.Plan.Outcome.Created {
		t.Fatalf("result %+v", res)
	}
	n := 0
	for _, c := range applyCalls(w) {
		if c.Route.Context == "b" {
			n++
		}
		if c.Route.Context == "c" {
			t.Error("c/prod attempted after b/prod failed")
		}
	}
	if n != 1 {
		t.Errorf("b/prod apply sent %d times, want 1", n)
	}
}

// A connection dropped after the service ran the apply is retried with the
// identical body and key, and the service replays instead of writing twice.
func TestApplyDroppedAfterRunReplays(t *testing.T) {
	w := applyWorld(t)
	lp := w.open(t, Options{})
	digest := reviewedDigest(t, lp)
	dropped := false
	w.fake.SetHook(func(r lpfake.Request, _ int) lpfake.Fault {
		if r.Mode == ModeBackfillApply && r.Route.Context == "a" && !dropped {
			dropped = true
			return lpfake.FaultDropAfterRun
		}
		return lpfake.FaultNone
	})
	res, err := lp.ApplyBackfill(context.Background(), applyRequest(digest, "r", audit.Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	lanes := lp.LastApply()
	if got := states(lanes); got != "a/prod=replayed b/prod=created c/prod=created" {
		t.Fatalf("lanes %s", got)
	}
	if lanes[0].OriginalTraceID == "" || lanes[0].OriginalTraceID == lanes[0].TraceID {
		t.Errorf("replay trace ids %q / %q", lanes[0].TraceID, lanes[0].OriginalTraceID)
	}
	if res.Created != 3 || w.fake.Runs(ModeBackfillApply) != 3 {
		t.Errorf("created %d, runs %d", res.Created, w.fake.Runs(ModeBackfillApply))
	}
	var a []lpfake.Request
	for _, c := range applyCalls(w) {
		if c.Route.Context == "a" {
			a = append(a, c)
		}
	}
	if len(a) != 2 || !bytes.Equal(a[0].Body, a[1].Body) || a[0].IdempotencyKey != a[1].IdempotencyKey {
		t.Fatalf("retries of a/prod: %+v", a)
	}
}

// A blocked apply is stored by the service and replays as blocked: the lane
// is refused and nothing re-runs.
func TestBlockedApplyReplayedNotRerun(t *testing.T) {
	// x/prod would take the identity y/prod already holds (y's row has x's
	// target id): the service's apply refuses it.
	x := fixture.Complete("x", "prod")
	x.Provider = nil
	y := mutate(fixture.Complete("y", "prod"), func(p *record.ProviderTarget) { p.TargetID = "app-x-prod" })
	w := newWorld(t, []fixture.Route{x, y})
	lp := w.open(t, Options{})
	c := lp.Client()
	req := OperationRequest{Mode: ModeBackfillApply, ProviderID: "dokploy", Context: "x", Instance: "prod", Reason: "r"}
	key := IdempotencyKey("sha256:test", store.Route{Context: "x", Instance: "prod"})
	first, err := c.Operate(context.Background(), req, key)
	if err != nil {
		t.Fatal(err)
	}
	if first.Result.OperationStatus != "blocked" || first.Replayed {
		t.Fatalf("first %+v", first.Result)
	}
	// Fix the conflict; the same key still replays the stored blocked
	// answer and the service does not run the apply again.
	if err := os.Remove(filepath.Join(w.dir, "launchplane_provider_targets", record.FileName("y", "prod"))); err != nil {
		t.Fatal(err)
	}
	again, err := c.Operate(context.Background(), req, key)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.OriginalTraceID != first.TraceID || again.Result.OperationStatus != "blocked" || w.fake.Runs(ModeBackfillApply) != 1 {
		t.Fatalf("again %+v replayed=%v runs=%d", again.Result, again.Replayed, w.fake.Runs(ModeBackfillApply))
	}
	state, _, detail := applyState(again, backfill.Create{Route: store.Route{Context: "x", Instance: "prod"}, Record: fixture.Projected(x.Target, x.TargetID)})
	if state != LaneRefused || !strings.Contains(detail, "replayed") {
		t.Errorf("state %s detail %q", state, detail)
	}
	// Through the Applier, the same conflict is a refused lane, a conflict
	// in the outcome, and nothing else attempted.
	w2 := newWorld(t, []fixture.Route{x, y})
	lp2 := w2.open(t, Options{})
	d := reviewedDigest(t, lp2)
	res, err := lp2.ApplyBackfill(context.Background(), applyRequest(d, "r", audit.Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	// lanegate's own planner already sees the claim (y holds x's identity)
	// and refuses before any call.
	if res.Plan.Outcome.Refusal == "" || len(applyCalls(w2)) != 0 {
		t.Fatalf("outcome %+v calls %d", res.Plan.Outcome, len(applyCalls(w2)))
	}
}
