package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
)

var bfLocalRunID = regexp.MustCompile(`^local-\d{8}T\d{6}Z-[0-9a-f]{8}$`)

func TestBackfillDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	fleet := append(bfBaseFleet(),
		// A blocked route too, so the dry run also exercises exit 1.
		bfWithRow(bfPair("verireel", "prod", "compose", "verireel-prod", "verireel", "cmp-verireel-prod"),
			func(p *record.ProviderTarget) { p.DisplayName = "verireel-old" }))
	bfEachStore(t, fleet, func(t *testing.T, s bfStore) {
		before := s.state(t)
		work := t.TempDir()
		for _, args := range [][]string{
			nil,
			{"--format", "json"},
			{"--format", "markdown"},
			{"--format", "json", "--out", "plan.json"},
			{"--context", "syo"},
			{"--instance", "prod", "--provider-id", "dokploy"},
			{"--lane", "cm/prod", "--lane", "opw/prod"},
			{"--context", "nowhere"},
		} {
			out := lanegate.In(work, bfEnv(), append(append([]string{"backfill"}, s.args()...), args...)...)
			if out.Code != 0 && out.Code != 1 {
				t.Fatalf("dry run %v: %s", args, out)
			}
			bfSameState(t, s, before, fmt.Sprintf("dry run %v", args))
		}
		if fs, ok := s.(*bfFS); ok {
			for _, d := range []string{".lanegate", ".locks"} {
				if _, err := os.Stat(filepath.Join(fs.dir, d)); !os.IsNotExist(err) {
					t.Errorf("a dry run created %s (stat err %v)", d, err)
				}
			}
		}
		if _, err := os.Stat(filepath.Join(work, "plan.json")); err != nil {
			t.Errorf("--out report not written: %v", err)
		}

		// The unfiltered plan: exit 1 for the blocked conflict, every item
		// with its records.
		r, out := bfDryRun(t, s)
		if out.Code != 1 {
			t.Errorf("dry run with a blocked route: exit %d, want 1", out.Code)
		}
		wantCounts := map[string]int{"would-create": 3, "skipped-exists": 1, "unsupported-provider": 1, "skipped-conflict": 1}
		if r.Applied || r.Mode != "dry_run" || r.Status != "blocked" || r.CreatedCount != 0 || r.Inspected != 6 || r.BlockedCount != 1 ||
			r.WarningCount != 1 || !reflect.DeepEqual(r.Counts, wantCounts) ||
			!strings.HasPrefix(r.Refusal, "an apply would be refused: the audit in scope has blocked findings") {
			t.Errorf("dry-run report header = %+v", *r)
		}
		want := bfExpected(fleet, bfBaseCreates...)
		for _, it := range r.Items {
			switch it.Status {
			case backfill.StatusWouldCreate:
				if it.Physical != nil || !reflect.DeepEqual(it.Projected, want[it.key()]) || it.Severity != "ok" || it.ProviderID != "dokploy" {
					t.Errorf("would-create item %+v, want the projection only", it)
				}
			case backfill.StatusUnsupportedProvider:
				if it.key() != "legacy/prod" || it.ProviderID != "static-host" || it.Physical == nil || it.Projected != nil || it.Severity != "warning" {
					t.Errorf("unsupported-provider item %+v", it)
				}
			case backfill.StatusSkippedExists, backfill.StatusSkippedConflict:
				if it.Physical == nil || it.Projected == nil {
					t.Errorf("%s item %s lacks its records", it.Status, it.key())
				}
			}
		}
		if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(r.PlanDigest) {
			t.Errorf("plan digest %q", r.PlanDigest)
		}
		table := bfBackfill(t, s, "--context", "syo")
		if table.Code != 0 || !strings.Contains(table.Stdout, "DRY RUN OK") || !strings.Contains(table.Stdout, "plan digest: sha256:") {
			t.Errorf("table dry run of a clean scope: %s", table)
		}
	})
}

func TestBackfillDigestIdenticalOnBothStores(t *testing.T) {
	t.Parallel()
	fleet := append(bfBaseFleet(), bfManyPairs(40, "bulk")...)
	fleet = append(fleet,
		bfPair("café/ü", `in st\ance`, "compose", "Café ü", " spaced project ", "cmp-café"),
		bfWithRow(bfPair("verireel", "testing", "compose", "verireel-testing", "verireel", "cmp-verireel-testing"), nil))
	pg, fs := bfNewPG(t, fleet, true), bfNewFS(t, fleet)
	// --no-lanes: the two runs work in different directories, and the
	// missing-lanes notice names the directory.
	for _, args := range [][]string{{"--no-lanes"}, {"--no-lanes", "--context", "bulk"}, {"--no-lanes", "--provider-id", "dokploy"}, {"--no-lanes", "--lane", "café/ü/in st\\ance"}} {
		rp, outP := bfDryRun(t, pg, args...)
		rf, outF := bfDryRun(t, fs, args...)
		if rp.PlanDigest != rf.PlanDigest {
			t.Errorf("%v: digest on Postgres %s, on the filesystem %s", args, rp.PlanDigest, rf.PlanDigest)
		}
		// Only the "store" key names which store was read.
		if arDropStore(outP.Stdout) != arDropStore(outF.Stdout) {
			t.Errorf("%v: the two stores' JSON reports differ:\n%s", args, arFirstDiff(arDropStore(outP.Stdout), arDropStore(outF.Stdout)))
		}
		if rp.Store == nil || rp.Store.Kind != "postgres" || rf.Store == nil || rf.Store.Kind != "filesystem" {
			t.Errorf("%v: store keys %+v and %+v, want postgres and filesystem", args, rp.Store, rf.Store)
		} else if strings.Contains(rp.Store.Name, "@") || strings.Contains(rp.Store.Name, "://") {
			t.Errorf("%v: postgres store name %q is not host:port/database", args, rp.Store.Name)
		}
		if len(args) == 0 && rp.Counts[backfill.StatusWouldCreate] != 44 {
			t.Errorf("want 44 creates in the unfiltered plan, got %v", rp.Counts)
		}
	}
	// The same change on both stores moves both digests to the same value.
	before, _ := bfDryRun(t, pg)
	tr := fixture.Target("bulk", "lane-00007", "compose", "renamed", "bulk-project")
	pg.writeTarget(t, tr)
	fs.writeTarget(t, tr)
	rp, _ := bfDryRun(t, pg)
	rf, _ := bfDryRun(t, fs)
	if rp.PlanDigest == before.PlanDigest || rp.PlanDigest != rf.PlanDigest {
		t.Errorf("after the same change: Postgres %s, filesystem %s (before %s)", rp.PlanDigest, rf.PlanDigest, before.PlanDigest)
	}
}

func TestBackfillApplyThenReapply(t *testing.T) {
	t.Parallel()
	fleet := bfBaseFleet()
	bfEachStore(t, fleet, func(t *testing.T, s bfStore) {
		plan, _ := bfDryRun(t, s)
		if plan.Counts[backfill.StatusWouldCreate] != 3 || plan.Status != "ok" {
			t.Fatalf("plan = %+v", plan)
		}
		existing := s.rowBytes(t, "syo/prod")
		foreign := s.rowBytes(t, "legacy/prod")

		out := bfApply(t, s, plan.PlanDigest)
		if out.Code != 0 {
			t.Fatalf("apply: %s", out)
		}
		r := bfDecodeReport(t, out)
		wantCounts := map[string]int{"created": 3, "skipped-exists": 1, "unsupported-provider": 1}
		if !r.Applied || r.Mode != "apply" || r.Status != "ok" || r.CreatedCount != 3 || !reflect.DeepEqual(r.Counts, wantCounts) ||
			r.PlanDigest != plan.PlanDigest || r.Refusal != "" {
			t.Errorf("apply report header = %+v", *r)
		}
		for _, k := range bfBaseCreates {
			if it, _ := r.item(k); it.Status != backfill.StatusCreated || it.Detail != "created explicit provider-target row" {
				t.Errorf("item %s = %+v, want created", k, it)
			}
		}
		if !strings.Contains(out.Stderr, "created 3 provider-target") {
			t.Errorf("stderr does not report the creates:\n%s", out.Stderr)
		}

		runs := s.runs(t)
		if len(runs) != 1 {
			t.Fatalf("%d runs recorded, want 1: %+v", len(runs), runs)
		}
		run := runs[0]
		if !bfLocalRunID.MatchString(run.RunID) || run.Reason != bfReason || run.Actor != bfActor ||
			run.Digest != plan.PlanDigest || run.SourceLabel != backfill.SourceLabel {
			t.Errorf("recorded run = %+v", run)
		}
		var wantItems []string
		for _, it := range r.Items {
			wantItems = append(wantItems, it.key()+" "+it.Status+" "+it.Severity+" "+it.Detail)
		}
		sort.Strings(wantItems)
		if !reflect.DeepEqual(run.Items, wantItems) {
			t.Errorf("recorded items:\n got %q\nwant %q", run.Items, wantItems)
		}
		bfWantRows(t, s, bfExpected(fleet, bfBaseCreates...), run.RunID)
		if got := s.rowBytes(t, "syo/prod"); got != existing {
			t.Errorf("the existing row was rewritten:\n%s\n->\n%s", existing, got)
		}
		if got := s.rowBytes(t, "legacy/prod"); got != foreign {
			t.Errorf("the other provider's row was rewritten")
		}

		// Apply the same reviewed plan again: nothing to do, nothing touched.
		after := s.state(t)
		again := bfApply(t, s, plan.PlanDigest)
		if again.Code != 0 || !strings.Contains(again.Stderr, "nothing to create") {
			t.Fatalf("re-apply: %s", again)
		}
		r2 := bfDecodeReport(t, again)
		if r2.CreatedCount != 0 || r2.Counts[backfill.StatusSkippedExists] != 4 || r2.Refusal != "" {
			t.Errorf("re-apply report = %+v", *r2)
		}
		bfSameState(t, s, after, "the no-op re-apply")
		if n := len(s.runs(t)); n != 1 {
			t.Errorf("%d runs after the no-op re-apply, want 1", n)
		}

		// The audit of the result is clean, and a new plan has nothing to do.
		if a := lanegate.In(t.TempDir(), bfEnv(), append([]string{"audit"}, s.args()...)...); a.Code != 0 {
			t.Errorf("audit after backfill: %s", a)
		}
		fresh, _ := bfDryRun(t, s)
		if fresh.Counts[backfill.StatusWouldCreate] != 0 || fresh.PlanDigest == plan.PlanDigest {
			t.Errorf("plan after apply = %+v", fresh)
		}
	})
}

func TestBackfillApplyRecordsWorkflowRun(t *testing.T) {
	t.Parallel()
	s := bfNewPG(t, bfBaseFleet(), true)
	plan, _ := bfDryRun(t, s)
	env := bfEnv()
	for k, v := range map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "987654", "GITHUB_RUN_ATTEMPT": "2",
		"GITHUB_REPOSITORY": "acme/fleet", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567", "GITHUB_ACTOR": "release-bot"} {
		env[k] = v
	}
	// In Actions a missing lanes.yaml is an error unless --no-lanes says so.
	out := lanegate.In(t.TempDir(), env, append(append([]string{"backfill"}, s.args()...),
		"--no-lanes", "--apply", "--plan-digest", plan.PlanDigest, "--reason", "wave 1")...)
	if out.Code != 0 {
		t.Fatalf("apply in a workflow: %s", out)
	}
	got := s.query(t, `SELECT run_id, run_attempt, run_url, git_sha, actor, reason, scope FROM lanegate_runs`)
	want := [][]string{{"987654-2", "2", "https://github.com/acme/fleet/actions/runs/987654/attempts/2",
		"0123456789abcdef0123456789abcdef01234567", "release-bot", "wave 1", "all"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lanegate_runs = %q\nwant %q", got, want)
	}
	bfWantRows(t, s, bfExpected(bfBaseFleet(), bfBaseCreates...), "987654-2")
}

// bfScenario is a fleet whose apply must be refused.
type bfScenario struct {
	name     string
	extra    []fixture.Route
	mutate   func(t testing.TB, s bfStore) // after loading
	args     []string
	statuses map[string]string // dry-run statuses that must hold
	refusal  string            // substring of the refusal
}

func bfRefusalScenarios() []bfScenario {
	conflict := func(fn func(p *record.ProviderTarget)) []fixture.Route {
		return []fixture.Route{bfWithRow(bfPair("verireel", "prod", "compose", "verireel-prod", "verireel", "cmp-verireel-prod"), fn)}
	}
	halfTarget := bfPair("half", "prod", "compose", "half-prod", "half", "cmp-half-prod")
	halfTarget.TargetID = nil
	halfRow := bfWithRow(bfPair("half", "testing", "compose", "half-testing", "half", "cmp-half-testing"), nil)
	halfRow.Target = nil
	return []bfScenario{
		{name: "conflicting display_name",
			extra:    conflict(func(p *record.ProviderTarget) { p.DisplayName = "verireel-old" }),
			statuses: map[string]string{"verireel/prod": "skipped-conflict", "cm/prod": "would-create"},
			refusal:  "verireel/prod display_name_mismatch"},
		{name: "conflicting target_id",
			extra:    conflict(func(p *record.ProviderTarget) { p.TargetID = "cmp-verireel-prod-2025" }),
			statuses: map[string]string{"verireel/prod": "skipped-conflict"},
			refusal:  "verireel/prod identity_mismatch"},
		{name: "conflicting provider_evidence",
			extra:    conflict(func(p *record.ProviderTarget) { p.ProviderEvidence = map[string]string{"project_name": "other"} }),
			statuses: map[string]string{"verireel/prod": "skipped-conflict"},
			refusal:  "verireel/prod provider_evidence_mismatch"},
		// The audit is clean here; only the plan's blocked item refuses.
		{name: "projected identity already bound to another route",
			extra: []fixture.Route{
				bfWithRow(bfPair("alpha", "prod", "application", "alpha", "alpha", "app-shared"), nil),
				bfPair("beta", "prod", "application", "beta", "beta", "app-shared"),
			},
			statuses: map[string]string{"alpha/prod": "skipped-exists", "beta/prod": "skipped-conflict", "cm/prod": "would-create"},
			refusal:  "the plan has 1 blocked item(s)"},
		{name: "two new routes would share one identity",
			extra: []fixture.Route{
				bfPair("gamma", "prod", "compose", "gamma", "gamma", "cmp-gamma"),
				bfPair("gamma", "testing", "compose", "gamma", "gamma", "cmp-gamma"),
			},
			statuses: map[string]string{"gamma/prod": "skipped-conflict", "gamma/testing": "skipped-conflict"},
			refusal:  "the plan has 2 blocked item(s)"},
		// The plan itself is clean here; only the audit refuses.
		{name: "existing rows share an identity (audit only)",
			extra: []fixture.Route{
				bfWithRow(bfPair("dup", "a", "application", "dup", "dup", "app-dup"), nil),
				bfWithRow(bfPair("dup", "b", "application", "dup", "dup", "app-dup"), nil),
			},
			statuses: map[string]string{"dup/a": "skipped-exists", "dup/b": "skipped-exists"},
			refusal:  "dup/a duplicate_target_identity"},
		{name: "invalid target-id record",
			extra: []fixture.Route{bfPair("bad", "prod", "compose", "bad", "bad", "cmp-bad")},
			mutate: func(t testing.TB, s bfStore) {
				p := fixture.TargetID("bad", "prod", "cmp-bad").Payload()
				p.Set("surprise", "not a Launchplane key")
				s.writeRawTargetID(t, "bad", "prod", p)
			},
			statuses: map[string]string{"bad/prod": "invalid_record"},
			refusal:  "bad/prod invalid_record"},
		{name: "incomplete pair without a row (warning in the plan)",
			extra:    []fixture.Route{halfTarget},
			statuses: map[string]string{"half/prod": "skipped-incomplete", "cm/prod": "would-create"},
			refusal:  "half/prod missing_target_id"},
		{name: "incomplete pair with a row",
			extra:    []fixture.Route{halfRow},
			statuses: map[string]string{"half/testing": "skipped-incomplete"},
			refusal:  "half/testing missing_dokploy_target"},
		{name: "filter matching nothing",
			args:     []string{"--context", "nowhere"},
			statuses: map[string]string{"nowhere/*": "no_matching_routes"},
			refusal:  "no_matching_routes"},
		{name: "provider filter matching nothing",
			args:     []string{"--provider-id", " Fly-IO "},
			statuses: map[string]string{"*/*": "no_matching_routes"},
			refusal:  "no_matching_routes"},
	}
}

func TestBackfillRefusesBlockedScopes(t *testing.T) {
	t.Parallel()
	for _, sc := range bfRefusalScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			bfEachStore(t, append(bfBaseFleet(), sc.extra...), func(t *testing.T, s bfStore) {
				if sc.mutate != nil {
					sc.mutate(t, s)
				}
				plan, dry := bfDryRun(t, s, sc.args...)
				got := plan.statuses()
				for k, v := range sc.statuses {
					if got[k] != v {
						t.Errorf("dry run: %s is %q, want %q (all: %v)", k, got[k], v, got)
					}
				}
				// Every scenario here refuses the apply, so the dry run says so
				// up front and fails too.
				if dry.Code != 1 || (plan.BlockedCount == 0 && !strings.HasPrefix(plan.Refusal, "an apply would be refused")) {
					t.Errorf("dry run exit %d with %d blocked item(s), refusal %q", dry.Code, plan.BlockedCount, plan.Refusal)
				}
				before := s.state(t)
				out := bfApply(t, s, plan.PlanDigest, sc.args...)
				if out.Code != 1 || !strings.Contains(out.Stderr, "apply refused, nothing written") || !strings.Contains(out.Stderr, sc.refusal) {
					t.Fatalf("apply: want exit 1 refusing with %q, got %s", sc.refusal, out)
				}
				r := bfDecodeReport(t, out)
				// Refused: nothing was written, so applied is false.
				if r.Applied || r.Mode != "apply" || r.Status != "refused" || r.CreatedCount != 0 || !strings.Contains(r.Refusal, sc.refusal) {
					t.Errorf("refused report = %+v", *r)
				}
				for _, it := range r.Items {
					if it.Status == backfill.StatusCreated {
						t.Errorf("refused apply reports %s as created", it.key())
					}
				}
				bfSameState(t, s, before, "a refused apply")
				if n := len(s.created(t)); n != 0 {
					t.Errorf("%d rows created by a refused apply", n)
				}
			})
		})
	}
}

func TestBackfillNoMatchingRoutesItem(t *testing.T) {
	t.Parallel()
	s := bfNewFS(t, bfBaseFleet())
	for _, tc := range []struct {
		args []string
		want bfItem
	}{
		{[]string{"--context", " nowhere "}, bfItem{Context: "nowhere", Instance: "*", ProviderID: "dokploy"}},
		{[]string{"--instance", "staging", "--context", "syo"}, bfItem{Context: "syo", Instance: "staging", ProviderID: "dokploy"}},
		{[]string{"--provider-id", " Fly-IO "}, bfItem{Context: "*", Instance: "*", ProviderID: "fly-io"}},
	} {
		r, out := bfDryRun(t, s, tc.args...)
		tc.want.Status, tc.want.Severity = "no_matching_routes", "blocked"
		tc.want.Detail = "provider-target backfill filters did not match any stored route"
		if out.Code != 1 || len(r.Items) != 1 || !reflect.DeepEqual(r.Items[0], tc.want) || r.Inspected != 0 {
			t.Errorf("%v: exit %d, items %+v; want exit 1 and only %+v", tc.args, out.Code, r.Items, tc.want)
		}
	}
}

func TestBackfillApplyWithinScope(t *testing.T) {
	t.Parallel()
	halfTarget := bfPair("half", "prod", "compose", "half-prod", "half", "cmp-half-prod")
	halfTarget.TargetID = nil
	fleet := append(bfBaseFleet(),
		bfWithRow(bfPair("verireel", "prod", "compose", "verireel-prod", "verireel", "cmp-verireel-prod"),
			func(p *record.ProviderTarget) { p.DisplayName = "verireel-old" }),
		halfTarget)
	bfEachStore(t, fleet, func(t *testing.T, s bfStore) {
		conflictRow := s.rowBytes(t, "verireel/prod")
		want := map[string]*record.ProviderTarget{}
		seen := map[string]bool{}
		for _, step := range []struct {
			args    []string
			creates []string
		}{
			{[]string{"--instance", "testing"}, []string{"syo/testing"}},
			{[]string{"--context", "cm"}, []string{"cm/prod"}},
			{[]string{"--lane", "opw/prod", "--provider-id", "DOKPLOY"}, []string{"opw/prod"}},
		} {
			plan, _ := bfDryRun(t, s, step.args...)
			if plan.Counts[backfill.StatusWouldCreate] != len(step.creates) || plan.Status != "ok" {
				t.Fatalf("%v: plan %+v", step.args, plan)
			}
			out := bfApply(t, s, plan.PlanDigest, step.args...)
			if out.Code != 0 {
				t.Fatalf("%v: apply: %s", step.args, out)
			}
			var run bfRunRecord
			for _, r := range s.runs(t) {
				if !seen[r.RunID] {
					run = r
				}
			}
			seen[run.RunID] = true
			if run.Reason != bfReason || run.Digest != plan.PlanDigest {
				t.Errorf("%v: recorded run %+v", step.args, run)
			}
			for k, p := range bfExpected(fleet, step.creates...) {
				p.SourceLabel = backfill.SourceLabel
				want[k] = p
			}
			got := s.created(t)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%v: created rows %v, want %v", step.args, bfKeys(got), bfKeys(want))
			}
		}
		if s.rowBytes(t, "verireel/prod") != conflictRow {
			t.Errorf("the conflicting row out of scope was touched")
		}
		if n := len(s.runs(t)); n != 3 {
			t.Errorf("%d runs recorded, want 3", n)
		}

		// Only the other provider: nothing to create, exit 0.
		plan, _ := bfDryRun(t, s, "--provider-id", "static-host")
		if plan.Inspected != 1 || plan.Items[0].Status != backfill.StatusUnsupportedProvider || plan.Items[0].ProviderID != "static-host" {
			t.Errorf("static-host plan = %+v", plan)
		}
		before := s.state(t)
		if out := bfApply(t, s, plan.PlanDigest, "--provider-id", "static-host"); out.Code != 0 || !strings.Contains(out.Stderr, "nothing to create") {
			t.Errorf("apply to the other provider only: %s", out)
		}
		bfSameState(t, s, before, "a no-op apply")
	})
}

func bfKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestBackfillDigestIsScopeSpecific(t *testing.T) {
	t.Parallel()
	s := bfNewPG(t, bfBaseFleet(), true)
	syo, _ := bfDryRun(t, s, "--context", "syo")
	cm, _ := bfDryRun(t, s, "--context", "cm")
	if syo.PlanDigest == cm.PlanDigest {
		t.Fatal("two scopes with different creates share a digest")
	}
	before := s.state(t)
	out := bfApply(t, s, syo.PlanDigest, "--context", "cm")
	if out.Code != 1 || !strings.Contains(out.Stderr, "the data changed since the reviewed plan") {
		t.Errorf("apply of scope cm with scope syo's digest: %s", out)
	}
	bfSameState(t, s, before, "a refused apply")
}

func TestBackfillRefusesWhenDataChangedSinceReview(t *testing.T) {
	t.Parallel()
	bfEachStore(t, bfBaseFleet(), func(t *testing.T, s bfStore) {
		plan, _ := bfDryRun(t, s)
		// Someone renames a target after the review.
		s.writeTarget(t, fixture.Target("cm", "prod", "compose", "cm-prod-renamed", "odoo-cm"))
		before := s.state(t)
		out := bfApply(t, s, plan.PlanDigest)
		if out.Code != 1 || !strings.Contains(out.Stderr, "the data changed since the reviewed plan") ||
			!strings.Contains(out.Stderr, plan.PlanDigest) || !strings.Contains(out.Stderr, "review a new dry run") {
			t.Fatalf("apply with a stale digest: %s", out)
		}
		bfSameState(t, s, before, "a refused apply")
		if len(s.runs(t)) != 0 {
			t.Fatalf("a refused apply recorded a run")
		}

		// A new review of the new data applies, with the new name.
		fresh, _ := bfDryRun(t, s)
		if fresh.PlanDigest == plan.PlanDigest {
			t.Fatal("the digest did not change with the data")
		}
		if out := bfApply(t, s, fresh.PlanDigest); out.Code != 0 {
			t.Fatalf("apply of the fresh plan: %s", out)
		}
		if got := s.created(t)["cm/prod"]; got == nil || got.DisplayName != "cm-prod-renamed" {
			t.Errorf("cm/prod row = %+v, want display_name cm-prod-renamed", got)
		}
	})
}

func TestBackfillUsageErrors(t *testing.T) {
	t.Parallel()
	digest := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"apply without reason", []string{"--apply", "--plan-digest", digest}, "--apply requires --reason"},
		{"apply with a blank reason", []string{"--apply", "--plan-digest", digest, "--reason", " \t "}, "--apply requires --reason"},
		{"apply without digest", []string{"--apply", "--reason", "r"}, "--apply requires --plan-digest"},
		{"short digest", []string{"--apply", "--reason", "r", "--plan-digest", "sha256:abc"}, "--apply requires --plan-digest"},
		{"digest of another algorithm", []string{"--apply", "--reason", "r", "--plan-digest", "md5:" + strings.Repeat("ab", 32)}, "--apply requires --plan-digest"},
		{"digest without prefix", []string{"--apply", "--reason", "r", "--plan-digest", strings.Repeat("ab", 32)}, "--apply requires --plan-digest"},
		{"digest that is not hex", []string{"--apply", "--reason", "r", "--plan-digest", "sha256:" + strings.Repeat("zz", 32)}, "--apply requires --plan-digest"},
		{"digest in upper case", []string{"--apply", "--reason", "r", "--plan-digest", "sha256:" + strings.Repeat("AB", 32)}, "--apply requires --plan-digest"},
		{"digest without apply", []string{"--plan-digest", digest}, "only make sense with --apply"},
		{"reason without apply", []string{"--reason", "because"}, "only make sense with --apply"},
		{"unknown format", []string{"--format", "yaml"}, "--format"},
		{"stray argument", []string{"now"}, "unexpected argument"},
	}
	bfEachStore(t, bfBaseFleet(), func(t *testing.T, s bfStore) {
		before := s.state(t)
		for _, tc := range cases {
			out := bfBackfill(t, s, tc.args...)
			if out.Code != 2 || !strings.Contains(out.Stderr, tc.msg) {
				t.Errorf("%s: want exit 2 with %q, got %s", tc.name, tc.msg, out)
			}
		}
		if _, ok := s.(*bfPG); ok {
			if out := bfBackfill(t, s, "--recover"); out.Code != 2 || !strings.Contains(out.Stderr, "filesystem state only") {
				t.Errorf("--recover on Postgres: %s", out)
			}
		}
		bfSameState(t, s, before, "a usage error")
	})
	if out := lanegate.In(t.TempDir(), bfEnv(), "backfill"); out.Code != 2 || !strings.Contains(out.Stderr, "no record store chosen") {
		t.Errorf("backfill without a store: %s", out)
	}
}

func TestBackfillApplyNeedsLanegateTables(t *testing.T) {
	t.Parallel()
	s := bfNewPG(t, bfBaseFleet(), false)
	plan, dry := bfDryRun(t, s)
	if dry.Code != 0 || plan.Counts[backfill.StatusWouldCreate] != 3 {
		t.Fatalf("a dry run needs no lanegate tables: %s", dry)
	}
	before := s.state(t)
	out := bfApply(t, s, plan.PlanDigest)
	if out.Code != 3 || !strings.Contains(out.Stderr, "run `lanegate migrate") {
		t.Fatalf("apply without lanegate's tables: want exit 3 asking to migrate, got %s", out)
	}
	bfSameState(t, s, before, "apply without lanegate's tables")
	if s.count(t, "SELECT count(*) FROM launchplane_provider_targets WHERE "+bfLanegateLabel) != 0 {
		t.Fatal("apply without lanegate's tables wrote Launchplane rows")
	}
	if m := lanegate.In(t.TempDir(), bfEnv(), "migrate", "--database-url", s.url); m.Code != 0 {
		t.Fatalf("migrate: %s", m)
	}
	if out := bfApply(t, s, plan.PlanDigest); out.Code != 0 {
		t.Fatalf("apply after migrate: %s", out)
	}
	if n := len(s.created(t)); n != 3 {
		t.Errorf("%d rows after migrate + apply, want 3", n)
	}
}
