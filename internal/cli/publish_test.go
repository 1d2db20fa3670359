package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/testkit"
)

const pubMarker = "<!-- lanegate:sticky:evidence -->"

// pubVars is the environment of one Actions run against the fake.
func pubVars(f *testkit.GitHub, runID string) map[string]string {
	return f.Env(map[string]string{
		"GITHUB_ACTIONS":    "true",
		"GITHUB_SERVER_URL": "https://github.example",
		"GITHUB_RUN_ID":     runID,
		"GITHUB_SHA":        strings.Repeat(runID[len(runID)-1:], 40),
	})
}

func pubRunURL(runID string) string { return "https://github.example/o/r/actions/runs/" + runID }

// pubAudit writes the audit report of dir's state to dir/name.
func pubAudit(t *testing.T, dir, name string) {
	t.Helper()
	o := lanegate.In(dir, nil, "audit", "--state-dir", "state", "--lanes", "lanes.yaml", "--out", name)
	if o.Code != 0 && o.Code != 1 {
		t.Fatalf("audit failed\n%s", o)
	}
	if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
		t.Fatalf("audit wrote no report: %v\n%s", err, o)
	}
}

// pubCompleteSYOProd writes the provider-target row sellyouroutboard/prod
// lacks in examples/state, which makes the lane complete.
func pubCompleteSYOProd(t *testing.T, dir string) {
	t.Helper()
	row := `{
  "context": "sellyouroutboard",
  "display_name": "syo-prod",
  "instance": "prod",
  "provider_evidence": {
    "project_name": "sellyouroutboard"
  },
  "provider_id": "dokploy",
  "provider_target_type": "application",
  "schema_version": 1,
  "source_label": "launchplane:dual-write",
  "target_category": "application",
  "target_id": "app-syo-prod",
  "updated_at": "2026-10-03T09:05:00Z"
}
`
	path := filepath.Join(dir, "state", "launchplane_provider_targets", "sellyouroutboard-prod-f505a22662cc.json")
	if err := os.WriteFile(path, []byte(row), 0o644); err != nil {
		t.Fatal(err)
	}
}

func pubRecord(t *testing.T, dir, lane, kind, status string, observed time.Time, runURL string) {
	t.Helper()
	o := lanegate.In(dir, nil, "evidence", "record", "--state-dir", "state", "--lanes", "lanes.yaml", "--lane", lane, "--kind", kind,
		"--status", status, "--run-url", runURL, "--observed-at", observed.UTC().Format(time.RFC3339))
	testkit.Want(t, o, 0)
}

func pubIssueLog(n int, lists ...string) []string {
	var out []string
	for _, l := range lists {
		switch l {
		case "user":
			out = append(out, "GET /user")
		case "list":
			out = append(out, fmt.Sprintf("GET /repos/o/r/issues/%d/comments", n))
		case "create":
			out = append(out, fmt.Sprintf("POST /repos/o/r/issues/%d/comments", n))
		default:
			out = append(out, l)
		}
	}
	return out
}

func pubSameLog(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: API calls\n got  %q\n want %q", what, got, want)
	}
}

// pubOurs returns our sticky comments on issue n.
func pubOurs(f *testkit.GitHub, n int) []testkit.Comment {
	var out []testkit.Comment
	for _, c := range f.IssueComments(testkit.Repo, n) {
		if c.Author == testkit.ActionsBot && strings.Contains(c.Body, pubMarker) {
			out = append(out, c)
		}
	}
	return out
}

var pubTimeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

func TestPublishStickyLifecycle(t *testing.T) {
	t.Parallel()
	f := testkit.NewGitHub(t, testkit.SingleRepo)
	dir := testkit.ExampleWorkDir(t)
	pubRecord(t, dir, "discord-blue/prod", "deploy", "pass", time.Now().Add(-time.Hour), "https://github.example/o/r/actions/runs/55")
	pubRecord(t, dir, "discord-blue/prod", "health", "pass", time.Now().Add(-2*time.Hour), "https://github.example/o/r/actions/runs/56")
	pubAudit(t, dir, "r.json")

	// 1. First publish: identity, previous state, upsert (list, create,
	// re-list for a racing duplicate).
	o := lanegate.In(dir, pubVars(f, "101"), "publish", "--issue", "1", "--state-dir", "state", "r.json")
	testkit.Want(t, o, 0)
	pubSameLog(t, "first publish", f.Endpoints(), pubIssueLog(1, "user", "list", "list", "create", "list"))
	ours := pubOurs(f, 1)
	if len(f.IssueComments(testkit.Repo, 1)) != 1 || len(ours) != 1 {
		t.Fatalf("want exactly one comment, have %+v", f.IssueComments(testkit.Repo, 1))
	}
	first := ours[0]
	if !strings.HasPrefix(first.Body, pubMarker+"\n") {
		t.Errorf("the marker is not the first line:\n%s", first.Body)
	}
	for _, want := range []string{
		"## lanegate migration evidence\n",
		"❌ **done 0/9** · ready 1 · waiting 0 · blocked 8 · audit warnings 1",
		"[run](" + pubRunURL("101") + ")",
		"head `111111111111`",
		"### Since last run\n\nFirst run: no previous state.\n",
		"| 🚀 | `discord-blue/prod`<br><sub>generic-web · dokploy</sub> | `complete` | deploy [✅ 1h](https://github.example/o/r/actions/runs/55)<br>health [✅ 2h](https://github.example/o/r/actions/runs/56) | open the cutover pull request (stage: provider-target in lanes.yaml) |",
		"| ❌ | `sellyouroutboard/prod`<br><sub>generic-web · dokploy</sub> | `missing_provider_target` | deploy ❌ missing<br>health ❌ missing | run the provider-target backfill: dry run, review, apply |",
		"target_id: physical `cmp-verireel-prod-2025` ≠ projected `cmp-verireel-prod`", // finding details, field by field
		"```mermaid\n",
		"  L_sellyouroutboard_testing --> L_sellyouroutboard_prod\n",
	} {
		if !strings.Contains(first.Body, want) {
			t.Errorf("first comment lacks %q\n%s", want, first.Body)
		}
	}
	st, ok := report.ReadCommentState(first.Body)
	if !ok {
		t.Fatalf("no state block:\n%s", first.Body)
	}
	if len(st.Lanes) != 9 || st.Lanes["sellyouroutboard/prod"] != "missing_provider_target" || st.RunURL != pubRunURL("101") ||
		!strings.HasPrefix(st.ReportDigest, "sha256:") || st.ConfigDigest == "" || st.ResultDigest == "" || st.HeadSHA != strings.Repeat("1", 40) {
		t.Errorf("state = %+v", st)
	}
	if !strings.Contains(o.Stderr, fmt.Sprintf(`sticky comment "evidence" on #1: created https://github.example/o/r/issues/1#issuecomment-%d`, first.ID)) {
		t.Errorf("stderr:\n%s", o.Stderr)
	}

	// 2. The same result from a later run (another run id and SHA, evidence
	// a little older): no write at all, the comment stays byte for byte.
	f.ResetCalls()
	o = lanegate.In(dir, pubVars(f, "102"), "publish", "--issue", "1", "--state-dir", "state", "r.json")
	testkit.Want(t, o, 0)
	pubSameLog(t, "unchanged re-run", f.Endpoints(), pubIssueLog(1, "user", "list", "list"))
	if got := pubOurs(f, 1); len(got) != 1 || got[0].Body != first.Body {
		t.Errorf("unchanged re-run changed the comment")
	}
	if !strings.Contains(o.Stderr, ": unchanged https://github.example/o/r/issues/1#issuecomment-") {
		t.Errorf("stderr:\n%s", o.Stderr)
	}

	// 3. Time does not enter into it: move the comment's time back by a
	// month (as if it had been written then) and re-run.
	old := pubTimeRE.ReplaceAllString(first.Body, "2026-01-01T00:00:00Z")
	if strings.Count(old, "2026-01-01T00:00:00Z") < 2 {
		t.Fatalf("expected the time in the header and in the state:\n%s", first.Body)
	}
	f.SetCommentBody(testkit.Repo, first.ID, old)
	f.ResetCalls()
	testkit.Want(t, lanegate.In(dir, pubVars(f, "103"), "publish", "--issue", "1", "--state-dir", "state", "r.json"), 0)
	if w := f.Writes(); len(w) != 0 {
		t.Errorf("an older time alone caused writes: %q", w)
	}

	// 4. A changed result: sellyouroutboard/prod gets its provider-target
	// row. The same comment is edited and says what changed, read back from
	// the previous comment's state.
	pubCompleteSYOProd(t, dir)
	pubAudit(t, dir, "r2.json")
	f.ResetCalls()
	o = lanegate.In(dir, pubVars(f, "104"), "publish", "--issue", "1", "--state-dir", "state", "r2.json")
	testkit.Want(t, o, 0)
	pubSameLog(t, "changed result", f.Endpoints(), pubIssueLog(1, "user", "list", "list", fmt.Sprintf("PATCH /repos/o/r/issues/comments/%d", first.ID)))
	ours = pubOurs(f, 1)
	if len(f.IssueComments(testkit.Repo, 1)) != 1 || len(ours) != 1 || ours[0].ID != first.ID {
		t.Fatalf("want the same single comment, have %+v", f.IssueComments(testkit.Repo, 1))
	}
	for _, want := range []string{
		"❌ **done 0/9** · ready 1 · waiting 0 · blocked 8 · audit warnings 1",
		"### Since last run\n\n- ✅ newly complete: `sellyouroutboard/prod`\n\n",
		"[run](" + pubRunURL("104") + ")",
	} {
		if !strings.Contains(ours[0].Body, want) {
			t.Errorf("edited comment lacks %q\n%s", want, ours[0].Body)
		}
	}
	if st, ok := report.ReadCommentState(ours[0].Body); !ok || st.Lanes["sellyouroutboard/prod"] != "complete" || st.RunURL != pubRunURL("104") {
		t.Errorf("state after the edit: %+v", st)
	}
	if !strings.Contains(o.Stderr, fmt.Sprintf(": updated https://github.example/o/r/issues/1#issuecomment-%d", first.ID)) {
		t.Errorf("stderr:\n%s", o.Stderr)
	}
}

func TestPublishFindsItsCommentOnThirdPageAndIgnoresOthers(t *testing.T) {
	t.Parallel()
	f := testkit.NewGitHub(t, testkit.SingleRepo)
	dir := testkit.ExampleWorkDir(t)
	pubAudit(t, dir, "r.json")

	// Someone else's comment carries our marker and a state block in which
	// three complete lanes were missing their rows; then 249 ordinary comments.
	impostor := pubMarker + "\nnot ours\n" + `<!-- lanegate:state {"schema":"lanegate.evidence-comment/v1","lanes":{"cm/testing":"missing_provider_target","discord-blue/prod":"missing_provider_target","opw/testing":"missing_provider_target"}} -->` + "\n"
	impostorID := f.AddComment(testkit.Repo, 1, "mallory", impostor)
	for i := range 249 {
		f.AddComment(testkit.Repo, 1, "octocat", fmt.Sprintf("comment %d", i))
	}
	f.AddComment(testkit.Repo, 2, testkit.ActionsBot, pubMarker+"\non another issue\n")

	o := lanegate.In(dir, pubVars(f, "201"), "publish", "--issue", "1", "--state-dir", "state", "r.json")
	testkit.Want(t, o, 0)
	three := []string{"list", "list", "list"}
	pubSameLog(t, "first publish over 3 pages", f.Endpoints(),
		pubIssueLog(1, slices.Concat([]string{"user"}, three, three, []string{"create"}, three)...))
	var pages []string
	for _, c := range f.Calls() {
		if c.Method == "GET" && strings.HasSuffix(c.Path, "/comments") {
			pages = append(pages, c.Query)
		}
	}
	if want := []string{"per_page=100", "page=2&per_page=100", "page=3&per_page=100"}; len(pages) < 3 || !slices.Equal(pages[:3], want) {
		t.Errorf("list queries %q, want %q first", pages, want)
	}
	ours := pubOurs(f, 1)
	if len(ours) != 1 || len(f.IssueComments(testkit.Repo, 1)) != 251 {
		t.Fatalf("want one new comment of ours next to 250 others, have %d of ours, %d in all", len(ours), len(f.IssueComments(testkit.Repo, 1)))
	}
	if !strings.Contains(ours[0].Body, "First run: no previous state.") {
		t.Errorf("another author's state was read:\n%s", ours[0].Body)
	}
	for _, c := range f.IssueComments(testkit.Repo, 1) {
		if c.ID == impostorID && c.Body != impostor {
			t.Error("another author's comment was changed")
		}
	}

	// Unchanged: found on page 3, nothing written.
	f.ResetCalls()
	testkit.Want(t, lanegate.In(dir, pubVars(f, "202"), "publish", "--issue", "1", "--state-dir", "state", "r.json"), 0)
	pubSameLog(t, "unchanged over 3 pages", f.Endpoints(), pubIssueLog(1, slices.Concat([]string{"user"}, three, three)...))

	// Changed: the page-3 comment is edited, its state read back.
	pubCompleteSYOProd(t, dir)
	pubAudit(t, dir, "r2.json")
	f.ResetCalls()
	testkit.Want(t, lanegate.In(dir, pubVars(f, "203"), "publish", "--issue", "1", "--state-dir", "state", "r2.json"), 0)
	if w := f.Writes(); !slices.Equal(w, []string{fmt.Sprintf("PATCH /repos/o/r/issues/comments/%d", ours[0].ID)}) {
		t.Errorf("writes %q", w)
	}
	if got := pubOurs(f, 1); len(got) != 1 || !strings.Contains(got[0].Body, "- ✅ newly complete: `sellyouroutboard/prod`\n") {
		t.Errorf("edited comment:\n%+v", got)
	}
}

func TestPublishSummaryAndStdout(t *testing.T) {
	t.Parallel()
	f := testkit.NewGitHub(t, testkit.SingleRepo)
	dir := testkit.ExampleWorkDir(t)
	pubAudit(t, dir, "r.json")

	// Local preview: no GitHub at all, not even a token.
	o := lanegate.In(dir, map[string]string{}, "publish", "--summary", "--summary-file", "sum.md", "--stdout", "--state-dir", "state", "r.json")
	testkit.Want(t, o, 0)
	if !strings.HasPrefix(o.Stdout, "## lanegate migration evidence\n") || !strings.Contains(o.Stdout, "❌ **done 0/9**") ||
		!strings.Contains(o.Stdout, "First run: no previous state.") || strings.Contains(o.Stdout, pubMarker) {
		t.Errorf("stdout:\n%s", o.Stdout)
	}
	sum, err := os.ReadFile(filepath.Join(dir, "sum.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The summary says when this run checked, then carries the comment.
	head, rest, _ := strings.Cut(string(sum), "\n\n")
	if !regexp.MustCompile(`^> Checked \S+Z: result unchanged since \S+Z\.$`).MatchString(head) || rest != o.Stdout+"\n" {
		t.Errorf("summary is not the check line and stdout\n--- summary ---\n%s", sum)
	}
	if len(f.Calls()) != 0 {
		t.Errorf("API calls without an issue: %q", f.Endpoints())
	}

	// With an issue too: the summary is written and the comment posted.
	o = lanegate.In(dir, pubVars(f, "301"), "publish", "--issue", "1", "--summary", "--summary-file", "sum2.md", "--state-dir", "state", "r.json")
	testkit.Want(t, o, 0)
	sum, err = os.ReadFile(filepath.Join(dir, "sum2.md"))
	if err != nil {
		t.Fatal(err)
	}
	ours := pubOurs(f, 1)
	head, rest, _ = strings.Cut(string(sum), "\n\n")
	// The summary links to the comment it published (issue #15 item 3).
	if len(ours) == 1 && !strings.Contains(head, fmt.Sprintf("Sticky comment `evidence`: https://github.example/o/r/issues/1#issuecomment-%d", ours[0].ID)) {
		t.Errorf("summary does not link to the comment:\n%s", head)
	}
	if len(ours) != 1 || ours[0].Body != pubMarker+"\n"+strings.TrimSuffix(rest, "\n") {
		t.Errorf("comment and summary differ\n--- summary ---\n%s\n--- comments ---\n%+v", sum, ours)
	}
	if o.Stdout != "" {
		t.Errorf("stdout without --stdout:\n%s", o.Stdout)
	}
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	f := testkit.NewGitHub(t, testkit.SingleRepo)
	dir := testkit.ExampleWorkDir(t)
	pubAudit(t, dir, "r.json")

	t.Run("no token", func(t *testing.T) {
		f.ResetCalls()
		o := lanegate.In(dir, f.Env(map[string]string{"GITHUB_TOKEN": ""}), "publish", "--issue", "1", "--state-dir", "state", "r.json")
		testkit.Want(t, o, 2)
		if !strings.Contains(o.Stderr, "lanegate: no GitHub token: set the github-token input or GITHUB_TOKEN") {
			t.Errorf("stderr:\n%s", o.Stderr)
		}
		if len(f.Calls()) != 0 {
			t.Errorf("API calls without a token: %q", f.Endpoints())
		}
	})
	t.Run("403 on create", func(t *testing.T) {
		f.ResetCalls()
		f.Fail("POST", "/repos/o/r/issues/1/comments", 1, 403, "Resource not accessible by integration")
		o := lanegate.In(dir, f.Env(nil), "publish", "--issue", "1", "--state-dir", "state", "r.json")
		testkit.Want(t, o, 3)
		if !strings.Contains(o.Stderr, "issues: write") || !strings.Contains(o.Stderr, `"create comment" (403)`) {
			t.Errorf("stderr does not name the permission:\n%s", o.Stderr)
		}
		if strings.Contains(o.Stderr, testkit.SingleRepo.Token) {
			t.Error("token in the error")
		}
		if n := len(f.IssueComments(testkit.Repo, 1)); n != 0 {
			t.Errorf("%d comment(s) after a refused create", n)
		}
		pubSameLog(t, "refused create", f.Endpoints(), pubIssueLog(1, "user", "list", "list", "create"))
	})
	t.Run("unknown report", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"schema":"nope/v1"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		o := lanegate.In(dir, nil, "publish", "--stdout", "x.json")
		testkit.Want(t, o, 2)
		if !strings.Contains(o.Stderr, `unknown report schema "nope/v1"`) {
			t.Errorf("stderr:\n%s", o.Stderr)
		}
	})
}
