package audit

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// target builds a Dokploy target record with Launchplane's defaults.
func target(t testing.TB, ctx, inst, targetType, targetName, projectName string) *record.DokployTarget {
	t.Helper()
	p := record.NewDokployTargetPayload(ctx, inst, "2026-04-21T18:30:00Z")
	p.Set("target_type", targetType)
	p.Set("target_name", targetName)
	p.Set("project_name", projectName)
	p.Set("source_label", "test:target")
	tg, err := record.DokployTargetFromObject(p)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func targetID(ctx, inst, id string) *record.DokployTargetID {
	return &record.DokployTargetID{SchemaVersion: 1, Context: ctx, Instance: inst, TargetID: id,
		UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test:id"}
}

func project(t testing.TB, tg *record.DokployTarget, id *record.DokployTargetID) *record.ProviderTarget {
	t.Helper()
	p, err := record.Project(tg, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pair returns a route's Dokploy pair and its projection.
func pair(t testing.TB, ctx, inst string) (*record.DokployTarget, *record.DokployTargetID, *record.ProviderTarget) {
	t.Helper()
	tg := target(t, ctx, inst, "application", ctx+"-"+inst, ctx+"-project")
	id := targetID(ctx, inst, "app-"+ctx+"-"+inst)
	return tg, id, project(t, tg, id)
}

// physical is a copy of the projection, changed by edit: the explicit row.
func physical(p *record.ProviderTarget, edit func(*record.ProviderTarget)) *record.ProviderTarget {
	q := *p
	q.ProviderEvidence = map[string]string{}
	for k, v := range p.ProviderEvidence {
		q.ProviderEvidence[k] = v
	}
	q.SourceLabel = "launchplane:dual-write"
	if edit != nil {
		edit(&q)
	}
	return &q
}

func route(ctx, inst string) store.Route { return store.Route{Context: ctx, Instance: inst} }

// attached says which records a finding must carry.
type attached int

const (
	none attached = iota
	phys
	proj
	both
)

type wantFinding struct {
	status, severity, detail string
	records                  attached
}

func checkFindings(t *testing.T, rr *store.RouteRecords, got []Finding, want []wantFinding, P, X *record.ProviderTarget) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d:\n%s", len(got), len(want), describe(got))
	}
	for i, w := range want {
		f := got[i]
		if f.Context != rr.Context || f.Instance != rr.Instance {
			t.Errorf("[%d] route %s/%s, want %s", i, f.Context, f.Instance, rr.Key())
		}
		if f.Status != w.status || f.Severity != w.severity {
			t.Errorf("[%d] %s/%s, want %s/%s", i, f.Status, f.Severity, w.status, w.severity)
		}
		if f.Detail != w.detail {
			t.Errorf("[%d] detail\n got: %s\nwant: %s", i, f.Detail, w.detail)
		}
		wantP, wantX := w.records == phys || w.records == both, w.records == proj || w.records == both
		if (f.Physical != nil) != wantP || (f.Projected != nil) != wantX {
			t.Errorf("[%d] %s: physical attached %v projected attached %v, want %v %v",
				i, f.Status, f.Physical != nil, f.Projected != nil, wantP, wantX)
		}
		if wantP && f.Physical != P {
			t.Errorf("[%d] physical record is not the route's row", i)
		}
		if wantX && X != nil && !reflect.DeepEqual(f.Projected, X) {
			t.Errorf("[%d] projected record %+v, want %+v", i, f.Projected, X)
		}
	}
}

func describe(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.Status + "/" + f.Severity + ": " + f.Detail + "\n")
	}
	return b.String()
}

const (
	detailComplete        = "explicit provider-target row matches the Dokploy projection"
	detailMissingProvider = "Dokploy target/id pair has no explicit provider-target row"
	detailMissingPair     = "explicit Dokploy provider-target row has no Dokploy target or target-id records"
	detailMissingTarget   = "Dokploy target metadata record is missing"
	detailMissingID       = "Dokploy target-id record is missing"
	detailFuture          = "explicit provider-target row is not managed by the Dokploy projection audit"
	detailEvidence        = "provider_evidence differs between explicit row and Dokploy projection"
	detailMissingRoute    = "lane is declared in the lanes file but the store has no record for it"
)

func TestDecide(t *testing.T) {
	T, I, X := pair(t, "syo", "prod")
	tests := []struct {
		name    string
		T       *record.DokployTarget
		I       *record.DokployTargetID
		P       *record.ProviderTarget
		want    []wantFinding
		wantNoX bool // projected record is not the pair's projection
	}{
		{
			name: "complete",
			T:    T, I: I, P: physical(X, nil),
			want: []wantFinding{{StatusComplete, SeverityOK, detailComplete, both}},
		},
		{
			name: "updated_at, source_label and schema_version are not compared",
			T:    T, I: I, P: physical(X, func(p *record.ProviderTarget) {
				p.UpdatedAt, p.SourceLabel, p.SchemaVersion = "1999-01-01", "other", 3
			}),
			want: []wantFinding{{StatusComplete, SeverityOK, detailComplete, both}},
		},
		{
			name: "missing_provider_target",
			T:    T, I: I,
			want: []wantFinding{{StatusMissingProviderTarget, SeverityBlocked, detailMissingProvider, proj}},
		},
		{
			name: "missing_dokploy_pair",
			P:    physical(X, nil),
			want: []wantFinding{{StatusMissingDokployPair, SeverityBlocked, detailMissingPair, phys}},
		},
		{
			name: "missing_dokploy_target with a row",
			I:    I, P: physical(X, nil),
			want: []wantFinding{{StatusMissingDokployTarget, SeverityBlocked, detailMissingTarget, phys}},
		},
		{
			name: "missing_dokploy_target without a row",
			I:    I,
			want: []wantFinding{{StatusMissingDokployTarget, SeverityBlocked, detailMissingTarget, none}},
		},
		{
			name: "missing_target_id with a row",
			T:    T, P: physical(X, nil),
			want: []wantFinding{{StatusMissingTargetID, SeverityBlocked, detailMissingID, phys}},
		},
		{
			name: "missing_target_id without a row",
			T:    T,
			want: []wantFinding{{StatusMissingTargetID, SeverityBlocked, detailMissingID, none}},
		},
		{
			name: "identity_mismatch on target_id",
			T:    T, I: I, P: physical(X, func(p *record.ProviderTarget) { p.TargetID = "cmp-verireel-prod-2025" }),
			want: []wantFinding{{StatusIdentityMismatch, SeverityBlocked,
				"provider-target identity mismatch: target_id physical='cmp-verireel-prod-2025' projected='app-syo-prod'", both}},
		},
		{
			name: "identity_mismatch detail uses Python repr quoting",
			T:    T, I: I, P: physical(X, func(p *record.ProviderTarget) { p.TargetID = "it's\tcafé\u200b" }),
			want: []wantFinding{{StatusIdentityMismatch, SeverityBlocked,
				`provider-target identity mismatch: target_id physical="it's\tcafé\u200b" projected='app-syo-prod'`, both}},
		},
		{
			name: "category_mismatch",
			T:    T, I: I, P: physical(X, func(p *record.ProviderTarget) { p.TargetCategory = "container" }),
			want: []wantFinding{{StatusCategoryMismatch, SeverityBlocked,
				"target_category physical='container' projected='application'", both}},
		},
		{
			name: "display_name_mismatch",
			T:    T, I: I, P: physical(X, func(p *record.ProviderTarget) { p.DisplayName = `syo "prod"` }),
			want: []wantFinding{{StatusDisplayNameMismatch, SeverityBlocked,
				`display_name physical='syo "prod"' projected='syo-prod'`, both}},
		},
		{
			name: "provider_target_type_mismatch",
			T:    T, I: I, P: physical(X, func(p *record.ProviderTarget) { p.ProviderTargetType = "" }),
			want: []wantFinding{{StatusProviderTargetTypeMismatch, SeverityBlocked,
				"provider_target_type physical='' projected='application'", both}},
		},
		{
			name: "provider_evidence_mismatch: different value",
			T:    T, I: I, P: physical(X, func(p *record.ProviderTarget) { p.ProviderEvidence["project_name"] = "other" }),
			want: []wantFinding{{StatusProviderEvidenceMismatch, SeverityBlocked, detailEvidence, both}},
		},
		{
			name: "provider_evidence_mismatch: extra key",
			T:    T, I: I, P: physical(X, func(p *record.ProviderTarget) { p.ProviderEvidence["region"] = "" }),
			want: []wantFinding{{StatusProviderEvidenceMismatch, SeverityBlocked, detailEvidence, both}},
		},
		{
			name: "every mismatch at once, in the reference order",
			T:    T, I: I, P: physical(X, func(p *record.ProviderTarget) {
				p.TargetID, p.TargetCategory, p.DisplayName = "x", "compose", "y"
				p.ProviderTargetType, p.ProviderEvidence = "compose", map[string]string{}
			}),
			want: []wantFinding{
				{StatusIdentityMismatch, SeverityBlocked, "provider-target identity mismatch: target_id physical='x' projected='app-syo-prod'", both},
				{StatusCategoryMismatch, SeverityBlocked, "target_category physical='compose' projected='application'", both},
				{StatusDisplayNameMismatch, SeverityBlocked, "display_name physical='y' projected='syo-prod'", both},
				{StatusProviderTargetTypeMismatch, SeverityBlocked, "provider_target_type physical='compose' projected='application'", both},
				{StatusProviderEvidenceMismatch, SeverityBlocked, detailEvidence, both},
			},
		},
		{
			name: "future_provider stops the route even with a Dokploy pair",
			T:    T, I: I, P: physical(X, func(p *record.ProviderTarget) {
				p.ProviderID, p.TargetCategory, p.TargetID = "static-host", "static", "bucket-1"
			}),
			want: []wantFinding{{StatusFutureProvider, SeverityWarning, detailFuture, phys}},
		},
		{
			name: "future_provider without Dokploy records",
			P: physical(X, func(p *record.ProviderTarget) {
				p.ProviderID = "static-host"
			}),
			want: []wantFinding{{StatusFutureProvider, SeverityWarning, detailFuture, phys}},
		},
		{
			name: "missing_route: declared lane with no record",
			want: []wantFinding{{StatusMissingRoute, SeverityBlocked, detailMissingRoute, none}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := &store.RouteRecords{Route: route("syo", "prod"), Target: tt.T, TargetID: tt.I, Provider: tt.P}
			got := Decide(rr, nil)
			checkFindings(t, rr, got, tt.want, tt.P, X)
		})
	}
}

func TestCompareBothIdentityParts(t *testing.T) {
	_, _, X := pair(t, "syo", "prod")
	P := physical(X, func(p *record.ProviderTarget) { p.ProviderID, p.TargetID = "other", "t'" })
	rr := &store.RouteRecords{Route: route("syo", "prod")}
	got := Compare(rr, P, X)
	want := `provider-target identity mismatch: provider_id physical='other' projected='dokploy', target_id physical="t'" projected='app-syo-prod'`
	if len(got) != 1 || got[0].Status != StatusIdentityMismatch || got[0].Detail != want {
		t.Fatalf("got:\n%s\nwant identity_mismatch: %s", describe(got), want)
	}
}

func TestDecideDuplicateIdentity(t *testing.T) {
	T, I, X := pair(t, "a", "x")
	P := physical(X, nil)
	id := P.Identity()
	bindings := store.Bindings{id: {route("a", "x"), route("b", "y"), route("c", "z")}}
	rr := &store.RouteRecords{Route: route("a", "x"), Target: T, TargetID: I, Provider: P}
	got := Decide(rr, bindings)
	checkFindings(t, rr, got, []wantFinding{
		{StatusComplete, SeverityOK, detailComplete, both},
		{StatusDuplicateTargetIdentity, SeverityBlocked,
			"provider-target identity dokploy/application/app-a-x is also bound to b/y, c/z", phys},
	}, P, X)

	// The check also runs for a row the projection audit does not manage.
	F := physical(X, func(p *record.ProviderTarget) {
		p.ProviderID, p.TargetCategory, p.TargetID = "static-host", "static", "bucket"
	})
	fid := F.Identity()
	rr = &store.RouteRecords{Route: route("m", "n"), Provider: F}
	got = Decide(rr, store.Bindings{fid: {route("a", "a"), route("m", "n")}})
	checkFindings(t, rr, got, []wantFinding{
		{StatusFutureProvider, SeverityWarning, detailFuture, phys},
		{StatusDuplicateTargetIdentity, SeverityBlocked, "provider-target identity static-host/static/bucket is also bound to a/a", phys},
	}, F, nil)

	// An identity bound to other routes only, or differing by category,
	// is not this route's problem.
	rr = &store.RouteRecords{Route: route("a", "x"), Target: T, TargetID: I, Provider: P}
	other := record.Identity{ProviderID: id.ProviderID, Category: "compose", TargetID: id.TargetID}
	got = Decide(rr, store.Bindings{other: {route("a", "x"), route("b", "y")}})
	checkFindings(t, rr, got, []wantFinding{{StatusComplete, SeverityOK, detailComplete, both}}, P, X)
}

func TestDecideInvalidRecords(t *testing.T) {
	T, I, X := pair(t, "syo", "prod")
	inv := []store.Invalid{
		{Kind: record.KindProviderTarget, Source: "launchplane_provider_targets/x.json", Err: &record.FieldError{Field: "context", Msg: "boom"}},
		{Kind: record.KindDokployTargetID, Source: "dokploy_target_ids/y.json", Err: errors.New("is a directory")},
	}
	rr := &store.RouteRecords{Route: route("syo", "prod"), Target: T, TargetID: I, Provider: physical(X, nil), Invalid: inv}
	got := Decide(rr, nil)
	checkFindings(t, rr, got, []wantFinding{
		{StatusInvalidRecord, SeverityBlocked, "invalid provider_target record launchplane_provider_targets/x.json: field context: boom", none},
		{StatusInvalidRecord, SeverityBlocked, "invalid dokploy_target_id record dokploy_target_ids/y.json: is a directory", none},
	}, nil, nil)
}

func TestDecideProjectionError(t *testing.T) {
	T := target(t, "syo", "prod", "application", "   ", "p")
	I := targetID("syo", "prod", "app-1")
	P := &record.ProviderTarget{SchemaVersion: 1, Context: "syo", Instance: "prod", ProviderID: "dokploy",
		TargetCategory: "application", TargetID: "app-1", DisplayName: "prod", ProviderTargetType: "application",
		ProviderEvidence: map[string]string{}, UpdatedAt: "u"}
	for _, withRow := range []bool{true, false} {
		rr := &store.RouteRecords{Route: route("syo", "prod"), Target: T, TargetID: I}
		records := none
		if withRow {
			rr.Provider, records = P, phys
		}
		got := Decide(rr, nil)
		if len(got) != 1 {
			t.Fatalf("got %d findings:\n%s", len(got), describe(got))
		}
		checkFindings(t, rr, got, []wantFinding{{StatusInvalidRecord, SeverityBlocked, got[0].Detail, records}}, rr.Provider, nil)
		if d := got[0].Detail; !strings.HasPrefix(d, "cannot project the Dokploy target and target-id records: ") || !strings.Contains(d, "display_name") {
			t.Errorf("detail %q does not explain the projection error", d)
		}
	}
	// A pair whose parts disagree on the route cannot be projected either.
	rr := &store.RouteRecords{Route: route("syo", "prod"), Target: target(t, "syo", "prod", "compose", "", ""), TargetID: targetID("other", "prod", "x")}
	got := Decide(rr, nil)
	if len(got) != 1 || got[0].Status != StatusInvalidRecord || !strings.Contains(got[0].Detail, "context") {
		t.Errorf("context mismatch:\n%s", describe(got))
	}
}

func TestSeverityRank(t *testing.T) {
	if !(SeverityRank(SeverityBlocked) > SeverityRank(SeverityWarning) && SeverityRank(SeverityWarning) > SeverityRank(SeverityOK)) {
		t.Error("ranks out of order")
	}
	if SeverityRank("bogus") != SeverityRank(SeverityOK) {
		t.Error("unknown severity should rank as ok")
	}
}
