package gate

import (
	"fmt"
	"reflect"
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
			name:    "removing a lane still on dokploy",
			in:      Input{Base: base, Head: plan(t, "a/testing 1 dokploy", "a/prod 2 dokploy a/testing")},
			verdict: Pass, lanes: 1,
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
