package backfill_test

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// bfSink records what the planner emits.
type bfSink struct {
	items   []backfill.Item
	creates []backfill.Create
}

func (s *bfSink) Item(it backfill.Item) error    { s.items = append(s.items, it); return nil }
func (s *bfSink) Create(c backfill.Create) error { s.creates = append(s.creates, c); return nil }
func (s *bfSink) statuses() (out []string) {
	return bfMap(s.items, func(it backfill.Item) string { return it.Context + "/" + it.Instance + " " + it.Status })
}
func bfMap[T any](xs []T, fn func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, fn(x))
	}
	return out
}

// bfPlan runs a planner over routes (sorted here) with claims and returns
// the sink, totals and digest.
func bfPlan(t testing.TB, filter audit.Filter, claims store.Claims, routes ...*store.RouteRecords) (*bfSink, backfill.Totals, string) {
	t.Helper()
	sorted := append([]*store.RouteRecords(nil), routes...)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			if sorted[j].Less(sorted[i].Route) {
				sorted[i], sorted[j] = sorted[j], sorted[i]
			}
		}
	}
	sink := &bfSink{}
	p := backfill.NewPlanner(filter, sink)
	if err := p.Bindings(store.Bindings{}); err != nil {
		t.Fatal(err)
	}
	if claims != nil {
		if err := p.Claims(claims); err != nil {
			t.Fatal(err)
		}
	}
	for _, rr := range sorted {
		if err := p.Route(rr); err != nil {
			t.Fatalf("Route(%s): %v", rr.Key(), err)
		}
	}
	totals, digest, err := p.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(digest) {
		t.Fatalf("digest %q is not sha256:<64 hex>", digest)
	}
	return sink, totals, digest
}

// bfRoutes is a fixed mixed fleet, rebuilt fresh for every call so tests
// can mutate one route without touching another call's records.
type bfFleet struct {
	createA, createB *store.RouteRecords // would-create
	exists           *store.RouteRecords // skipped-exists
	conflict         *store.RouteRecords // skipped-conflict (display_name)
	foreign          *store.RouteRecords // unsupported-provider
	halfWarn         *store.RouteRecords // skipped-incomplete, warning
	halfBlocked      *store.RouteRecords // skipped-incomplete, blocked
}

func newBfFleet(t testing.TB) *bfFleet {
	f := &bfFleet{}
	mk := func(ctx, inst string) *store.RouteRecords {
		T, I := bfPair(t, ctx, inst)
		return &store.RouteRecords{Route: store.Route{Context: ctx, Instance: inst}, Target: T, TargetID: I}
	}
	f.createA = mk("cm", "prod")
	f.createB = mk("opw", "testing")
	f.exists = mk("syo", "prod")
	f.exists.Provider = bfCopy(bfProject(t, f.exists.Target, f.exists.TargetID), func(q *record.ProviderTarget) { q.UpdatedAt = "2030-01-01T00:00:00Z" })
	f.conflict = mk("verireel", "prod")
	f.conflict.Provider = bfCopy(bfProject(t, f.conflict.Target, f.conflict.TargetID), func(q *record.ProviderTarget) { q.DisplayName = "old-name" })
	f.foreign = &store.RouteRecords{Route: store.Route{Context: "legacy", Instance: "prod"}, Provider: &record.ProviderTarget{
		SchemaVersion: 1, Context: "legacy", Instance: "prod", ProviderID: "static-host", TargetCategory: "static",
		TargetID: "bucket-legacy", DisplayName: "legacy", ProviderTargetType: "bucket", ProviderEvidence: map[string]string{},
		UpdatedAt: "2026-01-01T00:00:00Z"}}
	f.halfWarn = mk("discord", "prod")
	f.halfWarn.TargetID = nil
	f.halfBlocked = mk("discord", "testing")
	f.halfBlocked.Provider = bfProject(t, f.halfBlocked.Target, f.halfBlocked.TargetID)
	f.halfBlocked.Target = nil
	return f
}

func (f *bfFleet) all() []*store.RouteRecords {
	return []*store.RouteRecords{f.createA, f.createB, f.exists, f.conflict, f.foreign, f.halfWarn, f.halfBlocked}
}

func TestPlannerCountsAndCreates(t *testing.T) {
	f := newBfFleet(t)
	sink, totals, _ := bfPlan(t, audit.Filter{}, nil, f.all()...)
	wantItems := []string{
		"cm/prod would-create", "discord/prod skipped-incomplete", "discord/testing skipped-incomplete",
		"legacy/prod unsupported-provider", "opw/testing would-create", "syo/prod skipped-exists",
		"verireel/prod skipped-conflict",
	}
	if got := sink.statuses(); !reflect.DeepEqual(got, wantItems) {
		t.Errorf("items in route order:\n got %q\nwant %q", got, wantItems)
	}
	wantCounts := map[string]int{"would-create": 2, "skipped-incomplete": 2, "unsupported-provider": 1, "skipped-exists": 1, "skipped-conflict": 1}
	if !reflect.DeepEqual(totals.Counts, wantCounts) {
		t.Errorf("counts = %v, want %v", totals.Counts, wantCounts)
	}
	// blocked: conflict + incomplete-with-row; warnings: foreign + incomplete-without-row.
	if totals.Inspected != 7 || totals.Blocked != 2 || totals.Warning != 2 || totals.Creates != 2 || totals.Status() != "blocked" {
		t.Errorf("totals = %+v (status %s), want inspected 7, blocked 2, warning 2, creates 2, status blocked", totals, totals.Status())
	}
	if len(sink.creates) != 2 {
		t.Fatalf("creates = %d, want 2", len(sink.creates))
	}
	for i, rr := range []*store.RouteRecords{f.createA, f.createB} {
		c := sink.creates[i]
		want := bfProject(t, rr.Target, rr.TargetID)
		want.SourceLabel = backfill.SourceLabel // the row as apply writes it
		if c.Route != rr.Route || !reflect.DeepEqual(c.Record, want) {
			t.Errorf("create %d = %+v, want route %s with the projection as apply writes it", i, c, rr.Key())
		}
	}

	// Without the blocked routes the plan is ok.
	_, totals, _ = bfPlan(t, audit.Filter{}, nil, f.createA, f.createB, f.exists, f.foreign, f.halfWarn)
	if totals.Status() != "ok" || totals.Blocked != 0 || totals.Warning != 2 {
		t.Errorf("totals without blocked routes = %+v (status %s), want ok with 2 warnings", totals, totals.Status())
	}
}

func TestPlannerFilters(t *testing.T) {
	f := newBfFleet(t)
	cases := []struct {
		name   string
		filter audit.Filter
		want   []string
	}{
		{"context", audit.Filter{Context: "discord"}, []string{"discord/prod skipped-incomplete", "discord/testing skipped-incomplete"}},
		{"context is stripped", audit.Filter{Context: "  cm \t"}, []string{"cm/prod would-create"}},
		{"instance", audit.Filter{Instance: "testing"}, []string{"discord/testing skipped-incomplete", "opw/testing would-create"}},
		{"context and instance", audit.Filter{Context: "discord", Instance: "prod"}, []string{"discord/prod skipped-incomplete"}},
		// dokploy keeps routes with a Dokploy record or a dokploy row: the
		// foreign row is dropped.
		{"provider dokploy (normalised)", audit.Filter{ProviderID: "  DokPloy "}, []string{
			"cm/prod would-create", "discord/prod skipped-incomplete", "discord/testing skipped-incomplete",
			"opw/testing would-create", "syo/prod skipped-exists", "verireel/prod skipped-conflict"}},
		{"provider of the foreign row", audit.Filter{ProviderID: "Static-Host"}, []string{"legacy/prod unsupported-provider"}},
		{"lanes", audit.Filter{Lanes: []store.Route{{Context: "syo", Instance: "prod"}, {Context: "cm", Instance: "prod"}}},
			[]string{"cm/prod would-create", "syo/prod skipped-exists"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sink, totals, _ := bfPlan(t, tc.filter, nil, f.all()...)
			if got := sink.statuses(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("items:\n got %q\nwant %q", got, tc.want)
			}
			if totals.Inspected != len(tc.want) {
				t.Errorf("inspected = %d, want %d", totals.Inspected, len(tc.want))
			}
			creates := 0
			for _, s := range tc.want {
				if strings.HasSuffix(s, " would-create") {
					creates++
				}
			}
			if totals.Creates != creates || len(sink.creates) != creates {
				t.Errorf("creates = %d (sink %d), want %d", totals.Creates, len(sink.creates), creates)
			}
		})
	}
}

func TestPlannerNoMatchingRoutes(t *testing.T) {
	f := newBfFleet(t)
	const detail = "provider-target backfill filters did not match any stored route"
	cases := []struct {
		name   string
		filter audit.Filter
		want   []backfill.Item
	}{
		{"context", audit.Filter{Context: " nope "}, []backfill.Item{
			{Context: "nope", Instance: "*", ProviderID: "dokploy", Status: "no_matching_routes", Severity: "blocked", Detail: detail}}},
		{"instance", audit.Filter{Instance: "staging"}, []backfill.Item{
			{Context: "*", Instance: "staging", ProviderID: "dokploy", Status: "no_matching_routes", Severity: "blocked", Detail: detail}}},
		{"provider is the normalised filter", audit.Filter{ProviderID: "  Fly-IO "}, []backfill.Item{
			{Context: "*", Instance: "*", ProviderID: "fly-io", Status: "no_matching_routes", Severity: "blocked", Detail: detail}}},
		{"provider and context", audit.Filter{ProviderID: "dokploy", Context: "legacy"}, []backfill.Item{
			{Context: "legacy", Instance: "*", ProviderID: "dokploy", Status: "no_matching_routes", Severity: "blocked", Detail: detail}}},
		{"unmatched lane among matched", audit.Filter{Lanes: []store.Route{{Context: "cm", Instance: "prod"}, {Context: "ghost", Instance: "prod"}}}, []backfill.Item{
			{Context: "ghost", Instance: "prod", ProviderID: "dokploy", Status: "no_matching_routes", Severity: "blocked", Detail: detail}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sink, totals, _ := bfPlan(t, tc.filter, nil, f.all()...)
			var got []backfill.Item
			for _, it := range sink.items {
				if it.Status == backfill.StatusNoMatchingRoutes {
					got = append(got, it)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("no_matching_routes items:\n got %+v\nwant %+v", got, tc.want)
			}
			if totals.Counts["no_matching_routes"] != len(tc.want) || totals.Blocked < len(tc.want) || totals.Status() != "blocked" {
				t.Errorf("totals = %+v, want the no-match item counted as blocked", totals)
			}
		})
	}

	// No filter and no data: empty and ok, as Launchplane.
	sink, totals, _ := bfPlan(t, audit.Filter{}, nil)
	if len(sink.items) != 0 || totals.Status() != "ok" || totals.Inspected != 0 {
		t.Errorf("empty unfiltered plan: items %v totals %+v", sink.items, totals)
	}
}

func TestPlannerClaimsTurnCreatesIntoConflicts(t *testing.T) {
	f := newBfFleet(t)
	claims := store.Claims{f.createB.Route: {f.createA.Route}}
	sink, totals, digest := bfPlan(t, audit.Filter{}, claims, f.createA, f.createB)
	if got, want := sink.statuses(), []string{"cm/prod would-create", "opw/testing skipped-conflict"}; !reflect.DeepEqual(got, want) {
		t.Errorf("items = %q, want %q", got, want)
	}
	if !strings.HasSuffix(sink.items[1].Detail, "already bound to another route: cm/prod") {
		t.Errorf("conflict detail %q does not name cm/prod", sink.items[1].Detail)
	}
	if totals.Creates != 1 || len(sink.creates) != 1 || sink.creates[0].Route != f.createA.Route {
		t.Errorf("creates = %+v, want only cm/prod", sink.creates)
	}
	_, _, onlyA := bfPlan(t, audit.Filter{}, nil, f.createA)
	if digest != onlyA {
		t.Errorf("a claimed route is not a create, so the digest must equal the plan with cm/prod alone")
	}
}

func TestPlannerRejectsOutOfOrderRoutes(t *testing.T) {
	f := newBfFleet(t)
	p := backfill.NewPlanner(audit.Filter{}, &bfSink{})
	if err := p.Route(f.exists); err != nil {
		t.Fatal(err)
	}
	err := p.Route(f.createA)
	if err == nil || !strings.Contains(err.Error(), "must arrive in order") {
		t.Errorf("out-of-order route: err = %v, want an ordering error", err)
	}
	if err := p.Route(f.exists); err == nil {
		t.Error("the same route twice was accepted")
	}
}

type bfFailSink struct{ bfSink }

func (s *bfFailSink) Create(backfill.Create) error { return errors.New("disk full") }

func TestPlannerPropagatesSinkErrors(t *testing.T) {
	f := newBfFleet(t)
	p := backfill.NewPlanner(audit.Filter{}, &bfFailSink{})
	if err := p.Route(f.createA); err == nil || err.Error() != "disk full" {
		t.Errorf("sink error = %v, want disk full", err)
	}
}

func TestPlanDigest(t *testing.T) {
	base := func(t *testing.T) *bfFleet { return newBfFleet(t) }
	digestOf := func(t *testing.T, routes ...*store.RouteRecords) string {
		_, _, d := bfPlan(t, audit.Filter{}, nil, routes...)
		return d
	}
	f := base(t)
	ref := digestOf(t, f.createA, f.createB)

	t.Run("prepared off the visiting goroutine", func(t *testing.T) {
		g := base(t)
		routes := g.all()
		prepared := 0
		for _, rr := range routes {
			backfill.NewPlanner(audit.Filter{}, &bfSink{}).Prepare(rr)
			if rr.Prepared != nil {
				prepared++
			}
		}
		if prepared == 0 {
			t.Fatal("Prepare prepared no route")
		}
		if d := digestOf(t, routes...); d != digestOf(t, base(t).all()...) {
			t.Errorf("digest with Prepare %s differs from the digest without", d)
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		g := base(t)
		if d := digestOf(t, g.createA, g.createB); d != ref {
			t.Errorf("same data planned twice: %s != %s", d, ref)
		}
	})
	t.Run("items that are not creates do not count", func(t *testing.T) {
		g := base(t)
		if d := digestOf(t, g.all()...); d != ref {
			t.Errorf("adding exists/conflict/unsupported/incomplete routes changed the digest")
		}
		// Nor does a change to a non-create route's records.
		g.exists.Provider.UpdatedAt = "2040-01-01T00:00:00Z"
		g.exists.Provider.SourceLabel = "someone:else"
		g.conflict.Provider.DisplayName = "yet-another-name"
		g.halfWarn.Target = bfTarget(t, "discord", "prod", "compose", "x", "y", nil)
		if d := digestOf(t, g.all()...); d != ref {
			t.Errorf("changing records of non-create routes changed the digest")
		}
	})
	// v2: the Dokploy records count only through the row they project to,
	// so a change to them that leaves the row as it is keeps the digest.
	unchanged := []struct {
		name   string
		mutate func(t *testing.T, g *bfFleet)
	}{
		{"target payload field outside the projection", func(t *testing.T, g *bfFleet) {
			g.createA.Target = bfTarget(t, "cm", "prod", "application", "cm-prod", "cm-project", map[string]any{"git_branch": "release"})
		}},
		{"target payload domains", func(t *testing.T, g *bfFleet) {
			g.createB.Target = bfTarget(t, "opw", "testing", "application", "opw-testing", "opw-project", map[string]any{"domains": []any{"opw.example.com"}})
		}},
		{"target-id source_label", func(t *testing.T, g *bfFleet) { g.createB.TargetID.SourceLabel = "rotated" }},
	}
	for _, tc := range unchanged {
		t.Run("unchanged with "+tc.name, func(t *testing.T) {
			g := base(t)
			tc.mutate(t, g)
			if d := digestOf(t, g.createA, g.createB); d != ref {
				t.Errorf("digest changed with a Dokploy record change that leaves the planned row as it is")
			}
		})
	}
	changed := []struct {
		name   string
		mutate func(t *testing.T, g *bfFleet)
	}{
		{"projected display_name", func(t *testing.T, g *bfFleet) {
			g.createA.Target = bfTarget(t, "cm", "prod", "application", "cm-prod-renamed", "cm-project", nil)
		}},
		{"projected target_id", func(t *testing.T, g *bfFleet) { g.createA.TargetID.TargetID = "app-cm-prod-2" }},
		{"projected category and type", func(t *testing.T, g *bfFleet) {
			g.createB.Target = bfTarget(t, "opw", "testing", "compose", "opw-testing", "opw-project", nil)
		}},
		{"projected evidence", func(t *testing.T, g *bfFleet) {
			g.createB.Target = bfTarget(t, "opw", "testing", "application", "opw-testing", "", nil)
		}},
		{"projected updated_at", func(t *testing.T, g *bfFleet) { g.createA.TargetID.UpdatedAt = "2027-01-01T00:00:00Z" }},
		{"one create fewer", func(t *testing.T, g *bfFleet) { g.createB = nil }},
		{"one create more", func(t *testing.T, g *bfFleet) {
			T, I := bfPair(t, "new", "prod")
			g.exists = &store.RouteRecords{Route: store.Route{Context: "new", Instance: "prod"}, Target: T, TargetID: I}
		}},
		{"a create that became skipped-exists", func(t *testing.T, g *bfFleet) {
			g.createB.Provider = bfProject(t, g.createB.Target, g.createB.TargetID)
		}},
	}
	for _, tc := range changed {
		t.Run("changes with "+tc.name, func(t *testing.T) {
			g := base(t)
			tc.mutate(t, g)
			var routes []*store.RouteRecords
			for _, rr := range []*store.RouteRecords{g.createA, g.createB, g.exists} {
				if rr != nil && (rr != g.exists || rr.Context == "new") {
					routes = append(routes, rr)
				}
			}
			if d := digestOf(t, routes...); d == ref {
				t.Errorf("digest did not change")
			}
		})
	}
}
