package backfill_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
	"github.com/lanegate/lanegate/internal/verdict"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestPlanRefusal(t *testing.T) {
	many := make([]string, 12)
	for i := range many {
		many[i] = fmt.Sprintf("c%02d/prod identity_mismatch", i)
	}
	for _, c := range []struct {
		name     string
		plan     backfill.Plan
		reviewed string
		want     string
	}{
		{"nothing to create, no digest needed", backfill.Plan{Digest: digestA}, "", ""},
		{"reviewed digest matches", backfill.Plan{Digest: digestA, Totals: backfill.Totals{Creates: 2}}, digestA, ""},
		{"data changed", backfill.Plan{Digest: digestA, Totals: backfill.Totals{Creates: 2}}, digestB,
			"the data changed since the reviewed plan: --plan-digest " + digestB + " does not match the fresh plan " + digestA + "; review a new dry run"},
		{"blocked item", backfill.Plan{Digest: digestA, Totals: backfill.Totals{Creates: 2, Blocked: 3}}, digestA,
			"the plan has 3 blocked item(s); one blocked route refuses every write"},
		{"blocked items refuse a no-op too", backfill.Plan{Totals: backfill.Totals{Blocked: 1}}, "",
			"the plan has 1 blocked item(s); one blocked route refuses every write"},
		{"audit findings come first", backfill.Plan{Digest: digestA, Totals: backfill.Totals{Creates: 1, Blocked: 1},
			AuditBlocked: []string{"cm/prod identity_mismatch", "opw/prod duplicate_target_identity"}}, digestB,
			"the audit in scope has blocked findings other than missing_provider_target: cm/prod identity_mismatch, opw/prod duplicate_target_identity"},
		{"more than ten findings are summed up", backfill.Plan{AuditBlocked: many}, "",
			"the audit in scope has blocked findings other than missing_provider_target: " + strings.Join(many[:10], ", ") + ", and 2 more"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.plan.Refusal(c.reviewed); got != c.want {
				t.Errorf("Refusal(%q) =\n %q\nwant\n %q", c.reviewed, got, c.want)
			}
		})
	}
	// Summing up must not write into the plan's own list.
	p := backfill.Plan{AuditBlocked: many}
	p.Refusal("")
	if len(p.AuditBlocked) != 12 || p.AuditBlocked[10] != "c10/prod identity_mismatch" {
		t.Errorf("Refusal changed AuditBlocked: %q", p.AuditBlocked)
	}
}

func TestPlanDryRunRefusal(t *testing.T) {
	for _, c := range []struct {
		plan backfill.Plan
		want string
	}{
		{backfill.Plan{Totals: backfill.Totals{Creates: 1}, Digest: digestA}, ""},
		// The plan's own blocked items already block the dry run.
		{backfill.Plan{Totals: backfill.Totals{Blocked: 1}}, ""},
		{backfill.Plan{AuditBlocked: []string{"cm/prod identity_mismatch"}},
			"an apply would be refused: the audit in scope has blocked findings other than missing_provider_target: cm/prod identity_mismatch"},
	} {
		if got := c.plan.DryRunRefusal(); got != c.want {
			t.Errorf("DryRunRefusal(%+v) = %q, want %q", c.plan, got, c.want)
		}
	}
}

func TestPlanStartApply(t *testing.T) {
	for _, c := range []struct {
		name        string
		plan        backfill.Plan
		reviewed    string
		write       bool
		wantRefusal bool
	}{
		{"creates, reviewed", backfill.Plan{Digest: digestA, Totals: backfill.Totals{Creates: 1}}, digestA, true, false},
		{"nothing to create", backfill.Plan{Digest: digestA}, digestB, false, false},
		{"changed", backfill.Plan{Digest: digestA, Totals: backfill.Totals{Creates: 1}}, digestB, false, true},
		{"blocked", backfill.Plan{Digest: digestA, Totals: backfill.Totals{Creates: 1, Blocked: 1}}, digestA, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := c.plan
			if got := p.StartApply(c.reviewed); got != c.write {
				t.Errorf("StartApply = %t, want %t", got, c.write)
			}
			if !p.Outcome.Applied {
				t.Error("StartApply did not mark the plan applied")
			}
			if (p.Outcome.Refusal != "") != c.wantRefusal || p.Outcome.Refusal != c.plan.Refusal(c.reviewed) {
				t.Errorf("Outcome.Refusal = %q, want Refusal's %q", p.Outcome.Refusal, c.plan.Refusal(c.reviewed))
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		blocked int
		apply   bool
		refusal string
		want    verdict.Verdict
	}{
		{0, false, "", verdict.OK},
		{0, true, "", verdict.OK},
		{1, false, "", verdict.Blocked},
		{1, true, "x", verdict.Refused},
		{0, false, "an apply would be refused: x", verdict.Blocked},
		{0, true, "x", verdict.Refused},
	} {
		if got := backfill.Verdict(backfill.Totals{Blocked: c.blocked}, c.apply, c.refusal); got != c.want {
			t.Errorf("Verdict(blocked %d, apply %t, refusal %q) = %s, want %s", c.blocked, c.apply, c.refusal, got, c.want)
		}
	}
}

// outcomeItems is a plan with one item of every kind the outcome rewrite
// distinguishes; the records of a would-create item are kept.
func outcomeItems(t *testing.T) (*backfill.Plan, []backfill.Item) {
	t.Helper()
	row := &record.ProviderTarget{SchemaVersion: 1, Context: "a", Instance: "p", ProviderID: "dokploy", TargetCategory: "application",
		TargetID: "app-1", DisplayName: "a", ProviderTargetType: "application", ProviderEvidence: map[string]string{"project_name": "x"},
		UpdatedAt: "2026-01-01T00:00:00Z", SourceLabel: backfill.SourceLabel}
	items := []backfill.Item{
		{Context: "a", Instance: "p", Status: backfill.StatusWouldCreate, Severity: audit.SeverityOK, Detail: "would create explicit provider-target row", ProviderID: "dokploy", Projected: row},
		{Context: "b", Instance: "p", Status: backfill.StatusWouldCreate, Severity: audit.SeverityOK, Detail: "would create explicit provider-target row", ProviderID: "dokploy"},
		{Context: "c", Instance: "p", Status: backfill.StatusSkippedExists, Severity: audit.SeverityOK, ProviderID: "dokploy"},
		{Context: "d", Instance: "p", Status: backfill.StatusSkippedIncomplete, Severity: audit.SeverityWarning, ProviderID: "dokploy"},
		{Context: "e", Instance: "p", Status: backfill.StatusUnsupportedProvider, Severity: audit.SeverityWarning, ProviderID: "fly"},
		{Context: "f", Instance: "p", Status: backfill.StatusSkippedConflict, Severity: audit.SeverityBlocked, ProviderID: "dokploy"},
	}
	p, err := backfill.NewPlan()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	p.Totals = backfill.Totals{Inspected: len(items), Creates: 2, Counts: map[string]int{}}
	for _, it := range items {
		if err := p.Item(it); err != nil {
			t.Fatal(err)
		}
		p.Totals.Counts[it.Status]++
		switch it.Severity {
		case audit.SeverityBlocked:
			p.Totals.Blocked++
		case audit.SeverityWarning:
			p.Totals.Warning++
		}
	}
	return p, items
}

// TestOutcomeRewrite: an apply's outcome rewrites would-create items only,
// as Launchplane's apply phase does, and the final totals count the items
// as rewritten.
func TestOutcomeRewrite(t *testing.T) {
	b := store.Route{Context: "b", Instance: "p"}
	for _, c := range []struct {
		name    string
		outcome backfill.Outcome
		want    []string // context status/severity
		created int
		blocked int
	}{
		{"dry run", backfill.Outcome{},
			[]string{"a would-create/ok", "b would-create/ok", "c skipped-exists/ok", "d skipped-incomplete/warning", "e unsupported-provider/warning", "f skipped-conflict/blocked"}, 0, 1},
		{"refused apply", backfill.Outcome{Applied: true, Refusal: "x"},
			[]string{"a would-create/ok", "b would-create/ok", "c skipped-exists/ok", "d skipped-incomplete/warning", "e unsupported-provider/warning", "f skipped-conflict/blocked"}, 0, 1},
		{"created", backfill.Outcome{Applied: true, Created: true},
			[]string{"a created/ok", "b created/ok", "c skipped-exists/ok", "d skipped-incomplete/warning", "e unsupported-provider/warning", "f skipped-conflict/blocked"}, 2, 1},
		{"conflict at write time", backfill.Outcome{Applied: true, Conflicts: map[store.Route]bool{b: true}, Refusal: "x"},
			[]string{"a would-create/ok", "b skipped-conflict/blocked", "c skipped-exists/ok", "d skipped-incomplete/warning", "e unsupported-provider/warning", "f skipped-conflict/blocked"}, 0, 2},
		// Per-route applies (the Launchplane service): each lane's state.
		{"per lane: both created", backfill.Outcome{Applied: true, Created: true, Lanes: map[store.Route]backfill.LaneOutcome{
			{Context: "a", Instance: "p"}: {State: backfill.LaneReplayed}, b: {State: backfill.LaneCreated}}},
			[]string{"a created/ok", "b created/ok", "c skipped-exists/ok", "d skipped-incomplete/warning", "e unsupported-provider/warning", "f skipped-conflict/blocked"}, 2, 1},
		{"per lane: created, then failed", backfill.Outcome{Applied: true, Lanes: map[store.Route]backfill.LaneOutcome{
			{Context: "a", Instance: "p"}: {State: backfill.LaneCreated}, b: {State: backfill.LaneFailed, Detail: "HTTP 503"}}},
			[]string{"a created/ok", "b apply-failed/blocked", "c skipped-exists/ok", "d skipped-incomplete/warning", "e unsupported-provider/warning", "f skipped-conflict/blocked"}, 1, 2},
		{"per lane: refused, then not attempted", backfill.Outcome{Applied: true, Lanes: map[store.Route]backfill.LaneOutcome{
			{Context: "a", Instance: "p"}: {State: backfill.LaneRefused, Detail: "blocked"}, b: {State: backfill.LaneNotAttempted}}},
			[]string{"a skipped-conflict/blocked", "b would-create/ok", "c skipped-exists/ok", "d skipped-incomplete/warning", "e unsupported-provider/warning", "f skipped-conflict/blocked"}, 0, 2},
		{"per lane: a lane without an outcome was not attempted", backfill.Outcome{Applied: true, Lanes: map[store.Route]backfill.LaneOutcome{
			{Context: "a", Instance: "p"}: {State: backfill.LaneExists}}},
			[]string{"a skipped-exists/ok", "b would-create/ok", "c skipped-exists/ok", "d skipped-incomplete/warning", "e unsupported-provider/warning", "f skipped-conflict/blocked"}, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, items := outcomeItems(t)
			p.Outcome = c.outcome
			var got []string
			var decoded []backfill.Item
			if err := p.EachItem(func(it backfill.Item) error {
				got = append(got, it.Context+" "+it.Status+"/"+it.Severity)
				decoded = append(decoded, it)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("items:\n got %q\nwant %q", got, c.want)
			}
			if !reflect.DeepEqual(decoded[0].Projected, items[0].Projected) {
				t.Errorf("the would-create row came back as %+v", decoded[0].Projected)
			}
			if c.outcome.Lanes != nil {
				lo := c.outcome.Lanes[store.Route{Context: "a", Instance: "p"}]
				if lo.State == backfill.LaneReplayed && !strings.Contains(decoded[0].Detail, "replayed") {
					t.Errorf("replayed detail %q", decoded[0].Detail)
				}
				if lo.State == backfill.LaneRefused && decoded[0].Detail != "the store refused the write, nothing written: blocked" {
					t.Errorf("refused detail %q", decoded[0].Detail)
				}
				if _, ok := c.outcome.Lanes[b]; !ok || c.outcome.Lanes[b].State == backfill.LaneNotAttempted {
					if decoded[1].Detail != backfill.NotAttemptedDetail {
						t.Errorf("not-attempted detail %q", decoded[1].Detail)
					}
				}
			}
			switch decoded[1].Status {
			case backfill.StatusCreated:
				if decoded[1].Detail != "created explicit provider-target row" {
					t.Errorf("created detail %q", decoded[1].Detail)
				}
			case backfill.StatusSkippedConflict:
				if decoded[1].Detail != "provider-target row changed before backfill could create it" {
					t.Errorf("conflict detail %q", decoded[1].Detail)
				}
			}
			final, created, err := p.FinalTotals()
			if err != nil {
				t.Fatal(err)
			}
			if created != c.created || final.Blocked != c.blocked || final.Warning != 2 || final.Inspected != 6 || final.Creates != 2 {
				t.Errorf("FinalTotals = %+v, %d created; want %d created, %d blocked", final, created, c.created, c.blocked)
			}
			// The counters' shortcut and a recount of the items agree.
			recount := map[string]int{}
			for _, g := range got {
				recount[strings.Fields(strings.SplitN(g, "/", 2)[0])[1]]++
			}
			if !reflect.DeepEqual(final.Counts, recount) {
				t.Errorf("FinalTotals counts %v, items say %v", final.Counts, recount)
			}
			v, err := p.Verdict()
			if err != nil {
				t.Fatal(err)
			}
			if want := backfill.Verdict(final, c.outcome.Applied, c.outcome.Refusal); v != want {
				t.Errorf("Verdict = %s, want %s", v, want)
			}
		})
	}
}

// TestFinalTotalsFollowTheOutcome: the cached totals change when the
// outcome does (an apply rewrites the outcome after the plan is made).
func TestFinalTotalsFollowTheOutcome(t *testing.T) {
	p, _ := outcomeItems(t)
	if _, created, _ := p.FinalTotals(); created != 0 {
		t.Fatalf("created %d before the apply", created)
	}
	p.Outcome.Applied, p.Outcome.Created = true, true
	if _, created, _ := p.FinalTotals(); created != 2 {
		t.Errorf("created %d after the apply wrote both rows, want 2", created)
	}
	p.Outcome.Created = false
	p.Outcome.Conflicts = map[store.Route]bool{{Context: "a", Instance: "p"}: true}
	if final, created, _ := p.FinalTotals(); created != 0 || final.Blocked != 2 {
		t.Errorf("after a conflict: %+v, %d created", final, created)
	}
}

// scanOf delivers routes (in order) as one snapshot.
func scanOf(routes ...*store.RouteRecords) func(store.Visitor) error {
	return func(v store.Visitor) error {
		if err := v.Bindings(store.Bindings{}); err != nil {
			return err
		}
		for _, rr := range routes {
			if err := v.Route(rr); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestMakeTeesTheAuditAndThePlanner(t *testing.T) {
	f := newBfFleet(t)
	routes := []*store.RouteRecords{f.createA, f.halfWarn, f.halfBlocked, f.foreign, f.createB, f.exists, f.conflict}
	p, err := backfill.Make(audit.Filter{}, nil, scanOf(routes...), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, totals, digest := bfPlan(t, audit.Filter{}, nil, f.all()...)
	if p.Digest != digest || !reflect.DeepEqual(p.Totals, totals) {
		t.Errorf("Make: %s %+v; the planner alone: %s %+v", p.Digest, p.Totals, digest, totals)
	}
	// The fleet's conflicting display name is a blocked audit finding; the
	// routes without a provider row (missing_provider_target) are not.
	if len(p.AuditBlocked) == 0 {
		t.Fatal("no audit precondition recorded")
	}
	for _, b := range p.AuditBlocked {
		if strings.Contains(b, audit.StatusMissingProviderTarget) {
			t.Errorf("AuditBlocked holds %q", b)
		}
	}
	var rows []string
	if err := p.EachCreate(func(r *record.ProviderTarget) error { rows = append(rows, r.Context+"/"+r.Instance); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"cm/prod", "opw/testing"}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows to create %q, want %q", rows, want)
	}
	if p.ItemCount() != 7 {
		t.Errorf("ItemCount = %d, want 7", p.ItemCount())
	}
}

func TestMakeStagesRowsInsteadOfKeepingThem(t *testing.T) {
	f := newBfFleet(t)
	var staged []string
	p, err := backfill.Make(audit.Filter{}, nil, scanOf(f.createA, f.createB),
		func(c backfill.Create) error { staged = append(staged, c.Route.Key()); return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if want := []string{"cm/prod", "opw/testing"}; !reflect.DeepEqual(staged, want) {
		t.Errorf("staged %q, want %q", staged, want)
	}
	if err := p.EachCreate(func(*record.ProviderTarget) error { return nil }); err == nil {
		t.Error("EachCreate replayed rows that were staged, not kept")
	}
	if p.ItemCount() != 2 || p.Totals.Creates != 2 {
		t.Errorf("items %d, creates %d", p.ItemCount(), p.Totals.Creates)
	}
}

func TestMakeSurfacesErrors(t *testing.T) {
	f := newBfFleet(t)
	boom := errors.New("boom")
	if p, err := backfill.Make(audit.Filter{}, nil, func(store.Visitor) error { return boom }, nil); !errors.Is(err, boom) || p != nil {
		t.Errorf("scan error: %v, %v", p, err)
	}
	if p, err := backfill.Make(audit.Filter{}, nil, scanOf(f.createA), func(backfill.Create) error { return boom }); !errors.Is(err, boom) || p != nil {
		t.Errorf("stage error: %v, %v", p, err)
	}
}
