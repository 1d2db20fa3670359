package cli_test

// End-to-end tests of the action as a runner executes it: the lanegate
// binary is built once and run by `lanegate action` in a clean process
// environment that looks like a GitHub-hosted runner's (GITHUB_ACTIONS,
// GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, GITHUB_EVENT_PATH, ...), with the inputs
// forwarded exactly the way action.yml's lanegate step forwards them. The
// tests read back what the runner would: the step outputs (parsed from the
// GITHUB_OUTPUT heredocs), the job summary, the workflow commands on stderr
// and the report file, and they check that no secret reaches any of them.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/testkit"
)

// arToken is what ${{ github.token }} expands to in the simulated runner.
const arToken = "ghs_fakeTOKEN1234567890"

// arOutputNames are the outputs audit sets, in the order it sets them.
var arOutputNames = []string{"status", "complete-count", "blocked-count", "warning-count", "report-path", "plan-digest", "created-count"}

// arStepEnv is the env block of action.yml's lanegate step plus the inputs'
// defaults: everything needed to expand it the way the runner does.
type arStepEnv struct {
	vars     map[string]string // variable -> input name (from ${{ inputs.NAME }})
	defaults map[string]string // input name -> default
}

var arInputExpr = regexp.MustCompile(`^\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}$`)

func arLoadStepEnv(t *testing.T, root string) *arStepEnv {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
		Runs struct {
			Steps []struct {
				ID  string            `yaml:"id"`
				Run string            `yaml:"run"`
				Env map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	se := &arStepEnv{vars: map[string]string{}, defaults: map[string]string{}}
	for name, in := range meta.Inputs {
		se.defaults[name] = in.Default
	}
	found := false
	for _, s := range meta.Runs.Steps {
		if s.ID != "lanegate" {
			continue
		}
		found = true
		if !strings.Contains(s.Run, "lanegate\" action") {
			t.Fatalf("action.yml: the lanegate step does not run `lanegate action`: %q", s.Run)
		}
		for k, v := range s.Env {
			m := arInputExpr.FindStringSubmatch(v)
			if m == nil {
				t.Fatalf("action.yml: env %s = %q is not an input", k, v)
			}
			if _, ok := se.defaults[m[1]]; !ok {
				t.Fatalf("action.yml: env %s names undeclared input %q", k, m[1])
			}
			se.vars[k] = m[1]
		}
	}
	if !found {
		t.Fatal("action.yml: no step with id lanegate")
	}
	return se
}

// expand returns the step's environment for the given inputs: an input not
// given takes its default, ${{ github.token }} becomes token.
func (se *arStepEnv) expand(t *testing.T, inputs map[string]string, token string) map[string]string {
	t.Helper()
	for name := range inputs {
		if _, ok := se.defaults[name]; !ok {
			t.Fatalf("input %q is not declared in action.yml", name)
		}
	}
	out := map[string]string{}
	for k, name := range se.vars {
		v, ok := inputs[name]
		if !ok {
			v = se.defaults[name]
		}
		if strings.Contains(v, "${{") {
			if strings.Join(strings.Fields(v), "") != "${{github.token}}" {
				t.Fatalf("input %s: cannot expand default %q", name, v)
			}
			v = token
		}
		out[k] = v
	}
	return out
}

// arRunner is one simulated job step: a workspace (the step's working
// directory) and the runner's file-command files.
type arRunner struct {
	bin       string
	step      *arStepEnv
	workspace string
	summary   string
	output    string
	event     string
	tmp       string
	extra     map[string]string // more environment (secrets given to the step)
}

func arNewRunner(t *testing.T, bin string, step *arStepEnv) *arRunner {
	t.Helper()
	dir := t.TempDir()
	r := &arRunner{
		bin:       bin,
		step:      step,
		workspace: filepath.Join(dir, "workspace"),
		summary:   filepath.Join(dir, "_runner_file_commands", "step_summary_1f2e"),
		output:    filepath.Join(dir, "_runner_file_commands", "set_output_1f2e"),
		event:     filepath.Join(dir, "_github_workflow", "event.json"),
		tmp:       filepath.Join(dir, "_temp"),
		extra:     map[string]string{},
	}
	event := `{"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567",` +
		`"repository":{"full_name":"lanegate-test/fleet","name":"fleet","owner":{"login":"lanegate-test"}},` +
		`"sender":{"login":"octo-operator"}}` + "\n"
	for _, d := range []string{r.workspace, filepath.Dir(r.summary), filepath.Dir(r.event), r.tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The runner creates both file-command files, empty, before the step.
	for p, content := range map[string]string{r.summary: "", r.output: "", r.event: event} {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// arStep is what one run of the step left behind.
type arStep struct {
	code           int
	stdout, stderr string
	summary        string
	outputRaw      string
}

func (s *arStep) String() string {
	return fmt.Sprintf("exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s\n--- summary ---\n%s\n--- output ---\n%s",
		s.code, s.stdout, s.stderr, s.summary, s.outputRaw)
}

// run executes `lanegate action` with the given inputs in a clean
// environment: nothing of the test process's own (so a real CI runner's
// GITHUB_* cannot leak in), only what a runner gives a composite step.
func (r *arRunner) run(t *testing.T, inputs map[string]string) *arStep {
	t.Helper()
	return r.exec(t, r.step.expand(t, inputs, arToken), "action")
}

// exec runs lanegate with args in the runner's environment plus vars, like
// a workflow's own `run:` step would.
func (r *arRunner) exec(t *testing.T, vars map[string]string, args ...string) *arStep {
	t.Helper()
	env := map[string]string{
		"CI":                  "true",
		"GITHUB_ACTIONS":      "true",
		"GITHUB_STEP_SUMMARY": r.summary,
		"GITHUB_OUTPUT":       r.output,
		"GITHUB_EVENT_PATH":   r.event,
		"GITHUB_EVENT_NAME":   "push",
		"GITHUB_REPOSITORY":   "lanegate-test/fleet",
		"GITHUB_RUN_ID":       "987654321",
		"GITHUB_RUN_ATTEMPT":  "1",
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_SHA":          "0123456789abcdef0123456789abcdef01234567",
		"GITHUB_REF":          "refs/heads/main",
		"GITHUB_WORKSPACE":    r.workspace,
		"GITHUB_WORKFLOW":     "provider-target-audit",
		"GITHUB_ACTOR":        "octo-operator",
		"RUNNER_TEMP":         r.tmp,
		"RUNNER_OS":           "Linux",
		"HOME":                r.tmp,
		"TMPDIR":              r.tmp,
		"PATH":                "/usr/bin:/bin",
	}
	for k, v := range vars {
		env[k] = v
	}
	for k, v := range r.extra {
		env[k] = v
	}
	res := (&testkit.Binary{Path: r.bin}).Run(t, testkit.Invocation{Args: args, Env: env, Dir: r.workspace})
	s := &arStep{code: res.Code, stdout: res.Stdout, stderr: res.Stderr}
	s.summary = arRead(t, r.summary)
	s.outputRaw = arRead(t, r.output)
	return s
}

// reset empties the file-command files, as the runner gives every step
// fresh ones.
func (r *arRunner) reset(t *testing.T) {
	t.Helper()
	for _, p := range []string{r.summary, r.output} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func arRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var arDelimiter = regexp.MustCompile(`^ghadelimiter_[0-9a-f]{32}$`)

// arParseOutputs parses a GITHUB_OUTPUT file strictly, the way the runner
// does, and returns the outputs in file order.
func arParseOutputs(t *testing.T, raw string) [][2]string {
	t.Helper()
	if raw == "" {
		return nil
	}
	if !strings.HasSuffix(raw, "\n") {
		t.Fatalf("GITHUB_OUTPUT does not end with a newline:\n%s", raw)
	}
	lines := strings.Split(strings.TrimSuffix(raw, "\n"), "\n")
	seen := map[string]bool{}
	var out [][2]string
	for i := 0; i < len(lines); {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %d is not name<<delimiter: %q", i+1, lines[i])
		}
		if !arDelimiter.MatchString(delim) {
			t.Fatalf("GITHUB_OUTPUT line %d: delimiter %q is not ghadelimiter_<32 hex>", i+1, delim)
		}
		if seen[delim] {
			t.Fatalf("GITHUB_OUTPUT: delimiter %s used twice", delim)
		}
		seen[delim] = true
		end := -1
		for j := i + 1; j < len(lines); j++ {
			if lines[j] == delim {
				end = j
				break
			}
		}
		if end < 0 {
			t.Fatalf("GITHUB_OUTPUT: heredoc of %s is not closed", name)
		}
		out = append(out, [2]string{name, strings.Join(lines[i+1:end], "\n")})
		i = end + 1
	}
	return out
}

// arWantOutputs checks the outputs are exactly the audit's seven, in order.
func arWantOutputs(t *testing.T, s *arStep, values ...string) {
	t.Helper()
	got := arParseOutputs(t, s.outputRaw)
	var want [][2]string
	for i, name := range arOutputNames {
		want = append(want, [2]string{name, values[i]})
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("outputs\n got %q\nwant %q", got, want)
	}
}

// arCommand is one workflow command found on stderr.
type arCommand struct {
	name    string
	props   map[string]string
	message string
}

// arUnescape undoes the workflow-command escaping of properties and messages.
func arUnescape(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

// arCommands returns the stderr workflow commands called name
// (::name props::message), in order.
func arCommands(t *testing.T, stderr, name string) []arCommand {
	t.Helper()
	var out []arCommand
	for _, line := range strings.Split(stderr, "\n") {
		rest, ok := strings.CutPrefix(line, "::"+name)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != ':') {
			continue
		}
		head, msg, ok := strings.Cut(rest, "::")
		if !ok {
			t.Fatalf("malformed workflow command %q", line)
		}
		c := arCommand{name: name, props: map[string]string{}, message: arUnescape(msg)}
		if head = strings.TrimPrefix(head, " "); head != "" {
			for _, kv := range strings.Split(head, ",") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("malformed property %q in %q", kv, line)
				}
				c.props[k] = arUnescape(v)
			}
		}
		out = append(out, c)
	}
	return out
}

// arLaneError is an annotation lanegate writes for a blocked lane.
type arLaneError struct {
	file    string
	line    int
	title   string
	message string
}

func arWantErrors(t *testing.T, stderr string, want []arLaneError) {
	t.Helper()
	got := arCommands(t, stderr, "error")
	if len(got) > 10 {
		t.Errorf("%d error annotations; GitHub shows at most 10", len(got))
	}
	if len(got) != len(want) {
		t.Fatalf("%d error annotations, want %d:\n%s", len(got), len(want), stderr)
	}
	for i, w := range want {
		g := got[i]
		wantProps := map[string]string{"title": w.title}
		if w.file != "" {
			wantProps["file"] = w.file
		}
		if w.line > 0 {
			wantProps["line"] = strconv.Itoa(w.line)
		}
		if fmt.Sprint(g.props) != fmt.Sprint(wantProps) || g.message != w.message {
			t.Errorf("annotation %d:\n got %v %q\nwant %v %q", i+1, g.props, g.message, wantProps, w.message)
		}
	}
}

// arRouteLine is the line of "- route: ROUTE" in a lanes file, found by
// reading the text rather than by asking lanegate.
func arRouteLine(t *testing.T, lanesYAML, route string) int {
	t.Helper()
	line := 0
	for i, l := range strings.Split(lanesYAML, "\n") {
		if strings.TrimSpace(l) == "- route: "+route {
			if line != 0 {
				t.Fatalf("route %s declared twice", route)
			}
			line = i + 1
		}
	}
	if line == 0 {
		t.Fatalf("route %s not found in the lanes file", route)
	}
	return line
}

// arSummaryRows returns the lane rows of a summary as "marker lane", in
// order, per section ("### Lanes", "### Undeclared routes").
func arSummaryRows(summary string) map[string][]string {
	rows := map[string][]string{}
	section := ""
	for _, line := range strings.Split(summary, "\n") {
		if strings.HasPrefix(line, "### ") {
			section = strings.TrimPrefix(line, "### ")
			continue
		}
		cells := strings.Split(line, " | ")
		if len(cells) < 3 || !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| |") || !strings.HasPrefix(cells[1], "`") {
			continue
		}
		rows[section] = append(rows[section], strings.TrimPrefix(cells[0], "| ")+" "+strings.Trim(cells[1], "`"))
	}
	return rows
}

func arWantSummary(t *testing.T, summary, icon, verdict string, counts []string, rows map[string][]string) {
	t.Helper()
	head := "## " + icon + " lanegate provider-target audit\n\n**" + verdict + "**\n\n"
	if !strings.HasPrefix(summary, head) {
		t.Errorf("summary does not start with\n%s\ngot:\n%s", head, summary)
	}
	if len(counts) > 0 {
		table := "| status | count |\n|---|---:|\n" + strings.Join(counts, "\n") + "\n\n"
		if !strings.Contains(summary, table) {
			t.Errorf("summary lacks the counts table\n%s\ngot:\n%s", table, summary)
		}
	}
	if got := arSummaryRows(summary); fmt.Sprint(got) != fmt.Sprint(rows) {
		t.Errorf("summary rows\n got %q\nwant %q", got, rows)
	}
}

// arCopyTree copies a directory of regular files.
func arCopyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func arWriteFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// arLanesYAML declares one generic-web lane per route, in wave 1.
func arLanesYAML(routes ...string) string {
	var b strings.Builder
	b.WriteString("schema_version: 1\nlanes:\n")
	for _, r := range routes {
		ctx, _, _ := strings.Cut(r, "/")
		fmt.Fprintf(&b, "  - route: %s\n    product: %s\n    driver: generic-web\n    wave: 1\n", r, ctx)
	}
	return b.String()
}

// arReport decodes a report file.
func arReport(t *testing.T, path string) *report.AuditReport {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	defer f.Close()
	rep, err := report.ReadAuditReport(f)
	if err != nil {
		t.Fatalf("report %s: %v", path, err)
	}
	return rep
}

func arNoFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s exists (stat: %v)", path, err)
	}
}

// arWithoutMasks drops ::add-mask:: lines, the only place a secret may be.
func arWithoutMasks(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// arCase is one run of the action's audit step: what the workspace holds,
// the inputs, and what the runner must be left with.
type arCase struct {
	name string
	// The workspace: lanes (the lanes file's text, given the module root)
	// written to lanesPath (default lanes.yaml); routes written to state/,
	// or, with examples, the repository's examples/state copied to
	// examples/state.
	lanes     func(t *testing.T, root string) string
	lanesPath string
	routes    []fixture.Route
	examples  bool
	inputs    map[string]string // audit inputs over arAuditInputs
	code      int               // want exit
	// outputs are the seven step outputs' values, in order; nil: unchecked.
	outputs []string
	// verdict is the verdict line the summary and stdout's first line must
	// carry (unchecked when ""), with the summary's icon, counts table and
	// lane rows by section.
	verdict string
	icon    string
	counts  []string
	rows    map[string][]string
	// errors are the error annotations (in order), given the lanes file's
	// text; nil: unchecked.
	errors func(t *testing.T, lanesYAML string) []arLaneError
	// report checks the report file at reportPath (default
	// lanegate-report.json); nil: unchecked.
	reportPath string
	report     func(rep *report.AuditReport) bool
	// check holds the case's own assertions.
	check func(t *testing.T, r *arRunner, s *arStep)
}

// arAuditInputs are the inputs of every audit case.
func arAuditInputs(extra map[string]string) map[string]string {
	in := map[string]string{"command": "audit", "report-path": "lanegate-report.json", "fail-on": "blocked"}
	for k, v := range extra {
		in[k] = v
	}
	return in
}

// arBlockedVerdict and the values below are the audit of examples/state
// against the repository's lanes.yaml.
const arBlockedVerdict = "BLOCKED: 10 route(s) inspected, 3 blocked finding(s), 1 warning(s) " +
	"(complete 6, future_provider 1, identity_mismatch 1, missing_provider_target 1, missing_target_id 1)"

func arBlockedErrors(t *testing.T, lanesYAML string) []arLaneError {
	return []arLaneError{
		{"lanes.yaml", arRouteLine(t, lanesYAML, "cm/prod"), "lanegate: cm/prod missing_target_id",
			"Dokploy target-id record is missing"},
		{"lanes.yaml", arRouteLine(t, lanesYAML, "sellyouroutboard/prod"), "lanegate: sellyouroutboard/prod missing_provider_target",
			"Dokploy target/id pair has no explicit provider-target row"},
		{"lanes.yaml", arRouteLine(t, lanesYAML, "verireel/prod"), "lanegate: verireel/prod identity_mismatch",
			"provider-target identity mismatch: target_id physical='cmp-verireel-prod-2025' projected='cmp-verireel-prod'"},
	}
}

func arRepoLanes(t *testing.T, root string) string {
	return arRead(t, filepath.Join(root, "lanes.yaml"))
}

func arCases() []arCase {
	cases := []arCase{{
		name:    "clean",
		lanes:   func(*testing.T, string) string { return arLanesYAML("alpha/prod", "alpha/testing", "beta/prod") },
		routes:  []fixture.Route{fixture.Complete("alpha", "prod"), fixture.Complete("alpha", "testing"), fixture.Complete("beta", "prod")},
		inputs:  map[string]string{"state-dir": "state", "lanes": "lanes.yaml"},
		code:    0,
		outputs: []string{"ok", "3", "0", "0", "lanegate-report.json", "", "0"},
		verdict: "OK: 3 route(s) inspected, 0 blocked finding(s), 0 warning(s) (complete 3)",
		icon:    "✅",
		counts:  []string{"| `complete` | 3 |"},
		rows:    map[string][]string{"Lanes": {"✅ alpha/prod", "✅ alpha/testing", "✅ beta/prod"}},
		errors:  func(*testing.T, string) []arLaneError { return nil },
		report: func(rep *report.AuditReport) bool {
			return rep.Status == "ok" && rep.BlockedCount == 0 && rep.InspectedRouteCount == 3 && rep.Counts["complete"] == 3
		},
		check: func(t *testing.T, r *arRunner, s *arStep) {
			if got := arCommands(t, s.stderr, "warning"); len(got) != 0 {
				t.Errorf("warning annotations on a clean run: %v", got)
			}
			if !strings.Contains(s.stderr, "lanegate action: running lanegate audit --state-dir state --out lanegate-report.json --fail-on blocked\n") {
				t.Errorf("stderr lacks the command line:\n%s", s.stderr)
			}
			// An empty log group is noise (issue #15).
			if strings.Contains(s.stderr, "::group::lanegate audit of filesystem state state\n::endgroup::\n") {
				t.Errorf("stderr has an empty log group:\n%s", s.stderr)
			}
		},
	}}
	for _, fo := range []struct {
		failOn string
		code   int
	}{{"blocked", 1}, {"warning", 1}, {"never", 0}} {
		cases = append(cases, arCase{
			name:     "blocked/fail-on=" + fo.failOn,
			lanes:    arRepoLanes,
			examples: true,
			inputs:   map[string]string{"state-dir": "examples/state", "fail-on": fo.failOn},
			code:     fo.code,
			outputs:  []string{"blocked", "6", "3", "1", "lanegate-report.json", "", "0"},
			verdict:  arBlockedVerdict,
			icon:     "❌",
			counts: []string{"| `complete` | 6 |", "| `future_provider` | 1 |", "| `identity_mismatch` | 1 |",
				"| `missing_provider_target` | 1 |", "| `missing_target_id` | 1 |"},
			rows: map[string][]string{
				"Lanes": {"❌ cm/prod", "❌ sellyouroutboard/prod", "❌ verireel/prod",
					"✅ cm/testing", "✅ discord-blue/prod", "✅ opw/prod", "✅ opw/testing", "✅ sellyouroutboard/testing", "✅ verireel/testing"},
				"Undeclared routes": {"⚠️ legacy-site/prod"},
			},
			errors: arBlockedErrors,
			report: func(rep *report.AuditReport) bool {
				return rep.Status == "blocked" && rep.BlockedCount == 3 && rep.WarningCount == 1 && rep.InspectedRouteCount == 10 && len(rep.Lanes) == 10
			},
		})
	}
	var capRoutes []string
	for i := 1; i <= 26; i++ {
		capRoutes = append(capRoutes, fmt.Sprintf("fleet/app%02d", i))
	}
	cases = append(cases, arCase{
		name: "invalid lanes file",
		lanes: func(*testing.T, string) string {
			return "schema_version: 1\nlanes:\n  - route: alpha/prod\n    product: alpha\n    driver: generic-web\n    wave: first\n"
		},
		lanesPath: "ci/bad-lanes.yaml",
		routes:    []fixture.Route{fixture.Complete("alpha", "prod")},
		inputs:    map[string]string{"state-dir": "state", "lanes": "ci/bad-lanes.yaml"},
		code:      2,
		check: func(t *testing.T, r *arRunner, s *arStep) {
			errs := arCommands(t, s.stderr, "error")
			if len(errs) != 1 {
				t.Fatalf("want one error annotation:\n%s", s.stderr)
			}
			e := errs[0]
			if e.props["file"] != "ci/bad-lanes.yaml" || e.props["line"] != "6" || e.props["title"] != "lanegate: invalid lanes file" ||
				!strings.HasPrefix(e.message, "lanes[0].wave: ") {
				t.Errorf("annotation %+v", e)
			}
			if col, err := strconv.Atoi(e.props["col"]); err != nil || col < 1 {
				t.Errorf("annotation column %q", e.props["col"])
			}
			if !strings.Contains(s.stderr, "lanegate: the lanes file is invalid (1 error(s)):\nci/bad-lanes.yaml:6:") {
				t.Errorf("stderr lacks the error:\n%s", s.stderr)
			}
			if s.outputRaw != "" || s.summary != "" {
				t.Errorf("a configuration error wrote outputs or a summary\n%s", s)
			}
			if s.stdout != "" {
				t.Errorf("stdout: %q", s.stdout)
			}
			arNoFile(t, filepath.Join(r.workspace, "lanegate-report.json"))
		},
	}, arCase{
		name:  "annotation cap",
		lanes: func(*testing.T, string) string { return arLanesYAML(capRoutes...) },
		// app01 is stored and complete; the other 25 lanes have no record.
		routes:  []fixture.Route{fixture.Complete("fleet", "app01")},
		inputs:  map[string]string{"state-dir": "state", "report-path": "out/report.json"},
		code:    1,
		outputs: []string{"blocked", "1", "25", "0", "out/report.json", "", "0"},
		errors: func(t *testing.T, lanesYAML string) []arLaneError {
			var want []arLaneError
			for _, route := range capRoutes[1:10] {
				want = append(want, arLaneError{"lanes.yaml", arRouteLine(t, lanesYAML, route), "lanegate: " + route + " missing_route",
					"lane is declared in the lanes file but the store has no record for it"})
			}
			return append(want, arLaneError{title: "lanegate",
				message: "and 16 more errors not shown: GitHub displays at most 10 error annotations per step; see the lanegate report for all of them"})
		},
		reportPath: "out/report.json",
		report: func(rep *report.AuditReport) bool {
			return rep.BlockedCount == 25 && rep.Counts["missing_route"] == 25 && len(rep.Lanes) == 26
		},
		check: func(t *testing.T, r *arRunner, s *arStep) {
			rows := arSummaryRows(s.summary)["Lanes"]
			if len(rows) != 26 || rows[0] != "❌ fleet/app02" || rows[24] != "❌ fleet/app26" || rows[25] != "✅ fleet/app01" {
				t.Errorf("summary rows %q", rows)
			}
		},
	})
	return cases
}

// run sets up a fresh runner for the case, runs the step and makes the
// case's assertions.
func (c arCase) run(t *testing.T, root, bin string, step *arStepEnv) {
	r := arNewRunner(t, bin, step)
	lanesYAML := c.lanes(t, root)
	arWriteFile(t, filepath.Join(r.workspace, cmp.Or(c.lanesPath, "lanes.yaml")), lanesYAML)
	if c.examples {
		arCopyTree(t, filepath.Join(root, "examples", "state"), filepath.Join(r.workspace, "examples", "state"))
	} else {
		testkit.WriteState(t, filepath.Join(r.workspace, "state"), c.routes...)
	}
	s := r.run(t, arAuditInputs(c.inputs))
	if s.code != c.code {
		t.Fatalf("want exit %d\n%s", c.code, s)
	}
	if c.outputs != nil {
		arWantOutputs(t, s, c.outputs...)
	}
	if c.verdict != "" {
		arWantSummary(t, s.summary, c.icon, c.verdict, c.counts, c.rows)
		if first, _, _ := strings.Cut(s.stdout, "\n"); first != c.verdict {
			t.Errorf("stdout verdict %q, want %q", first, c.verdict)
		}
	}
	if c.errors != nil {
		arWantErrors(t, s.stderr, c.errors(t, lanesYAML))
	}
	if c.report != nil {
		if rep := arReport(t, filepath.Join(r.workspace, cmp.Or(c.reportPath, "lanegate-report.json"))); !c.report(rep) {
			t.Errorf("report %+v", rep)
		}
	}
	if c.check != nil {
		c.check(t, r, s)
	}
}

// TestActionsRunner builds lanegate once and runs the action's lanegate step
// the way a runner does.
func TestActionsRunner(t *testing.T) {
	root := testkit.ModuleRoot(t)
	bin := testkit.Build(t).Path
	step := arLoadStepEnv(t, root)
	for _, c := range arCases() {
		t.Run(c.name, func(t *testing.T) { c.run(t, root, bin, step) })
	}
	t.Run("matrix", func(t *testing.T) { arTestMatrix(t, root, bin, step) })
	t.Run("masking", func(t *testing.T) { arTestMasking(t, bin, step) })
	t.Run("hostile record values", func(t *testing.T) { arTestHostileValues(t, bin, step) })
	t.Run("args cannot apply", func(t *testing.T) { arTestArgsCannotApply(t, bin, step) })
}

// arTestMatrix is the audit-matrix workflow: shard jobs with fail-on never,
// then a merge job fed the reports input; its step must look like one whole
// audit.
func arTestMatrix(t *testing.T, root, bin string, step *arStepEnv) {
	audit := arAuditInputs
	lanesYAML := arRead(t, filepath.Join(root, "lanes.yaml"))
	whole := lanegate.In("", nil, "audit", "--state-dir", filepath.Join(root, "examples", "state"), "--lanes", filepath.Join(root, "lanes.yaml"), "--format", "json")
	if whole.Code != 1 {
		t.Fatalf("unsharded audit: %s", whole)
	}
	for _, n := range []int{3, 1} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			r := arNewRunner(t, bin, step)
			arCopyTree(t, filepath.Join(root, "examples", "state"), filepath.Join(r.workspace, "examples", "state"))
			arWriteFile(t, filepath.Join(r.workspace, "lanes.yaml"), lanesYAML)
			var list []string
			for i := 1; i <= n; i++ {
				r.reset(t)
				s := r.run(t, audit(map[string]string{"state-dir": "examples/state", "lanes": "lanes.yaml",
					"shard": fmt.Sprintf("%d/%d", i, n), "fail-on": "never", "report-path": fmt.Sprintf("shards/lanegate-shard-%d.json", i)}))
				if s.code != 0 {
					t.Fatalf("shard %d/%d: want exit 0\n%s", i, n, s)
				}
				list = append(list, fmt.Sprintf("shards/lanegate-shard-%d.json", i))
			}
			r.reset(t)
			s := r.run(t, map[string]string{"command": "merge", "reports": strings.Join(list, "\n") + "\n",
				"fail-on": "blocked", "report-path": "lanegate-merged-report.json"})
			if s.code != 1 {
				t.Fatalf("merge: want exit 1\n%s", s)
			}
			if !strings.Contains(s.stderr, "lanegate action: running lanegate merge --out lanegate-merged-report.json --fail-on blocked -- "+strings.Join(list, " ")+"\n") {
				t.Errorf("stderr lacks the command line:\n%s", s.stderr)
			}
			arWantOutputs(t, s, "blocked", "6", "3", "1", "lanegate-merged-report.json", "", "0")
			arWantErrors(t, s.stderr, []arLaneError{
				{"lanes.yaml", arRouteLine(t, lanesYAML, "cm/prod"), "lanegate: cm/prod missing_target_id", "Dokploy target-id record is missing"},
				{"lanes.yaml", arRouteLine(t, lanesYAML, "sellyouroutboard/prod"), "lanegate: sellyouroutboard/prod missing_provider_target",
					"Dokploy target/id pair has no explicit provider-target row"},
				{"lanes.yaml", arRouteLine(t, lanesYAML, "verireel/prod"), "lanegate: verireel/prod identity_mismatch",
					"provider-target identity mismatch: target_id physical='cmp-verireel-prod-2025' projected='cmp-verireel-prod'"},
			})
			rows := arSummaryRows(s.summary)
			if len(rows["Lanes"]) != 9 || rows["Lanes"][0] != "❌ cm/prod" || fmt.Sprint(rows["Undeclared routes"]) != "[⚠️ legacy-site/prod]" {
				t.Errorf("summary rows %q", rows)
			}
			// The shards read a copy of the state, so only the store's
			// name may differ from the unsharded audit's.
			got := arRead(t, filepath.Join(r.workspace, "lanegate-merged-report.json"))
			if !strings.Contains(got, "\"store\": {\n    \"kind\": \"filesystem\",\n    \"name\": \"examples/state\"\n  },") {
				t.Errorf("the merged report does not name the shards' store:\n%s", got)
			}
			if arDropStore(got) != arDropStore(whole.Stdout) {
				t.Errorf("the merged report differs from the unsharded audit:\n%s", arFirstDiff(arDropStore(whole.Stdout), arDropStore(got)))
			}
		})
	}
}

// arTree maps every file under dir to its content.
func arTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		tree[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// arTestArgsCannotApply: the args input cannot turn a dry run (or any other
// command) into a write; only mode backfill-apply with the confirmation
// phrase applies.
func arTestArgsCannotApply(t *testing.T, bin string, step *arStepEnv) {
	r := arNewRunner(t, bin, step)
	state := filepath.Join(r.workspace, "state")
	missing := fixture.Complete("beta", "prod")
	missing.Provider = nil
	if err := fixture.WriteState(state, []fixture.Route{fixture.Complete("alpha", "prod"), missing}); err != nil {
		t.Fatal(err)
	}
	dry := map[string]string{"command": "backfill", "mode": "backfill-dry-run", "state-dir": "state", "fail-on": "never", "no-lanes": "true"}
	s := r.run(t, dry)
	if s.code != 0 {
		t.Fatalf("dry run: want exit 0\n%s", s)
	}
	var digest string
	for _, kv := range arParseOutputs(t, s.outputRaw) {
		if kv[0] == "plan-digest" {
			digest = kv[1]
		}
	}
	if digest == "" {
		t.Fatalf("dry run set no plan digest\n%s", s)
	}
	before := arTree(t, state)
	reason := " --plan-digest " + digest + " --reason bypass"
	for _, tc := range []struct{ command, mode, args string }{
		{"backfill", "backfill-dry-run", "--apply" + reason},
		{"backfill", "backfill-dry-run", "-apply" + reason},
		{"backfill", "backfill-dry-run", "--apply=true" + reason},
		{"backfill", "backfill-dry-run", "-apply=1 -plan-digest=" + digest + " -reason=bypass"},
		{"backfill", "backfill-dry-run", "--recover"},
		{"", "backfill-dry-run", "--apply" + reason},
		{"backfill", "backfill-apply", "--apply" + reason}, // no confirmation input either
		{"audit", "", "--apply"},
		{"audit", "", "--record"},
		{"merge", "", "--apply"},
		{"import", "", "--state-dir state --database-url postgres://db.invalid/x"},
	} {
		in := map[string]string{"command": tc.command, "mode": tc.mode, "state-dir": "state", "args": tc.args, "reports": "r.json"}
		r.reset(t)
		s := r.run(t, in)
		if s.code != 2 {
			t.Errorf("command %q mode %q args %q: want exit 2\n%s", tc.command, tc.mode, tc.args, s)
			continue
		}
		if !strings.Contains(s.stderr, "lanegate: the args input cannot carry --") && !strings.Contains(s.stderr, "is refused") &&
			!strings.Contains(s.stderr, "requires the input confirmation") {
			t.Errorf("command %q args %q: stderr does not say why:\n%s", tc.command, tc.args, s.stderr)
		}
		if s.outputRaw != "" {
			t.Errorf("command %q args %q: outputs written: %q", tc.command, tc.args, s.outputRaw)
		}
	}
	if after := arTree(t, state); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("the state changed")
	}
	// The control: the same plan applies through the inputs meant for it.
	r.reset(t)
	s = r.run(t, map[string]string{"command": "backfill", "mode": "backfill-apply", "state-dir": "state",
		"plan-digest": digest, "reason": "reviewed", "confirmation": "APPLY PROVIDER TARGET BACKFILL", "no-lanes": "true"})
	if s.code != 0 || fmt.Sprint(arTree(t, state)) == fmt.Sprint(before) {
		t.Fatalf("a confirmed apply did not write\n%s", s)
	}
}

// arOwnCommand reports whether line (left-trimmed) is a workflow command
// lanegate's runtime writes itself: a mask, a log group, a debug line, or an
// annotation titled by lanegate.
func arOwnCommand(line string) bool {
	for _, p := range []string{"::add-mask::", "::group::", "::endgroup::", "::debug::"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	for _, level := range []string{"error", "warning", "notice"} {
		rest, ok := strings.CutPrefix(line, "::"+level+" ")
		if !ok {
			continue
		}
		head, _, _ := strings.Cut(rest, "::")
		for _, kv := range strings.Split(head, ",") {
			if v, ok := strings.CutPrefix(kv, "title="); ok && strings.HasPrefix(v, "lanegate") {
				return true
			}
		}
	}
	return false
}

// arNoInjectedCommands fails when a line of a step's stream would run as a
// workflow command the runtime did not write: "::" after leading white
// space, or the legacy "##[" anywhere. stdout carries no command at all.
func arNoInjectedCommands(t *testing.T, what string, s *arStep) {
	t.Helper()
	for _, stream := range []struct {
		name, text string
		own        bool
	}{{"stdout", s.stdout, false}, {"stderr", s.stderr, true}} {
		for _, line := range strings.FieldsFunc(stream.text, func(r rune) bool { return r == '\n' || r == '\r' }) {
			trimmed := strings.TrimLeftFunc(line, unicode.IsSpace)
			if strings.Contains(line, "##[") {
				t.Errorf("%s: %s line holds a legacy workflow command: %q", what, stream.name, line)
			}
			if strings.HasPrefix(trimmed, "::") && !(stream.own && arOwnCommand(trimmed)) {
				t.Errorf("%s: %s line starts a workflow command: %q", what, stream.name, line)
			}
		}
	}
}

// arTestHostileValues puts workflow commands into record values and a record
// file name and runs every command that prints them, in action mode.
func arTestHostileValues(t *testing.T, bin string, step *arStepEnv) {
	r := arNewRunner(t, bin, step)
	state := filepath.Join(r.workspace, "state")
	if err := fixture.WriteState(state, []fixture.Route{fixture.Complete("alpha", "prod")}); err != nil {
		t.Fatal(err)
	}
	hostile := func(name, ctx, inst string) {
		arWriteFile(t, filepath.Join(state, "dokploy_target_ids", name),
			fmt.Sprintf(`{"context": %q, "instance": %q, "schema_version": 1, "source_label": "launchplane:dokploy-target-id-sync", "target_id": "cmp-x", "updated_at": "2026-10-04T09:05:00Z"}`, ctx, inst))
	}
	audit := func(extra map[string]string) map[string]string {
		in := map[string]string{"command": "audit", "report-path": "lanegate-report.json", "fail-on": "blocked"}
		for k, v := range extra {
			in[k] = v
		}
		return in
	}
	hostile("beta-prod-0123456789ab.json", "beta", "prod\n::warning title=X::y")
	// The workspace has no lanes.yaml: audit the store alone.
	audit0 := audit
	audit = func(extra map[string]string) map[string]string {
		in := audit0(extra)
		in["no-lanes"] = "true"
		return in
	}
	hostile("evil\n::warning title=F::file ##[add-mask]n.json", "gamma\r::error title=C::ctx ##[add-mask]q", "prod")

	s := r.run(t, audit(map[string]string{"state-dir": "state", "instance": "prod\n::warning title=I::y"}))
	arNoInjectedCommands(t, "action audit, instance input", s)
	for _, format := range []string{"table", "json", "markdown"} {
		r.reset(t)
		s := r.run(t, audit(map[string]string{"state-dir": "state", "args": "--format " + format}))
		if s.code != 1 {
			t.Fatalf("action audit --format %s: want exit 1\n%s", format, s)
		}
		arNoInjectedCommands(t, "action audit --format "+format, s)
		if format == "table" && !strings.Contains(s.stdout, ":\u200b:warning title=X::y") {
			t.Errorf("table: the hostile instance is not shown escaped:\n%s", s.stdout)
		}
		if !strings.Contains(s.summary, "title=X::y") {
			t.Errorf("summary lacks the hostile record:\n%s", s.summary)
		}
		arParseOutputs(t, s.outputRaw)
		r.reset(t)
		s = r.exec(t, nil, "audit", "--no-lanes", "--state-dir", "state", "--format", format, "--summary-file", "summary.md")
		if s.code != 1 {
			t.Fatalf("audit --format %s: want exit 1\n%s", format, s)
		}
		arNoInjectedCommands(t, "audit --format "+format, s)
	}
	// Error messages quote the value they refuse.
	s = r.exec(t, nil, "audit", "--state-dir", "missing\n::warning title=D::dir ##[add-mask]d")
	if s.code == 0 {
		t.Fatalf("audit of a missing state dir: want a failure\n%s", s)
	}
	arNoInjectedCommands(t, "audit of a missing state dir", s)
	s = r.exec(t, nil, "lanes", "check", "--lanes", "no\n::warning title=L::lanes.yaml")
	if s.code != 2 {
		t.Fatalf("lanes check of a missing file: want exit 2\n%s", s)
	}
	arNoInjectedCommands(t, "lanes check of a missing file", s)
}

// arSecretDatabase returns the URL of a Launchplane database holding routes,
// reached as a role with a password (the server may use trust
// authentication; the password is in the URL all the same).
func arSecretDatabase(t *testing.T, user, password string, routes []fixture.Route) string {
	t.Helper()
	admin := pgtest.NewLaunchplaneDatabase(t)
	ctx := context.Background()
	if err := fixture.LoadPostgres(ctx, admin, routes); err != nil {
		t.Fatal(err)
	}
	conn, err := pgtest.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Roles are per cluster: take over one left behind by a crashed run.
	if _, err := conn.Exec(ctx, fmt.Sprintf(`DO $$ BEGIN
		IF EXISTS (SELECT FROM pg_roles WHERE rolname = '%[1]s') THEN
			ALTER ROLE %[1]s LOGIN PASSWORD '%[2]s';
		ELSE
			CREATE ROLE %[1]s LOGIN PASSWORD '%[2]s';
		END IF;
	END $$`, user, password)); err != nil {
		t.Fatalf("create role: %v", err)
	}
	if _, err := conn.Exec(ctx, "GRANT SELECT ON launchplane_dokploy_targets, launchplane_dokploy_target_ids, launchplane_provider_targets TO "+user); err != nil {
		t.Fatalf("grant: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgtest.Connect(context.Background(), admin)
		if err != nil {
			t.Errorf("drop role: %v", err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP OWNED BY "+user+"; DROP ROLE "+user); err != nil {
			t.Errorf("drop role: %v", err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

// arClosedPort returns a local TCP port nothing listens on.
func arClosedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func arTestMasking(t *testing.T, bin string, step *arStepEnv) {
	const (
		user     = "lg_secret_user"
		password = "pw-Sup3rSecret-xyz"
		dokKey   = "dk-secret-value-123"
	)
	routes := []fixture.Route{fixture.Complete("alpha", "prod"), fixture.Complete("beta", "prod")}
	live := arSecretDatabase(t, user, password, routes)
	u, err := url.Parse(live)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = "127.0.0.1:" + strconv.Itoa(arClosedPort(t))
	q := u.Query()
	q.Set("connect_timeout", "5")
	u.RawQuery = q.Encode()
	dead := u.String()
	if !strings.Contains(live, password) || !strings.Contains(dead, password) {
		t.Fatalf("the test URLs must carry the password")
	}

	lanesYAML := arLanesYAML("alpha/prod", "beta/prod", "gamma/prod")
	for _, db := range []struct {
		name string
		url  string
		code int
	}{{"live", live, 1}, {"unreachable", dead, 3}} {
		// The URL through the action's input, through its args input, and
		// as a flag of a workflow's own run step.
		for _, via := range []string{"action", "args", "flag"} {
			t.Run(db.name+"/"+via, func(t *testing.T) {
				r := arNewRunner(t, bin, step)
				arWriteFile(t, filepath.Join(r.workspace, "lanes.yaml"), lanesYAML)
				r.extra["GITHUB_TOKEN"] = arToken
				var s *arStep
				switch via {
				case "action":
					s = r.run(t, map[string]string{"command": "audit", "database-url": db.url,
						"dokploy-api-key": dokKey, "github-token": arToken, "statement-timeout": "20s"})
				case "args":
					r.extra["DOKPLOY_API_KEY"] = dokKey
					s = r.run(t, map[string]string{"command": "audit",
						"args": "--database-url " + db.url + " --format markdown"})
				case "flag":
					r.extra["DOKPLOY_API_KEY"] = dokKey
					s = r.exec(t, nil, "audit", "--database-url", db.url, "--format", "json", "--out", "lanegate-report.json")
				}
				if s.code != db.code {
					t.Fatalf("want exit %d\n%s", db.code, s)
				}
				reportPath := filepath.Join(r.workspace, "lanegate-report.json")
				var reportText string
				if db.code == 3 {
					arNoFile(t, reportPath)
					if s.outputRaw != "" || s.summary != "" {
						t.Errorf("a failed run wrote outputs or a summary\n%s", s)
					}
					if !strings.Contains(s.stderr, "lanegate: ") {
						t.Errorf("no error on stderr:\n%s", s.stderr)
					}
				} else {
					reportText = arRead(t, reportPath)
					rep := arReport(t, reportPath)
					if rep.BlockedCount != 1 || rep.Counts["missing_route"] != 1 || rep.Counts["complete"] != 2 {
						t.Errorf("report %+v", rep)
					}
					arWantOutputs(t, s, "blocked", "2", "1", "0", "lanegate-report.json", "", "0")
					arWantErrors(t, s.stderr, []arLaneError{{"lanes.yaml", arRouteLine(t, lanesYAML, "gamma/prod"),
						"lanegate: gamma/prod missing_route", "lane is declared in the lanes file but the store has no record for it"}})
				}
				// Every secret was handed to the runner's masker as is.
				masks := map[string]bool{}
				for _, c := range arCommands(t, s.stderr, "add-mask") {
					masks[c.message] = true
				}
				for _, m := range []string{password, arToken, dokKey, db.url} {
					if !masks[m] {
						t.Errorf("no ::add-mask:: for %q; masks: %v", m, masks)
					}
				}
				if via != "flag" && !strings.Contains(s.stderr, "lanegate action: running lanegate audit --") {
					t.Errorf("stderr lacks the command line:\n%s", arWithoutMasks(s.stderr))
				}
				if via == "action" && !strings.Contains(s.stderr, "lanegate action: running lanegate audit --database-url '***' ") {
					t.Errorf("the command line does not hide the URL:\n%s", arWithoutMasks(s.stderr))
				}
				places := map[string]string{
					"stdout":         s.stdout,
					"stderr":         arWithoutMasks(s.stderr),
					"summary":        s.summary,
					"GITHUB_OUTPUT":  s.outputRaw,
					"report":         reportText,
					"the event file": arRead(t, r.event),
				}
				for where, text := range places {
					for _, secret := range []string{password, db.url, arToken, dokKey} {
						if strings.Contains(text, secret) {
							t.Errorf("%s holds secret %q:\n%s", where, secret, text)
						}
					}
				}
				if strings.Contains(places["stderr"], "add-mask") {
					t.Errorf("an ::add-mask:: command was not alone on its line:\n%s", s.stderr)
				}
			})
		}
	}
}

var arStoreKey = regexp.MustCompile(`(?m)^  "store": \{\n(?:    .*\n)*  \},\n`)

// arDropStore removes a report's "store" key.
func arDropStore(s string) string { return arStoreKey.ReplaceAllString(s, "") }
