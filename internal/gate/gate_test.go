package gate

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/lanes"
)

// plan builds a lanes file: lane specs are "route wave stage [requires...]".
func plan(t *testing.T, specs ...string) *lanes.File {
	t.Helper()
	var b strings.Builder
	b.WriteString("schema_version: 1\nlanes:\n")
	for _, s := range specs {
		f := strings.Fields(s)
		fmt.Fprintf(&b, "  - route: %s\n    product: p\n    driver: odoo\n    wave: %s\n    stage: %s\n    paths: [\"products/%s/**\"]\n",
			f[0], f[1], f[2], strings.ReplaceAll(f[0], "/", "-"))
		if len(f) > 3 {
			fmt.Fprintf(&b, "    requires: [%s]\n", strings.Join(f[3:], ", "))
		}
	}
	p, err := lanes.Parse("lanes.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, b.String())
	}
	return p
}

var clean = LaneHealth{AuditClean: true, ProviderPresent: true}

func TestDeclaredLanes(t *testing.T) {
	got := DeclaredLanes([]string{"cutover:a/x", "bug", " cutover:b/y "},
		"Moves reads.\n\nCutover-Lanes: c/z, d/w\ncutover-lanes: a/x e/v\n")
	want := []string{"a/x", "b/y", "c/z", "d/w", "e/v"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DeclaredLanes = %v, want %v", got, want)
	}
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	base := plan(t, "a/testing 1 dokploy", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy")
	cases := []struct {
		name        string
		in          Input
		verdict     string
		lanes       int
		wantReasons []string // substrings, all must appear in the joined reasons/problems
	}{
		{
			name:    "no lanes in scope",
			in:      Input{Base: base, Head: base, ChangedFiles: []string{"README.md"}},
			verdict: Pass, lanes: 0,
		},
		{
			name: "stage advanced with clean evidence",
			in: Input{Base: base, Head: plan(t, "a/testing 1 provider-target", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Health: map[string]LaneHealth{"a/testing": clean}},
			verdict: Pass, lanes: 1,
		},
		{
			name: "missing evidence",
			in: Input{Base: base, Head: plan(t, "a/testing 1 provider-target", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Health: map[string]LaneHealth{"a/testing": {AuditClean: true, ProviderPresent: true, EvidenceProblems: []string{"deploy evidence is missing"}}}},
			verdict: Blocked, lanes: 1, wantReasons: []string{"a/testing: deploy evidence is missing"},
		},
		{
			name: "failing and stale evidence",
			in: Input{Base: base, Head: plan(t, "a/testing 1 provider-target", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Health: map[string]LaneHealth{"a/testing": {AuditClean: true, ProviderPresent: true,
					EvidenceProblems: []string{"latest health evidence failed", "deploy evidence is 9d old (max 7d)"}}}},
			verdict: Blocked, lanes: 1, wantReasons: []string{"latest health evidence failed", "9d old"},
		},
		{
			name: "audit not clean and row missing",
			in: Input{Base: base, Head: plan(t, "a/testing 1 provider-target", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Health: map[string]LaneHealth{"a/testing": {AuditProblems: []string{"missing_provider_target"}}}},
			verdict: Blocked, lanes: 1, wantReasons: []string{"provider-target row is missing", "audit is not clean (missing_provider_target)"},
		},
		{
			name: "prerequisite not cut over",
			in: Input{Base: base, Head: plan(t, "a/testing 1 dokploy", "a/prod 2 provider-target a/testing", "b/prod 2 dokploy"),
				Health: map[string]LaneHealth{"a/prod": clean, "a/testing": clean}},
			verdict: Blocked, lanes: 1, wantReasons: []string{"required lane a/testing must already be at provider-target on the base branch (it is dokploy)"},
		},
		{
			name: "prerequisite cut over but its evidence is stale",
			in: Input{Base: plan(t, "a/testing 1 provider-target", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Head: plan(t, "a/testing 1 provider-target", "a/prod 2 provider-target a/testing", "b/prod 2 dokploy"),
				Health: map[string]LaneHealth{"a/prod": clean,
					"a/testing": {AuditClean: true, ProviderPresent: true, EvidenceProblems: []string{"health evidence is 3d old (max 24h)"}}}},
			verdict: Blocked, lanes: 1, wantReasons: []string{"required lane a/testing: health evidence is 3d old"},
		},
		{
			name: "earlier wave must go first",
			in: Input{Base: base, Head: plan(t, "a/testing 1 dokploy", "a/prod 2 dokploy a/testing", "b/prod 2 provider-target"),
				Health: map[string]LaneHealth{"b/prod": clean, "a/testing": clean}},
			verdict: Blocked, lanes: 1, wantReasons: []string{"earlier-wave lanes must already be at provider-target on the base branch: a/testing (wave 1, dokploy)"},
		},
		{
			name: "skipping a stage",
			in: Input{Base: base, Head: plan(t, "a/testing 1 retired", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Health: map[string]LaneHealth{"a/testing": clean}},
			verdict: Blocked, lanes: 1, wantReasons: []string{"cannot skip a stage: dokploy → retired skips provider-target"},
		},
		{
			name: "going back a stage",
			in: Input{Base: plan(t, "a/testing 1 provider-target", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"), Head: base,
				Health: map[string]LaneHealth{"a/testing": clean}},
			verdict: Blocked, lanes: 1, wantReasons: []string{"stage cannot go back from provider-target to dokploy"},
		},
		{
			name: "retire needs a clean window",
			in: Input{Base: plan(t, "a/testing 1 provider-target", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Head: plan(t, "a/testing 1 retired", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Health: map[string]LaneHealth{"a/testing": {AuditClean: true, ProviderPresent: true,
					WindowProblems: []string{"an audit failed 3d ago, inside the 14d retire window"}}}},
			verdict: Blocked, lanes: 1, wantReasons: []string{"inside the 14d retire window"},
		},
		{
			name: "retire with a clean window",
			in: Input{Base: plan(t, "a/testing 1 provider-target", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Head:   plan(t, "a/testing 1 retired", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Health: map[string]LaneHealth{"a/testing": clean}},
			verdict: Pass, lanes: 1,
		},
		{
			name:    "fork without trusted scope",
			in:      Input{Base: base, Head: base, Fork: true},
			verdict: Blocked, lanes: 0, wantReasons: []string{"comes from a fork"},
		},
		{
			name:    "3000-file cap puts every lane in scope",
			in:      Input{Base: base, Head: base, FilesCapped: true, Health: map[string]LaneHealth{"a/testing": clean}},
			verdict: Blocked, lanes: 3, wantReasons: []string{"a/testing (wave 1, dokploy)"},
		},
		{
			name: "labels and trailer",
			in: Input{Base: base, Head: base, Labels: []string{"cutover:a/testing"}, Body: "Cutover-Lanes: b/prod",
				Health: map[string]LaneHealth{"a/testing": clean, "b/prod": clean}},
			verdict: Blocked, lanes: 2, wantReasons: []string{"earlier-wave lanes must already be at provider-target on the base branch: a/testing (wave 1, dokploy)"},
		},
		{
			name:    "label naming an unknown lane",
			in:      Input{Base: base, Head: base, Labels: []string{"cutover:nope/x"}},
			verdict: Blocked, lanes: 0, wantReasons: []string{`declares lane "nope/x", which lanes.yaml does not have`},
		},
		{
			name:    "changed files match a lane's paths",
			in:      Input{Base: base, Head: base, ChangedFiles: []string{"products/a-testing/app.py"}, Health: map[string]LaneHealth{"a/testing": clean}},
			verdict: Pass, lanes: 1,
		},
		{
			name: "removing a lane that cut over",
			in: Input{Base: plan(t, "a/testing 1 provider-target", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Head: plan(t, "a/prod 2 dokploy", "b/prod 2 dokploy")},
			verdict: Blocked, lanes: 1, wantReasons: []string{"a lane at stage provider-target cannot be removed"},
		},
		{
			// Removing a lane takes it out of the gate for good: a rule change.
			name:    "removing a lane still on dokploy",
			in:      Input{Base: base, Head: plan(t, "a/testing 1 dokploy", "a/prod 2 dokploy a/testing")},
			verdict: Blocked, lanes: 1, wantReasons: []string{RuleChangeReason + ": the pull request removes b/prod from lanes.yaml"},
		},
		{
			name: "no health gathered",
			in: Input{Base: base, Head: plan(t, "a/testing 1 provider-target", "a/prod 2 dokploy a/testing", "b/prod 2 dokploy"),
				Problems: []string{"no database credentials: set database-url"}},
			verdict: Blocked, lanes: 1, wantReasons: []string{"no database credentials", "no audit or evidence was gathered"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.Now = now
			res := Decide(c.in)
			if res.Verdict != c.verdict {
				t.Errorf("verdict %s, want %s (%+v)", res.Verdict, c.verdict, res)
			}
			if len(res.Lanes) != c.lanes {
				t.Errorf("%d lanes in scope, want %d: %+v", len(res.Lanes), c.lanes, res.Lanes)
			}
			var all []string
			all = append(all, res.Problems...)
			for _, l := range res.Lanes {
				all = append(all, l.Reasons...)
			}
			joined := strings.Join(all, "\n")
			for _, w := range c.wantReasons {
				if !strings.Contains(joined, w) {
					t.Errorf("reasons lack %q:\n%s", w, joined)
				}
			}
			if c.verdict == Pass && joined != "" {
				t.Errorf("passing verdict carries reasons:\n%s", joined)
			}
			if len([]rune(res.StatusDescription())) > 140 {
				t.Errorf("status description longer than 140: %q", res.StatusDescription())
			}
		})
	}
}

func TestStatusDescriptionCap(t *testing.T) {
	r := Result{Verdict: Blocked, Summary: "blocked: " + strings.Repeat("é", 300)}
	d := r.StatusDescription()
	if n := len([]rune(d)); n != 140 || !strings.HasSuffix(d, "…") {
		t.Fatalf("description has %d runes: %q", n, d)
	}
	if r.StatusState() != "failure" || (Result{Verdict: Pass}).StatusState() != "success" {
		t.Fatal("status state mapping")
	}
}

// rulesBase is the trusted plan of the rule-change matrix: a/testing is cut
// over; a/prod (wave 2, requires a/testing, its own evidence) is the lane
// the pull requests advance; b/prod takes defaults.evidence.
const rulesBase = `schema_version: 1
retire_window: 14d
defaults:
  evidence:
    deploy: {max_age: 7d}
    health: {max_age: 24h}
lanes:
  - route: a/testing
    product: a
    driver: odoo
    wave: 1
    stage: provider-target
    paths: ["products/a-testing/**"]
  - route: a/prod
    product: a
    driver: odoo
    wave: 2
    stage: dokploy
    requires: [a/testing]
    evidence:
      deploy: {max_age: 7d}
      promotion: {max_age: 7d}
    base_url: https://a.example.com
    paths: ["products/a-prod/**"]
  - route: b/prod
    product: b
    driver: generic-web
    wave: 2
    stage: dokploy
    paths: ["products/b-prod/**"]
`

func parsePlan(t *testing.T, src string) *lanes.File {
	t.Helper()
	p, err := lanes.Parse("lanes.yaml", []byte(src))
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, src)
	}
	return p
}

// edit applies old → new replacements to src, each of which must match once.
func edit(t *testing.T, src string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.Count(src, pairs[i]) != 1 {
			t.Fatalf("edit: %q matches %d times", pairs[i], strings.Count(src, pairs[i]))
		}
		src = strings.Replace(src, pairs[i], pairs[i+1], 1)
	}
	return src
}

// TestDecideRulesComeFromBase: a head lanes.yaml that advances a lane and
// also loosens any rule is blocked for the rule change, whatever the rule,
// even though every lane is clean; the same stage change alone is decided
// by the base rules.
func TestDecideRulesComeFromBase(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	base := parsePlan(t, rulesBase)
	advance := []string{"route: a/prod\n    product: a\n    driver: odoo\n    wave: 2\n    stage: dokploy", "route: a/prod\n    product: a\n    driver: odoo\n    wave: 2\n    stage: provider-target"}
	allClean := map[string]LaneHealth{"a/testing": clean, "a/prod": clean, "b/prod": clean}
	cases := []struct {
		name  string
		edits []string // applied after advancing a/prod
		want  string   // the rule-change reason, after RuleChangeReason + ": "
	}{
		{"wave", []string{"wave: 2\n    stage: provider-target", "wave: 1\n    stage: provider-target"}, "a/prod changes wave 2 → 1"},
		{"requires removed", []string{"    requires: [a/testing]\n", ""}, "a/prod changes requires [a/testing] → []"},
		{"evidence kind removed", []string{"      promotion: {max_age: 7d}\n", ""}, "a/prod changes evidence [deploy max_age 7d, promotion max_age 7d] → [deploy max_age 7d]"},
		{"evidence max age", []string{"      promotion: {max_age: 7d}", "      promotion: {max_age: 90d}"}, "a/prod changes evidence"},
		{"evidence removed", []string{"    evidence:\n      deploy: {max_age: 7d}\n      promotion: {max_age: 7d}\n", "    evidence: {}\n"}, "→ (none)"},
		{"paths", []string{`    paths: ["products/a-prod/**"]`, `    paths: ["nowhere/**"]`}, "a/prod changes paths [products/a-prod/**] → [nowhere/**]"},
		{"base url", []string{"https://a.example.com", "https://elsewhere.example.com"}, "a/prod changes base_url"},
		{"driver", []string{"    driver: odoo\n    wave: 2\n    stage: provider-target", "    driver: verireel\n    wave: 2\n    stage: provider-target"}, "a/prod changes driver odoo → verireel"},
		{"defaults", []string{"    health: {max_age: 24h}\n", "    health: {max_age: 365d}\n"}, "lanes.yaml changes defaults.evidence"},
		{"defaults deleted", []string{"defaults:\n  evidence:\n    deploy: {max_age: 7d}\n    health: {max_age: 24h}\n", ""}, "lanes.yaml changes defaults.evidence [deploy max_age 7d, health max_age 24h] → (none)"},
		{"retire window", []string{"retire_window: 14d", "retire_window: 1h"}, "lanes.yaml changes retire_window 14d → 1h"},
		{"lane removed", []string{"  - route: b/prod\n    product: b\n    driver: generic-web\n    wave: 2\n    stage: dokploy\n    paths: [\"products/b-prod/**\"]\n", ""}, "lanes.yaml removes lane b/prod"},
		{"lane added", []string{"lanes:\n", "lanes:\n  - {route: c/new, product: c, driver: odoo, wave: 1}\n"}, "lanes.yaml adds lane c/new"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			head := parsePlan(t, edit(t, edit(t, rulesBase, advance...), c.edits...))
			res := Decide(Input{Base: base, Head: head, Health: allClean, Now: now})
			if res.Verdict != Blocked {
				t.Fatalf("verdict %s, want blocked: %+v", res.Verdict, res)
			}
			var prod *LaneVerdict
			for i := range res.Lanes {
				if res.Lanes[i].Lane == "a/prod" {
					prod = &res.Lanes[i]
				}
			}
			if prod == nil || prod.Verdict != Blocked {
				t.Fatalf("a/prod not blocked: %+v", res.Lanes)
			}
			found := false
			for _, r := range prod.Reasons {
				found = found || (strings.HasPrefix(r, RuleChangeReason+": ") && strings.Contains(r, c.want))
			}
			if !found {
				t.Errorf("a/prod reasons lack %q: %q", RuleChangeReason+": …"+c.want, prod.Reasons)
			}
		})
	}

	t.Run("honest stage-only change passes by the base rules", func(t *testing.T) {
		res := Decide(Input{Base: base, Head: parsePlan(t, edit(t, rulesBase, advance...)), Health: allClean, Now: now})
		if res.Verdict != Pass || len(res.Lanes) != 1 || len(res.Lanes[0].Reasons) != 0 {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("honest stage-only change blocked by the base rules", func(t *testing.T) {
		res := Decide(Input{Base: base, Head: parsePlan(t, edit(t, rulesBase, advance...)),
			Health: map[string]LaneHealth{"a/testing": {AuditClean: true, ProviderPresent: true, EvidenceProblems: []string{"health evidence is 3d old"}}, "a/prod": clean}, Now: now})
		if res.Verdict != Blocked || len(res.Lanes) != 1 {
			t.Fatalf("result %+v", res)
		}
		if r := res.Lanes[0].Reasons; len(r) != 1 || r[0] != "required lane a/testing: health evidence is 3d old" {
			t.Errorf("reasons %q", r)
		}
	})
	t.Run("weakened head is judged by the base requires and waves", func(t *testing.T) {
		// The head drops requires and moves a/prod to wave 1, but a/testing
		// is not cut over on the base: both the rule change and the base
		// rules block.
		b := parsePlan(t, edit(t, rulesBase, "stage: provider-target\n    paths: [\"products/a-testing/**\"]", "stage: dokploy\n    paths: [\"products/a-testing/**\"]"))
		head := parsePlan(t, edit(t, edit(t, rulesBase, advance...), "    requires: [a/testing]\n", "", "wave: 2\n    stage: provider-target", "wave: 1\n    stage: provider-target",
			"stage: provider-target\n    paths: [\"products/a-testing/**\"]", "stage: dokploy\n    paths: [\"products/a-testing/**\"]"))
		res := Decide(Input{Base: b, Head: head, Health: allClean, Now: now})
		joined := strings.Join(res.Lanes[0].Reasons, "\n")
		for _, w := range []string{"a/prod changes wave 2 → 1; requires [a/testing] → []", "required lane a/testing must already be at provider-target on the base branch (it is dokploy)"} {
			if !strings.Contains(joined, w) {
				t.Errorf("reasons lack %q:\n%s", w, joined)
			}
		}
	})
	t.Run("deleting paths keeps the lane in scope by the base paths", func(t *testing.T) {
		head := parsePlan(t, edit(t, rulesBase, `    paths: ["products/a-prod/**"]`+"\n", ""))
		res := Decide(Input{Base: base, Head: head, ChangedFiles: []string{"products/a-prod/app.py"}, Health: allClean, Now: now})
		if res.Verdict != Blocked || len(res.Lanes) != 1 || res.Lanes[0].Lane != "a/prod" {
			t.Fatalf("result %+v", res)
		}
		if !slices.Contains(res.Lanes[0].Reasons, RuleChangeReason+": a/prod changes paths [products/a-prod/**] → []") {
			t.Errorf("reasons %q", res.Lanes[0].Reasons)
		}
	})
	t.Run("rule change with nothing in scope passes", func(t *testing.T) {
		head := parsePlan(t, edit(t, rulesBase, "retire_window: 14d", "retire_window: 30d"))
		if res := Decide(Input{Base: base, Head: head, ChangedFiles: []string{"lanes.yaml"}, Now: now}); res.Verdict != Pass || len(res.Lanes) != 0 {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("no base plan: lanes added at dokploy pass", func(t *testing.T) {
		res := Decide(Input{Head: parsePlan(t, edit(t, rulesBase, "stage: provider-target", "stage: dokploy")), ChangedFiles: []string{"lanes.yaml", "products/a-prod/x"}, Now: now})
		if res.Verdict != Pass || len(res.Lanes) != 0 {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("no base plan: a lane added above dokploy has no trusted rules", func(t *testing.T) {
		res := Decide(Input{Head: base, Health: allClean, Now: now})
		if res.Verdict != Blocked || len(res.Lanes) != 1 || res.Lanes[0].Lane != "a/testing" {
			t.Fatalf("result %+v", res)
		}
		if r := res.Lanes[0].Reasons; len(r) != 1 || !strings.Contains(r[0], "a/testing has no trusted rules: the base branch has no lanes.yaml") {
			t.Errorf("reasons %q", r)
		}
	})
}

func TestDecideAddedLanes(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	base := parsePlan(t, rulesBase)
	withNew := func(stage string) *lanes.File {
		return parsePlan(t, edit(t, rulesBase, "lanes:\n", "lanes:\n  - {route: c/new, product: c, driver: odoo, wave: 1, stage: "+stage+"}\n"))
	}
	t.Run("added at dokploy, nothing else in scope", func(t *testing.T) {
		if res := Decide(Input{Base: base, Head: withNew("dokploy"), ChangedFiles: []string{"lanes.yaml"}, Now: now}); res.Verdict != Pass || len(res.Lanes) != 0 {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("added above dokploy", func(t *testing.T) {
		res := Decide(Input{Base: base, Head: withNew("provider-target"), Health: map[string]LaneHealth{"c/new": clean}, Now: now})
		if res.Verdict != Blocked || len(res.Lanes) != 1 || res.Lanes[0].Lane != "c/new" {
			t.Fatalf("result %+v", res)
		}
		if r := res.Lanes[0].Reasons; len(r) != 1 || !strings.HasPrefix(r[0], RuleChangeReason+": the pull request adds c/new, which has no trusted rules") {
			t.Errorf("reasons %q", r)
		}
	})
	t.Run("added at dokploy and declared", func(t *testing.T) {
		res := Decide(Input{Base: base, Head: withNew("dokploy"), Labels: []string{"cutover:c/new"}, Health: map[string]LaneHealth{"c/new": clean}, Now: now})
		if res.Verdict != Blocked || len(res.Lanes) != 1 || res.Lanes[0].ToStage != "provider-target" {
			t.Fatalf("result %+v", res)
		}
	})
}
