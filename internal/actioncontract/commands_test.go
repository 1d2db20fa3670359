package actioncontract

// Tests of the commands the action runs besides audit, backfill and merge:
// gate, publish, evidence and preflight. The mapping tests read the command
// line `lanegate action --dry-run` derives from the inputs; the end-to-end
// tests run the action the way action.yml does against the example state, a
// fake GitHub API, a fake Dokploy API and a local health endpoint, all on
// 127.0.0.1.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lanegate/lanegate/internal/cli"
	"github.com/lanegate/lanegate/internal/ghapi"
)

// actionVars returns the variables action.yml hands to the lanegate step
// for these input values: every declared input, set or at its default (an
// expression default such as ${{ github.token }} is left empty), under the
// variable named in the step's env.
func actionVars(t *testing.T, a *actionMeta, values map[string]string) map[string]string {
	t.Helper()
	for name := range values {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("test sets input %q, which action.yml does not declare", name)
		}
	}
	env := lanegateStep(t, a).Env
	vars := map[string]string{}
	for _, name := range sortedKeys(a.Inputs) {
		var key string
		for k, v := range env {
			if m := inputExpr.FindStringSubmatch(v); m != nil && m[1] == name {
				key = k
			}
		}
		if key == "" {
			t.Fatalf("action.yml: input %q reaches no variable of step %q", name, lanegateStepID)
		}
		val, ok := values[name]
		if !ok && !strings.Contains(a.Inputs[name].Default, "${{") {
			val = a.Inputs[name].Default
		}
		vars[key] = val
	}
	return vars
}

// actionRun is one `lanegate action` invocation.
type actionRun struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	summary        string
}

// runTheAction runs `lanegate action [flags...]` in dir with the inputs (the
// rest at their defaults) and the extra environment, as the runner would.
func runTheAction(t *testing.T, a *actionMeta, dir string, inputs, extraEnv map[string]string, flags ...string) actionRun {
	t.Helper()
	outputFile := filepath.Join(dir, "github_output")
	summaryFile := filepath.Join(dir, "step_summary")
	for _, p := range []string{outputFile, summaryFile} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       outputFile,
		"GITHUB_STEP_SUMMARY": summaryFile,
		"GITHUB_WORKSPACE":    dir,
		"RUNNER_TEMP":         dir,
		"GITHUB_REPOSITORY":   "lanegate/lanegate",
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_RUN_ID":       "4242",
		"GITHUB_RUN_ATTEMPT":  "1",
		"GITHUB_SHA":          strings.Repeat("0", 40),
	}
	for k, v := range actionVars(t, a, inputs) {
		vars[k] = v
	}
	for k, v := range extraEnv {
		vars[k] = v
	}
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), &cli.Env{
		Args:   append([]string{"action"}, flags...),
		Getenv: func(k string) string { return vars[k] },
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Dir:    dir,
	})
	out, err := os.ReadFile(outputFile)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(summaryFile)
	if err != nil {
		t.Fatal(err)
	}
	return actionRun{code: code, stdout: stdout.String(), stderr: stderr.String(),
		outputs: parseGitHubOutput(t, string(out)), summary: string(sum)}
}

// shown is everything a run printed or wrote for people to read, less the
// ::add-mask:: commands that must carry the real value to the runner.
func (r actionRun) shown() string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(r.stdout+"\n"+r.stderr, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			b.WriteString(line)
		}
	}
	b.WriteString(r.summary)
	for _, v := range r.outputs {
		b.WriteString(v)
	}
	return b.String()
}

// checkOnlyDeclaredOutputs: a composite action drops undeclared outputs
// silently, so the CLI must write none.
func checkOnlyDeclaredOutputs(t *testing.T, a *actionMeta, r actionRun) {
	t.Helper()
	for _, name := range sortedKeys(r.outputs) {
		if _, ok := a.Outputs[name]; !ok {
			t.Errorf("lanegate action wrote output %q, which action.yml does not declare", name)
		}
	}
}

// copyState copies the example filesystem state into a fresh directory, so
// evidence written by a test never lands in the repository.
func copyState(t *testing.T) string {
	t.Helper()
	src := filepath.Join(repoRoot(t), "examples", "state")
	dst := filepath.Join(t.TempDir(), "state")
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
	return dst
}

const (
	testDatabaseURL = "postgres://lanegate:hunter2-secret@db.invalid:5432/launchplane"
	testRunURL      = "https://github.com/lanegate/lanegate/actions/runs/777"
)

// TestActionCommandLines pins the command line each command's inputs map to.
func TestActionCommandLines(t *testing.T) {
	a, _ := loadAction(t)
	cases := []struct {
		name   string
		inputs map[string]string
		want   []string
	}{
		{"audit with record", map[string]string{"command": "audit", "state-dir": "state", "record": "true"},
			[]string{"audit", "--state-dir", "state", "--out", "lanegate-report.json", "--fail-on", "blocked", "--record"}},
		{"backfill dry run", map[string]string{"command": "backfill", "lane": "cm/prod"},
			[]string{"backfill", "--lane", "cm/prod", "--out", "lanegate-report.json", "--fail-on", "blocked"}},
		{"merge with extra args", map[string]string{"command": "merge", "reports": "s1.json\ns2.json", "args": "--format json"},
			[]string{"merge", "--out", "lanegate-report.json", "--fail-on", "blocked", "--format", "json", "--", "s1.json", "s2.json"}},
		{"gate scope only", map[string]string{"command": "gate", "pr": "7", "scope-only": "true", "report-path": "gate-scope.json"},
			[]string{"gate", "--pr", "7", "--scope-only", "--out", "gate-scope.json"}},
		{"gate decide", map[string]string{"command": "gate", "scope-from": "scope/gate-scope.json", "status-context": "lanegate/cutover",
			"database-url": testDatabaseURL, "report-path": "gate.json", "run-url": testRunURL},
			[]string{"gate", "--scope-from", "scope/gate-scope.json", "--status-context", "lanegate/cutover", "--target-url", testRunURL,
				"--database-url", "***", "--out", "gate.json"}},
		{"gate with the lanes file elsewhere", map[string]string{"command": "gate", "lanes": "deploy/lanes.yaml", "scope-only": "false",
			"state-dir": "state", "statement-timeout": "20s"},
			[]string{"gate", "--lanes", "deploy/lanes.yaml", "--state-dir", "state", "--statement-timeout", "20s", "--out", "lanegate-report.json"}},
		{"publish to the tracking issue", map[string]string{"command": "publish", "issue": "12", "reports": "audit.json",
			"run-url": testRunURL, "artifact": "evidence-report", "database-url": testDatabaseURL},
			[]string{"publish", "--issue", "12", "--summary", "--run-url", testRunURL, "--artifact", "evidence-report",
				"--database-url", "***", "--", "audit.json"}},
		{"publish to a pull request, odd report names", map[string]string{"command": "publish", "pr": "3", "reports": "-odd.json,b c.json"},
			[]string{"publish", "--pr", "3", "--summary", "--", "-odd.json", "b c.json"}},
		{"publish summary only", map[string]string{"command": "publish", "reports": "r.json"},
			[]string{"publish", "--summary", "--", "r.json"}},
		{"evidence record", map[string]string{"command": "evidence", "lane": "discord-blue/prod", "evidence-kind": "deploy",
			"evidence-status": "pass", "run-url": testRunURL, "trace": "trace-1", "state-dir": "state"},
			[]string{"evidence", "record", "--lane", "discord-blue/prod", "--kind", "deploy", "--status", "pass",
				"--run-url", testRunURL, "--trace", "trace-1", "--state-dir", "state"}},
		{"evidence probe", map[string]string{"command": "evidence", "evidence-action": "probe", "lane": "cm/prod, cm/testing",
			"trace": "t", "lanes": "other.yaml", "database-url": testDatabaseURL},
			[]string{"evidence", "probe", "--lane", "cm/prod", "--lane", "cm/testing", "--lanes", "other.yaml", "--trace", "t",
				"--database-url", "***"}},
		{"evidence probe of every lane", map[string]string{"command": "evidence", "evidence-action": "probe", "evidence-kind": "health"},
			[]string{"evidence", "probe"}},
		{"audit through the Launchplane service", map[string]string{"command": "audit", "launchplane-url": "https://launchplane.example.com",
			"audience": "launchplane.example.com"},
			[]string{"audit", "--launchplane-url", "https://launchplane.example.com", "--audience", "launchplane.example.com",
				"--out", "lanegate-report.json", "--fail-on", "blocked"}},
		{"backfill dry run through the service", map[string]string{"command": "backfill", "launchplane-url": "https://launchplane.example.com"},
			[]string{"backfill", "--launchplane-url", "https://launchplane.example.com", "--out", "lanegate-report.json", "--fail-on", "blocked"}},
		{"evidence collect into Postgres", map[string]string{"command": "evidence", "evidence-action": "collect", "lane": "cm/prod",
			"launchplane-url": "https://launchplane.example.com", "database-url": testDatabaseURL, "run-url": testRunURL},
			[]string{"evidence", "collect", "--lane", "cm/prod", "--run-url", testRunURL, "--launchplane-url", "https://launchplane.example.com",
				"--evidence-database-url", "***"}},
		{"evidence collect into a state directory", map[string]string{"command": "evidence", "evidence-action": "collect",
			"launchplane-url": "https://launchplane.example.com", "audience": "lp.example", "state-dir": "state"},
			[]string{"evidence", "collect", "--launchplane-url", "https://launchplane.example.com", "--audience", "lp.example",
				"--evidence-state-dir", "state"}},
		{"preflight", map[string]string{"command": "preflight", "lane": "cm/prod", "dokploy-url": "https://dokploy.example.com",
			"dokploy-api-key": "dk-secret-key", "database-url": testDatabaseURL},
			[]string{"preflight", "--lane", "cm/prod", "--dokploy-url", "https://dokploy.example.com", "--database-url", "***"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runTheAction(t, a, t.TempDir(), tc.inputs, nil, "--dry-run")
			if r.code != cli.ExitOK {
				t.Fatalf("lanegate action --dry-run exited %d\nstderr:\n%s", r.code, r.stderr)
			}
			var got []string
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("dry run printed %q: %v", r.stdout, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("command line\n got %q\nwant %q", got, tc.want)
			}
			for _, secret := range []string{"hunter2-secret", "dk-secret-key"} {
				if strings.Contains(r.shown(), secret) {
					t.Errorf("the dry run shows the secret %q", secret)
				}
			}
			if len(r.outputs) != 0 || r.summary != "" {
				t.Errorf("a dry run wrote outputs %v or a summary %q", r.outputs, r.summary)
			}
		})
	}
}

// TestActionRejectsIncompleteInputs: mistakes in the inputs are
// configuration errors (exit 2) found before anything runs.
func TestActionRejectsIncompleteInputs(t *testing.T) {
	a, _ := loadAction(t)
	cases := map[string]map[string]string{
		"evidence record of two lanes":         {"command": "evidence", "lane": "cm/prod\ncm/testing", "evidence-kind": "deploy", "evidence-status": "pass"},
		"evidence record without lane":         {"command": "evidence", "evidence-kind": "deploy", "evidence-status": "pass"},
		"evidence record without kind":         {"command": "evidence", "lane": "cm/prod", "evidence-status": "pass"},
		"evidence record without status":       {"command": "evidence", "lane": "cm/prod", "evidence-kind": "deploy"},
		"evidence probe with a status":         {"command": "evidence", "evidence-action": "probe", "evidence-status": "pass"},
		"evidence probe of deploys":            {"command": "evidence", "evidence-action": "probe", "evidence-kind": "deploy"},
		"unknown evidence action":              {"command": "evidence", "evidence-action": "list", "lane": "cm/prod"},
		"evidence collect without the service": {"command": "evidence", "evidence-action": "collect", "state-dir": "state"},
		"evidence collect with a status": {"command": "evidence", "evidence-action": "collect", "launchplane-url": "https://lp.example",
			"state-dir": "state", "evidence-status": "pass"},
		"evidence collect of deploys": {"command": "evidence", "evidence-action": "collect", "launchplane-url": "https://lp.example",
			"state-dir": "state", "evidence-kind": "deploy"},
		"preflight without lane":        {"command": "preflight"},
		"preflight of every lane":       {"command": "preflight", "lane": "cm/prod,opw/prod"},
		"publish without reports":       {"command": "publish", "issue": "1"},
		"publish to issue and pr":       {"command": "publish", "issue": "1", "pr": "2", "reports": "r.json"},
		"gate scope-only not a boolean": {"command": "gate", "scope-only": "yes"},
		"audit record not a boolean":    {"command": "audit", "record": "1"},
		"merge without reports":         {"command": "merge"},
		"unknown command":               {"command": "deploy"},
	}
	for _, name := range sortedKeys(cases) {
		t.Run(name, func(t *testing.T) {
			for _, flags := range [][]string{{"--dry-run"}, nil} {
				r := runTheAction(t, a, t.TempDir(), cases[name], nil, flags...)
				if r.code != cli.ExitConfig {
					t.Errorf("lanegate action %v exited %d, want %d\nstdout:\n%s\nstderr:\n%s", flags, r.code, cli.ExitConfig, r.stdout, r.stderr)
				}
			}
		})
	}
}

// TestActionCommandsAreDocumented: every command the action maps is named
// in the description of the command input.
func TestActionCommandsAreDocumented(t *testing.T) {
	a, _ := loadAction(t)
	desc := a.Inputs["command"].Description
	for _, c := range []string{"audit", "backfill", "merge", "gate", "publish", "evidence", "preflight"} {
		if !strings.Contains(desc, c) {
			t.Errorf("action.yml: the command input does not mention %q", c)
		}
	}
}

// fakeGitHub is the part of the REST API the gate and publish call.
type fakeGitHub struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	headSHA  string
	baseSHA  string
	lanes    []byte
	statuses []map[string]any // with "sha"
	comments map[int][]map[string]any
	nextID   int64
}

const fakeLogin = "lanegate-bot"

func newFakeGitHub(t *testing.T, lanesYAML []byte) *fakeGitHub {
	f := &fakeGitHub{t: t, headSHA: strings.Repeat("a", 40), baseSHA: strings.Repeat("b", 40), lanes: lanesYAML,
		comments: map[int][]map[string]any{}, nextID: 100}
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	repo := func(r *http.Request) bool { return r.PathValue("owner") == "o" && r.PathValue("repo") == "r" }
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{n}", func(w http.ResponseWriter, r *http.Request) {
		if !repo(r) || r.PathValue("n") != "7" {
			reply(w, 404, map[string]string{"message": "Not Found"})
			return
		}
		reply(w, 200, map[string]any{"number": 7, "body": "", "labels": []any{},
			"head": map[string]any{"sha": f.headSHA, "ref": "feature", "repo": map[string]any{"full_name": "someone/r"}},
			"base": map[string]any{"sha": f.baseSHA, "ref": "main", "repo": map[string]any{"full_name": "o/r"}}})
	})
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{n}/files", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, []map[string]any{{"filename": "README.md", "status": "modified"}})
	})
	mux.HandleFunc("GET /repos/{owner}/{repo}/compare/{basehead}", func(w http.ResponseWriter, r *http.Request) {
		if !repo(r) || r.PathValue("basehead") != f.baseSHA+"..."+f.headSHA {
			reply(w, 404, map[string]string{"message": "Not Found"})
			return
		}
		reply(w, 200, map[string]any{"status": "ahead", "files": []map[string]any{{"filename": "README.md", "status": "modified"}}})
	})
	mux.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", func(w http.ResponseWriter, r *http.Request) {
		ref := r.URL.Query().Get("ref")
		if !repo(r) || r.PathValue("path") != "lanes.yaml" || (ref != f.headSHA && ref != f.baseSHA) {
			reply(w, 404, map[string]string{"message": "Not Found"})
			return
		}
		reply(w, 200, map[string]any{"type": "file", "encoding": "base64", "path": "lanes.yaml", "name": "lanes.yaml",
			"content": base64.StdEncoding.EncodeToString(f.lanes)})
	})
	mux.HandleFunc("POST /repos/{owner}/{repo}/statuses/{sha}", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		body["sha"] = r.PathValue("sha")
		f.mu.Lock()
		f.statuses = append(f.statuses, body)
		f.mu.Unlock()
		reply(w, 201, body)
	})
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, map[string]any{"login": fakeLogin})
	})
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{n}/comments", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		f.mu.Lock()
		list := slices.Clone(f.comments[n])
		f.mu.Unlock()
		if list == nil {
			list = []map[string]any{}
		}
		reply(w, 200, list)
	})
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{n}/comments", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.nextID++
		c := map[string]any{"id": f.nextID, "body": body["body"], "user": map[string]any{"login": fakeLogin}}
		f.comments[n] = append(f.comments[n], c)
		f.mu.Unlock()
		reply(w, 201, c)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake GitHub: unexpected %s %s", r.Method, r.URL.Path)
		reply(w, 404, map[string]string{"message": "Not Found"})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// env is what a workflow job gives lanegate to reach this fake.
func (f *fakeGitHub) env(event string) map[string]string {
	return map[string]string{"GITHUB_API_URL": f.srv.URL, "GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_NAME": event}
}

// TestGateThroughTheAction runs both halves of the fork-safe gate through
// the action: the unprivileged scope-only run writes the scope file and
// posts nothing; the privileged run decides from that file, posts the
// status on the pull request's head SHA and the sticky comment.
func TestGateThroughTheAction(t *testing.T) {
	a, _ := loadAction(t)
	root := repoRoot(t)
	lanesYAML, err := os.ReadFile(filepath.Join(root, "lanes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	gh := newFakeGitHub(t, lanesYAML)
	dir := t.TempDir()

	scope := runTheAction(t, a, dir, map[string]string{
		"command": "gate", "pr": "7", "scope-only": "true", "report-path": "gate-scope.json", "github-token": "ghs_scope_token",
	}, gh.env("pull_request"))
	if scope.code != cli.ExitOK {
		t.Fatalf("scope-only gate exited %d\nstderr:\n%s", scope.code, scope.stderr)
	}
	checkOnlyDeclaredOutputs(t, a, scope)
	var sc struct {
		Schema  string `json:"schema"`
		PR      int    `json:"pr"`
		HeadSHA string `json:"head_sha"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "gate-scope.json"))
	if err != nil {
		t.Fatalf("the scope-only gate wrote no report-path: %v", err)
	}
	if err := json.Unmarshal(data, &sc); err != nil || sc.PR != 7 || sc.HeadSHA != gh.headSHA {
		t.Fatalf("scope file = %s (%v), want pr 7 at head %s", data, err, gh.headSHA)
	}
	if len(gh.statuses) != 0 || len(gh.comments) != 0 {
		t.Fatalf("the scope-only gate posted statuses %v / comments %v; the unprivileged half must post nothing", gh.statuses, gh.comments)
	}

	// The privileged half: another job, another directory, the scope file
	// downloaded as an artifact.
	decideDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(decideDir, "scope"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(decideDir, "scope", "gate-scope.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	decide := runTheAction(t, a, decideDir, map[string]string{
		"command": "gate", "scope-from": "scope/gate-scope.json", "status-context": "lanegate/cutover-test",
		"state-dir": copyState(t), "report-path": "gate.json", "run-url": testRunURL, "github-token": "ghs_decide_token",
	}, gh.env("workflow_run"))
	if decide.code != cli.ExitOK {
		t.Fatalf("gate exited %d, want %d (no lane in scope)\nstderr:\n%s", decide.code, cli.ExitOK, decide.stderr)
	}
	checkOnlyDeclaredOutputs(t, a, decide)
	if len(gh.statuses) != 1 {
		t.Fatalf("gate posted %d statuses, want 1: %v", len(gh.statuses), gh.statuses)
	}
	st := gh.statuses[0]
	if st["sha"] != gh.headSHA || st["context"] != "lanegate/cutover-test" || st["state"] != "success" || st["target_url"] != testRunURL {
		t.Errorf("status = %v, want success with context lanegate/cutover-test and target %s on the head SHA %s", st, testRunURL, gh.headSHA)
	}
	if cs := gh.comments[7]; len(cs) != 1 || !strings.Contains(cs[0]["body"].(string), ghapi.Marker("gate")) {
		t.Errorf("pull request 7 comments = %v, want one sticky gate comment", cs)
	}
	if _, err := os.Stat(filepath.Join(decideDir, "gate.json")); err != nil {
		t.Errorf("the gate wrote no report at report-path: %v", err)
	}
	if strings.TrimSpace(decide.summary) == "" {
		t.Error("the gate wrote no job summary")
	}
	for _, tok := range []string{"ghs_scope_token", "ghs_decide_token"} {
		if strings.Contains(scope.shown()+decide.shown(), tok) {
			t.Errorf("the token %q shows in the output", tok)
		}
	}
}

// TestPublishThroughTheAction publishes an audit report to a tracking issue
// and the job summary.
func TestPublishThroughTheAction(t *testing.T) {
	a, _ := loadAction(t)
	root := repoRoot(t)
	gh := newFakeGitHub(t, nil)
	dir := t.TempDir()
	state := copyState(t)
	lanesPath := filepath.Join(root, "lanes.yaml")

	audit := runTheAction(t, a, dir, map[string]string{
		"command": "audit", "lanes": lanesPath, "state-dir": state, "fail-on": "never", "report-path": "audit.json",
	}, nil)
	if audit.code != cli.ExitOK {
		t.Fatalf("audit exited %d\nstderr:\n%s", audit.code, audit.stderr)
	}
	pub := runTheAction(t, a, dir, map[string]string{
		"command": "publish", "issue": "12", "reports": "audit.json", "lanes": lanesPath, "state-dir": state,
		"run-url": testRunURL, "artifact": "lanegate-evidence-report", "github-token": "ghs_publish_token",
	}, gh.env("schedule"))
	if pub.code != cli.ExitOK {
		t.Fatalf("publish exited %d\nstderr:\n%s", pub.code, pub.stderr)
	}
	checkOnlyDeclaredOutputs(t, a, pub)
	cs := gh.comments[12]
	if len(cs) != 1 {
		t.Fatalf("issue 12 has %d comments, want 1 sticky comment: %v", len(cs), gh.comments)
	}
	body := cs[0]["body"].(string)
	if !strings.Contains(body, ghapi.Marker("evidence")) || !strings.Contains(body, "discord-blue/prod") {
		t.Errorf("the tracking-issue comment lacks the evidence marker or the lanes:\n%s", body)
	}
	if !strings.Contains(pub.summary, "discord-blue/prod") {
		t.Errorf("publish wrote no lane table to the job summary:\n%s", pub.summary)
	}
	if len(gh.statuses) != 0 {
		t.Errorf("publish posted statuses: %v", gh.statuses)
	}
}

// evidenceList reads back the newest evidence of one lane and kind.
func evidenceList(t *testing.T, state, lane, kind string) []map[string]any {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), &cli.Env{
		Args:   []string{"evidence", "list", "--state-dir", state, "--lane", lane, "--kind", kind, "--format", "json"},
		Getenv: func(string) string { return "" },
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
	})
	if code != cli.ExitOK {
		t.Fatalf("evidence list exited %d\nstderr:\n%s", code, stderr.String())
	}
	var out struct {
		Evidence map[string]map[string][]map[string]any `json:"evidence"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("evidence list printed %q: %v", stdout.String(), err)
	}
	return out.Evidence[lane][kind]
}

func TestEvidenceRecordThroughTheAction(t *testing.T) {
	a, _ := loadAction(t)
	state := copyState(t)
	r := runTheAction(t, a, t.TempDir(), map[string]string{
		"command": "evidence", "lane": "discord-blue/prod", "evidence-kind": "deploy", "evidence-status": "pass",
		"run-url": testRunURL, "trace": "trace-abc", "lanes": filepath.Join(repoRoot(t), "lanes.yaml"), "state-dir": state,
	}, nil)
	if r.code != cli.ExitOK {
		t.Fatalf("evidence record exited %d\nstderr:\n%s", r.code, r.stderr)
	}
	checkOnlyDeclaredOutputs(t, a, r)
	recs := evidenceList(t, state, "discord-blue/prod", "deploy")
	if len(recs) != 1 {
		t.Fatalf("deploy evidence of discord-blue/prod = %v, want one record", recs)
	}
	if recs[0]["passed"] != true || recs[0]["run_url"] != testRunURL || recs[0]["trace_id"] != "trace-abc" {
		t.Errorf("recorded %v, want a pass from %s with trace trace-abc", recs[0], testRunURL)
	}
}

func TestEvidenceProbeThroughTheAction(t *testing.T) {
	a, _ := loadAction(t)
	var hits atomic.Int32
	health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(health.Close)
	dir := t.TempDir()
	lanesYAML := "schema_version: 1\nlanes:\n" +
		"  - route: probe/test\n    product: probe\n    driver: generic-web\n    wave: 1\n    stage: dokploy\n" +
		"    health_url: " + health.URL + "/health\n    health: {allow_private: true}\n"
	if err := os.WriteFile(filepath.Join(dir, "probe-lanes.yaml"), []byte(lanesYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runTheAction(t, a, dir, map[string]string{
		"command": "evidence", "evidence-action": "probe", "lane": "probe/test", "lanes": "probe-lanes.yaml",
		"trace": "probe-trace", "state-dir": state,
	}, nil)
	if r.code != cli.ExitOK {
		t.Fatalf("evidence probe exited %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	checkOnlyDeclaredOutputs(t, a, r)
	if hits.Load() == 0 {
		t.Error("the health endpoint was never probed")
	}
	recs := evidenceList(t, state, "probe/test", "health")
	if len(recs) != 1 || recs[0]["passed"] != true || recs[0]["trace_id"] != "probe-trace" {
		t.Errorf("health evidence = %v, want one pass with trace probe-trace", recs)
	}
}

// TestPreflightThroughTheAction shows the dokploy-api-key input reaching
// Dokploy: action.yml passes it as a variable of its own (see
// secretEnvInputs), and the key never shows in the output.
func TestPreflightThroughTheAction(t *testing.T) {
	a, _ := loadAction(t)
	const key = "dk_test_0123456789abcdef"
	var gotKey atomic.Value
	dokploy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey.Store(r.Header.Get("x-api-key"))
		if r.URL.Path != "/api/application.one" || r.URL.Query().Get("applicationId") != "app-discord-blue-prod" {
			http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"applicationId":"app-discord-blue-prod","name":"discord-blue-prod","appName":"discord-blue-prod-x1"}`)
	}))
	t.Cleanup(dokploy.Close)

	r := runTheAction(t, a, t.TempDir(), map[string]string{
		"command": "preflight", "lane": "discord-blue/prod", "dokploy-url": dokploy.URL,
		"dokploy-api-key": key, "state-dir": copyState(t), "args": "--format json",
	}, nil)
	if r.code != cli.ExitOK {
		t.Fatalf("preflight exited %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	checkOnlyDeclaredOutputs(t, a, r)
	if got, _ := gotKey.Load().(string); got != key {
		t.Errorf("Dokploy got x-api-key %q, want the dokploy-api-key input", got)
	}
	var rep struct {
		Status string `json:"status"`
		Checks []struct {
			Check, Status string
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("preflight printed %q: %v", r.stdout, err)
	}
	live := false
	for _, c := range rep.Checks {
		live = live || (c.Check == "dokploy" && c.Status == "pass")
	}
	if rep.Status != "pass" || !live {
		t.Errorf("preflight = %+v, want a pass that includes the live Dokploy check", rep)
	}
	if strings.Contains(r.shown(), key) {
		t.Error("the Dokploy key shows in the output")
	}
}
