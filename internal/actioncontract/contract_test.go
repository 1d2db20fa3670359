package actioncontract

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lanegate/lanegate/internal/actions"
	"github.com/lanegate/lanegate/internal/cli"
)

const (
	modulePath = "github.com/lanegate/lanegate"

	// lanegateStepID is the id of the action.yml step that runs lanegate.
	lanegateStepID = "lanegate"
	// inputEnvPrefix starts the variables the composite action passes.
	inputEnvPrefix = "LANEGATE_INPUT_"
	// applyEnvironment is the protected environment a backfill-apply
	// must run in.
	applyEnvironment = "launchplane-production"
	// localAction is how the workflows refer to this repository's action.
	localAction = "./"
)

// requiredWorkflows must exist; the other checks run on every workflow file.
var requiredWorkflows = []string{
	"ci.yml",
	"provider-target-audit.yml",
	"provider-target-backfill.yml",
	"audit-matrix.yml",
	"cutover-gate.yml",
	"cutover-gate-decide.yml",
	"evidence-report.yml",
}

// secretEnvInputs are the inputs action.yml hands to the lanegate step
// under the variable the CLI reads for that secret, instead of
// LANEGATE_INPUT_<NAME>. Each must be covered by a test that shows the
// value reaching lanegate (TestPreflightThroughTheAction for the key).
var secretEnvInputs = map[string]string{
	"dokploy-api-key": "DOKPLOY_API_KEY",
}

var (
	// owner/repo[/path]@<40 hex>
	shaPinned = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$`)
	// docker://image@sha256:<64 hex>
	digestPinned = regexp.MustCompile(`^docker://[^@\s]+@sha256:[0-9a-f]{64}$`)
	// # v5, # v5.5, # v5.5.0
	versionComment = regexp.MustCompile(`^#\s*v\d+(\.\d+){0,2}\b`)
	// ${{ inputs.name }}, the only value an input's env variable may have.
	inputExpr = regexp.MustCompile(`^\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}$`)
	// ${{ steps.<id>.outputs.<name> }}, the only value an output may have.
	stepOutputExpr = regexp.MustCompile(`^\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\}\}$`)
	// Any reference to a step output inside a larger expression.
	stepOutputRef = regexp.MustCompile(`steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)`)
)

// actionMeta is the part of action.yml the contract is about.
type actionMeta struct {
	Name    string                  `yaml:"name"`
	Inputs  map[string]actionInput  `yaml:"inputs"`
	Outputs map[string]actionOutput `yaml:"outputs"`
	Runs    struct {
		Using string `yaml:"using"`
		Steps []step `yaml:"steps"`
	} `yaml:"runs"`
}

type actionInput struct {
	Description string `yaml:"description"`
	Required    bool   `yaml:"required"`
	Default     string `yaml:"default"`
}

type actionOutput struct {
	Description string `yaml:"description"`
	Value       string `yaml:"value"`
}

// step is a step of a workflow job or of a composite action.
type step struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	Run              string            `yaml:"run"`
	Shell            string            `yaml:"shell"`
	WorkingDirectory string            `yaml:"working-directory"`
	Env              map[string]string `yaml:"env"`
	With             map[string]string `yaml:"with"`
}

func (s step) label(i int) string {
	switch {
	case s.ID != "":
		return fmt.Sprintf("step %d (id %s)", i+1, s.ID)
	case s.Name != "":
		return fmt.Sprintf("step %d (%s)", i+1, s.Name)
	}
	return fmt.Sprintf("step %d", i+1)
}

// Node-valued fields are yaml.Node, not *yaml.Node: yaml.v3 fills a Node
// field with the node itself but tries to decode scalars into a *Node's
// struct. A missing key leaves Kind 0.
type workflow struct {
	Name        string            `yaml:"name"`
	On          yaml.Node         `yaml:"on"`
	Permissions yaml.Node         `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]*job   `yaml:"jobs"`
}

type job struct {
	Uses           string            `yaml:"uses"`
	If             string            `yaml:"if"`
	Permissions    yaml.Node         `yaml:"permissions"`
	TimeoutMinutes yaml.Node         `yaml:"timeout-minutes"`
	Environment    yaml.Node         `yaml:"environment"`
	Concurrency    yaml.Node         `yaml:"concurrency"`
	Env            map[string]string `yaml:"env"`
	Outputs        map[string]string `yaml:"outputs"`
	Steps          []step            `yaml:"steps"`
}

// repoRoot finds the module root from the package directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module "+modulePath+"\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod of %s above the test directory", modulePath)
		}
		dir = parent
	}
}

// readYAML decodes path into out and also returns its node tree (for
// comments and line numbers).
func readYAML(t *testing.T, path string, out any) *yaml.Node {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := root.Decode(out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &root
}

func loadAction(t *testing.T) (*actionMeta, *yaml.Node) {
	t.Helper()
	var a actionMeta
	root := readYAML(t, filepath.Join(repoRoot(t), "action.yml"), &a)
	return &a, root
}

// inputEnvName is the variable the action passes input name through:
// LANEGATE_INPUT_ + the name upper-cased with '-' and ' ' turned into '_'.
func inputEnvName(name string) string {
	return inputEnvPrefix + strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToUpper(name))
}

// lanegateStep returns the action step that runs lanegate.
func lanegateStep(t *testing.T, a *actionMeta) step {
	t.Helper()
	for _, s := range a.Runs.Steps {
		if s.ID == lanegateStepID {
			return s
		}
	}
	t.Fatalf("action.yml: no step with id %q", lanegateStepID)
	return step{}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestActionIsCompositeAndRunsLanegate(t *testing.T) {
	a, _ := loadAction(t)
	if a.Runs.Using != "composite" {
		t.Errorf("action.yml: runs.using = %q, want composite", a.Runs.Using)
	}
	s := lanegateStep(t, a)
	if !strings.Contains(s.Run, `"$RUNNER_TEMP/lanegate" action`) {
		t.Errorf("action.yml: step %q runs %q, want it to run \"$RUNNER_TEMP/lanegate\" action", lanegateStepID, s.Run)
	}
	var built bool
	for i, st := range a.Runs.Steps {
		if st.Run != "" && st.Shell != "bash" {
			t.Errorf("action.yml: %s: shell = %q, want bash on every run step", st.label(i), st.Shell)
		}
		if strings.Contains(st.Run, "go build") {
			built = true
			if !strings.Contains(st.Run, "./cmd/lanegate") || !strings.Contains(st.Run, `-o "$RUNNER_TEMP/lanegate"`) {
				t.Errorf("action.yml: %s builds %q, want ./cmd/lanegate into \"$RUNNER_TEMP/lanegate\"", st.label(i), st.Run)
			}
			if st.WorkingDirectory != "${{ github.action_path }}" {
				t.Errorf("action.yml: %s: working-directory = %q, want ${{ github.action_path }}", st.label(i), st.WorkingDirectory)
			}
		}
	}
	if !built {
		t.Error("action.yml: no step builds lanegate from the action's source")
	}
}

func TestActionForwardsEveryInput(t *testing.T) {
	a, _ := loadAction(t)
	if len(a.Inputs) == 0 {
		t.Fatal("action.yml declares no inputs")
	}
	env := lanegateStep(t, a).Env

	owner := map[string]string{}
	for _, name := range sortedKeys(a.Inputs) {
		key := inputEnvName(name)
		if other, dup := owner[key]; dup {
			t.Errorf("inputs %q and %q both map to %s", other, name, key)
		}
		owner[key] = name
		if secretKey, ok := secretEnvInputs[name]; ok {
			// Forwarded under the secret's own variable, and only there.
			if v, leaked := env[key]; leaked {
				t.Errorf("env %s = %q: input %q must reach lanegate only as %s", key, v, name, secretKey)
			}
			val, ok := env[secretKey]
			if m := inputExpr.FindStringSubmatch(val); !ok || m == nil || m[1] != name {
				t.Errorf("input %q: env %s = %q, want ${{ inputs.%s }}", name, secretKey, val, name)
			}
			continue
		}
		val, ok := env[key]
		if !ok {
			t.Errorf("input %q is not passed to lanegate: add %s: ${{ inputs.%s }} to the env of step %q", name, key, name, lanegateStepID)
			continue
		}
		m := inputExpr.FindStringSubmatch(val)
		if m == nil || m[1] != name {
			t.Errorf("env %s = %q, want ${{ inputs.%s }}", key, val, name)
		}
	}
	for _, key := range sortedKeys(env) {
		if !strings.HasPrefix(key, inputEnvPrefix) {
			continue
		}
		if _, ok := owner[key]; !ok {
			t.Errorf("env %s of step %q matches no declared input", key, lanegateStepID)
		}
	}
	// No other step of the action may see a secret input.
	for i, st := range a.Runs.Steps {
		if st.ID == lanegateStepID {
			continue
		}
		for k, v := range st.Env {
			for name := range secretEnvInputs {
				if strings.Contains(v, "inputs."+name) {
					t.Errorf("action.yml: %s env %s reads the secret input %q; only step %q may", st.label(i), k, name, lanegateStepID)
				}
			}
		}
	}
}

// TestActionInputsReachTheCLI checks the naming against the reader lanegate
// really uses: each value placed in the variable action.yml names must come
// back from Runtime.Input under the input's own name.
func TestActionInputsReachTheCLI(t *testing.T) {
	a, _ := loadAction(t)
	env := lanegateStep(t, a).Env
	vars := map[string]string{}
	for name := range a.Inputs {
		for key, val := range env {
			if m := inputExpr.FindStringSubmatch(val); m != nil && m[1] == name {
				vars[key] = "value-of-" + name
			}
		}
	}
	rt := actions.New(actions.Config{Getenv: func(k string) string { return vars[k] }})
	for _, name := range sortedKeys(a.Inputs) {
		if _, ok := secretEnvInputs[name]; ok {
			continue // not an input variable; see secretEnvInputs
		}
		if got, want := rt.Input(name), "value-of-"+name; got != want {
			t.Errorf("lanegate reads input %q as %q, want %q (the variable action.yml sets)", name, got, want)
		}
	}
}

func TestActionInputDefaults(t *testing.T) {
	a, _ := loadAction(t)
	want := map[string]string{
		"command":      "audit",
		"lanes":        "lanes.yaml",
		"mode":         "backfill-dry-run",
		"fail-on":      "blocked",
		"report-path":  "lanegate-report.json",
		"github-token": "${{ github.token }}",
	}
	for _, name := range sortedKeys(want) {
		in, ok := a.Inputs[name]
		if !ok {
			t.Errorf("action.yml: input %q is missing", name)
			continue
		}
		if in.Default != want[name] {
			t.Errorf("action.yml: input %q default = %q, want %q", name, in.Default, want[name])
		}
	}
	for _, name := range sortedKeys(a.Inputs) {
		if a.Inputs[name].Required {
			t.Errorf("action.yml: input %q is required; lanegate's inputs are all optional", name)
		}
		if a.Inputs[name].Description == "" {
			t.Errorf("action.yml: input %q has no description", name)
		}
	}
}

func TestActionOutputsComeFromLanegateStep(t *testing.T) {
	a, _ := loadAction(t)
	if len(a.Outputs) == 0 {
		t.Fatal("action.yml declares no outputs")
	}
	for _, name := range sortedKeys(a.Outputs) {
		val := a.Outputs[name].Value
		m := stepOutputExpr.FindStringSubmatch(val)
		if m == nil || m[1] != lanegateStepID || m[2] != name {
			t.Errorf("output %q: value = %q, want ${{ steps.%s.outputs.%s }}", name, val, lanegateStepID, name)
		}
		if a.Outputs[name].Description == "" {
			t.Errorf("output %q has no description", name)
		}
	}
}

// TestActionOutputNames is the list of outputs `lanegate action` writes.
// Change it together with action.yml and the CLI.
func TestActionOutputNames(t *testing.T) {
	wantOutputs := []string{"status", "complete-count", "blocked-count", "warning-count", "report-path", "plan-digest", "created-count"}
	a, _ := loadAction(t)
	got := sortedKeys(a.Outputs)
	want := slices.Clone(wantOutputs)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("action.yml outputs = %q, want %q", got, want)
	}
}

// TestNoExpressionsInActionScripts: an input expanded inside run: is script
// injection. Everything reaches scripts through env.
func TestNoExpressionsInActionScripts(t *testing.T) {
	a, _ := loadAction(t)
	for i, s := range a.Runs.Steps {
		if strings.Contains(s.Run, "${{") {
			t.Errorf("action.yml: %s expands an expression inside run:; pass it through env instead: %q", s.label(i), s.Run)
		}
	}
}

// usesRef is one `uses:` value with its line comment.
type usesRef struct {
	value, comment string
	line           int
}

// collectUses returns every `uses:` scalar in the tree, at any depth (steps
// and reusable-workflow jobs).
func collectUses(n *yaml.Node) []usesRef {
	var out []usesRef
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "uses" && v.Kind == yaml.ScalarNode {
					comment := v.LineComment
					if comment == "" {
						comment = k.LineComment
					}
					out = append(out, usesRef{value: v.Value, comment: strings.TrimSpace(comment), line: v.Line})
				}
				walk(v)
			}
		}
	}
	walk(n)
	return out
}

// checkPinned reports every remote `uses:` not pinned to a full commit SHA
// (or image digest) with a version comment.
func checkPinned(t *testing.T, file string, root *yaml.Node) {
	t.Helper()
	for _, u := range collectUses(root) {
		switch {
		case strings.HasPrefix(u.value, "./"):
			continue
		case strings.HasPrefix(u.value, "docker://"):
			if !digestPinned.MatchString(u.value) {
				t.Errorf("%s:%d: %q is not pinned by sha256 digest", file, u.line, u.value)
			}
			continue
		}
		if !shaPinned.MatchString(u.value) {
			t.Errorf("%s:%d: %q is not pinned by a full 40-hex commit SHA", file, u.line, u.value)
			continue
		}
		if !versionComment.MatchString(u.comment) {
			t.Errorf("%s:%d: %q needs a version comment such as \"# v1.2.3\" (got %q)", file, u.line, u.value, u.comment)
		}
	}
}

func TestActionPinsSetupGo(t *testing.T) {
	a, root := loadAction(t)
	checkPinned(t, "action.yml", root)
	var found bool
	for i, s := range a.Runs.Steps {
		if !strings.HasPrefix(s.Uses, "actions/setup-go@") {
			continue
		}
		found = true
		if !shaPinned.MatchString(s.Uses) {
			t.Errorf("action.yml: %s: %q is not pinned by commit SHA", s.label(i), s.Uses)
		}
		if got := s.With["go-version-file"]; got != "${{ github.action_path }}/go.mod" {
			t.Errorf("action.yml: %s: go-version-file = %q, want ${{ github.action_path }}/go.mod", s.label(i), got)
		}
		if got := s.With["cache-dependency-path"]; got != "${{ github.action_path }}/go.sum" {
			t.Errorf("action.yml: %s: cache-dependency-path = %q, want ${{ github.action_path }}/go.sum", s.label(i), got)
		}
	}
	if !found {
		t.Error("action.yml: no actions/setup-go step")
	}
}

type workflowFile struct {
	name string
	wf   workflow
	root *yaml.Node
}

func loadWorkflows(t *testing.T) []workflowFile {
	t.Helper()
	dir := filepath.Join(repoRoot(t), ".github", "workflows")
	var paths []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	sort.Strings(paths)
	var out []workflowFile
	for _, p := range paths {
		f := workflowFile{name: filepath.Join(".github", "workflows", filepath.Base(p))}
		f.root = readYAML(t, p, &f.wf)
		out = append(out, f)
	}
	for _, want := range requiredWorkflows {
		if !slices.ContainsFunc(out, func(f workflowFile) bool { return filepath.Base(f.name) == want }) {
			t.Errorf(".github/workflows/%s is missing", want)
		}
	}
	return out
}

// events lists the trigger names of an `on:` node (a string, a list or a
// mapping).
func events(on *yaml.Node) []string {
	switch on.Kind {
	case yaml.ScalarNode:
		return []string{on.Value}
	case yaml.SequenceNode:
		var out []string
		for _, c := range on.Content {
			out = append(out, c.Value)
		}
		return out
	case yaml.MappingNode:
		var out []string
		for i := 0; i < len(on.Content); i += 2 {
			out = append(out, on.Content[i].Value)
		}
		return out
	}
	return nil
}

// mappingValue returns the scalar value of key in a mapping node.
func mappingValue(n *yaml.Node, key string) (string, bool) {
	if n == nil || n.Kind != yaml.MappingNode {
		return "", false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value, true
		}
	}
	return "", false
}

func TestWorkflowsPinRemoteActions(t *testing.T) {
	for _, f := range loadWorkflows(t) {
		checkPinned(t, f.name, f.root)
	}
}

func TestWorkflowsTriggersAndPermissions(t *testing.T) {
	for _, f := range loadWorkflows(t) {
		evs := events(&f.wf.On)
		if len(evs) == 0 {
			t.Errorf("%s: no `on:` triggers", f.name)
		}
		if slices.Contains(evs, "pull_request_target") {
			t.Errorf("%s: pull_request_target runs with secrets and a write token on fork PRs; do not use it", f.name)
		}
		if f.wf.Permissions.Kind == 0 {
			t.Errorf("%s: no top-level permissions (use permissions: {} and grant per job)", f.name)
		}
		if len(f.wf.Jobs) == 0 {
			t.Errorf("%s: no jobs", f.name)
		}
		for _, id := range sortedKeys(f.wf.Jobs) {
			j := f.wf.Jobs[id]
			if j.Permissions.Kind == 0 {
				t.Errorf("%s: job %s has no permissions block", f.name, id)
			}
			// Reusable-workflow calls take no timeout-minutes.
			if j.Uses == "" && j.TimeoutMinutes.Kind == 0 {
				t.Errorf("%s: job %s has no timeout-minutes", f.name, id)
			}
		}
	}
}

// TestWorkflowsKeepSecretsInSteps: a secret in workflow- or job-level env is
// handed to every step, third-party actions included.
func TestWorkflowsKeepSecretsInSteps(t *testing.T) {
	for _, f := range loadWorkflows(t) {
		for _, k := range sortedKeys(f.wf.Env) {
			if strings.Contains(f.wf.Env[k], "secrets.") {
				t.Errorf("%s: top-level env %s uses a secret; pass it to the one step that needs it", f.name, k)
			}
		}
		for _, id := range sortedKeys(f.wf.Jobs) {
			j := f.wf.Jobs[id]
			for _, k := range sortedKeys(j.Env) {
				if strings.Contains(j.Env[k], "secrets.") {
					t.Errorf("%s: job %s env %s uses a secret; pass it to the one step that needs it", f.name, id, k)
				}
			}
		}
	}
}

func TestWorkflowScripts(t *testing.T) {
	for _, f := range loadWorkflows(t) {
		for _, id := range sortedKeys(f.wf.Jobs) {
			for i, s := range f.wf.Jobs[id].Steps {
				if strings.Contains(s.Run, "${{") {
					t.Errorf("%s: job %s %s expands an expression inside run:; pass it through env instead", f.name, id, s.label(i))
				}
				if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["persist-credentials"] != "false" {
					t.Errorf("%s: job %s %s: checkout must set persist-credentials: false", f.name, id, s.label(i))
				}
			}
		}
	}
}

// TestWorkflowsUseTheLocalActionCorrectly checks `uses: ./` steps against
// action.yml: known inputs only, and only declared outputs are read.
func TestWorkflowsUseTheLocalActionCorrectly(t *testing.T) {
	a, _ := loadAction(t)
	for _, f := range loadWorkflows(t) {
		for _, id := range sortedKeys(f.wf.Jobs) {
			j := f.wf.Jobs[id]
			local := map[string]bool{}
			var refs []string
			for i, s := range j.Steps {
				if s.Uses == localAction {
					if s.ID != "" {
						local[s.ID] = true
					}
					for _, k := range sortedKeys(s.With) {
						if _, ok := a.Inputs[k]; !ok {
							t.Errorf("%s: job %s %s: input %q is not declared in action.yml", f.name, id, s.label(i), k)
						}
					}
				}
				refs = append(refs, s.If)
				for _, v := range s.Env {
					refs = append(refs, v)
				}
				for _, v := range s.With {
					refs = append(refs, v)
				}
			}
			for _, v := range j.Outputs {
				refs = append(refs, v)
			}
			for _, r := range refs {
				for _, m := range stepOutputRef.FindAllStringSubmatch(r, -1) {
					if !local[m[1]] {
						continue
					}
					if _, ok := a.Outputs[m[2]]; !ok {
						t.Errorf("%s: job %s reads output %q of step %s, which action.yml does not declare", f.name, id, m[2], m[1])
					}
				}
			}
		}
	}
}

// TestBackfillApplyIsProtected: any step that may apply a backfill must run
// in the protected environment, in a concurrency group that never cancels a
// running apply.
func TestBackfillApplyIsProtected(t *testing.T) {
	var applies int
	for _, f := range loadWorkflows(t) {
		for _, id := range sortedKeys(f.wf.Jobs) {
			j := f.wf.Jobs[id]
			for i, s := range j.Steps {
				if s.Uses != localAction {
					continue
				}
				mode := s.With["mode"]
				mayApply := strings.Contains(s.With["args"], "--apply") ||
					(s.With["command"] == "backfill" || strings.Contains(s.With["command"], "${{")) &&
						mode != "backfill-dry-run" && mode != "audit"
				if !mayApply {
					continue
				}
				applies++
				env := ""
				if j.Environment.Kind == yaml.ScalarNode {
					env = j.Environment.Value
				} else {
					env, _ = mappingValue(&j.Environment, "name")
				}
				if env != applyEnvironment {
					t.Errorf("%s: job %s %s may apply a backfill but runs in environment %q, want %q", f.name, id, s.label(i), env, applyEnvironment)
				}
				group, _ := mappingValue(&j.Concurrency, "group")
				cancel, _ := mappingValue(&j.Concurrency, "cancel-in-progress")
				if group == "" || cancel != "false" {
					t.Errorf("%s: job %s may apply a backfill; it needs concurrency with a group and cancel-in-progress: false", f.name, id)
				}
			}
		}
	}
	if applies == 0 {
		t.Error("no workflow step applies a backfill; provider-target-backfill.yml should have one")
	}
}

// parseGitHubOutput reads a GITHUB_OUTPUT file: name=value lines and
// name<<DELIM ... DELIM blocks.
func parseGitHubOutput(t *testing.T, data string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var value []string
			closed := false
			for i++; i < len(lines); i++ {
				if lines[i] == delim {
					closed = true
					break
				}
				value = append(value, lines[i])
			}
			if !closed {
				t.Fatalf("GITHUB_OUTPUT: output %q: delimiter never closes", name)
			}
			out[name] = strings.Join(value, "\n")
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT: malformed line %q", line)
		}
		out[name] = value
	}
	return out
}

// TestActionCommandWritesDeclaredOutputs runs `lanegate action` the way
// action.yml does (every input from its LANEGATE_INPUT_* variable, defaults
// included) against the example filesystem state, and checks that it writes
// only outputs action.yml declares; composite actions drop the others
// silently.
func TestActionCommandWritesDeclaredOutputs(t *testing.T) {
	root := repoRoot(t)
	a, _ := loadAction(t)
	dir := t.TempDir()
	outputFile := filepath.Join(dir, "github_output")
	summaryFile := filepath.Join(dir, "step_summary")
	for _, p := range []string{outputFile, summaryFile} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	reportPath := filepath.Join(dir, "report.json")

	vars := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       outputFile,
		"GITHUB_STEP_SUMMARY": summaryFile,
		"GITHUB_WORKSPACE":    dir,
		"RUNNER_TEMP":         dir,
		"GITHUB_REPOSITORY":   "lanegate/lanegate",
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_RUN_ID":       "1",
		"GITHUB_RUN_ATTEMPT":  "1",
		"GITHUB_SHA":          strings.Repeat("0", 40),
	}
	// What the runner passes for inputs the workflow leaves out: their
	// defaults. github.token stays empty; an audit must not need it.
	for k, v := range actionVars(t, a, map[string]string{
		"command":     "audit",
		"lanes":       filepath.Join(root, "lanes.yaml"),
		"state-dir":   filepath.Join(root, "examples", "state"),
		"fail-on":     "never",
		"report-path": reportPath,
	}) {
		vars[k] = v
	}

	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), &cli.Env{
		Args:   []string{"action"},
		Getenv: func(k string) string { return vars[k] },
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Dir:    dir,
	})
	if code != cli.ExitOK {
		t.Fatalf("lanegate action exited %d, want %d with fail-on never\nstderr:\n%s", code, cli.ExitOK, stderr.String())
	}

	data, err := os.ReadFile(outputFile)
	if err != nil {
		t.Fatal(err)
	}
	got := parseGitHubOutput(t, string(data))
	for _, name := range sortedKeys(got) {
		if _, ok := a.Outputs[name]; !ok {
			t.Errorf("lanegate action wrote output %q, which action.yml does not declare", name)
		}
	}
	for _, name := range []string{"status", "complete-count", "blocked-count", "warning-count", "report-path"} {
		if _, ok := got[name]; !ok {
			t.Errorf("an audit through the action did not write output %q", name)
		}
	}
	if s := got["status"]; s != "ok" && s != "blocked" {
		t.Errorf("output status = %q, want ok or blocked", s)
	}
	for _, name := range []string{"complete-count", "blocked-count", "warning-count"} {
		if v, ok := got[name]; ok && !regexp.MustCompile(`^[0-9]+$`).MatchString(v) {
			t.Errorf("output %s = %q, want a count", name, v)
		}
	}
	if p, ok := got["report-path"]; ok {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("output report-path = %q: want a non-empty report there (%v)", got["report-path"], err)
		}
	}
	summary, err := os.ReadFile(summaryFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(bytes.TrimSpace(summary)) == 0 {
		t.Error("lanegate action wrote no step summary")
	}
}
