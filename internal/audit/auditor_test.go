package audit

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// recorder is a Sink that keeps everything it is given, in order.
type recorder struct {
	findings []Finding
	lanes    []LaneEntry
}

func (r *recorder) Finding(f Finding) error { r.findings = append(r.findings, f); return nil }
func (r *recorder) Lane(e LaneEntry) error  { r.lanes = append(r.lanes, e); return nil }

func (r *recorder) laneKeys() []string {
	out := []string{}
	for _, e := range r.lanes {
		out = append(out, e.Lane)
	}
	return out
}

func (r *recorder) statuses() []string {
	out := []string{}
	for _, f := range r.findings {
		out = append(out, f.Context+"/"+f.Instance+":"+f.Status)
	}
	return out
}

// plan parses a lanes file declaring the given routes, all in wave 1 except
// where the route is followed by "@N".
func plan(t testing.TB, routes ...string) *lanes.File {
	t.Helper()
	var b strings.Builder
	b.WriteString("schema_version: 1\nlanes:\n")
	for _, r := range routes {
		wave := "1"
		if key, w, ok := strings.Cut(r, "@"); ok {
			r, wave = key, w
		}
		product, _, _ := strings.Cut(r, "/")
		fmt.Fprintf(&b, "  - route: %q\n    product: %q\n    driver: generic-web\n    wave: %s\n", r, product, wave)
	}
	f, err := lanes.Parse("lanes.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("lanes.Parse: %v\n%s", err, b.String())
	}
	return f
}

// stored is a small in-memory store: routes are sorted before use.
type stored struct {
	routes   []*store.RouteRecords
	bindings store.Bindings
}

func (s *stored) complete(t testing.TB, ctx, inst string) *stored {
	T, I, X := pair(t, ctx, inst)
	s.routes = append(s.routes, &store.RouteRecords{Route: route(ctx, inst), Target: T, TargetID: I, Provider: physical(X, nil)})
	return s
}

func (s *stored) add(rr *store.RouteRecords) *stored {
	s.routes = append(s.routes, rr)
	return s
}

func (s *stored) sorted() []*store.RouteRecords {
	out := append([]*store.RouteRecords(nil), s.routes...)
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j].Route) })
	return out
}

// run feeds the store through an Auditor, as a store.Reader's Scan would.
func run(t *testing.T, f Filter, p *lanes.File, s *stored) (*recorder, *Auditor, Totals) {
	t.Helper()
	rec := &recorder{}
	a := New(f, p, rec)
	if err := a.Bindings(s.bindings); err != nil {
		t.Fatal(err)
	}
	for _, rr := range s.sorted() {
		if err := a.Route(rr); err != nil {
			t.Fatal(err)
		}
	}
	tot, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return rec, a, tot
}

// mixed is a store with one route of each kind that filters care about.
func mixed(t *testing.T) *stored {
	s := &stored{}
	s.complete(t, "syo", "prod").complete(t, "syo", "testing").complete(t, "cm", "prod")
	T, I, X := pair(t, "verireel", "prod")
	// Non-dokploy row with a Dokploy pair.
	s.add(&store.RouteRecords{Route: route("verireel", "prod"), Target: T, TargetID: I,
		Provider: physical(X, func(p *record.ProviderTarget) { p.ProviderID = "static-host" })})
	// Non-dokploy row alone.
	_, _, L := pair(t, "legacy", "prod")
	s.add(&store.RouteRecords{Route: route("legacy", "prod"),
		Provider: physical(L, func(p *record.ProviderTarget) { p.ProviderID, p.TargetCategory = "static-host", "static" })})
	// Only a target-id record.
	s.add(&store.RouteRecords{Route: route("opw", "prod"), TargetID: targetID("opw", "prod", "cmp-opw")})
	// Only a dokploy row.
	_, _, O := pair(t, "orphan", "prod")
	s.add(&store.RouteRecords{Route: route("orphan", "prod"), Provider: physical(O, nil)})
	// An unreadable record.
	s.add(&store.RouteRecords{Route: route("broken", "prod"), Invalid: []store.Invalid{{Kind: record.KindProviderTarget, Source: "launchplane_provider_targets/broken.json", Err: fmt.Errorf("bad")}}})
	return s
}

func TestAuditorFilters(t *testing.T) {
	tests := []struct {
		name   string
		filter Filter
		plan   []string
		want   []string // lanes inspected, in order
	}{
		{"no filter", Filter{}, nil,
			[]string{"broken/prod", "cm/prod", "legacy/prod", "opw/prod", "orphan/prod", "syo/prod", "syo/testing", "verireel/prod"}},
		{"context", Filter{Context: "syo"}, nil, []string{"syo/prod", "syo/testing"}},
		{"context is stripped, not case-folded", Filter{Context: " syo\u001f"}, nil, []string{"syo/prod", "syo/testing"}},
		{"context match is exact", Filter{Context: "SYO"}, nil, []string{}},
		{"instance", Filter{Instance: "prod"}, nil,
			[]string{"broken/prod", "cm/prod", "legacy/prod", "opw/prod", "orphan/prod", "syo/prod", "verireel/prod"}},
		{"context and instance", Filter{Context: "syo", Instance: "testing"}, nil, []string{"syo/testing"}},
		// Launchplane: the dokploy filter keeps rows of that provider and
		// routes with a Dokploy target or target-id record, even when the
		// row is another provider's; lanegate also keeps unreadable routes.
		{"dokploy provider", Filter{ProviderID: " DOKPLOY "}, nil,
			[]string{"broken/prod", "cm/prod", "opw/prod", "orphan/prod", "syo/prod", "syo/testing", "verireel/prod"}},
		{"dokploy provider keeps declared lanes without records", Filter{ProviderID: "dokploy"}, []string{"zz/prod"},
			[]string{"broken/prod", "cm/prod", "opw/prod", "orphan/prod", "syo/prod", "syo/testing", "verireel/prod", "zz/prod"}},
		{"another provider: only its rows", Filter{ProviderID: "Static-Host"}, []string{"zz/prod"},
			[]string{"legacy/prod", "verireel/prod"}},
		{"provider and context", Filter{ProviderID: "static-host", Context: "legacy"}, nil, []string{"legacy/prod"}},
		{"lanes", Filter{Lanes: []store.Route{route("syo", "testing"), route("cm", "prod"), route("syo", "testing")}}, nil,
			[]string{"cm/prod", "syo/testing"}},
		{"lanes and declared lane", Filter{Lanes: []store.Route{route("zz", "prod")}}, []string{"zz/prod"}, []string{"zz/prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p *lanes.File
			if tt.plan != nil {
				p = plan(t, tt.plan...)
			}
			rec, a, tot := run(t, tt.filter, p, mixed(t))
			if got := rec.laneKeys(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("inspected %v\nwant      %v", got, tt.want)
			}
			if tot.Inspected != len(tt.want) || a.Matched != len(tt.want) {
				t.Errorf("Inspected %d Matched %d, want %d", tot.Inspected, a.Matched, len(tt.want))
			}
			for _, f := range rec.findings {
				if f.Status == StatusNoMatchingRoutes && len(tt.want) > 0 {
					t.Errorf("unexpected %s", f.Status)
				}
			}
		})
	}
}

func TestAuditorFindingsAndCounts(t *testing.T) {
	rec, _, tot := run(t, Filter{}, plan(t, "syo/prod", "zz/prod"), mixed(t))
	wantStatuses := []string{
		"broken/prod:invalid_record",
		"cm/prod:complete",
		"legacy/prod:future_provider",
		"opw/prod:missing_dokploy_target",
		"orphan/prod:missing_dokploy_pair",
		"syo/prod:complete",
		"syo/testing:complete",
		"verireel/prod:future_provider",
		"zz/prod:missing_route",
	}
	if got := rec.statuses(); !reflect.DeepEqual(got, wantStatuses) {
		t.Errorf("findings %v\nwant     %v", got, wantStatuses)
	}
	want := Totals{Inspected: 9, Blocked: 4, Warning: 2, Counts: map[string]int{
		"complete": 3, "future_provider": 2, "invalid_record": 1, "missing_dokploy_pair": 1,
		"missing_dokploy_target": 1, "missing_route": 1,
	}}
	if !reflect.DeepEqual(tot, want) {
		t.Errorf("totals %+v\nwant   %+v", tot, want)
	}
	if tot.Status() != SeverityBlocked {
		t.Errorf("Status() = %s", tot.Status())
	}
	if (Totals{Warning: 3}).Status() != SeverityOK {
		t.Error("warnings alone must leave the status ok")
	}
}

func TestAuditorNoMatchingRoutes(t *testing.T) {
	const detail = "provider-target audit filters did not match any stored route"
	tests := []struct {
		name   string
		filter Filter
		want   []Finding
	}{
		{"context", Filter{Context: " nope "}, []Finding{{Context: "nope", Instance: "*", Status: StatusNoMatchingRoutes, Severity: SeverityBlocked, Detail: detail}}},
		{"instance", Filter{Instance: "staging"}, []Finding{{Context: "*", Instance: "staging", Status: StatusNoMatchingRoutes, Severity: SeverityBlocked, Detail: detail}}},
		{"provider", Filter{ProviderID: "fly"}, []Finding{{Context: "*", Instance: "*", Status: StatusNoMatchingRoutes, Severity: SeverityBlocked, Detail: detail}}},
		{"context and instance", Filter{Context: "syo", Instance: "staging"}, []Finding{{Context: "syo", Instance: "staging", Status: StatusNoMatchingRoutes, Severity: SeverityBlocked, Detail: detail}}},
		{"one item per unmatched lane", Filter{Lanes: []store.Route{route("syo", "prod"), route("zz", "b"), route("aa", "a")}}, []Finding{
			{Context: "aa", Instance: "a", Status: StatusNoMatchingRoutes, Severity: SeverityBlocked, Detail: detail},
			{Context: "zz", Instance: "b", Status: StatusNoMatchingRoutes, Severity: SeverityBlocked, Detail: detail},
		}},
		{"lane filtered out by another filter", Filter{Context: "cm", Lanes: []store.Route{route("syo", "prod")}}, []Finding{
			{Context: "syo", Instance: "prod", Status: StatusNoMatchingRoutes, Severity: SeverityBlocked, Detail: detail},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, _, tot := run(t, tt.filter, nil, mixed(t))
			var got []Finding
			for _, f := range rec.findings {
				if f.Status == StatusNoMatchingRoutes {
					got = append(got, f)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if tot.Counts[StatusNoMatchingRoutes] != len(tt.want) || tot.Blocked < len(tt.want) {
				t.Errorf("counts %+v", tot)
			}
			// no_matching_routes findings have no lane entry.
			for _, e := range rec.lanes {
				if e.WorstStatus == StatusNoMatchingRoutes {
					t.Errorf("lane entry for %s", e.Lane)
				}
			}
		})
	}

	// No filter and no data: empty and ok.
	rec, _, tot := run(t, Filter{}, nil, &stored{})
	if len(rec.findings) != 0 || len(rec.lanes) != 0 || tot.Inspected != 0 || tot.Status() != SeverityOK {
		t.Errorf("empty store: %+v %+v", rec, tot)
	}
	// A filter on an empty store.
	rec, _, tot = run(t, Filter{ProviderID: "dokploy"}, nil, &stored{})
	if len(rec.findings) != 1 || rec.findings[0].Context != "*" || tot.Status() != SeverityBlocked {
		t.Errorf("filter on empty store: %+v", rec.findings)
	}
}

func TestAuditorDeclaredLaneMerge(t *testing.T) {
	s := &stored{}
	s.complete(t, "b", "x").complete(t, "n", "x").complete(t, "a-b", "x")
	// Declared: before every stored route ("a/y" < "a-b/x" by context),
	// between, equal to a stored route, and after.
	p := plan(t, "z/x@3", "m/x@2", "a/y", "n/x@2", "b/a")
	rec, _, tot := run(t, Filter{}, p, s)
	wantKeys := []string{"a/y", "a-b/x", "b/a", "b/x", "m/x", "n/x", "z/x"}
	if got := rec.laneKeys(); !reflect.DeepEqual(got, wantKeys) {
		t.Fatalf("lanes %v\nwant  %v", got, wantKeys)
	}
	byKey := map[string]LaneEntry{}
	for _, e := range rec.lanes {
		byKey[e.Lane] = e
	}
	checks := []struct {
		key      string
		declared bool
		wave     int
		product  string
		status   string
	}{
		{"a/y", true, 1, "a", StatusMissingRoute},
		{"a-b/x", false, 0, "", StatusComplete},
		{"b/a", true, 1, "b", StatusMissingRoute},
		{"b/x", false, 0, "", StatusComplete},
		{"m/x", true, 2, "m", StatusMissingRoute},
		{"n/x", true, 2, "n", StatusComplete},
		{"z/x", true, 3, "z", StatusMissingRoute},
	}
	for _, c := range checks {
		e := byKey[c.key]
		if e.Declared != c.declared || e.Wave != c.wave || e.Product != c.product || e.WorstStatus != c.status {
			t.Errorf("%s: %+v, want declared=%v wave=%d product=%q status=%s", c.key, e, c.declared, c.wave, c.product, c.status)
		}
		if c.declared && e.Driver != "generic-web" {
			t.Errorf("%s: driver %q", c.key, e.Driver)
		}
		if !c.declared && (e.Driver != "" || e.Product != "") {
			t.Errorf("%s: undeclared lane has plan data %+v", c.key, e)
		}
	}
	// Findings come in the same order as the lanes.
	var fkeys []string
	for _, f := range rec.findings {
		fkeys = append(fkeys, f.Route().Key())
	}
	if !reflect.DeepEqual(fkeys, wantKeys) {
		t.Errorf("finding order %v", fkeys)
	}
	if tot.Inspected != 7 || tot.Counts[StatusMissingRoute] != 4 {
		t.Errorf("totals %+v", tot)
	}

	// Only declared lanes, no store records at all.
	rec, _, _ = run(t, Filter{}, plan(t, "b/x", "a/x"), &stored{})
	if got := rec.laneKeys(); !reflect.DeepEqual(got, []string{"a/x", "b/x"}) {
		t.Errorf("declared only: %v", got)
	}
}

func TestAuditorLaneEntry(t *testing.T) {
	T, I, X := pair(t, "a", "x")
	P := physical(X, func(p *record.ProviderTarget) { p.DisplayName, p.ProviderTargetType = "other", "compose" })
	s := &stored{bindings: store.Bindings{P.Identity(): {route("a", "x"), route("b", "x")}}}
	s.add(&store.RouteRecords{Route: route("a", "x"), Target: T, TargetID: I, Provider: P})
	_, _, X2 := pair(t, "f", "x")
	s.add(&store.RouteRecords{Route: route("f", "x"), Provider: physical(X2, func(p *record.ProviderTarget) { p.ProviderID = "fly" })})
	rec, _, _ := run(t, Filter{}, nil, s)
	if len(rec.lanes) != 2 {
		t.Fatalf("lanes: %+v", rec.lanes)
	}
	e := rec.lanes[0]
	want := LaneEntry{Lane: "a/x", Context: "a", Instance: "x", Statuses: []string{StatusDisplayNameMismatch, StatusProviderTargetTypeMismatch, StatusDuplicateTargetIdentity},
		WorstStatus: StatusDisplayNameMismatch, Severity: SeverityBlocked, Detail: "display_name physical='other' projected='a-x'"}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("lane entry\n got %+v\nwant %+v", e, want)
	}
	w := rec.lanes[1]
	if w.WorstStatus != StatusFutureProvider || w.Severity != SeverityWarning || !reflect.DeepEqual(w.Statuses, []string{StatusFutureProvider}) {
		t.Errorf("warning lane: %+v", w)
	}
	// An ok status first, a blocked one later: the blocked one is the worst.
	_, _, X3 := pair(t, "c", "x")
	P3 := physical(X3, nil)
	T3, I3, _ := pair(t, "c", "x")
	s = &stored{bindings: store.Bindings{P3.Identity(): {route("c", "x"), route("d", "x")}}}
	s.add(&store.RouteRecords{Route: route("c", "x"), Target: T3, TargetID: I3, Provider: P3})
	rec, _, _ = run(t, Filter{}, nil, s)
	if e := rec.lanes[0]; e.WorstStatus != StatusDuplicateTargetIdentity || e.Severity != SeverityBlocked ||
		!reflect.DeepEqual(e.Statuses, []string{StatusComplete, StatusDuplicateTargetIdentity}) {
		t.Errorf("lane entry %+v", e)
	}
	// Statuses is never null in JSON.
	rec, _, _ = run(t, Filter{}, plan(t, "q/x"), &stored{})
	data, _ := json.Marshal(rec.lanes[0])
	if !strings.Contains(string(data), `"statuses":["missing_route"]`) {
		t.Errorf("lane JSON %s", data)
	}
}

func TestAuditorRejectsOutOfOrderRoutes(t *testing.T) {
	for _, order := range [][]store.Route{
		{route("b", "x"), route("a", "x")},
		{route("a", "y"), route("a", "x")},
		{route("a", "x"), route("a", "x")},
	} {
		a := New(Filter{}, nil, &recorder{})
		a.Bindings(nil)
		if err := a.Route(&store.RouteRecords{Route: order[0]}); err != nil {
			t.Fatal(err)
		}
		err := a.Route(&store.RouteRecords{Route: order[1]})
		if err == nil || !strings.Contains(err.Error(), "routes must arrive in order") {
			t.Errorf("%v then %v: err = %v", order[0], order[1], err)
		}
	}
}

type failingSink struct{ recorder }

func (f *failingSink) Lane(e LaneEntry) error { return fmt.Errorf("disk full") }

func TestAuditorPassesSinkErrors(t *testing.T) {
	a := New(Filter{}, nil, &failingSink{})
	a.Bindings(nil)
	T, I, X := pair(t, "a", "x")
	if err := a.Route(&store.RouteRecords{Route: route("a", "x"), Target: T, TargetID: I, Provider: X}); err == nil {
		t.Error("sink error was swallowed")
	}
	a = New(Filter{}, plan(t, "z/z"), &failingSink{})
	if _, err := a.Finish(); err == nil {
		t.Error("sink error in Finish was swallowed")
	}
}

func TestAuditorSharding(t *testing.T) {
	s := &stored{}
	var declared []string
	for i := 0; i < 60; i++ {
		ctx := fmt.Sprintf("ctx%02d", i%13)
		inst := fmt.Sprintf("inst%d", i)
		switch i % 4 {
		case 0:
			s.complete(t, ctx, inst)
		case 1:
			T, I, _ := pair(t, ctx, inst)
			s.add(&store.RouteRecords{Route: route(ctx, inst), Target: T, TargetID: I})
		case 2:
			s.add(&store.RouteRecords{Route: route(ctx, inst), TargetID: targetID(ctx, inst, "x")})
		case 3:
			declared = append(declared, ctx+"/"+inst)
		}
	}
	p := plan(t, declared...)
	full, _, fullTot := run(t, Filter{}, p, s)
	if fullTot.Inspected != 60 {
		t.Fatalf("unsharded inspected %d", fullTot.Inspected)
	}
	for _, n := range []int{2, 3, 7} {
		seen := map[string]int{}
		var findings []string
		inspected := 0
		for i := 1; i <= n; i++ {
			sh := Shard{Index: i, Count: n}
			rec, a, tot := run(t, Filter{Shard: sh}, p, s)
			for _, e := range rec.lanes {
				seen[e.Lane]++
				c, inst, _ := strings.Cut(e.Lane, "/")
				if !sh.Contains(route(c, inst)) {
					t.Errorf("shard %s emitted %s, which it does not contain", sh, e.Lane)
				}
			}
			for _, f := range rec.findings {
				findings = append(findings, f.Route().Key()+":"+f.Status)
			}
			inspected += tot.Inspected
			if a.Matched != 60 {
				t.Errorf("shard %s: Matched %d, want every route before sharding", sh, a.Matched)
			}
		}
		if len(seen) != 60 {
			t.Errorf("N=%d: %d routes covered, want 60", n, len(seen))
		}
		for k, c := range seen {
			if c != 1 {
				t.Errorf("N=%d: %s in %d shards", n, k, c)
			}
		}
		if inspected != 60 {
			t.Errorf("N=%d: inspected sum %d", n, inspected)
		}
		var want []string
		for _, f := range full.findings {
			want = append(want, f.Route().Key()+":"+f.Status)
		}
		sort.Strings(want)
		sort.Strings(findings)
		if !reflect.DeepEqual(findings, want) {
			t.Errorf("N=%d: union of shard findings differs from the unsharded run", n)
		}
	}
	// A sharded run leaves no_matching_routes to the merge.
	rec, _, _ := run(t, Filter{Context: "nope", Shard: Shard{Index: 1, Count: 2}}, nil, s)
	if len(rec.findings) != 0 {
		t.Errorf("sharded run emitted %v", rec.statuses())
	}
}

func TestShard(t *testing.T) {
	if (Shard{}).Active() || (Shard{Index: 1, Count: 1}).Active() {
		t.Error("a single shard is not sharding")
	}
	if !(Shard{}).Contains(route("a", "b")) || !(Shard{Index: 1, Count: 1}).Contains(route("a", "b")) {
		t.Error("inactive shard must contain every route")
	}
	if s := (Shard{Index: 2, Count: 5}).String(); s != "2/5" {
		t.Errorf("String = %q", s)
	}
	data, err := json.Marshal(Shard{Index: 2, Count: 5})
	if err != nil || string(data) != `"2/5"` {
		t.Errorf("MarshalJSON = %s, %v", data, err)
	}
	// The separator keeps ("a", "bc") and ("ab", "c") apart.
	n := 0
	for i := 1; i <= 16; i++ {
		sh := Shard{Index: i, Count: 16}
		if sh.Contains(route("a", "bc")) != sh.Contains(route("ab", "c")) {
			n++
		}
	}
	if n == 0 {
		t.Error("routes that concatenate alike always share a shard")
	}
}

func TestFilterNormalize(t *testing.T) {
	f := Filter{ProviderID: " DokPloy\u001f", Context: "\u00a0syo ", Instance: " prod",
		Lanes: []store.Route{route("b", "x"), route("a", "x"), route("b", "x")}}
	n := f.Normalize()
	if n.ProviderID != "dokploy" || n.Context != "syo" || n.Instance != "prod" {
		t.Errorf("normalized %+v", n)
	}
	if !reflect.DeepEqual(n.Lanes, []store.Route{route("a", "x"), route("b", "x")}) {
		t.Errorf("lanes %v", n.Lanes)
	}
	if f.Lanes[0] != route("b", "x") {
		t.Error("Normalize changed the caller's slice")
	}
	if (Filter{}).Active() || (Filter{Shard: Shard{Index: 1, Count: 2}}).Active() {
		t.Error("no filter (sharding is not a filter) must be inactive")
	}
	for _, f := range []Filter{{ProviderID: "x"}, {Context: "x"}, {Instance: "x"}, {Lanes: []store.Route{route("a", "b")}}} {
		if !f.Active() {
			t.Errorf("%+v inactive", f)
		}
	}
}
