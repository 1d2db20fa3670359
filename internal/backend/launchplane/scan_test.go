package launchplane

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	"github.com/lanegate/lanegate/internal/backend/launchplane/lpfake"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/store"
)

// The audit over the service, fed to lanegate's own audit, gives the same
// report bytes as the filesystem backend on the same state.
func TestAuditReportMatchesFilesystem(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	w := newWorld(t, parityRoutes(), store.Route{Context: "declared", Instance: "only"})
	fs, err := fsstore.Open(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	lp := w.open(t, Options{})
	plan := parsePlan(t)
	cases := []struct {
		name   string
		filter audit.Filter
		withPl bool
	}{
		{"all", audit.Filter{}, false},
		{"with lanes", audit.Filter{}, true},
		{"context", audit.Filter{Context: "opw"}, true},
		{"instance", audit.Filter{Instance: "prod"}, false},
		{"provider dokploy", audit.Filter{ProviderID: "Dokploy"}, false},
		{"lane", audit.Filter{Lanes: []store.Route{{Context: "cm", Instance: "prod"}, {Context: "x", Instance: "y"}}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pl := plan
			if !c.withPl {
				pl = nil
			}
			a := auditJSON(t, fs, c.filter, pl)
			b := auditJSON(t, lp, c.filter, pl)
			if !bytes.Equal(a, b) {
				t.Fatalf("reports differ\nfilesystem:\n%s\nservice:\n%s", a, b)
			}
		})
	}
	rep, err := report.ReadAuditReport(bytes.NewReader(auditJSON(t, lp, audit.Filter{}, plan)))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"complete", "missing_provider_target", "missing_dokploy_pair", "missing_dokploy_target",
		"missing_target_id", "display_name_mismatch", "category_mismatch", "provider_target_type_mismatch",
		"provider_evidence_mismatch", "identity_mismatch", "duplicate_target_identity", "future_provider", "missing_route"} {
		if rep.Counts[s] == 0 {
			t.Errorf("status %s missing from the parity data set: %v", s, rep.Counts)
		}
	}
	if got := lp.TraceIDs(); len(got) != len(w.lanes) {
		t.Errorf("trace ids for %d lanes, want %d: %v", len(got), len(w.lanes), got)
	}
	notes := lp.Notes()
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "declared/only: ") || !strings.Contains(notes[0], "no_matching_routes") {
		t.Errorf("notes = %q, want one for declared/only", notes)
	}
}

// One audit call per lane per scan, every body the documented envelope.
func TestScanOneCallPerLane(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	w := newWorld(t, parityRoutes(), store.Route{Context: "declared", Instance: "only"})
	lp := w.open(t, Options{})
	auditJSON(t, lp, audit.Filter{}, nil)
	per := map[store.Route]int{}
	for _, r := range w.fake.Requests() {
		if r.Path != OperationsPath || r.Method != http.MethodPost || r.Mode != ModeAudit || r.Token != opToken || r.IdempotencyKey != "" {
			t.Errorf("unexpected request %+v", r)
		}
		want := OperationRequest{Mode: ModeAudit, ProviderID: "dokploy", Context: r.Route.Context, Instance: r.Route.Instance}.Body()
		if !bytes.Equal(r.Body, want) {
			t.Errorf("body %s, want %s", r.Body, want)
		}
		per[r.Route]++
	}
	for _, l := range w.lanes {
		if per[l] != 1 {
			t.Errorf("lane %s called %d times", l.Key(), per[l])
		}
	}
	if len(per) != len(w.lanes) {
		t.Errorf("%d routes called, want %d", len(per), len(w.lanes))
	}
	// A scope does not narrow the calls: the cross-route checks need every
	// lane's row.
	before := len(w.fake.Requests())
	auditJSON(t, lp, audit.Filter{Context: "cm"}, nil)
	if n := len(w.fake.Requests()) - before; n != len(w.lanes) {
		t.Errorf("context cm made %d calls, want %d", n, len(w.lanes))
	}
}

// At most MaxInFlight calls run at once.
func TestScanBoundedConcurrency(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	var routes []fixture.Route
	for _, c := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		routes = append(routes, fixture.Complete(c, "prod"))
	}
	w := newWorld(t, routes)
	var cur, peak atomic.Int32
	inner := w.fake.Config.Handler
	w.fake.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		defer cur.Add(-1)
		inner.ServeHTTP(rw, r)
	})
	w.fake.SlowDelay = 30e6 // 30 ms
	w.fake.SetHook(func(lpfake.Request, int) lpfake.Fault { return lpfake.FaultSlow })
	lp := w.open(t, Options{MaxInFlight: 3})
	auditJSON(t, lp, audit.Filter{}, nil)
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak in flight %d, want 2..3", p)
	}
}

// A lane whose call fails is blocked, named, with the service's code, its
// message and trace id; the other lanes are audited normally.
func TestFailedLaneBlockedAndNamed(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	w := newWorld(t, []fixture.Route{fixture.Complete("a", "prod"), fixture.Complete("b", "prod")})
	w.fake.SetHook(func(r lpfake.Request, _ int) lpfake.Fault {
		if r.Route.Context == "b" {
			return lpfake.Fault503
		}
		return lpfake.FaultNone
	})
	lp := w.open(t, Options{})
	rep, err := report.ReadAuditReport(bytes.NewReader(auditJSON(t, lp, audit.Filter{}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != "blocked" || rep.Counts["complete"] != 1 || rep.Counts[audit.StatusInvalidRecord] != 1 {
		t.Fatalf("report %+v", rep)
	}
	var f *audit.Finding
	for i := range rep.Findings {
		if rep.Findings[i].Context == "b" {
			f = &rep.Findings[i]
		}
	}
	if f == nil || f.Severity != audit.SeverityBlocked {
		t.Fatalf("no blocked finding for b/prod: %+v", rep.Findings)
	}
	for _, want := range []string{"b/prod", "HTTP 503", "database_required", "trace_id launchplane_req_", "Postgres storage"} {
		if !strings.Contains(f.Detail, want) {
			t.Errorf("detail %q lacks %q", f.Detail, want)
		}
	}
	// HTTP errors are not retried: b was asked once.
	n := 0
	for _, r := range w.fake.Requests() {
		if r.Route.Context == "b" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("b/prod asked %d times, want 1 (no retry on HTTP status)", n)
	}
}

// A dropped connection is retried with the identical body; the lane then
// audits normally.
func TestNetworkErrorRetriedIdenticalBody(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	w := newWorld(t, []fixture.Route{fixture.Complete("a", "prod")})
	var mu sync.Mutex
	dropped := 0
	w.fake.SetHook(func(r lpfake.Request, _ int) lpfake.Fault {
		mu.Lock()
		defer mu.Unlock()
		if dropped < 2 {
			dropped++
			return lpfake.FaultDrop
		}
		return lpfake.FaultNone
	})
	var slept []time.Duration
	lp := w.open(t, Options{Retry: Retry{Attempts: 3, Delay: 100, Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}}})
	rep, err := report.ReadAuditReport(bytes.NewReader(auditJSON(t, lp, audit.Filter{}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != "ok" {
		t.Fatalf("status %s: %+v", rep.Status, rep.Findings)
	}
	if len(slept) != 2 || slept[0] != 100 || slept[1] != 200 {
		t.Errorf("backoff %v, want [100ns 200ns] (delay × attempt)", slept)
	}
	reqs := w.fake.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for _, r := range reqs[1:] {
		if !bytes.Equal(r.Body, reqs[0].Body) {
			t.Errorf("retry body %s differs from %s", r.Body, reqs[0].Body)
		}
	}
	// Out of attempts: the lane is blocked with a network error.
	w.fake.SetHook(func(lpfake.Request, int) lpfake.Fault { return lpfake.FaultDrop })
	rep, err = report.ReadAuditReport(bytes.NewReader(auditJSON(t, lp, audit.Filter{}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != "blocked" || len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0].Detail, "network error after 3 attempt(s)") {
		t.Fatalf("report %+v", rep.Findings)
	}
}

// A lane whose only row belongs to another provider cannot be seen through
// the service (every call names dokploy): it is blocked (missing_route) with
// a note, never passed.
func TestOtherProviderOnlyLaneBlocked(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	only := fixture.Complete("zz", "static")
	only.Target, only.TargetID = nil, nil
	only = mutate(only, func(p *record.ProviderTarget) { p.ProviderID = "netlify" })
	w := newWorld(t, []fixture.Route{only})
	lp := w.open(t, Options{})
	rep, err := report.ReadAuditReport(bytes.NewReader(auditJSON(t, lp, audit.Filter{}, parseLanes(t, "zz/static"))))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != "blocked" || rep.Counts[audit.StatusMissingRoute] != 1 {
		t.Fatalf("report %+v", rep)
	}
	if n := lp.Notes(); len(n) != 1 || !strings.Contains(n[0], "another provider is invisible") {
		t.Errorf("notes %q", n)
	}
}

func parseLanes(t *testing.T, routes ...string) *lanes.File {
	t.Helper()
	var b strings.Builder
	b.WriteString("schema_version: 1\nlanes:\n")
	for _, r := range routes {
		b.WriteString("  - {route: " + r + ", product: p, driver: odoo, wave: 1}\n")
	}
	f, err := lanes.Parse("lanes.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}
