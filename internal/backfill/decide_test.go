package backfill_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// bfTarget builds a Dokploy target record. extra sets further payload keys
// (fields the projection does not read).
func bfTarget(t testing.TB, ctx, inst, targetType, targetName, projectName string, extra map[string]any) *record.DokployTarget {
	t.Helper()
	p := record.NewDokployTargetPayload(ctx, inst, "2026-04-21T18:30:00Z")
	p.Set("target_type", targetType)
	p.Set("target_name", targetName)
	p.Set("project_name", projectName)
	p.Set("source_label", "test:dokploy-target")
	for k, v := range extra {
		p.Set(k, v)
	}
	tr, err := record.DokployTargetFromObject(p)
	if err != nil {
		t.Fatalf("build Dokploy target %s/%s: %v", ctx, inst, err)
	}
	return tr
}

func bfTargetID(ctx, inst, id string) *record.DokployTargetID {
	return &record.DokployTargetID{SchemaVersion: 1, Context: ctx, Instance: inst, TargetID: id,
		UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test:dokploy-target-id"}
}

func bfProject(t testing.TB, tr *record.DokployTarget, id *record.DokployTargetID) *record.ProviderTarget {
	t.Helper()
	p, err := record.Project(tr, id)
	if err != nil {
		t.Fatalf("project %s/%s: %v", tr.Context, tr.Instance, err)
	}
	return p
}

// bfCopy deep-copies a provider-target record and applies fn to the copy.
func bfCopy(p *record.ProviderTarget, fn func(q *record.ProviderTarget)) *record.ProviderTarget {
	q := *p
	q.ProviderEvidence = map[string]string{}
	for k, v := range p.ProviderEvidence {
		q.ProviderEvidence[k] = v
	}
	if fn != nil {
		fn(&q)
	}
	return &q
}

// bfPair is a complete application route ctx/inst with project "<ctx>-project".
func bfPair(t testing.TB, ctx, inst string) (*record.DokployTarget, *record.DokployTargetID) {
	return bfTarget(t, ctx, inst, "application", ctx+"-"+inst, ctx+"-project", nil),
		bfTargetID(ctx, inst, "app-"+ctx+"-"+inst)
}

func TestDecideFollowsLaunchplaneBackfillTable(t *testing.T) {
	T, I := bfPair(t, "syo", "prod")
	X := bfProject(t, T, I)
	if X.DisplayName != "syo-prod" || X.TargetCategory != "application" || X.ProviderEvidence["project_name"] != "syo-project" {
		t.Fatalf("fixture projection is not what the cases assume: %+v", X)
	}
	route := store.Route{Context: "syo", Instance: "prod"}
	rr := func(P *record.ProviderTarget, T *record.DokployTarget, I *record.DokployTargetID) *store.RouteRecords {
		return &store.RouteRecords{Route: route, Provider: P, Target: T, TargetID: I}
	}
	const (
		dWouldCreate = "would create explicit provider-target row"
		dExists      = "explicit provider-target row already matches the Dokploy projection"
		dConflict    = "existing provider-target row differs from the Dokploy projection"
		dUnsupported = "explicit provider-target row is not managed by Dokploy backfill"
	)
	// The same authority with a different updated_at, source_label and
	// schema_version still counts as existing.
	sameAuthority := bfCopy(X, func(q *record.ProviderTarget) {
		q.UpdatedAt = "2031-01-01T00:00:00Z"
		q.SourceLabel = "operator:manual"
		q.SchemaVersion = 2
	})
	foreign := bfCopy(X, func(q *record.ProviderTarget) {
		q.ProviderID = "static-host"
		q.TargetCategory = "static"
		q.ProviderTargetType = "bucket"
	})
	incompleteWithProvider := bfCopy(X, nil)

	type want struct {
		status, severity, detail, providerID string
		projected                            *record.ProviderTarget
	}
	cases := []struct {
		name    string
		rr      *store.RouteRecords
		claimed []store.Route
		want    want
	}{
		{"would-create: pair without row", rr(nil, T, I), nil,
			// The planned row is the one apply writes: lanegate's source label.
			want{backfill.StatusWouldCreate, audit.SeverityOK, dWouldCreate, "dokploy", bfCopy(X, func(q *record.ProviderTarget) { q.SourceLabel = backfill.SourceLabel })}},
		{"skipped-exists: identical row", rr(bfCopy(X, nil), T, I), nil,
			want{backfill.StatusSkippedExists, audit.SeverityOK, dExists, "dokploy", X}},
		{"skipped-exists: only updated_at/source_label/schema_version differ", rr(sameAuthority, T, I), nil,
			want{backfill.StatusSkippedExists, audit.SeverityOK, dExists, "dokploy", X}},
		{"skipped-conflict: target_category", rr(bfCopy(X, func(q *record.ProviderTarget) { q.TargetCategory = "compose" }), T, I), nil,
			want{backfill.StatusSkippedConflict, audit.SeverityBlocked, dConflict, "dokploy", X}},
		{"skipped-conflict: target_id", rr(bfCopy(X, func(q *record.ProviderTarget) { q.TargetID = "app-syo-prod-2025" }), T, I), nil,
			want{backfill.StatusSkippedConflict, audit.SeverityBlocked, dConflict, "dokploy", X}},
		{"skipped-conflict: display_name", rr(bfCopy(X, func(q *record.ProviderTarget) { q.DisplayName = "renamed" }), T, I), nil,
			want{backfill.StatusSkippedConflict, audit.SeverityBlocked, dConflict, "dokploy", X}},
		{"skipped-conflict: provider_target_type", rr(bfCopy(X, func(q *record.ProviderTarget) { q.ProviderTargetType = "compose" }), T, I), nil,
			want{backfill.StatusSkippedConflict, audit.SeverityBlocked, dConflict, "dokploy", X}},
		{"skipped-conflict: provider_evidence value", rr(bfCopy(X, func(q *record.ProviderTarget) { q.ProviderEvidence["project_name"] = "other" }), T, I), nil,
			want{backfill.StatusSkippedConflict, audit.SeverityBlocked, dConflict, "dokploy", X}},
		{"skipped-conflict: provider_evidence extra key", rr(bfCopy(X, func(q *record.ProviderTarget) { q.ProviderEvidence["region"] = "eu" }), T, I), nil,
			want{backfill.StatusSkippedConflict, audit.SeverityBlocked, dConflict, "dokploy", X}},
		{"skipped-conflict: provider_evidence missing key", rr(bfCopy(X, func(q *record.ProviderTarget) { q.ProviderEvidence = map[string]string{} }), T, I), nil,
			want{backfill.StatusSkippedConflict, audit.SeverityBlocked, dConflict, "dokploy", X}},
		// provider_id is the sixth authority key: a row on another provider
		// is never a conflict, Launchplane's first rule reports it instead.
		{"provider_id differs: unsupported-provider with the row's provider", rr(foreign, T, I), nil,
			want{backfill.StatusUnsupportedProvider, audit.SeverityWarning, dUnsupported, "static-host", nil}},
		{"unsupported-provider without any Dokploy record", rr(foreign, nil, nil), nil,
			want{backfill.StatusUnsupportedProvider, audit.SeverityWarning, dUnsupported, "static-host", nil}},
		{"skipped-incomplete: target-id missing, no row -> warning", rr(nil, T, nil), nil,
			want{backfill.StatusSkippedIncomplete, audit.SeverityWarning, "Dokploy route is incomplete; missing target-id", "dokploy", nil}},
		{"skipped-incomplete: target missing, no row -> warning", rr(nil, nil, I), nil,
			want{backfill.StatusSkippedIncomplete, audit.SeverityWarning, "Dokploy route is incomplete; missing target", "dokploy", nil}},
		{"skipped-incomplete: both missing, no row -> warning", rr(nil, nil, nil), nil,
			want{backfill.StatusSkippedIncomplete, audit.SeverityWarning, "Dokploy route is incomplete; missing target, target-id", "dokploy", nil}},
		{"skipped-incomplete: both missing with a row -> blocked", rr(incompleteWithProvider, nil, nil), nil,
			want{backfill.StatusSkippedIncomplete, audit.SeverityBlocked, "Dokploy route is incomplete; missing target, target-id", "dokploy", nil}},
		{"skipped-incomplete: target-id missing with a row -> blocked", rr(incompleteWithProvider, T, nil), nil,
			want{backfill.StatusSkippedIncomplete, audit.SeverityBlocked, "Dokploy route is incomplete; missing target-id", "dokploy", nil}},
		{"skipped-incomplete: target missing with a row -> blocked", rr(incompleteWithProvider, nil, I), nil,
			want{backfill.StatusSkippedIncomplete, audit.SeverityBlocked, "Dokploy route is incomplete; missing target", "dokploy", nil}},
		{"claimed identity: would-create becomes a conflict naming the other routes", rr(nil, T, I),
			[]store.Route{{Context: "alpha", Instance: "prod"}, {Context: "zeta", Instance: "testing"}},
			want{backfill.StatusSkippedConflict, audit.SeverityBlocked,
				"projected identity dokploy/application/app-syo-prod is already bound to another route: alpha/prod, zeta/testing", "dokploy", X}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := backfill.Decide(tc.rr, tc.claimed)
			if got.Context != "syo" || got.Instance != "prod" {
				t.Errorf("route = %s/%s, want syo/prod", got.Context, got.Instance)
			}
			if got.Status != tc.want.status || got.Severity != tc.want.severity || got.Detail != tc.want.detail || got.ProviderID != tc.want.providerID {
				t.Errorf("got (%q, %q, %q, provider %q)\nwant (%q, %q, %q, provider %q)",
					got.Status, got.Severity, got.Detail, got.ProviderID,
					tc.want.status, tc.want.severity, tc.want.detail, tc.want.providerID)
			}
			// Every non-invalid item carries the route's row when there is one.
			if got.Physical != tc.rr.Provider {
				t.Errorf("physical_record = %+v, want the route's row %+v", got.Physical, tc.rr.Provider)
			}
			if !reflect.DeepEqual(got.Projected, tc.want.projected) {
				t.Errorf("projected_record = %+v, want %+v", got.Projected, tc.want.projected)
			}
		})
	}
}

func TestDecideInvalidRecords(t *testing.T) {
	T, I := bfPair(t, "syo", "prod")
	P := bfProject(t, T, I)
	rr := &store.RouteRecords{Route: store.Route{Context: "syo", Instance: "prod"}, Target: T, TargetID: I, Provider: P,
		Invalid: []store.Invalid{
			{Kind: record.KindDokployTargetID, Source: "dokploy_target_ids/a.json", Err: errors.New("unknown key \"extra\"")},
			{Kind: record.KindProviderTarget, Source: "launchplane_provider_targets/b.json", Err: errors.New("bad display_name")},
		}}
	got := backfill.Decide(rr, nil)
	want := rr.Invalid[0].Detail() + "; " + rr.Invalid[1].Detail()
	if got.Status != backfill.StatusInvalidRecord || got.Severity != audit.SeverityBlocked || got.Detail != want {
		t.Errorf("got (%q, %q, %q), want (invalid_record, blocked, %q)", got.Status, got.Severity, got.Detail, want)
	}
	if !strings.Contains(got.Detail, "dokploy_target_ids/a.json") || !strings.Contains(got.Detail, "launchplane_provider_targets/b.json") {
		t.Errorf("detail %q does not name both sources", got.Detail)
	}
	if got.ProviderID != "dokploy" || got.Physical != nil || got.Projected != nil {
		t.Errorf("invalid item carries provider %q physical %v projected %v; want dokploy and no records", got.ProviderID, got.Physical, got.Projected)
	}

	// A pair Launchplane cannot project (a whitespace-only target_name is
	// truthy, then strips to an empty display_name) is invalid, not a create.
	bad := bfTarget(t, "syo", "prod", "application", "   ", "syo-project", nil)
	got = backfill.Decide(&store.RouteRecords{Route: store.Route{Context: "syo", Instance: "prod"}, Target: bad, TargetID: I}, nil)
	if got.Status != backfill.StatusInvalidRecord || got.Severity != audit.SeverityBlocked ||
		!strings.HasPrefix(got.Detail, "cannot project the Dokploy target and target-id records: ") || !strings.Contains(got.Detail, "display_name") {
		t.Errorf("unprojectable pair: got (%q, %q, %q)", got.Status, got.Severity, got.Detail)
	}
	if got.Projected != nil {
		t.Errorf("unprojectable pair has a projected record: %+v", got.Projected)
	}
}

func TestDecideClaimsOnlyMatterWithoutARow(t *testing.T) {
	T, I := bfPair(t, "syo", "prod")
	P := bfProject(t, T, I)
	got := backfill.Decide(&store.RouteRecords{Route: store.Route{Context: "syo", Instance: "prod"}, Target: T, TargetID: I, Provider: P},
		[]store.Route{{Context: "other", Instance: "prod"}})
	if got.Status != backfill.StatusSkippedExists {
		t.Errorf("route with its own matching row: status %q, want skipped-exists", got.Status)
	}
}
