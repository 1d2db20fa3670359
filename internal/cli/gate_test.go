package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lanegate/lanegate/internal/gate"
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
	f   *fghServer
	dir string
	now time.Time
	seq int // evidence run ids
}

func newGT(t *testing.T) *gtEnv {
	t.Helper()
	g := &gtEnv{t: t, f: newFGH(t), dir: fghWorkDir(t), now: time.Now().UTC().Truncate(time.Second)}
	g.pr(5, gtHead, "o/r", nil, "")
	g.f.setFiles(5, []string{"lanes.yaml"})
	return g
}

// pr serves pull request n.
func (g *gtEnv) pr(n int, head, headRepo string, labels []string, body string) {
	ls := []map[string]any{}
	for _, l := range labels {
		ls = append(ls, map[string]any{"name": l})
	}
	g.f.setPull(n, map[string]any{
		"number": n, "state": "open", "title": "cutover", "body": body, "labels": ls, "draft": false,
		"head": map[string]any{"sha": head, "ref": "cutover", "repo": map[string]any{"full_name": headRepo}},
		"base": map[string]any{"sha": gtBase, "ref": "main", "repo": map[string]any{"full_name": "o/r"}},
	})
}

// lanes serves lanes.yaml at the base and head SHAs.
func (g *gtEnv) lanes(base, head string) {
	g.f.setContent(gtBase, "lanes.yaml", base)
	g.f.setContent(gtHead, "lanes.yaml", head)
}

// evidence records evidence for lane, observed ago before g.now.
func (g *gtEnv) evidence(lane, kind, status string, ago time.Duration) {
	g.t.Helper()
	o := fghRun(g.dir, nil, "evidence", "record", "--state-dir", "state", "--lanes", "lanes.yaml", "--lane", lane, "--kind", kind,
		"--status", status, "--run-id", fmt.Sprintf("%d", 7000+g.runs()), "--observed-at", g.now.Add(-ago).Format(time.RFC3339))
	fghWant(g.t, o, 0)
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
func (g *gtEnv) run(extra map[string]string, args ...string) fghOut {
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "900",
		"GITHUB_SHA": gtMerge}
	for k, v := range g.prEvent() {
		vars[k] = v
	}
	for k, v := range extra {
		vars[k] = v
	}
	return fghRun(g.dir, g.f.vars(vars), append([]string{"gate", "--now", g.now.Format(time.RFC3339)}, args...)...)
}

// decide runs the gate with the state dir and reads back its JSON report.
func (g *gtEnv) decide(code int, extra map[string]string, args ...string) (gate.Result, fghOut) {
	g.t.Helper()
	o := g.run(extra, append([]string{"--state-dir", "state", "--out", "gate.json"}, args...)...)
	fghWant(g.t, o, code)
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
func (g *gtEnv) status(sha, state string) fghStatus {
	g.t.Helper()
	sts := g.f.statusList()
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
	for _, c := range g.f.callList() {
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
	base := fghRepoLanes(t)
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
	for _, st := range g.f.statusList() {
		if st.SHA == gtMerge {
			t.Error("status posted on GITHUB_SHA, the test merge commit")
		}
	}
	cs := g.f.issueComments(5)
	if len(cs) != 1 || cs[0].Login != fghBot || !strings.HasPrefix(cs[0].Body, "<!-- lanegate:sticky:gate -->\n## ✅ lanegate cutover gate: pass\n") ||
		!strings.Contains(cs[0].Body, "| ✅ | `discord-blue/prod` | dokploy → provider-target | stage dokploy → provider-target | — |") ||
		!strings.Contains(cs[0].Body, "head `"+gtHead[:12]+"`") {
		t.Errorf("sticky comment: %+v", cs)
	}
	// The lanes file is read at the PR's base and head SHAs.
	var refs []string
	for _, c := range g.f.callList() {
		if c.Path == "/repos/o/r/contents/lanes.yaml" {
			refs = append(refs, c.Query)
		}
	}
	if !slices.Equal(refs, []string{"ref=" + gtBase, "ref=" + gtHead}) {
		t.Errorf("lanes.yaml reads %q", refs)
	}
	if !strings.Contains(o.stderr, "lanegate: gate pass: 1 lane(s) ready to cut over") || !strings.HasPrefix(o.stdout, "PASS: 1 lane(s) ready to cut over\n") {
		t.Errorf("output:\n%s", o)
	}

	// A second run edits the same sticky comment rather than adding one.
	g.f.resetCalls()
	g.decide(0, map[string]string{"GITHUB_RUN_ID": "901"})
	if cs2 := g.f.issueComments(5); len(cs2) != 1 || cs2[0].ID != cs[0].ID || !strings.Contains(cs2[0].Body, "runs/901") {
		t.Errorf("second run: %+v", cs2)
	}
	g.neverReadsStatuses()
}

func TestGateNoLanesInScope(t *testing.T) {
	t.Parallel()
	g := newGT(t)
	base := fghRepoLanes(t)
	g.lanes(base, base)
	g.f.setFiles(5, []string{"README.md", "docs/x.md"})
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
			base := fghRepoLanes(t)
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
			if cs := g.f.issueComments(5); len(cs) != 1 || !strings.Contains(cs[0].Body, "## ❌ lanegate cutover gate: blocked") {
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
		base := fghRepoLanes(t)
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
		base := fghRepoLanes(t)
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
		base := fghRepoLanes(t)
		g.lanes(base, gtStage(t, base, "discord-blue/prod", "retired"))
		g.freshEvidence("discord-blue/prod")
		r, _ := g.decide(1, nil)
		gtHasReason(t, gtLane(t, r, "discord-blue/prod"), "a lane cannot skip a stage: dokploy → retired skips provider-target")
		g.status(gtHead, "failure")
	})
	t.Run("removing a lane at provider-target", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := gtStage(t, fghRepoLanes(t), "discord-blue/prod", "provider-target")
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
		base := fghRepoLanes(t)
		g.lanes(base, base)
		g.f.setFiles(5, []string{})
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
		base := fghRepoLanes(t)
		g.lanes(base, base)
		g.pr(5, gtHead, "o/r", []string{"cutover:discord-blue/prod"}, "Moves the testing lanes.\n\nCutover-Lanes: verireel/testing, nope/prod\n")
		g.f.setFiles(5, []string{"products/cm/app.py"})
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
	base := fghRepoLanes(t)
	g.lanes(base, base)
	files := make([]string, 3500)
	for i := range files {
		files[i] = fmt.Sprintf("generated/file-%04d.txt", i)
	}
	g.f.setFiles(5, files)
	r, _ := g.decide(1, nil)
	if len(r.Lanes) != 9 {
		t.Fatalf("%d lanes in scope, want all 9", len(r.Lanes))
	}
	for _, l := range r.Lanes {
		if !slices.Contains(l.Why, "the pull request hit GitHub's 3,000-file listing cap, so every lane is in scope") {
			t.Errorf("%s: why %q", l.Lane, l.Why)
		}
	}
	pages := 0
	for _, c := range g.f.callList() {
		if c.Path == "/repos/o/r/pulls/5/files" {
			pages++
		}
	}
	if pages != 30 {
		t.Errorf("%d file-list pages, want 30", pages)
	}
	g.status(gtHead, "failure")
}

func TestGateForkPullRequest(t *testing.T) {
	t.Parallel()
	g := newGT(t)
	base := fghRepoLanes(t)
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
	if w := g.f.writes(); len(w) != 0 {
		t.Errorf("the fork's unprivileged run wrote: %q", w)
	}

	// Its --scope-only half writes the scope file and posts nothing.
	g.f.resetCalls()
	o = g.run(nil, "--scope-only", "--out", "scope.json")
	fghWant(t, o, 0)
	if w := g.f.writes(); len(w) != 0 {
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
	g.f.resetCalls()
	g.f.clearStatuses()
	wr := g.event("workflow_run", map[string]any{"action": "completed", "workflow_run": map[string]any{"id": 1, "event": "pull_request", "head_sha": gtHead}})
	r, o = g.decide(0, wr, "--scope-from", "scope.json")
	if r.Verdict != gate.Pass || len(r.Lanes) != 1 || r.Lanes[0].Lane != "discord-blue/prod" {
		t.Fatalf("workflow_run result %+v\n%s", r, o)
	}
	g.status(gtHead, "success")
	if cs := g.f.issueComments(5); len(cs) != 1 || !strings.Contains(cs[0].Body, "lanegate cutover gate: pass") {
		t.Errorf("comment %+v", cs)
	}
}

func TestGateMergeGroup(t *testing.T) {
	t.Parallel()
	g := newGT(t)
	base := fghRepoLanes(t)
	queueSHA := strings.Repeat("d4", 20)
	g.pr(7, gtHead, "o/r", nil, "")
	g.f.setFiles(7, []string{"lanes.yaml"})
	g.lanes(base, gtStage(t, base, "discord-blue/prod", "provider-target"))
	g.freshEvidence("discord-blue/prod")
	mg := g.event("merge_group", map[string]any{"action": "checks_requested", "merge_group": map[string]any{
		"head_sha": queueSHA, "head_ref": "refs/heads/gh-readonly-queue/main/pr-7-" + gtBase, "base_sha": gtBase, "base_ref": "refs/heads/main"}})
	mg["GITHUB_SHA"] = queueSHA
	r, o := g.decide(0, mg)
	if r.Verdict != gate.Pass {
		t.Fatalf("result %+v\n%s", r, o)
	}
	g.status(queueSHA, "success")
	if !slices.Contains(g.f.log(), "GET /repos/o/r/pulls/7") {
		t.Errorf("PR 7 not read: %q", g.f.log())
	}
	if cs := g.f.issueComments(7); len(cs) != 1 {
		t.Errorf("comments on PR 7: %+v", cs)
	}
}

func TestGateFailsClosed(t *testing.T) {
	t.Parallel()
	t.Run("no database credentials", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := fghRepoLanes(t)
		g.lanes(base, gtStage(t, base, "discord-blue/prod", "provider-target"))
		o := g.run(nil, "--out", "gate.json")
		fghWant(t, o, 1)
		r := g.result()
		want := "no database credentials: set database-url (or state-dir); the gate cannot decide without auditing the lanes"
		if len(r.Problems) != 1 || r.Problems[0] != want || r.Verdict != gate.Blocked {
			t.Errorf("result %+v", r)
		}
		if s := g.status(gtHead, "failure"); s.Description != "blocked: "+want {
			t.Errorf("description %q", s.Description)
		}
		if !strings.Contains(o.stdout, "problem: "+want) {
			t.Errorf("stdout:\n%s", o.stdout)
		}
	})
	t.Run("no token", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := fghRepoLanes(t)
		g.lanes(base, base)
		o := g.run(map[string]string{"GITHUB_TOKEN": ""}, "--state-dir", "state", "--out", "gate.json")
		fghWant(t, o, 1)
		r := g.result()
		if r.Verdict != gate.Blocked || len(r.Problems) == 0 || r.Problems[0] != "no GitHub token: set the github-token input or GITHUB_TOKEN" {
			t.Errorf("result %+v", r)
		}
		if !strings.Contains(o.stderr, "lanegate: gate blocked: blocked: no GitHub token") {
			t.Errorf("stderr:\n%s", o.stderr)
		}
		if calls := g.f.callList(); len(calls) != 0 {
			t.Errorf("API calls without a token: %q", g.f.log())
		}
	})
	t.Run("unreadable head lanes.yaml", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		g.f.setContent(gtBase, "lanes.yaml", fghRepoLanes(t))
		g.f.setContent(gtHead, "lanes.yaml", "schema_version: 1\nlanes: [oops\n")
		r, _ := g.decide(1, nil)
		if len(r.Problems) == 0 || !strings.HasPrefix(r.Problems[0], "head lanes.yaml is invalid") {
			t.Errorf("problems %q", r.Problems)
		}
		g.status(gtHead, "failure")
	})
	t.Run("status refused", func(t *testing.T) {
		t.Parallel()
		g := newGT(t)
		base := fghRepoLanes(t)
		g.lanes(base, base)
		g.f.fail(fghFailure{Method: "POST", Path: "/repos/o/r/statuses/" + gtHead, Status: 403, Message: "Resource not accessible by integration", Times: -1})
		o := g.run(nil, "--state-dir", "state")
		fghWant(t, o, 3)
		if !strings.Contains(o.stderr, "statuses: write") || !strings.Contains(o.stderr, "could not post the lanegate/cutover status") {
			t.Errorf("stderr:\n%s", o.stderr)
		}
	})
}
