package actioncontract

// Contract of the cutover-gate and evidence-report workflows: the gate runs
// on every pull request and merge group, the pull-request half holds no
// secret and no write permission, the privileged half never builds the pull
// request's code and trusts nothing but the pull request number, and the
// evidence report writes only to the tracking issue.

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	// gateContext is the commit status the gate posts: the required check.
	gateContext = "lanegate/cutover"
	// scopeArtifact carries the scope file from the unprivileged run.
	scopeArtifact = "lanegate-gate-scope"

	checkoutPrefix = "actions/checkout@"
	uploadPrefix   = "actions/upload-artifact@"
	downloadPrefix = "actions/download-artifact@"
)

// eventIf matches the github.event_name tests in a job's `if:`.
var eventIf = regexp.MustCompile(`github\.event_name\s*==\s*'([a-z_]+)'`)

func findWorkflow(t *testing.T, files []workflowFile, base string) workflowFile {
	t.Helper()
	for _, f := range files {
		if filepath.Base(f.name) == base {
			return f
		}
	}
	t.Fatalf(".github/workflows/%s is missing", base)
	return workflowFile{}
}

// trigger returns the node of one event under `on:` (nil when absent; an
// event given without settings has a null or empty node).
func trigger(wf *workflow, event string) *yaml.Node {
	on := &wf.On
	switch on.Kind {
	case yaml.ScalarNode:
		if on.Value == event {
			return &yaml.Node{Kind: yaml.ScalarNode}
		}
	case yaml.SequenceNode:
		for _, c := range on.Content {
			if c.Value == event {
				return &yaml.Node{Kind: yaml.ScalarNode}
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(on.Content); i += 2 {
			if on.Content[i].Value == event {
				return on.Content[i+1]
			}
		}
	}
	return nil
}

// child returns the value node of key in a mapping node.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalars lists a scalar or a sequence of scalars.
func scalars(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, c.Value)
	}
	return out
}

// permissions returns a job's permissions as scope → level ("*" for the
// read-all / write-all shorthands).
func permissions(n *yaml.Node) map[string]string {
	out := map[string]string{}
	switch n.Kind {
	case yaml.ScalarNode:
		out["*"] = n.Value
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			out[n.Content[i].Value] = n.Content[i+1].Value
		}
	}
	return out
}

func hasWrite(perms map[string]string) bool {
	for _, v := range perms {
		if strings.Contains(v, "write") {
			return true
		}
	}
	return false
}

// mayRunOn reports whether a job's `if:` lets it run on event. Only the
// github.event_name == '...' form is understood; a job without it runs on
// every event of the workflow.
func mayRunOn(j *job, event string) bool {
	m := eventIf.FindAllStringSubmatch(j.If, -1)
	if len(m) == 0 {
		return true
	}
	for _, e := range m {
		if e[1] == event {
			return true
		}
	}
	return false
}

// jobText is every expression-bearing value of a job: its if and env, and
// each step's if, run, env and with.
func jobText(j *job) []string {
	out := []string{j.If}
	for _, v := range j.Env {
		out = append(out, v)
	}
	for _, s := range j.Steps {
		out = append(out, s.If, s.Run)
		for _, v := range s.Env {
			out = append(out, v)
		}
		for _, v := range s.With {
			out = append(out, v)
		}
	}
	return out
}

// gateSteps returns a job's lanegate gate steps by their index in the job.
func gateSteps(j *job) map[int]step {
	out := map[int]step{}
	for i, s := range j.Steps {
		if s.Uses == localAction && s.With["command"] == "gate" {
			out[i] = s
		}
	}
	return out
}

// stepsUsing returns a job's steps that use an action, by index.
func stepsUsing(j *job, prefix string) map[int]step {
	out := map[int]step{}
	for i, s := range j.Steps {
		if strings.HasPrefix(s.Uses, prefix) {
			out[i] = s
		}
	}
	return out
}

// TestPullRequestJobsHoldNoSecrets: a pull_request run may be a fork's
// code; any job that can run on it gets no secret and no write permission.
func TestContractPullRequestJobsHoldNoSecrets(t *testing.T) {
	for _, f := range loadWorkflows(t) {
		if trigger(&f.wf, "pull_request") == nil {
			continue
		}
		for _, id := range sortedKeys(f.wf.Jobs) {
			j := f.wf.Jobs[id]
			if !mayRunOn(j, "pull_request") {
				continue
			}
			if perms := permissions(&j.Permissions); hasWrite(perms) {
				t.Errorf("%s: job %s runs on pull requests with write permissions %v", f.name, id, perms)
			}
			for _, v := range jobText(j) {
				if strings.Contains(v, "secrets.") {
					t.Errorf("%s: job %s runs on pull requests and reads a secret (%q)", f.name, id, v)
				}
			}
		}
	}
}

// TestWorkflowRunNeverChecksOutTheTriggeringHead: a workflow_run job has
// secrets and write tokens; it must not build the triggering run's code.
func TestContractWorkflowRunNeverChecksOutTheTriggeringHead(t *testing.T) {
	untrusted := []string{"workflow_run.head_", "github.head_ref", "pull_request.head", "workflow_run.pull_requests"}
	for _, f := range loadWorkflows(t) {
		if trigger(&f.wf, "workflow_run") == nil {
			continue
		}
		for _, id := range sortedKeys(f.wf.Jobs) {
			for i, s := range stepsUsing(f.wf.Jobs[id], checkoutPrefix) {
				for _, k := range sortedKeys(s.With) {
					for _, u := range untrusted {
						if strings.Contains(s.With[k], u) {
							t.Errorf("%s: job %s %s: checkout %s = %q names the triggering run's code (%s)", f.name, id, s.label(i), k, s.With[k], u)
						}
					}
				}
			}
		}
	}
}

// oneLine collapses an expression's whitespace so a folded `if: >-` block
// compares as one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestContractWorkflowRunChecksTheTriggeringRun: on.workflow_run matches
// the triggering workflow by name only, and a workflow file in any branch or
// pull request may carry that name. Every job of a workflow_run workflow
// must check the triggering run's workflow file and event before it uses
// the secrets and write token it gets.
func TestContractWorkflowRunChecksTheTriggeringRun(t *testing.T) {
	seen := 0
	for _, f := range loadWorkflows(t) {
		if trigger(&f.wf, "workflow_run") == nil {
			continue
		}
		seen++
		for _, id := range sortedKeys(f.wf.Jobs) {
			cond := oneLine(f.wf.Jobs[id].If)
			for _, want := range []string{"github.event.workflow_run.path ==", "github.event.workflow_run.event =="} {
				if !strings.Contains(cond, want) {
					t.Errorf("%s: job %s runs after any workflow_run without checking %s…", f.name, id, want)
				}
			}
		}
	}
	if seen == 0 {
		t.Error("no workflow_run workflow found")
	}
}

// TestGateStatusIsTheRequiredCheck: every place that posts the gate's
// status uses the one context made required.
func TestContractGateStatusIsTheRequiredCheck(t *testing.T) {
	deciders := 0
	for _, f := range loadWorkflows(t) {
		for _, id := range sortedKeys(f.wf.Jobs) {
			j := f.wf.Jobs[id]
			for i, s := range gateSteps(j) {
				if s.With["scope-only"] == "true" {
					continue
				}
				deciders++
				if got := s.With["status-context"]; got != gateContext {
					t.Errorf("%s: job %s %s: status-context = %q, want %q (the required check)", f.name, id, s.label(i), got, gateContext)
				}
				if !strings.Contains(s.With["database-url"], "secrets.") {
					t.Errorf("%s: job %s %s decides without the database secret; it could not audit the lanes", f.name, id, s.label(i))
				}
				if perms := permissions(&j.Permissions); perms["statuses"] != "write" {
					t.Errorf("%s: job %s decides the gate without statuses: write (%v)", f.name, id, perms)
				}
			}
			for i, s := range j.Steps {
				if strings.Contains(s.Run, "/statuses/") && !strings.Contains(s.Run, "context="+gateContext) {
					t.Errorf("%s: job %s %s posts a status under another context than %s", f.name, id, s.label(i), gateContext)
				}
			}
		}
	}
	if deciders == 0 {
		t.Error("no workflow step decides the cutover gate")
	}
}

// TestCutoverGateRunsOnEveryPullRequest: a filtered or skipped workflow
// leaves the required status missing, which blocks the merge forever.
func TestContractCutoverGateRunsOnEveryPullRequest(t *testing.T) {
	files := loadWorkflows(t)
	f := findWorkflow(t, files, "cutover-gate.yml")
	if f.wf.Name != "cutover-gate" {
		t.Errorf("%s: name = %q, want cutover-gate (cutover-gate-decide.yml's workflow_run names it)", f.name, f.wf.Name)
	}
	for _, ev := range []string{"pull_request", "merge_group", "workflow_call"} {
		if trigger(&f.wf, ev) == nil {
			t.Errorf("%s: not triggered by %s", f.name, ev)
		}
	}
	for _, ev := range events(&f.wf.On) {
		n := trigger(&f.wf, ev)
		for _, filter := range []string{"paths", "paths-ignore", "branches", "branches-ignore"} {
			if child(n, filter) != nil {
				t.Errorf("%s: on.%s.%s: a filtered-out run leaves the required %s status missing; decide in the gate instead", f.name, ev, filter, gateContext)
			}
		}
	}
	if types := scalars(child(trigger(&f.wf, "pull_request"), "types")); types != nil {
		for _, want := range []string{"opened", "synchronize", "reopened", "labeled", "unlabeled", "edited"} {
			if !slices.Contains(types, want) {
				t.Errorf("%s: on.pull_request.types lacks %s", f.name, want)
			}
		}
	}
	if types := scalars(child(trigger(&f.wf, "merge_group"), "types")); types != nil && !slices.Contains(types, "checks_requested") {
		t.Errorf("%s: on.merge_group.types lacks checks_requested", f.name)
	}

	// The pull_request half: scope only, uploaded for the deciding run.
	var scopeJobs, queueJobs int
	for _, id := range sortedKeys(f.wf.Jobs) {
		j := f.wf.Jobs[id]
		for i, s := range gateSteps(j) {
			switch {
			case s.With["scope-only"] == "true":
				scopeJobs++
				if mayRunOn(j, "merge_group") {
					t.Errorf("%s: job %s computes only the scope but also runs on merge_group, where nothing decides it", f.name, id)
				}
				path := s.With["report-path"]
				uploaded := false
				for _, u := range stepsUsing(j, uploadPrefix) {
					uploaded = uploaded || (u.With["name"] == scopeArtifact && u.With["path"] == path)
				}
				if path == "" || !uploaded {
					t.Errorf("%s: job %s %s: the scope file (report-path %q) is not uploaded as %s", f.name, id, s.label(i), path, scopeArtifact)
				}
				if perms := permissions(&j.Permissions); perms["pull-requests"] != "read" || perms["contents"] != "read" || len(perms) != 2 {
					t.Errorf("%s: job %s permissions = %v, want exactly contents: read and pull-requests: read", f.name, id, perms)
				}
			default:
				queueJobs++
				if mayRunOn(j, "pull_request") {
					t.Errorf("%s: job %s decides with secrets on pull_request; only the workflow_run half may", f.name, id)
				}
				if !mayRunOn(j, "merge_group") {
					t.Errorf("%s: job %s decides but never runs on merge_group", f.name, id)
				}
			}
		}
	}
	if scopeJobs != 1 || queueJobs != 1 {
		t.Errorf("%s: %d scope-only gate job(s) and %d deciding job(s), want one of each", f.name, scopeJobs, queueJobs)
	}
}

// TestCutoverGateDecide: the privileged half runs only after cutover-gate,
// from the default branch, on the pull request the artifact names.
func TestContractCutoverGateDecide(t *testing.T) {
	files := loadWorkflows(t)
	gate := findWorkflow(t, files, "cutover-gate.yml")
	f := findWorkflow(t, files, "cutover-gate-decide.yml")
	for _, ev := range events(&f.wf.On) {
		if ev != "workflow_run" && ev != "workflow_call" {
			t.Errorf("%s: triggered by %s; want workflow_run (and workflow_call) only", f.name, ev)
		}
	}
	wr := trigger(&f.wf, "workflow_run")
	if wf := scalars(child(wr, "workflows")); !slices.Equal(wf, []string{gate.wf.Name}) {
		t.Errorf("%s: on.workflow_run.workflows = %q, want [%q]", f.name, wf, gate.wf.Name)
	}
	if types := scalars(child(wr, "types")); !slices.Equal(types, []string{"completed"}) {
		t.Errorf("%s: on.workflow_run.types = %q, want [completed]", f.name, types)
	}
	scopePath := ""
	for _, j := range gate.wf.Jobs {
		for _, s := range gateSteps(j) {
			if s.With["scope-only"] == "true" {
				scopePath = filepath.Base(s.With["report-path"])
			}
		}
	}
	deciders := 0
	for _, id := range sortedKeys(f.wf.Jobs) {
		j := f.wf.Jobs[id]
		if !strings.Contains(j.If, "github.event.workflow_run.event == 'pull_request'") {
			t.Errorf("%s: job %s does not check that the triggering run was for a pull request", f.name, id)
		}
		gatePath := filepath.ToSlash(gate.name)
		if want := "github.event.workflow_run.path == (inputs.gate_workflow_path || '" + gatePath + "')"; !strings.Contains(oneLine(j.If), want) {
			t.Errorf("%s: job %s does not check that the triggering run is %s: want %q in its if", f.name, id, gatePath, want)
		}
		if d := child(child(child(trigger(&f.wf, "workflow_call"), "inputs"), "gate_workflow_path"), "default"); d == nil || d.Value != gatePath {
			t.Errorf("%s: on.workflow_call input gate_workflow_path must default to %s", f.name, gatePath)
		}
		// id-token: write lets the gate audit through the Launchplane service
		// (vars.LAUNCHPLANE_URL); it grants no repository write.
		want := map[string]string{"actions": "read", "contents": "read", "id-token": "write", "pull-requests": "write", "statuses": "write"}
		if got := permissions(&j.Permissions); !equalMaps(got, want) {
			t.Errorf("%s: job %s permissions = %v, want %v", f.name, id, got, want)
		}
		for i, s := range stepsUsing(j, checkoutPrefix) {
			if !strings.Contains(s.With["ref"], "default_branch") {
				t.Errorf("%s: job %s %s: checkout ref = %q, want the default branch", f.name, id, s.label(i), s.With["ref"])
			}
		}
		var downloadPath string
		for i, s := range stepsUsing(j, downloadPrefix) {
			if s.With["name"] != scopeArtifact {
				continue
			}
			downloadPath = s.With["path"]
			if got := strings.Join(strings.Fields(s.With["run-id"]), " "); got != "${{ github.event.workflow_run.id }}" {
				t.Errorf("%s: job %s %s: run-id = %q, want ${{ github.event.workflow_run.id }}", f.name, id, s.label(i), s.With["run-id"])
			}
			if s.With["github-token"] == "" {
				t.Errorf("%s: job %s %s: another run's artifact needs github-token", f.name, id, s.label(i))
			}
		}
		for i, s := range gateSteps(j) {
			deciders++
			if downloadPath == "" {
				t.Errorf("%s: job %s decides without downloading %s", f.name, id, scopeArtifact)
			}
			if want := downloadPath + "/" + scopePath; s.With["scope-from"] != want {
				t.Errorf("%s: job %s %s: scope-from = %q, want %q (the downloaded scope file)", f.name, id, s.label(i), s.With["scope-from"], want)
			}
			if s.With["scope-only"] == "true" || s.With["pr"] != "" {
				t.Errorf("%s: job %s %s must decide the pull request named by the scope file", f.name, id, s.label(i))
			}
		}
	}
	if deciders != 1 {
		t.Errorf("%s: %d gate steps, want 1", f.name, deciders)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestEvidenceReportWorkflow: audit, then one sticky comment on the
// tracking issue, with nothing more than issues: write.
func TestContractEvidenceReportWorkflow(t *testing.T) {
	files := loadWorkflows(t)
	audit := findWorkflow(t, files, "provider-target-audit.yml")
	f := findWorkflow(t, files, "evidence-report.yml")
	for _, ev := range []string{"schedule", "workflow_run", "workflow_dispatch", "workflow_call"} {
		if trigger(&f.wf, ev) == nil {
			t.Errorf("%s: not triggered by %s", f.name, ev)
		}
	}
	wr := trigger(&f.wf, "workflow_run")
	if wf := scalars(child(wr, "workflows")); !slices.Equal(wf, []string{audit.wf.Name}) {
		t.Errorf("%s: on.workflow_run.workflows = %q, want [%q]", f.name, wf, audit.wf.Name)
	}
	// The audit it follows never runs on pull requests, and the report
	// runs only after that very workflow, started by its schedule or by
	// hand, on this repository's default branch.
	for _, ev := range []string{"pull_request", "pull_request_target", "push"} {
		if trigger(&audit.wf, ev) != nil {
			t.Errorf("%s: triggered by %s; %s would then publish after untrusted runs", audit.name, ev, f.name)
		}
	}
	for _, id := range sortedKeys(f.wf.Jobs) {
		cond := oneLine(f.wf.Jobs[id].If)
		for _, want := range []string{
			"github.event.workflow_run.path == '" + filepath.ToSlash(audit.name) + "'",
			"(github.event.workflow_run.event == 'schedule' || github.event.workflow_run.event == 'workflow_dispatch')",
			"github.event.workflow_run.head_branch == github.event.repository.default_branch",
			"github.event.workflow_run.head_repository.full_name == github.repository",
		} {
			if !strings.Contains(cond, want) {
				t.Errorf("%s: job %s: if lacks %q", f.name, id, want)
			}
		}
		if strings.Contains(cond, "'pull_request") {
			t.Errorf("%s: job %s accepts a pull request's run: %q", f.name, id, cond)
		}
	}
	for _, ev := range []string{"workflow_dispatch", "workflow_call"} {
		inputs := child(trigger(&f.wf, ev), "inputs")
		for _, name := range []string{"tracking_issue", "record"} {
			if child(inputs, name) == nil {
				t.Errorf("%s: on.%s has no input %s", f.name, ev, name)
			}
		}
		if d := child(child(inputs, "record"), "default"); d == nil || d.Value != "false" {
			t.Errorf("%s: on.%s input record must default to false", f.name, ev)
		}
	}
	published := 0
	for _, id := range sortedKeys(f.wf.Jobs) {
		j := f.wf.Jobs[id]
		want := map[string]string{"contents": "read", "issues": "write"}
		if got := permissions(&j.Permissions); !equalMaps(got, want) {
			t.Errorf("%s: job %s permissions = %v, want %v", f.name, id, got, want)
		}
		reports := map[string]bool{}
		uploaded := map[string]string{}
		for _, s := range stepsUsing(j, uploadPrefix) {
			uploaded[s.With["name"]] = s.With["path"]
		}
		for i, s := range j.Steps {
			if s.Uses != localAction {
				continue
			}
			switch s.With["command"] {
			case "audit":
				reports[s.With["report-path"]] = true
				if s.With["record"] == "true" {
					t.Errorf("%s: job %s %s always records; record must stay opt-in", f.name, id, s.label(i))
				}
			case "publish":
				published++
				if s.With["issue"] == "" || s.With["pr"] != "" {
					t.Errorf("%s: job %s %s must publish to the tracking issue (issue set, pr not)", f.name, id, s.label(i))
				}
				for _, r := range strings.Fields(s.With["reports"]) {
					if !reports[r] {
						t.Errorf("%s: job %s %s publishes %q, which no earlier audit step wrote", f.name, id, s.label(i), r)
					}
				}
				if a := s.With["artifact"]; a == "" || !reports[uploaded[a]] {
					t.Errorf("%s: job %s %s: artifact %q is not the uploaded audit report", f.name, id, s.label(i), a)
				}
			}
		}
	}
	if published != 1 {
		t.Errorf("%s: %d publish steps, want 1", f.name, published)
	}
}
