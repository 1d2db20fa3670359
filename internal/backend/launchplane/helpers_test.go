package launchplane

import (
	"context"
	"github.com/lanegate/lanegate/internal/testkit"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/launchplane/lpfake"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// opToken is the operator bearer the tests use; no output may hold it.
const opToken = "lp-operator-secret-7f3a9c1e5b2d4806"

func mutate(r fixture.Route, fn func(p *record.ProviderTarget)) fixture.Route {
	cp := *r.Provider
	fn(&cp)
	r.Provider = &cp
	return r
}

// parityRoutes covers every status the backends must agree on.
func parityRoutes() []fixture.Route {
	complete := fixture.Complete("syo", "prod")
	noProvider := fixture.Complete("syo", "testing")
	noProvider.Provider = nil
	pairless := fixture.Complete("orphan", "prod")
	pairless.Target, pairless.TargetID = nil, nil
	noTarget := fixture.Complete("cm", "prod")
	noTarget.Target = nil
	noID := fixture.Complete("cm", "testing")
	noID.TargetID = nil
	odd := fixture.Complete("café-ü", `in st\ance`)
	wc := fixture.Complete("new", "prod")
	wc.Provider = nil
	return []fixture.Route{
		complete, noProvider, pairless, noTarget, noID, odd, wc,
		mutate(fixture.Complete("opw", "prod"), func(p *record.ProviderTarget) {
			p.DisplayName = "renamed"
			p.TargetCategory = "compose"
			p.ProviderTargetType = "compose"
			p.ProviderEvidence = map[string]string{"project_name": "other"}
		}),
		mutate(fixture.Complete("opw", "testing"), func(p *record.ProviderTarget) { p.TargetID = "app-syo-prod" }),
		mutate(fixture.Complete("zz", "static"), func(p *record.ProviderTarget) { p.ProviderID = "netlify" }),
	}
}

const parityLanes = `schema_version: 1
lanes:
  - {route: syo/prod, product: syo, driver: generic-web, wave: 1}
  - {route: declared/only, product: d, driver: odoo, wave: 1}
  - {route: cm/prod, product: cm, driver: odoo, wave: 2}
`

func routesOf(rs []fixture.Route) []store.Route {
	var out []store.Route
	for _, r := range rs {
		switch {
		case r.Target != nil:
			out = append(out, store.Route{Context: r.Target.Context, Instance: r.Target.Instance})
		case r.TargetID != nil:
			out = append(out, store.Route{Context: r.TargetID.Context, Instance: r.TargetID.Instance})
		case r.Provider != nil:
			out = append(out, store.Route{Context: r.Provider.Context, Instance: r.Provider.Instance})
		}
	}
	return out
}

type env map[string]string

func (e env) get(k string) string { return e[k] }

// instant makes retries wait nothing.
var instant = Retry{Attempts: 3, Delay: time.Millisecond, Sleep: func(context.Context, time.Duration) error { return nil }}

// world is a state directory served by a fake service.
type world struct {
	dir   string
	fake  *lpfake.Server
	lanes []store.Route
}

func newWorld(t *testing.T, routes []fixture.Route, extraLanes ...store.Route) *world {
	t.Helper()
	dir := t.TempDir()
	if err := fixture.WriteState(dir, routes); err != nil {
		t.Fatal(err)
	}
	f := lpfake.New(t, dir)
	f.Grant(opToken, GrantAudit, GrantBackfill, GrantRead)
	return &world{dir: dir, fake: f, lanes: append(routesOf(routes), extraLanes...)}
}

func (w *world) open(t *testing.T, opt Options) *Backend {
	t.Helper()
	if opt.Retry.Sleep == nil {
		opt.Retry = instant
	}
	b, err := Open(backend.Spec{Kind: Kind, Target: w.fake.URL, Getenv: env{"LAUNCHPLANE_TOKEN": opToken}.get, Lanes: w.lanes}, opt)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parsePlan(t *testing.T) *lanes.File {
	t.Helper()
	p, err := lanes.Parse("lanes.yaml", []byte(parityLanes))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// auditJSON renders a full audit report the way the command does.
func auditJSON(t *testing.T, st store.Reader, filter audit.Filter, plan *lanes.File) []byte {
	return testkit.AuditJSON(t, st, filter, plan)
}

// planSink keeps a plan's items and creates.
type planSink struct {
	items   [][]byte
	creates []backfill.Create
}

func (p *planSink) Item(it backfill.Item) error {
	p.items = append(p.items, it.AppendJSON(nil))
	return nil
}
func (p *planSink) Create(c backfill.Create) error { p.creates = append(p.creates, c); return nil }

// gate keeps the blocked audit findings that refuse an apply.
type gate struct{ blocked []string }

func (g *gate) Finding(f audit.Finding) error {
	if f.Severity == audit.SeverityBlocked && f.Status != audit.StatusMissingProviderTarget {
		g.blocked = append(g.blocked, f.Context+"/"+f.Instance+" "+f.Status)
	}
	return nil
}
func (g *gate) Lane(audit.LaneEntry) error { return nil }

type tee struct {
	a *audit.Auditor
	p *backfill.Planner
}

func (t tee) Bindings(b store.Bindings) error {
	if err := t.a.Bindings(b); err != nil {
		return err
	}
	return t.p.Bindings(b)
}
func (t tee) Claims(c store.Claims) error { return t.p.Claims(c) }
func (t tee) Route(rr *store.RouteRecords) error {
	if err := t.a.Route(rr); err != nil {
		return err
	}
	return t.p.Route(rr)
}

// planWith is the command's plan: audit and planner over one snapshot.
func planWith(filter audit.Filter, plan *lanes.File, sink backfill.Sink, scan func(store.Visitor) error) (*backfill.Plan, error) {
	g := &gate{}
	t := tee{a: audit.New(filter, plan, g), p: backfill.NewPlanner(filter, sink)}
	if err := scan(t); err != nil {
		return nil, err
	}
	if _, err := t.a.Finish(); err != nil {
		return nil, err
	}
	totals, digest, err := t.p.Finish()
	if err != nil {
		return nil, err
	}
	return &backfill.Plan{Totals: totals, Digest: digest, AuditBlocked: g.blocked}, nil
}

// applyRequest builds the request the command would.
func applyRequest(digest, reason string, filter audit.Filter) backend.ApplyRequest {
	return backend.ApplyRequest{
		Plan: func(scan func(store.Visitor) error, stage func(backfill.Create) error) (*backfill.Plan, error) {
			sink := &stagingSink{stage: stage}
			return planWith(filter, nil, sink, scan)
		},
		ReviewedDigest: digest,
		Run:            backend.RunInfo{Kind: "backfill", Reason: reason},
	}
}

type stagingSink struct {
	planSink
	stage func(backfill.Create) error
}

func (s *stagingSink) Create(c backfill.Create) error {
	if s.stage != nil {
		if err := s.stage(c); err != nil {
			return err
		}
	}
	return s.planSink.Create(c)
}
