package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lanegate/lanegate/internal/gate"
	"github.com/lanegate/lanegate/internal/testkit"
)

var (
	gtHead  = strings.Repeat("a1", 20) // PR head: where the status must go
	gtBase  = strings.Repeat("b2", 20)
	gtMerge = strings.Repeat("c3", 20) // GITHUB_SHA of a pull_request run: the test merge commit
)

// gtEnv is one gate scenario: a fake GitHub serving pull request 5 (head
// gtHead, base gtBase, from o/r itself) and a work dir with the example
// state.
type gtEnv struct {
	t   *testing.T
	f   *testkit.GitHub
	dir string
	now time.Time
	seq int // evidence run ids
}

func newGT(t *testing.T) *gtEnv {
	t.Helper()
	g := &gtEnv{t: t, f: testkit.NewGitHub(t, testkit.SingleRepo), dir: testkit.ExampleWorkDir(t), now: time.Now().UTC().Truncate(time.Second)}
	g.pr(5, gtHead, "o/r", nil, "")
	g.files("lanes.yaml")
	return g
}

// files sets what PR 5 changes between gtBase and gtHead.
func (g *gtEnv) files(names ...string) {
	g.f.SetCompare(testkit.Repo, gtBase, gtHead, names)
}

// pr serves pull request n.
func (g *gtEnv) pr(n int, head, headRepo string, labels []string, body string) {
	ls := []map[string]any{}
	for _, l := range labels {
		ls = append(ls, map[string]any{"name": l})
	}
	g.f.SetPull(testkit.Repo, n, map[string]any{
		"number": n, "state": "open", "title": "cutover", "body": body, "labels": ls, "draft": false,
		"head": map[string]any{"sha": head, "ref": "cutover", "repo": map[string]any{"full_name": headRepo}},
		"base": map[string]any{"sha": gtBase, "ref": "main", "repo": map[string]any{"full_name": "o/r"}},
	})
}

// lanes serves lanes.yaml at the base and head SHAs.
func (g *gtEnv) lanes(base, head string) {
	g.f.SetContent(testkit.Repo, gtBase, "lanes.yaml", base)
	g.f.SetContent(testkit.Repo, gtHead, "lanes.yaml", head)
}

// evidence records evidence for lane, observed ago before g.now.
func (g *gtEnv) evidence(lane, kind, status string, ago time.Duration) {
	g.t.Helper()
	o := lanegate.In(g.dir, nil, "evidence", "record", "--state-dir", "state", "--lanes", "lanes.yaml", "--lane", lane, "--kind", kind,
		"--status", status, "--run-id", fmt.Sprintf("%d", 7000+g.runs()), "--observed-at", g.now.Add(-ago).Format(time.RFC3339))
	testkit.Want(g.t, o, 0)
}

func (g *gtEnv) runs() int {
	g.seq++
	return g.seq
}

// freshEvidence makes lane's deploy and health evidence pass and fresh.
func (g *gtEnv) freshEvidence(lane string) {
	g.evidence(lane, "deploy", "pass", 2*time.Hour)
	g.evidence(lane, "health", "pass", 20*time.Minute)
}

// event writes an event payload and returns the variables naming it.
func (g *gtEnv) event(name string, payload map[string]any) map[string]string {
	g.t.Helper()
	path := filepath.Join(g.dir, "event-"+name+".json")
	b, _ := json.Marshal(payload)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		g.t.Fatal(err)
	}
	return map[string]string{"GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": path}
}

func (g *gtEnv) prEvent() map[string]string {
	return g.event("pull_request", map[string]any{"action": "synchronize", "number": 5,
		"pull_request": map[string]any{"number": 5, "head": map[string]any{"sha": gtHead}}})
}

// run runs the gate as a pull_request Actions run would, plus extra vars
// and args; --state-dir state and --now are added unless noStore is set.
func (g *gtEnv) run(extra map[string]string, args ...string) testkit.Result {
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "900",
		"GITHUB_SHA": gtMerge}
	for k, v := range g.prEvent() {
		vars[k] = v
	}
	for k, v := range extra {
		vars[k] = v
	}
	return lanegate.In(g.dir, g.f.Env(vars), append([]string{"gate", "--now", g.now.Format(time.RFC3339)}, args...)...)
}

// decide runs the gate with the state dir and reads back its JSON report.
func (g *gtEnv) decide(code int, extra map[string]string, args ...string) (gate.Result, testkit.Result) {
	g.t.Helper()
	o := g.run(extra, append([]string{"--state-dir", "state", "--out", "gate.json"}, args...)...)
	testkit.Want(g.t, o, code)
	return g.result(), o
}

func (g *gtEnv) result() gate.Result {
	g.t.Helper()
	b, err := os.ReadFile(filepath.Join(g.dir, "gate.json"))
	if err != nil {
		g.t.Fatal(err)
	}
	var r gate.Result
	if err := json.Unmarshal(b, &r); err != nil {
		g.t.Fatal(err)
	}
	return r
}

// status checks the one status posted: on sha, context lanegate/cutover,
// the given state, a description of at most 140 characters.
func (g *gtEnv) status(sha, state string) testkit.Status {
	g.t.Helper()
	sts := g.f.Statuses()
	if len(sts) != 1 {
		g.t.Fatalf("want one status, got %+v", sts)
	}
	s := sts[0]
	if s.SHA != sha || s.State != state || s.Context != "lanegate/cutover" {
		g.t.Errorf("status %+v, want %s on %s", s, state, sha)
	}
	if n := utf8.RuneCountInString(s.Description); n == 0 || n > 140 {
		g.t.Errorf("description has %d characters: %q", n, s.Description)
	}
	if s.TargetURL != "https://github.example/o/r/actions/runs/900" {
		g.t.Errorf("target URL %q", s.TargetURL)
	}
	g.neverReadsStatuses()
	return s
}

// neverReadsStatuses: the gate decides without looking at any status.
func (g *gtEnv) neverReadsStatuses() {
	g.t.Helper()
	for _, c := range g.f.Calls() {
		if c.Method == "GET" && strings.Contains(c.Path, "status") {
			g.t.Errorf("the gate read %s", c)
		}
	}
}

// gtStage sets route's stage in a lanes file.
func gtStage(t *testing.T, yaml, route, stage string) string {
	t.Helper()
	i := strings.Index(yaml, "  - route: "+route+"\n")
	if i < 0 {
		t.Fatalf("no lane %s", route)
	}
	j := strings.Index(yaml[i:], "    stage: ")
	k := strings.IndexByte(yaml[i+j:], '\n')
	return yaml[:i+j] + "    stage: " + stage + yaml[i+j+k:]
}

// gtRemove deletes route's block from a lanes file.
func gtRemove(t *testing.T, yaml, route string) string {
	t.Helper()
	i := strings.Index(yaml, "  - route: "+route+"\n")
	if i < 0 {
		t.Fatalf("no lane %s", route)
	}
	end := strings.Index(yaml[i:], "\n\n")
	if end < 0 {
		return yaml[:i]
	}
	return yaml[:i] + yaml[i+end+2:]
}

func gtLane(t *testing.T, r gate.Result, lane string) gate.LaneVerdict {
	t.Helper()
	for _, l := range r.Lanes {
		if l.Lane == lane {
			return l
		}
	}
	t.Fatalf("lane %s not in scope: %+v", lane, r.Lanes)
	return gate.LaneVerdict{}
}

func gtHasReason(t *testing.T, l gate.LaneVerdict, want string) {
	t.Helper()
	for _, r := range l.Reasons {
		if strings.Contains(r, want) {
			return
		}
	}
	t.Errorf("%s: no reason containing %q in %q", l.Lane, want, l.Reasons)
}

func TestGatePassPostsStatusOnPRHead(t *testing.T) {
	t.Parallel()
	g := newGT(t)
	base := testkit.RepoFile(t, "lanes.yaml")
	g.lanes(base, gtStage(t, base, "discord-blue/prod", "provider-target"))
	g.freshEvidence("discord-blue/prod")

	r, o := g.decide(0, nil)
	if r.Verdict != gate.Pass || len(r.Lanes) != 1 || len(r.Problems) != 0 {
		t.Fatalf("result %+v\n%s", r, o)
	}
	l := gtLane(t, r, "discord-blue/prod")
	if l.FromStage != "dokploy" || l.ToStage != "provider-target" || !slices.Equal(l.Why, []string{"stage dokploy → provider-target"}) {
		t.Errorf("lane %+v", l)
	}
	s := g.status(gtHead, "success")
	if s.Description != "1 lane(s) ready to cut over" {
		t.Errorf("description %q", s.Description)
	}
	for _, st := range g.f.Statuses() {
		if st.SHA == gtMerge {
			t.Error("status posted on GITHUB_SHA, the test merge commit")
		}
	}
	cs := g.f.IssueComments(testkit.Repo, 5)
	if len(cs) != 1 || cs[0].Author != testkit.ActionsBot || !strings.HasPrefix(cs[0].Body, "<!-- lanegate:sticky:gate -->\n## ✅ lanegate cutover gate: pass\n") ||
		!strings.Contains(cs[0].Body, "| ✅ | `discord-blue/prod` | dokploy → provider-target | stage dokploy → provider-target | — |") ||
		!strings.Contains(cs[0].Body, "head `"+gtHead[:12]+"`") {
		t.Errorf("sticky comment: %+v", cs)
	}
	// The lanes file is read at the PR's base and head SHAs.
	var refs []string
	for _, c := range g.f.Calls() {
		if c.Path == "/repos/o/r/contents/lanes.yaml" {
			refs = append(refs, c.Query)
		}
	}
	if !slices.Equal(refs, []string{"ref=" + gtBase, "ref=" + gtHead}) {
		t.Errorf("lanes.yaml reads %q", refs)
	}
	if !strings.Contains(o.Stderr, "lanegate: gate pass: 1 lane(s) ready to cut over") || !strings.HasPrefix(o.Stdout, "PASS: 1 lane(s) ready to cut over\n") {
		t.Errorf("output:\n%s", o)
	}

	// A second run edits the same sticky comment rather than adding one.
	g.f.ResetCalls()
	g.decide(0, map[string]string{"GITHUB_RUN_ID": "901"})
	if cs2 := g.f.IssueComments(testkit.Repo, 5); len(cs2) != 1 || cs2[0].ID != cs[0].ID || !strings.Contains(cs2[0].Body, "runs/901") {
		t.Errorf("second run: %+v", cs2)
	}
	g.neverReadsStatuses()
}

func TestGateNoLanesInScope(t *testing.T) {
	t.Parallel()
	g := newGT(t)
	base := testkit.RepoFile(t, "lanes.yaml")
	g.lanes(base, base)
	g.files("README.md", "docs/x.md")
	r, _ := g.decide(0, nil)
	if r.Verdict != gate.Pass || len(r.Lanes) != 0 {
		t.Fatalf("result %+v", r)
	}
	if s := g.status(gtHead, "success"); !strings.HasPrefix(s.Description, "no lanes in scope") {
		t.Errorf("description %q", s.Description)
	}
}

func TestGateEvidenceProblemsBlock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		record func(g *gtEnv)
		reason string
	}{
		{"missing", func(g *gtEnv) { g.evidence("discord-blue/prod", "health", "pass", time.Minute) },
			"deploy evidence: no deploy evidence recorded"},
		{"failing", func(g *gtEnv) {
			g.evidence("discord-blue/prod", "deploy", "pass", time.Hour)
			g.evidence("discord-blue/prod", "health", "fail", 5*time.Minute)
		}, "health evidence: latest health evidence failed"},
		{"stale", func(g *gtEnv) {
			g.evidence("discord-blue/prod", "deploy", "pass", time.Hour)
			g.evidence("discord-blue/prod", "health", "pass", 30*time.Hour)
		}, "health evidence: latest health evidence is 1d6h old, max age 1d"},
		{"a failure is not hidden by an older pass", func(g *gtEnv) {
			g.evidence("discord-blue/prod", "deploy", "pass", 3*time.Hour)
			g.evidence("discord-blue/prod", "deploy", "fail", time.Hour)
			g.evidence("discord-blue/prod", "health", "pass", time.Minute)
		}, "deploy evidence: latest deploy evidence failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newGT(t)
			base := testkit.RepoFile(t, "lanes.yaml")
			g.lanes(base, gtStage(t, base, "discord-blue/prod", "provider-target"))
			tc.record(g)
			r, o := g.decide(1, nil)
			if r.Verdict != gate.Blocked {
				t.Fatalf("verdict %s\n%s", r.Verdict, o)
			}
			gtHasReason(t, gtLane(t, r, "discord-blue/prod"), tc.reason)
			if s := g.status(gtHead, "failure"); s.Description != "blocked: 1 of 1 lane(s) not ready" {
				t.Errorf("description %q", s.Description)
			}
			if cs := g.f.IssueComments(testkit.Repo, 5); len(cs) != 1 || !strings.Contains(cs[0].Body, "## ❌ lanegate cutover gate: blocked") {
				t.Errorf("comment %+v", cs)
			}
		})
	}
}

func TestGateStageRules(t *testing.T) {
	t.Parallel()
	t.Run("prerequisite not cut over", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		g.lanes(base, gtStage(t, base, "sellyouroutboard/prod", "provider-target"))
		g.freshEvidence("sellyouroutboard/prod")
		r, _ := g.decide(1, nil)
		l := gtLane(t, r, "sellyouroutboard/prod")
		gtHasReason(t, l, "required lane sellyouroutboard/testing must already be at provider-target on the base branch (it is dokploy)")
		gtHasReason(t, l, "earlier-wave lanes must already be at provider-target on the base branch: discord-blue/prod (wave 1, dokploy)")
		gtHasReason(t, l, "sellyouroutboard/prod: the provider-target row is missing")
		g.status(gtHead, "failure")
	})
	t.Run("prerequisites already cut over", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		for _, l := range []string{"discord-blue/prod", "sellyouroutboard/testing", "verireel/testing"} {
			base = gtStage(t, base, l, "provider-target")
			g.freshEvidence(l)
		}
		g.lanes(base, gtStage(t, base, "opw/testing", "provider-target"))
		g.freshEvidence("opw/testing")
		r, o := g.decide(0, nil)
		if r.Verdict != gate.Pass || len(r.Lanes) != 1 {
			t.Fatalf("result %+v\n%s", r, o)
		}
		g.status(gtHead, "success")
	})
	t.Run("skipping a stage", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		g.lanes(base, gtStage(t, base, "discord-blue/prod", "retired"))
		g.freshEvidence("discord-blue/prod")
		r, _ := g.decide(1, nil)
		gtHasReason(t, gtLane(t, r, "discord-blue/prod"), "a lane cannot skip a stage: dokploy → retired skips provider-target")
		g.status(gtHead, "failure")
	})
	t.Run("removing a lane at provider-target", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := gtStage(t, testkit.RepoFile(t, "lanes.yaml"), "discord-blue/prod", "provider-target")
		head := gtRemove(t, base, "discord-blue/prod")
		if strings.Contains(head, "discord-blue") {
			t.Fatal("lane not removed")
		}
		g.lanes(base, head)
		r, _ := g.decide(1, nil)
		l := gtLane(t, r, "discord-blue/prod")
		if l.ToStage != "(removed)" || !slices.Equal(l.Why, []string{"removed from lanes.yaml"}) {
			t.Errorf("lane %+v", l)
		}
		gtHasReason(t, l, "a lane at stage provider-target cannot be removed from lanes.yaml")
		g.status(gtHead, "failure")
	})
}

func TestGateLabelsAndTrailer(t *testing.T) {
	t.Parallel()
	t.Run("label alone", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		g.lanes(base, base)
		g.files()
		g.pr(5, gtHead, "o/r", []string{"bug", "cutover:discord-blue/prod"}, "")
		g.freshEvidence("discord-blue/prod")
		r, o := g.decide(0, nil)
		l := gtLane(t, r, "discord-blue/prod")
		if len(r.Lanes) != 1 || l.ToStage != "provider-target" || !slices.Equal(l.Why, []string{"declared by label or Cutover-Lanes trailer"}) {
			t.Errorf("result %+v\n%s", r, o)
		}
		g.status(gtHead, "success")
	})
	t.Run("label, trailer and an unknown lane", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		g.lanes(base, base)
		g.pr(5, gtHead, "o/r", []string{"cutover:discord-blue/prod"}, "Moves the testing lanes.\n\nCutover-Lanes: verireel/testing, nope/prod\n")
		g.files("products/cm/app.py")
		g.freshEvidence("discord-blue/prod")
		r, _ := g.decide(1, nil)
		// cm lanes come from their paths, verireel/testing from the trailer.
		var keys []string
		for _, l := range r.Lanes {
			keys = append(keys, l.Lane)
		}
		if want := []string{"cm/prod", "cm/testing", "discord-blue/prod", "verireel/testing"}; !slices.Equal(keys, want) {
			t.Fatalf("lanes in scope %q, want %q", keys, want)
		}
		if l := gtLane(t, r, "verireel/testing"); !slices.Equal(l.Why, []string{"declared by label or Cutover-Lanes trailer"}) {
			t.Errorf("verireel/testing %+v", l)
		}
		if l := gtLane(t, r, "cm/testing"); !slices.Equal(l.Why, []string{"changed files match its paths"}) {
			t.Errorf("cm/testing %+v", l)
		}
		if gtLane(t, r, "discord-blue/prod").Verdict != gate.Pass || gtLane(t, r, "verireel/testing").Verdict != gate.Blocked {
			t.Errorf("verdicts %+v", r.Lanes)
		}
		want := `the pull request declares lane "nope/prod", which lanes.yaml does not have`
		if !slices.Contains(r.Problems, want) {
			t.Errorf("problems %q", r.Problems)
		}
		if s := g.status(gtHead, "failure"); s.Description != "blocked: "+want {
			t.Errorf("description %q", s.Description)
		}
	})
}

func TestGateFileListingCap(t *testing.T) {
	t.Parallel()
	g := newGT(t)
	base := testkit.RepoFile(t, "lanes.yaml")
	g.lanes(base, base)
	files := make([]string, 3500)
	for i := range files {
		files[i] = fmt.Sprintf("generated/file-%04d.txt", i)
	}
	g.files(files...)
	r, _ := g.decide(1, nil)
	if len(r.Lanes) != 9 {
		t.Fatalf("%d lanes in scope, want all 9", len(r.Lanes))
	}
	for _, l := range r.Lanes {
		if !slices.Contains(l.Why, "the changed-file list hit GitHub's listing cap, so every lane is in scope") {
			t.Errorf("%s: why %q", l.Lane, l.Why)
		}
	}
	// One compare of the decided base and head; never the PR's file list.
	var lists []string
	for _, c := range g.f.Calls() {
		if strings.Contains(c.Path, "/compare/") || strings.HasSuffix(c.Path, "/files") {
			lists = append(lists, c.Path)
		}
	}
	if !slices.Equal(lists, []string{"/repos/o/r/compare/" + gtBase + "..." + gtHead}) {
		t.Errorf("file listings %q", lists)
	}
	g.status(gtHead, "failure")
}

func TestGateForkPullRequest(t *testing.T) {
	t.Parallel()
	g := newGT(t)
	base := testkit.RepoFile(t, "lanes.yaml")
	g.lanes(base, gtStage(t, base, "discord-blue/prod", "provider-target"))
	g.pr(5, gtHead, "forker/r", nil, "")
	g.freshEvidence("discord-blue/prod")

	// The unprivileged pull_request run cannot decide a fork's PR.
	r, o := g.decide(1, nil)
	if len(r.Problems) == 0 || !strings.HasPrefix(r.Problems[0], "the pull request comes from a fork: this run has no trusted credentials") {
		t.Fatalf("problems %q\n%s", r.Problems, o)
	}
	// Its token is read-only: it posts nothing and leaves the status to the
	// privileged workflow_run half.
	if w := g.f.Writes(); len(w) != 0 {
		t.Errorf("the fork's unprivileged run wrote: %q", w)
	}

	// Its --scope-only half writes the scope file and posts nothing.
	g.f.ResetCalls()
	o = g.run(nil, "--scope-only", "--out", "scope.json")
	testkit.Want(t, o, 0)
	if w := g.f.Writes(); len(w) != 0 {
		t.Errorf("--scope-only wrote: %q", w)
	}
	var scope struct {
		Schema  string   `json:"schema"`
		PR      int      `json:"pr"`
		HeadSHA string   `json:"head_sha"`
		Lanes   []string `json:"lanes"`
	}
	b, err := os.ReadFile(filepath.Join(g.dir, "scope.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &scope); err != nil || scope.PR != 5 || scope.HeadSHA != gtHead || !slices.Equal(scope.Lanes, []string{"discord-blue/prod"}) {
		t.Fatalf("scope file %s (%v)", b, err)
	}
	// Only the PR number is trusted: tamper with the rest.
	b = []byte(`{"schema":"lanegate.gate-scope/v1","pr":5,"head_sha":"` + strings.Repeat("0", 40) + `","lanes":[]}`)
	if err := os.WriteFile(filepath.Join(g.dir, "scope.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}

	// The privileged workflow_run half decides the same PR normally.
	g.f.ResetCalls()
	g.f.ClearStatuses()
	wr := g.event("workflow_run", map[string]any{"action": "completed", "workflow_run": map[string]any{"id": 1, "event": "pull_request", "head_sha": gtHead}})
	r, o = g.decide(0, wr, "--scope-from", "scope.json")
	if r.Verdict != gate.Pass || len(r.Lanes) != 1 || r.Lanes[0].Lane != "discord-blue/prod" {
		t.Fatalf("workflow_run result %+v\n%s", r, o)
	}
	g.status(gtHead, "success")
	if cs := g.f.IssueComments(testkit.Repo, 5); len(cs) != 1 || !strings.Contains(cs[0].Body, "lanegate cutover gate: pass") {
		t.Errorf("comment %+v", cs)
	}
}

// TestGateMergeGroup: a merge group is decided at the group's own base and
// head commits, so it sees every pull request in the group, not only the
// last one's lanes.yaml.
func TestGateMergeGroup(t *testing.T) {
	t.Parallel()
	queueSHA := strings.Repeat("d4", 20)
	groupBase := strings.Repeat("e5", 20) // main moved on since PR 7 was opened
	setup := func(t *testing.T, groupHead string) (*gtEnv, map[string]string) {
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		g.pr(7, gtHead, "o/r", nil, "")
		// PR 7 on its own advances discord-blue/prod only, and honestly.
		g.f.SetContent(testkit.Repo, gtBase, "lanes.yaml", base)
		g.f.SetContent(testkit.Repo, gtHead, "lanes.yaml", gtStage(t, base, "discord-blue/prod", "provider-target"))
		g.f.SetCompare(testkit.Repo, gtBase, gtHead, []string{"lanes.yaml"})
		g.f.SetContent(testkit.Repo, groupBase, "lanes.yaml", base)
		g.f.SetContent(testkit.Repo, queueSHA, "lanes.yaml", groupHead)
		g.f.SetCompare(testkit.Repo, groupBase, queueSHA, []string{"lanes.yaml"})
		g.freshEvidence("discord-blue/prod")
		mg := g.event("merge_group", map[string]any{"action": "checks_requested", "merge_group": map[string]any{
			"head_sha": queueSHA, "head_ref": "refs/heads/gh-readonly-queue/main/pr-7-" + groupBase, "base_sha": groupBase, "base_ref": "refs/heads/main"}})
		mg["GITHUB_SHA"] = queueSHA
		return g, mg
	}
	t.Run("the group advances only what PR 7 does", func(t *testing.T) {
		t.Parallel()
		base := testkit.RepoFile(t, "lanes.yaml")
		g, mg := setup(t, gtStage(t, base, "discord-blue/prod", "provider-target"))
		r, o := g.decide(0, mg)
		if r.Verdict != gate.Pass || len(r.Lanes) != 1 {
			t.Fatalf("result %+v\n%s", r, o)
		}
		g.status(queueSHA, "success")
		var reads []string
		for _, c := range g.f.Calls() {
			if c.Path == "/repos/o/r/contents/lanes.yaml" {
				reads = append(reads, c.Query)
			} else if strings.Contains(c.Path, "/compare/") {
				reads = append(reads, c.Path)
			}
		}
		if want := []string{"/repos/o/r/compare/" + groupBase + "..." + queueSHA, "ref=" + groupBase, "ref=" + queueSHA}; !slices.Equal(reads, want) {
			t.Errorf("reads %q, want %q", reads, want)
		}
		if !slices.Contains(g.f.Endpoints(), "GET /repos/o/r/pulls/7") {
			t.Errorf("PR 7 not read: %q", g.f.Endpoints())
		}
		if cs := g.f.IssueComments(testkit.Repo, 7); len(cs) != 1 {
			t.Errorf("comments on PR 7: %+v", cs)
		}
	})
	t.Run("an earlier pull request in the group advances another lane", func(t *testing.T) {
		t.Parallel()
		base := testkit.RepoFile(t, "lanes.yaml")
		head := gtStage(t, gtStage(t, base, "discord-blue/prod", "provider-target"), "sellyouroutboard/prod", "provider-target")
		g, mg := setup(t, head)
		r, o := g.decide(1, mg)
		if r.Verdict != gate.Blocked || len(r.Lanes) != 2 {
			t.Fatalf("result %+v\n%s", r, o)
		}
		gtHasReason(t, gtLane(t, r, "sellyouroutboard/prod"), "required lane sellyouroutboard/testing must already be at provider-target on the base branch (it is dokploy)")
		g.status(queueSHA, "failure")
	})
	t.Run("the group's changed files come from its own commits", func(t *testing.T) {
		t.Parallel()
		base := testkit.RepoFile(t, "lanes.yaml")
		g, mg := setup(t, gtStage(t, base, "discord-blue/prod", "provider-target"))
		g.f.SetCompare(testkit.Repo, groupBase, queueSHA, []string{"lanes.yaml", "products/cm/app.py"})
		r, _ := g.decide(1, mg)
		if l := gtLane(t, r, "cm/testing"); !slices.Equal(l.Why, []string{"changed files match its paths"}) {
			t.Errorf("cm/testing %+v", l)
		}
		g.status(queueSHA, "failure")
	})
	t.Run("a merge group without its SHAs", func(t *testing.T) {
		t.Parallel()
		g, _ := setup(t, testkit.RepoFile(t, "lanes.yaml"))
		mg := g.event("merge_group", map[string]any{"action": "checks_requested", "merge_group": map[string]any{
			"head_ref": "refs/heads/gh-readonly-queue/main/pr-7-" + groupBase}})
		r, _ := g.decide(1, mg)
		if len(r.Problems) == 0 || !strings.HasPrefix(r.Problems[0], "the merge_group event has no valid base_sha and head_sha") {
			t.Errorf("problems %q", r.Problems)
		}
		if sts := g.f.Statuses(); len(sts) != 0 {
			t.Errorf("statuses %+v", sts)
		}
	})
}

// weakHead is the finding-1 head: it advances opw/prod and also moves it to
// wave 1, drops its requires and deletes defaults.evidence.
func weakHead(t *testing.T, base string) string {
	t.Helper()
	head := gtStage(t, base, "opw/prod", "provider-target")
	i := strings.Index(head, "  - route: opw/prod\n")
	lane := head[i:]
	lane = strings.Replace(lane, "    wave: 3\n", "    wave: 1\n", 1)
	lane = strings.Replace(lane, "    requires: [opw/testing]\n", "", 1)
	head = head[:i] + lane
	defaults := "defaults:\n  evidence:\n    deploy: {max_age: 7d}\n    health: {max_age: 24h}\n"
	if !strings.Contains(head, defaults) {
		t.Fatal("lanes.yaml has no defaults block")
	}
	return strings.Replace(head, defaults, "", 1)
}

// TestGateRulesComeFromBase: finding 1. A head that advances opw/prod and
// loosens its rules is blocked for the rule change, offline, online and in
// the fork-safe workflow_run half; before, it passed.
func TestGateRulesComeFromBase(t *testing.T) {
	t.Parallel()
	t.Run("offline with the example state", func(t *testing.T) {
		t.Parallel()
		dir := testkit.ExampleWorkDir(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		if err := os.WriteFile(filepath.Join(dir, "head-weak.yaml"), []byte(weakHead(t, base)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "head-honest.yaml"), []byte(gtStage(t, base, "opw/prod", "provider-target")), 0o644); err != nil {
			t.Fatal(err)
		}
		run := func(head string) gate.Result {
			o := lanegate.In(dir, nil, "gate", "--offline", "--base-lanes", "lanes.yaml", "--head-lanes", head, "--state-dir", "state", "--out", "gate.json")
			testkit.Want(t, o, 1)
			b, err := os.ReadFile(filepath.Join(dir, "gate.json"))
			if err != nil {
				t.Fatal(err)
			}
			var r gate.Result
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		weak := gtLane(t, run("head-weak.yaml"), "opw/prod")
		gtHasReason(t, weak, gate.RuleChangeReason+": opw/prod changes wave 3 → 1; requires [opw/testing] → []")
		gtHasReason(t, weak, gate.RuleChangeReason+": lanes.yaml changes defaults.evidence")
		// Judged by the base rules as well: the same reasons as the honest
		// change, plus the rule changes.
		honest := gtLane(t, run("head-honest.yaml"), "opw/prod")
		if len(honest.Reasons) == 0 {
			t.Fatal("the honest change passed")
		}
		for _, r := range honest.Reasons {
			gtHasReason(t, weak, r)
		}
	})
	t.Run("online", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		g.lanes(base, weakHead(t, base))
		r, _ := g.decide(1, nil)
		gtHasReason(t, gtLane(t, r, "opw/prod"), gate.RuleChangeReason+": opw/prod changes wave 3 → 1")
		g.status(gtHead, "failure")
	})
	t.Run("fork, decided by workflow_run with --scope-from", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		// discord-blue/prod is ready by every rule; the fork also drops its
		// evidence requirements, which must not ride along.
		head := gtStage(t, base, "discord-blue/prod", "provider-target")
		head = strings.Replace(head, "    paths: [\"products/discord-blue/**\"]\n", "    paths: [\"products/discord-blue/**\"]\n    evidence: {}\n", 1)
		g.lanes(base, head)
		g.pr(5, gtHead, "forker/r", nil, "")
		g.freshEvidence("discord-blue/prod")
		scope := `{"schema":"lanegate.gate-scope/v1","pr":5,"head_sha":"` + gtHead + `","lanes":[]}`
		if err := os.WriteFile(filepath.Join(g.dir, "scope.json"), []byte(scope), 0o644); err != nil {
			t.Fatal(err)
		}
		wr := g.event("workflow_run", map[string]any{"action": "completed", "workflow_run": map[string]any{"id": 1, "event": "pull_request", "head_sha": gtHead}})
		r, o := g.decide(1, wr, "--scope-from", "scope.json")
		l := gtLane(t, r, "discord-blue/prod")
		if len(l.Reasons) != 1 || !strings.HasPrefix(l.Reasons[0], gate.RuleChangeReason+": discord-blue/prod changes evidence") {
			t.Errorf("reasons %q\n%s", l.Reasons, o)
		}
		g.status(gtHead, "failure")
	})
	t.Run("deleting the cm lanes' paths while changing cm code", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		head := strings.ReplaceAll(base, "    paths: [\"products/cm/**\"]\n", "")
		if strings.Contains(head, "products/cm/") {
			t.Fatal("paths not removed")
		}
		g.lanes(base, head)
		g.files("products/cm/app.py")
		r, o := g.decide(1, nil)
		if len(r.Lanes) != 2 {
			t.Fatalf("lanes in scope %+v\n%s", r.Lanes, o)
		}
		for _, k := range []string{"cm/testing", "cm/prod"} {
			l := gtLane(t, r, k)
			if !slices.Equal(l.Why, []string{"changed files match its paths"}) {
				t.Errorf("%s why %q", k, l.Why)
			}
			gtHasReason(t, l, gate.RuleChangeReason+": "+k+" changes paths [products/cm/**] → []")
		}
		g.status(gtHead, "failure")
	})
	t.Run("no lanes.yaml on the base branch", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		g.f.SetContent(testkit.Repo, gtHead, "lanes.yaml", gtStage(t, base, "discord-blue/prod", "provider-target"))
		g.freshEvidence("discord-blue/prod")
		r, _ := g.decide(1, nil)
		gtHasReason(t, gtLane(t, r, "discord-blue/prod"), "discord-blue/prod has no trusted rules: the base branch has no lanes.yaml")
		g.status(gtHead, "failure")

		// Introducing lanes.yaml with every lane at dokploy is fine.
		g.f.ClearStatuses()
		g.f.SetContent(testkit.Repo, gtHead, "lanes.yaml", base)
		g.files("lanes.yaml", "products/cm/app.py")
		r, _ = g.decide(0, nil)
		if r.Verdict != gate.Pass || len(r.Lanes) != 0 {
			t.Errorf("result %+v", r)
		}
		g.status(gtHead, "success")
	})
}

// TestGateScopeFromIsStrict: finding 4. The workflow's jq reads "pr"; the
// gate must read the same number or refuse the file.
func TestGateScopeFromIsStrict(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, path string)
		want  string
	}{
		{"case-insensitive duplicate", func(t *testing.T, path string) {
			writeFile(t, path, `{"schema":"lanegate.gate-scope/v1","pr":5,"PR":7}`)
		}, `unknown key "PR"`},
		{"duplicate", func(t *testing.T, path string) {
			writeFile(t, path, `{"schema":"lanegate.gate-scope/v1","pr":5,"pr":7}`)
		}, `key "pr" twice`},
		{"unknown key", func(t *testing.T, path string) {
			writeFile(t, path, `{"schema":"lanegate.gate-scope/v1","pr":5,"extra":1}`)
		}, `unknown key "extra"`},
		{"too large", func(t *testing.T, path string) {
			writeFile(t, path, `{"schema":"lanegate.gate-scope/v1","pr":5,"lanes":["`+strings.Repeat("x", gate.MaxScopeFileSize)+`"]}`)
		}, "larger than the 1 MiB limit"},
		{"symlink", func(t *testing.T, path string) {
			target := path + ".real"
			writeFile(t, target, `{"schema":"lanegate.gate-scope/v1","pr":7}`)
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file: it is a symbolic link"},
		{"fifo", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Fatalf("mkfifo: %v", err)
			}
		}, "not a regular file: it is a named pipe (FIFO)"},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file: it is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newGT(t)
			base := testkit.RepoFile(t, "lanes.yaml")
			g.lanes(base, base)
			g.pr(7, gtHead, "o/r", nil, "")
			tc.write(t, filepath.Join(g.dir, "scope.json"))
			wr := g.event("workflow_run", map[string]any{"action": "completed", "workflow_run": map[string]any{"id": 1, "event": "pull_request", "head_sha": gtHead}})
			r, o := g.decide(1, wr, "--scope-from", "scope.json")
			if len(r.Problems) == 0 || !strings.HasPrefix(r.Problems[0], "--scope-from scope.json refused: ") || !strings.Contains(r.Problems[0], tc.want) {
				t.Errorf("problems %q, want one containing %q\n%s", r.Problems, tc.want, o)
			}
			for _, c := range g.f.Calls() {
				if strings.HasPrefix(c.Path, "/repos/o/r/pulls/") {
					t.Errorf("read %s after refusing the scope file", c)
				}
			}
			if sts := g.f.Statuses(); len(sts) != 0 {
				t.Errorf("statuses %+v", sts)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGateFilesPinnedToHeadSHA: finding 8. The changed files are the
// compare of the PR's base and head SHAs, the same head whose lanes.yaml
// is read and which gets the status, never the PR's live file list, which
// may already describe a newer push.
func TestGateFilesPinnedToHeadSHA(t *testing.T) {
	t.Parallel()
	g := newGT(t)
	base := testkit.RepoFile(t, "lanes.yaml")
	g.lanes(base, base)
	// The live list already shows a newer push touching cm; the head the
	// gate decides only changes docs.
	g.f.SetPullFiles(testkit.Repo, 5, []string{"products/cm/app.py"})
	g.files("docs/x.md")
	r, o := g.decide(0, nil)
	if r.Verdict != gate.Pass || len(r.Lanes) != 0 {
		t.Fatalf("result %+v\n%s", r, o)
	}
	g.status(gtHead, "success")
	for _, c := range g.f.Calls() {
		if strings.HasSuffix(c.Path, "/files") {
			t.Errorf("the gate listed files by PR number: %s", c)
		}
	}
	// And the other way round: the head touches cm, the live list does not.
	g.f.ClearStatuses()
	g.f.SetPullFiles(testkit.Repo, 5, []string{"docs/x.md"})
	g.files("products/cm/app.py")
	r, _ = g.decide(1, nil)
	if len(r.Lanes) != 2 {
		t.Errorf("lanes in scope %+v", r.Lanes)
	}
	g.status(gtHead, "failure")
}

func TestGateFailsClosed(t *testing.T) {
	t.Parallel()
	t.Run("no database credentials", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		g.lanes(base, gtStage(t, base, "discord-blue/prod", "provider-target"))
		o := g.run(nil, "--out", "gate.json")
		testkit.Want(t, o, 1)
		r := g.result()
		want := "no database credentials: set database-url (or state-dir); the gate cannot decide without auditing the lanes"
		if len(r.Problems) != 1 || r.Problems[0] != want || r.Verdict != gate.Blocked {
			t.Errorf("result %+v", r)
		}
		if s := g.status(gtHead, "failure"); s.Description != "blocked: "+want {
			t.Errorf("description %q", s.Description)
		}
		if !strings.Contains(o.Stdout, "problem: "+want) {
			t.Errorf("stdout:\n%s", o.Stdout)
		}
	})
	t.Run("no token", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		g.lanes(base, base)
		o := g.run(map[string]string{"GITHUB_TOKEN": ""}, "--state-dir", "state", "--out", "gate.json")
		testkit.Want(t, o, 1)
		r := g.result()
		if r.Verdict != gate.Blocked || len(r.Problems) == 0 || r.Problems[0] != "no GitHub token: set the github-token input or GITHUB_TOKEN" {
			t.Errorf("result %+v", r)
		}
		if !strings.Contains(o.Stderr, "lanegate: gate blocked: no GitHub token") {
			t.Errorf("stderr:\n%s", o.Stderr)
		}
		if calls := g.f.Calls(); len(calls) != 0 {
			t.Errorf("API calls without a token: %q", g.f.Endpoints())
		}
	})
	t.Run("unreadable head lanes.yaml", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		g.f.SetContent(testkit.Repo, gtBase, "lanes.yaml", testkit.RepoFile(t, "lanes.yaml"))
		g.f.SetContent(testkit.Repo, gtHead, "lanes.yaml", "schema_version: 1\nlanes: [oops\n")
		r, _ := g.decide(1, nil)
		if len(r.Problems) == 0 || !strings.HasPrefix(r.Problems[0], "head lanes.yaml is invalid") {
			t.Errorf("problems %q", r.Problems)
		}
		g.status(gtHead, "failure")
	})
	t.Run("status refused", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := testkit.RepoFile(t, "lanes.yaml")
		g.lanes(base, base)
		g.f.Fail("POST", "/repos/o/r/statuses/"+gtHead, -1, 403, "Resource not accessible by integration")
		o := g.run(nil, "--state-dir", "state")
		testkit.Want(t, o, 3)
		if !strings.Contains(o.Stderr, "statuses: write") || !strings.Contains(o.Stderr, "could not post the lanegate/cutover status") {
			t.Errorf("stderr:\n%s", o.Stderr)
		}
	})
}
