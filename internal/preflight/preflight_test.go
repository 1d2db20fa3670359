package preflight

import (
	"errors"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

var route = store.Route{Context: "shop", Instance: "prod"}

// complete returns the records of a route whose provider-target row agrees
// with its Dokploy pair.
func complete(t *testing.T, typ string) *store.RouteRecords {
	t.Helper()
	p := record.NewDokployTargetPayload(route.Context, route.Instance, "2026-04-21T18:30:00Z")
	p.Set("target_type", typ)
	p.Set("target_name", "shop-prod")
	p.Set("project_name", "shop-project")
	p.Set("source_label", "test:dokploy-target")
	tg, err := record.DokployTargetFromObject(p)
	if err != nil {
		t.Fatal(err)
	}
	id := &record.DokployTargetID{SchemaVersion: 1, Context: route.Context, Instance: route.Instance, TargetID: "app-shop-prod",
		UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test:dokploy-target-id"}
	prov, err := record.Project(tg, id)
	if err != nil {
		t.Fatal(err)
	}
	return &store.RouteRecords{Route: route, Target: tg, TargetID: id, Provider: prov}
}

// summary is "check:status" per line, for comparing the shape of a report.
func summary(checks []Check) string {
	parts := make([]string, len(checks))
	for i, c := range checks {
		parts[i] = c.Check + ":" + c.Status
	}
	return strings.Join(parts, " ")
}

func TestDecide(t *testing.T) {
	found := func(rr *store.RouteRecords) *Lookup {
		return &Lookup{Outcome: Found, Type: rr.Provider.ProviderTargetType, ID: rr.Provider.TargetID, Name: rr.Provider.DisplayName}
	}
	recordsOK := "provider-target:pass provider:pass type:pass category:pass target-id:pass supported-type:pass"
	cases := []struct {
		name   string
		in     func(t *testing.T) Input
		status string
		checks string
		reason string // substring of Reason(); "" for pass
	}{
		{"empty store is never a pass", func(t *testing.T) Input { return Input{Route: route} }, StatusBlocked,
			"provider-target:fail dokploy-target:fail dokploy-target-id:fail", "Missing provider-target authority for shop/prod"},
		{"empty store with live check configured skips it", func(t *testing.T) Input { return Input{Route: route, LiveConfigured: true} }, StatusBlocked,
			"provider-target:fail dokploy-target:fail dokploy-target-id:fail dokploy:skip", "Missing provider-target authority"},
		{"records agree, no live check", func(t *testing.T) Input { return Input{Route: route, Records: complete(t, "application")} }, StatusPass,
			recordsOK + " dokploy:skip", ""},
		{"records agree, compose", func(t *testing.T) Input { return Input{Route: route, Records: complete(t, "compose")} }, StatusPass,
			recordsOK + " dokploy:skip", ""},
		{"live found and named alike", func(t *testing.T) Input {
			rr := complete(t, "application")
			return Input{Route: route, Records: rr, LiveConfigured: true, Lookup: found(rr)}
		}, StatusPass, recordsOK + " dokploy:pass dokploy-name:pass", ""},
		{"live renamed", func(t *testing.T) Input {
			rr := complete(t, "application")
			lk := found(rr)
			lk.Name = "something else"
			return Input{Route: route, Records: rr, LiveConfigured: true, Lookup: lk}
		}, StatusBlocked, recordsOK + " dokploy:pass dokploy-name:fail", "Provider-target name mismatch for shop/prod"},
		{"live not found", func(t *testing.T) Input {
			return Input{Route: route, Records: complete(t, "application"), LiveConfigured: true, Lookup: &Lookup{Outcome: NotFound, Err: "x"}}
		}, StatusBlocked, recordsOK + " dokploy:fail", "Dokploy has no application with id 'app-shop-prod' for shop/prod."},
		{"live refused", func(t *testing.T) Input {
			return Input{Route: route, Records: complete(t, "application"), LiveConfigured: true, Lookup: &Lookup{Outcome: Refused, Err: "HTTP 401"}}
		}, StatusError, recordsOK + " dokploy:error", "Dokploy refused the preflight lookup of application 'app-shop-prod' for shop/prod: HTTP 401"},
		{"live unavailable", func(t *testing.T) Input {
			return Input{Route: route, Records: complete(t, "application"), LiveConfigured: true, Lookup: &Lookup{Outcome: Unavailable, Err: "HTTP 502"}}
		}, StatusError, recordsOK + " dokploy:error", "HTTP 502 (not a pass; retry when Dokploy answers)"},
		{"live interrupted", func(t *testing.T) Input {
			return Input{Route: route, Records: complete(t, "application"), LiveConfigured: true, Lookup: &Lookup{Outcome: Interrupted}}
		}, StatusError, recordsOK + " dokploy:error", "Dokploy lookup for shop/prod interrupted"},
		{"live failed", func(t *testing.T) Input {
			return Input{Route: route, Records: complete(t, "application"), LiveConfigured: true, Lookup: &Lookup{Outcome: Failed, Err: "boom"}}
		}, StatusError, recordsOK + " dokploy:error", "cannot confirm application 'app-shop-prod' for shop/prod: boom"},
		{"unclassified lookup is an error", func(t *testing.T) Input {
			return Input{Route: route, Records: complete(t, "application"), LiveConfigured: true, Lookup: &Lookup{}}
		}, StatusError, recordsOK + " dokploy:error", "the Dokploy lookup has no result"},
		{"configured but no lookup made is an error", func(t *testing.T) Input {
			return Input{Route: route, Records: complete(t, "application"), LiveConfigured: true}
		}, StatusError, recordsOK + " dokploy:error", "the Dokploy lookup has no result"},
		{"provider mismatch", func(t *testing.T) Input {
			rr := complete(t, "application")
			rr.Provider.ProviderID = "fly"
			return Input{Route: route, Records: rr, LiveConfigured: true}
		}, StatusBlocked, "provider-target:pass provider:fail type:pass category:pass target-id:pass supported-type:pass dokploy:skip",
			"provider_id expected 'dokploy', provider-target has 'fly'"},
		{"type mismatch", func(t *testing.T) Input {
			rr := complete(t, "application")
			rr.Provider.ProviderTargetType = "compose"
			return Input{Route: route, Records: rr}
		}, StatusBlocked, "provider-target:pass provider:pass type:fail category:pass target-id:pass supported-type:pass", "Provider-target type mismatch"},
		{"category mismatch", func(t *testing.T) Input {
			rr := complete(t, "application")
			rr.Provider.TargetCategory = "compose"
			return Input{Route: route, Records: rr}
		}, StatusBlocked, "provider-target:pass provider:pass type:pass category:fail target-id:pass supported-type:pass", "Provider-target category mismatch"},
		{"id mismatch", func(t *testing.T) Input {
			rr := complete(t, "application")
			rr.Provider.TargetID = "elsewhere"
			return Input{Route: route, Records: rr}
		}, StatusBlocked, "provider-target:pass provider:pass type:pass category:pass target-id:fail supported-type:pass", "Provider-target id mismatch"},
		{"unsupported type", func(t *testing.T) Input {
			rr := complete(t, "application")
			rr.Provider.ProviderTargetType, rr.Provider.TargetCategory = "container", "container"
			rr.Target.TargetType = "container"
			return Input{Route: route, Records: rr}
		}, StatusBlocked, "provider-target:pass provider:pass type:pass category:pass target-id:pass supported-type:fail",
			"only supports provider_target_type 'application' or 'compose'; shop/prod has 'container'"},
		{"missing row", func(t *testing.T) Input {
			rr := complete(t, "application")
			rr.Provider = nil
			return Input{Route: route, Records: rr, LiveConfigured: true}
		}, StatusBlocked, "provider-target:fail dokploy:skip", "Missing provider-target authority"},
		{"missing target", func(t *testing.T) Input {
			rr := complete(t, "application")
			rr.Target = nil
			return Input{Route: route, Records: rr}
		}, StatusBlocked, "provider-target:pass dokploy-target:fail provider:pass target-id:pass supported-type:pass", "Missing Dokploy target record"},
		{"missing target id", func(t *testing.T) Input {
			rr := complete(t, "application")
			rr.TargetID = nil
			return Input{Route: route, Records: rr}
		}, StatusBlocked, "provider-target:pass dokploy-target-id:fail provider:pass type:pass category:pass supported-type:pass", "Missing Dokploy target-id record"},
		{"invalid row is reported once, not also as missing", func(t *testing.T) Input {
			rr := complete(t, "application")
			rr.Provider = nil
			rr.Invalid = []store.Invalid{{Kind: record.KindProviderTarget, Source: "x.json", Err: errors.New("bad json")}}
			return Input{Route: route, Records: rr}
		}, StatusBlocked, "records:fail", "Invalid record for shop/prod: invalid provider_target record x.json: bad json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := Decide(c.in(t))
			if rep.Lane != "shop/prod" {
				t.Errorf("lane %q", rep.Lane)
			}
			if rep.Status != c.status {
				t.Errorf("status %q, want %q", rep.Status, c.status)
			}
			if got := summary(rep.Checks); got != c.checks {
				t.Errorf("checks\n got %s\nwant %s", got, c.checks)
			}
			if c.reason == "" && rep.Reason() != "" || !strings.Contains(rep.Reason(), c.reason) {
				t.Errorf("reason %q, want it to contain %q", rep.Reason(), c.reason)
			}
		})
	}
}

func TestWantLookup(t *testing.T) {
	for _, c := range []struct {
		checks []Check
		want   bool
	}{
		{nil, true},
		{[]Check{{Status: Pass}, {Status: Skip}}, true},
		{[]Check{{Status: Pass}, {Status: Fail}}, false},
		{[]Check{{Status: Error}}, false},
	} {
		if got := WantLookup(c.checks); got != c.want {
			t.Errorf("WantLookup(%s) = %t, want %t", summary(c.checks), got, c.want)
		}
	}
}

func TestLiveNameMessages(t *testing.T) {
	p := &record.ProviderTarget{ProviderTargetType: "compose", TargetID: "cmp-1", DisplayName: "Shop"}
	got := LiveChecks(route, p, Lookup{Outcome: Found, Type: "compose", ID: "cmp-1", Name: "Shop Two"})
	want := "Provider-target name mismatch for shop/prod: display_name is 'Shop' in the provider-target row, Dokploy compose 'cmp-1' is named 'Shop Two'."
	if len(got) != 2 || got[1].Message != want || got[1].Expected != "Shop Two" || got[1].Actual != "Shop" {
		t.Fatalf("LiveChecks = %+v", got)
	}
}
