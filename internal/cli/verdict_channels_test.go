package cli_test

// Channel agreement: for every report kind, every channel a run writes to
// (exit code, JSON, table, Markdown, job summary, action outputs,
// annotations, publish of the JSON) says the same verdict.

import (
	"encoding/json"
	"github.com/lanegate/lanegate/internal/testkit"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vcIcon is the icon each verdict renders as in Markdown (ok may show ⚠️
// when it has warnings).
var vcIcon = map[string][]string{"ok": {"✅", "⚠️"}, "blocked": {"❌"}, "refused": {"⛔"}}

var vcWord = map[string]string{"ok": "OK", "blocked": "BLOCKED", "refused": "REFUSED"}

// vcFirstIcon is the first verdict icon in s.
func vcFirstIcon(s string) string {
	best, at := "", len(s)+1
	for _, ic := range []string{"✅", "⚠️", "❌", "⛔"} {
		if i := strings.Index(s, ic); i >= 0 && i < at {
			best, at = ic, i
		}
	}
	return best
}

// vcCase is one fixture: setup prepares dir and returns the command's args
// (without format or Actions flags).
type vcCase struct {
	name     string
	setup    func(t *testing.T, dir string) []string
	want     string // the verdict
	warnings bool   // ok with warnings
}

func vcStatic(args ...string) func(*testing.T, string) []string {
	return func(*testing.T, string) []string { return args }
}

// vcApply applies with the digest of a fresh dry run of the same scope.
func vcApply(scope ...string) func(*testing.T, string) []string {
	return func(t *testing.T, dir string) []string {
		o := lanegate.In(dir, nil, append(append([]string{"backfill", "--state-dir", "state"}, scope...), "--format", "json")...)
		var r struct {
			PlanDigest string `json:"plan_digest"`
		}
		if err := json.Unmarshal([]byte(o.Stdout), &r); err != nil {
			t.Fatalf("dry run: %v\n%s", err, o)
		}
		return append(append([]string{"backfill", "--state-dir", "state"}, scope...), "--apply", "--plan-digest", r.PlanDigest, "--reason", "test")
	}
}

// vcMerge writes the reports of every shard of scope and merges them.
func vcMerge(n int, scope ...string) func(*testing.T, string) []string {
	return func(t *testing.T, dir string) []string {
		args := []string{"merge", "--lanes", "lanes.yaml"}
		for i := 1; i <= n; i++ {
			name := filepath.Join(dir, "shard"+string(rune('0'+i))+".json")
			o := lanegate.In(dir, nil, append(append([]string{"audit", "--state-dir", "state", "--lanes", "lanes.yaml"}, scope...),
				"--shard", string(rune('0'+i))+"/"+string(rune('0'+n)), "--out", name)...)
			if o.Code > 1 {
				t.Fatalf("shard audit\n%s", o)
			}
			args = append(args, name)
		}
		return args
	}
}

func TestVerdictChannelsAgree(t *testing.T) {
	t.Parallel()
	cases := []vcCase{
		{"audit clean", vcStatic("audit", "--state-dir", "state", "--context", "opw"), "ok", false},
		{"audit warning only", vcStatic("audit", "--state-dir", "state", "--context", "legacy-site"), "ok", true},
		{"audit blocked", vcStatic("audit", "--state-dir", "state"), "blocked", true},
		{"audit empty", vcStatic("audit", "--state-dir", "state", "--context", "nope"), "blocked", false},
		{"audit one shard", vcStatic("audit", "--state-dir", "state", "--shard", "1/2"), "blocked", false},
		{"audit clean shard", vcStatic("audit", "--state-dir", "state", "--context", "opw", "--shard", "2/2"), "ok", false},
		{"merge blocked", vcMerge(2), "blocked", true},
		{"merge clean", vcMerge(2, "--context", "opw"), "ok", false},
		{"plan clean", vcStatic("backfill", "--state-dir", "state", "--context", "opw"), "ok", false},
		{"plan warning only", vcStatic("backfill", "--state-dir", "state", "--context", "legacy-site"), "ok", true},
		{"plan blocked", vcStatic("backfill", "--state-dir", "state"), "blocked", true},
		{"plan empty", vcStatic("backfill", "--state-dir", "state", "--context", "nope"), "blocked", false},
		{"plan to create", vcStatic("backfill", "--state-dir", "state", "--context", "sellyouroutboard"), "ok", false},
		{"apply clean", vcApply("--context", "sellyouroutboard"), "ok", false},
		{"apply nothing to create", vcApply("--context", "opw"), "ok", false},
		{"apply refused: digest mismatch", vcStatic("backfill", "--state-dir", "state", "--context", "sellyouroutboard",
			"--apply", "--plan-digest", zeroDigest, "--reason", "x"), "refused", false},
		{"apply refused: unclean audit", vcApply("--context", "cm"), "refused", false},
		{"apply refused: blocked items", vcApply("--context", "verireel"), "refused", false},
		{"apply refused: empty scope", vcApply("--context", "nope"), "refused", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantCode := 0
			if tc.want != "ok" {
				wantCode = 1
			}
			run := func(extra ...string) (testkit.Result, string) {
				dir := testkit.ExampleWorkDir(t)
				args := tc.setup(t, dir)
				// Flags go right after the command: merge takes paths last.
				full := append(append([]string{args[0]}, extra...), args[1:]...)
				return lanegate.In(dir, map[string]string{"GITHUB_ACTIONS": "true"}, full...), dir
			}
			// JSON, job summary, outputs and annotations in one Actions run.
			o, dir := run("--format", "json", "--out", "report.json", "--summary-file", "summary.md", "--github-output", "out.txt")
			if o.Code != wantCode {
				t.Fatalf("exit %d, want %d\n%s", o.Code, wantCode, o)
			}
			var rep struct {
				Status  string `json:"status"`
				Applied *bool  `json:"applied"`
				Store   struct {
					Kind, Name string
				} `json:"store"`
			}
			if err := json.Unmarshal([]byte(o.Stdout), &rep); err != nil {
				t.Fatalf("JSON: %v\n%s", err, o)
			}
			if rep.Status != tc.want {
				t.Errorf("JSON status %q, want %q", rep.Status, tc.want)
			}
			if tc.want == "refused" && (rep.Applied == nil || *rep.Applied) {
				t.Errorf("refused report has applied %v, want false", rep.Applied)
			}
			if rep.Store.Kind != "filesystem" || !strings.HasSuffix(rep.Store.Name, "state") {
				t.Errorf("store %+v, want filesystem …state", rep.Store)
			}
			file, err := os.ReadFile(filepath.Join(dir, "report.json"))
			if err != nil || string(file) != o.Stdout {
				t.Errorf("--out file differs from stdout (%v)", err)
			}
			sum, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
			vcWantIcon(t, "job summary", string(sum), tc)
			outs, _ := os.ReadFile(filepath.Join(dir, "out.txt"))
			if !vrOutput(string(outs), "status", tc.want) {
				t.Errorf("action output status is not %q:\n%s", tc.want, outs)
			}
			hasError := strings.Contains(o.Stderr, "::error")
			if hasError != (tc.want != "ok") {
				t.Errorf("error annotations %t for verdict %s:\n%s", hasError, tc.want, o.Stderr)
			}
			if tc.want == "refused" && !strings.Contains(o.Stderr, "apply refused") {
				t.Errorf("no refusal annotation:\n%s", o.Stderr)
			}

			// publish --stdout of the JSON renders the same verdict.
			p := lanegate.In(dir, nil, "publish", "--stdout", "--lanes", "lanes.yaml", "report.json")
			if p.Code != 0 {
				t.Fatalf("publish: exit %d\n%s", p.Code, p)
			}
			vcWantIcon(t, "publish", p.Stdout, tc)

			// Table and Markdown on stdout, in fresh state copies.
			tb, _ := run("--format", "table")
			head := strings.SplitN(tb.Stdout, "\n", 2)[0]
			if tb.Code != wantCode || !strings.Contains(head, " "+vcWord[tc.want]+":") && !strings.HasPrefix(head, vcWord[tc.want]+":") {
				t.Errorf("table: exit %d, header %q; want %d and %s", tb.Code, head, wantCode, vcWord[tc.want])
			}
			md, _ := run("--format", "markdown")
			if md.Code != wantCode {
				t.Errorf("markdown: exit %d, want %d", md.Code, wantCode)
			}
			vcWantIcon(t, "markdown", md.Stdout, tc)
		})
	}
}

func vcWantIcon(t *testing.T, channel, text string, tc vcCase) {
	t.Helper()
	got := vcFirstIcon(text)
	want := vcIcon[tc.want][0]
	if tc.want == "ok" && tc.warnings {
		want = vcIcon["ok"][1]
	}
	if got != want {
		t.Errorf("%s: verdict icon %q, want %q:\n%s", channel, got, want, bfClip(text))
	}
}
