package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/registry"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/gate"
	"github.com/lanegate/lanegate/internal/ghapi"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/safeio"
)

type gateFlags struct {
	githubFlags
	storeFlags
	pr         int
	lanesPath  string
	baseLanes  string
	headLanes  string
	labels     stringList
	changed    stringList
	bodyFile   string
	offline    bool
	scopeOnly  bool
	noStatus   bool
	noComment  bool
	statusCtx  string
	out        string
	format     string
	summaryF   string
	targetURL  string
	nowFlag    string
	scopeInput string
	evidence   evidenceStoreFlags // where lane evidence is read when the record store keeps none

	now time.Time // --now, else the time the run started
}

// prContext is what the gate knows about the pull request.
type prContext struct {
	number     int
	headSHA    string // the PR's head
	labels     []string
	body       string
	fork       bool
	files      []string
	capped     bool
	base, head *lanes.File
	event      string
	// baseSHA and statusSHA are the commits the decision is pinned to:
	// lanes.yaml is read at both, the changed files are the compare of the
	// two, and the status goes on statusSHA. For a pull request they are its
	// base and head; for a merge group, the group's base and head.
	baseSHA   string
	statusSHA string
}

var queueRef = regexp.MustCompile(`/pr-(\d+)-[0-9a-f]+$`)

// parseGateFlags reads the gate's options.
func parseGateFlags(env *Env, args []string) (*gateFlags, error) {
	fs := newFlagSet(env, "gate", "gate [--pr N] [store flags] [--lanes lanes.yaml] [--no-status] [--no-comment] [--out FILE]")
	var f gateFlags
	addGitHubFlags(fs, &f.githubFlags)
	addStoreFlags(fs, &f.storeFlags)
	f.evidence.add(fs, "read lane evidence from this %s store (%s) instead of the record store (for the Launchplane service, which keeps no lanegate evidence)")
	fs.IntVar(&f.pr, "pr", 0, "pull request number (default: from the event payload)")
	fs.StringVar(&f.lanesPath, "lanes", "lanes.yaml", "path of the lanes file in the repository")
	fs.StringVar(&f.baseLanes, "base-lanes", "", "local base-branch lanes file (default: read at the PR's base SHA through the API)")
	fs.StringVar(&f.headLanes, "head-lanes", "", "local head lanes file (default: read at the PR's head SHA through the API)")
	fs.BoolVar(&f.offline, "offline", false, "decide without GitHub: needs --base-lanes and --head-lanes; --label, --changed and --body-file describe the PR")
	fs.Var(&f.labels, "label", "offline: a PR label (repeatable)")
	fs.Var(&f.changed, "changed", "offline: a changed file (repeatable)")
	fs.StringVar(&f.bodyFile, "body-file", "", "offline: file holding the PR body")
	fs.BoolVar(&f.scopeOnly, "scope-only", false, "only compute the lanes in scope and write them (--out); for the unprivileged half of the fork-safe workflow")
	fs.StringVar(&f.scopeInput, "scope-from", "", "read the PR number from a --scope-only file (its other contents are not trusted)")
	fs.BoolVar(&f.noStatus, "no-status", false, "do not post the commit status")
	fs.BoolVar(&f.noComment, "no-comment", false, "do not post the sticky PR comment")
	fs.StringVar(&f.statusCtx, "status-context", gate.StatusContext, "commit status context (make it a required check)")
	fs.StringVar(&f.out, "out", "", "write the gate JSON report here")
	fs.StringVar(&f.format, "format", "table", "stdout format: table, json or markdown")
	fs.StringVar(&f.summaryF, "summary-file", "", "job summary file (default $GITHUB_STEP_SUMMARY)")
	fs.StringVar(&f.targetURL, "target-url", "", "status link (default: this workflow run)")
	fs.StringVar(&f.nowFlag, "now", "", "decide as of this RFC 3339 time (tests and replays)")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := checkFormatFlag(report.KindGate, f.format); err != nil {
		return nil, err
	}
	if err := f.evidence.check(); err != nil {
		return nil, err
	}
	f.now = time.Now().UTC()
	if f.nowFlag != "" {
		t, err := time.Parse(time.RFC3339, f.nowFlag)
		if err != nil {
			return nil, usageErr("--now %q: %v", f.nowFlag, err)
		}
		f.now = t
	}
	return &f, nil
}

// gateRun is what one gate run gathered: the decision's input, the pull
// request it is about and where to post (gh is nil offline or without a
// token).
type gateRun struct {
	in          gate.Input
	pc          *prContext
	gh          *ghapi.Client
	owner, repo string
}

// canPost says whether the status and comment can go to GitHub. A fork's
// unprivileged run holds a read-only token: it reports here and leaves the
// status and comment to the privileged workflow_run half.
func (r *gateRun) canPost() bool {
	return r.gh != nil && r.owner != "" && r.pc.statusSHA != "" && !r.in.Fork
}

// runGate loads the pull request and both lane plans, reads the lanes'
// health, decides, renders and publishes the decision.
func runGate(ctx context.Context, env *Env, args []string) error {
	f, err := parseGateFlags(env, args)
	if err != nil {
		return err
	}
	info := env.rt.RunInfo()
	run, err := loadGateInput(ctx, env, f)
	if err != nil {
		return err
	}
	if f.scopeOnly {
		return writeScope(env, f, run.pc, run.in)
	}
	// Health is judged by the base plan's rules (its lanes, evidence kinds
	// and ages, retire window), never the head's.
	in := &run.in
	if in.Base != nil && in.Head != nil && !in.Fork {
		health, problems := gatherHealth(ctx, env, &f.storeFlags, f.evidence, in.Base, f.now)
		in.Health = health
		in.Problems = append(in.Problems, problems...)
	}
	res := gate.Decide(*in)
	doc := report.GateDoc{Result: res, Store: gateStore(env, &f.storeFlags), RunURL: info.RunURL,
		HeadSHA: run.pc.statusSHA, Limit: ghapi.StickyBodyLimit("gate")}
	body := report.GateMarkdown(res, doc.RunURL, doc.HeadSHA, doc.Limit)
	if err := renderGate(env, f, doc, body); err != nil {
		return err
	}
	if run.canPost() {
		if err := postGate(ctx, env, f, run, res, body, info.RunURL); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stderr, "lanegate: gate %s: %s\n", res.Verdict, report.GateReason(res))
	if res.Verdict != gate.Pass {
		return errBlocked
	}
	return nil
}

// loadGateInput gathers the pull request (offline from the flags, else from
// the event payload and the API) and the two lane plans. Failing to gather
// an input is a problem in the decision's input, which blocks; only a usage
// mistake is an error.
func loadGateInput(ctx context.Context, env *Env, f *gateFlags) (*gateRun, error) {
	run := &gateRun{in: gate.Input{Now: f.now}, pc: &prContext{event: env.Getenv("GITHUB_EVENT_NAME")}}
	in, pc := &run.in, run.pc
	if f.offline {
		if f.baseLanes == "" || f.headLanes == "" {
			return nil, usageErr("--offline needs --base-lanes and --head-lanes")
		}
		pc.labels = f.labels
		pc.files = f.changed
		if f.bodyFile != "" {
			b, err := os.ReadFile(env.path(f.bodyFile))
			if err != nil {
				return nil, usageErr("cannot read --body-file: %v", err)
			}
			pc.body = string(b)
		}
	} else {
		var err error
		if run.gh, err = f.client(env); err != nil {
			// No token: the gate cannot decide, and cannot post either.
			in.Problems = append(in.Problems, err.Error())
		}
		if run.owner, run.repo, err = f.ownerRepo(env); err != nil {
			in.Problems = append(in.Problems, err.Error())
		}
		if run.gh != nil && run.owner != "" {
			if err := loadPR(ctx, env, run.gh, run.owner, run.repo, f, pc); err != nil {
				in.Problems = append(in.Problems, err.Error())
			}
		}
	}
	// Lane plans: local overrides, else read at the PR's SHAs.
	var err error
	if f.baseLanes != "" {
		if pc.base, err = loadPlanFile(env, f.baseLanes); err != nil {
			in.Problems = append(in.Problems, "base lanes file: "+err.Error())
		}
	}
	if f.headLanes != "" {
		if pc.head, err = loadPlanFile(env, f.headLanes); err != nil {
			in.Problems = append(in.Problems, "head lanes file: "+err.Error())
		}
	}
	in.Base, in.Head = pc.base, pc.head
	in.Labels, in.Body, in.ChangedFiles, in.FilesCapped = pc.labels, pc.body, pc.files, pc.capped
	// A fork's pull_request run has no secrets; only the privileged
	// workflow_run half may decide it.
	in.Fork = pc.fork && (pc.event == "pull_request" || pc.event == "pull_request_target") && !f.scopeOnly
	return run, nil
}

// renderGate writes the JSON report (--out), stdout in the chosen format and
// the job summary (body: the same Markdown the PR comment carries).
func renderGate(env *Env, f *gateFlags, doc report.GateDoc, body string) error {
	if f.out != "" {
		if err := writeFileAtomic(env.path(f.out), func(w io.Writer) error { return report.Render(w, "json", doc) }); err != nil {
			return err
		}
	}
	if err := report.Render(env.Stdout, f.format, doc); err != nil {
		return runtimeErr("write report: %v", err)
	}
	a := actionsFlags{summaryFile: f.summaryF}
	if err := a.runtime(env).AddSummary(body); err != nil {
		return runtimeErr("write job summary: %v", err)
	}
	return nil
}

// postGate posts the commit status and the sticky PR comment.
func postGate(ctx context.Context, env *Env, f *gateFlags, run *gateRun, res gate.Result, body, runURL string) error {
	target := f.targetURL
	if target == "" {
		target = runURL
	}
	if !f.noStatus {
		if err := run.gh.CreateStatus(ctx, run.owner, run.repo, run.pc.statusSHA, ghapi.Status{State: res.StatusState(),
			Context: f.statusCtx, Description: res.StatusDescription(), TargetURL: target}); err != nil {
			fmt.Fprintf(env.Stderr, "lanegate: %v\n", err)
			return runtimeErr("could not post the %s status; the check stays missing, which blocks a required check", f.statusCtx)
		}
	}
	if !f.noComment && run.pc.number != 0 {
		if _, err := run.gh.UpsertSticky(ctx, run.owner, run.repo, run.pc.number, "gate", "", body); err != nil {
			return runtimeErr("%v", err)
		}
	}
	return nil
}

func loadPlanFile(env *Env, path string) (*lanes.File, error) {
	f, err := lanes.Load(env.path(path))
	if err != nil {
		return nil, err
	}
	f.Path = path
	return f, nil
}

// loadPR gathers the pull request from the event payload and the API.
func loadPR(ctx context.Context, env *Env, gh *ghapi.Client, owner, repo string, f *gateFlags, pc *prContext) error {
	number := f.pr
	var event map[string]any
	if p := env.Getenv("GITHUB_EVENT_PATH"); p != "" {
		if data, err := os.ReadFile(p); err == nil {
			json.Unmarshal(data, &event)
		}
	}
	if f.scopeInput != "" {
		n, err := readScopeFile(env.path(f.scopeInput))
		if err != nil {
			return fmt.Errorf("--scope-from %s refused: %v", f.scopeInput, err)
		}
		number = n
	}
	if number == 0 {
		if prObj, ok := event["pull_request"].(map[string]any); ok {
			if n, ok := prObj["number"].(float64); ok {
				number = int(n)
			}
		}
	}
	mg, isGroup := event["merge_group"].(map[string]any)
	if isGroup {
		// A merge queue checks the queue's commit: the decision is pinned
		// to the group's base and head, which cover every pull request in
		// the group. Its head_ref names the last pull request of the group,
		// whose labels and body are read and which gets the comment.
		pc.baseSHA, _ = mg["base_sha"].(string)
		pc.statusSHA, _ = mg["head_sha"].(string)
		for _, sha := range []string{pc.baseSHA, pc.statusSHA} {
			if !fullSHA.MatchString(sha) {
				return fmt.Errorf("the merge_group event has no valid base_sha and head_sha (got %q)", sha)
			}
		}
		if ref, _ := mg["head_ref"].(string); number == 0 {
			if m := queueRef.FindStringSubmatch(ref); m != nil {
				number, _ = strconv.Atoi(m[1])
			}
		}
	}
	if number == 0 {
		return errors.New("no pull request: pass --pr N or run on a pull_request or merge_group event")
	}
	pr, err := gh.PullRequest(ctx, owner, repo, number)
	if err != nil {
		return err
	}
	pc.number, pc.headSHA = pr.Number, pr.HeadSHA
	pc.labels, pc.body, pc.fork = pr.Labels, pr.Body, pr.IsFork
	if !isGroup {
		// Never GITHUB_SHA: that is the test merge commit.
		pc.baseSHA, pc.statusSHA = pr.BaseSHA, pr.HeadSHA
	}
	// The file list comes from the same two commits as the plans and the
	// status: listing by PR number could describe a newer push.
	if pc.files, pc.capped, err = gh.CompareFiles(ctx, owner, repo, pc.baseSHA, pc.statusSHA); err != nil {
		return err
	}
	if f.baseLanes == "" {
		data, err := gh.FileContent(ctx, owner, repo, f.lanesPath, pc.baseSHA)
		switch {
		case errors.Is(err, ghapi.ErrNotFound):
			// The pull request introduces lanes.yaml: no lane was cut over,
			// and no lane has trusted rules.
		case err != nil:
			return fmt.Errorf("read base %s: %v", f.lanesPath, err)
		default:
			if pc.base, err = lanes.Parse(f.lanesPath+"@base", data); err != nil {
				return fmt.Errorf("base %s is invalid: %v", f.lanesPath, err)
			}
		}
	}
	if f.headLanes == "" {
		data, err := gh.FileContent(ctx, owner, repo, f.lanesPath, pc.statusSHA)
		if err != nil {
			return fmt.Errorf("read head %s: %v", f.lanesPath, err)
		}
		if pc.head, err = lanes.Parse(f.lanesPath+"@head", data); err != nil {
			return fmt.Errorf("head %s is invalid: %v", f.lanesPath, err)
		}
	}
	return nil
}

var fullSHA = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)

// readScopeFile reads the PR number from a scope file, an artifact written
// by a pull request's own code: a regular file (not a symlink, FIFO or
// device), at most gate.MaxScopeFileSize bytes, parsed strictly.
func readScopeFile(path string) (int, error) {
	data, err := safeio.ReadRegularFile(path, gate.MaxScopeFileSize)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the caller names the file
	}
	if err != nil {
		return 0, err
	}
	return gate.ParseScope(data)
}

// writeScope is the unprivileged half: it records which PR to decide and
// which lanes it touches; the privileged run re-derives everything it uses.
func writeScope(env *Env, f *gateFlags, pc *prContext, in gate.Input) error {
	res := gate.Decide(gate.Input{Base: in.Base, Head: in.Head, Labels: in.Labels, Body: in.Body,
		ChangedFiles: in.ChangedFiles, FilesCapped: in.FilesCapped, Problems: in.Problems, Now: in.Now})
	lanesInScope := []string{}
	for _, l := range res.Lanes {
		lanesInScope = append(lanesInScope, l.Lane)
	}
	scope := map[string]any{"schema": gate.ScopeSchema, "pr": pc.number, "head_sha": pc.headSHA, "lanes": lanesInScope, "problems": in.Problems}
	if f.out == "" {
		return writeJSON(env.Stdout, scope)
	}
	return writeFileAtomic(env.path(f.out), func(w io.Writer) error { return writeJSON(w, scope) })
}

// gatherHealth audits every lane of the trusted (base) plan and reads its
// evidence by that plan's rules. Failing to reach the store is a problem
// that blocks, never a pass.
func gatherHealth(ctx context.Context, env *Env, sf *storeFlags, ev evidenceStoreFlags, plan *lanes.File, now time.Time) (map[string]gate.LaneHealth, []string) {
	if _, err := sf.choose(env); err == errNoStore {
		return nil, []string{"no database credentials: set database-url (or state-dir); the gate cannot decide without auditing the lanes"}
	}
	sf.lanes = planRoutes(plan)
	st, err := openBackend(ctx, env, sf, false)
	if err != nil {
		return nil, []string{"cannot open the record store: " + err.Error()}
	}
	defer st.Close()
	res, err := runAuditScan(ctx, st, audit.Filter{Lanes: sf.lanes}, plan)
	if err != nil {
		return nil, []string{"audit failed: " + err.Error()}
	}
	defer res.builder.Close()
	folder := gate.NewAuditFolder()
	if err := res.builder.EachFinding(func(f audit.Finding) error {
		folder.Add(f)
		return nil
	}); err != nil {
		// A finding left unread could be the one that blocks: never judge
		// health from part of the audit.
		return nil, []string{"audit failed: " + err.Error()}
	}
	es, closeES, err := openGateEvidence(ctx, env, sf, ev, st)
	if err != nil {
		return nil, []string{"cannot read evidence: " + err.Error()}
	}
	defer closeES()
	keys := make([]string, 0, len(plan.Lanes))
	for _, l := range plan.Lanes {
		keys = append(keys, l.Key)
	}
	idx, err := evidence.Latest(ctx, es, evidence.Query{Lanes: keys})
	if err != nil {
		return nil, []string{"cannot read evidence: " + err.Error()}
	}
	return gate.AssembleHealth(plan, folder.Lanes(), idx, now), nil
}

// gateStore is the store lane health was read from, for the JSON report
// (nil when no store was chosen).
func gateStore(env *Env, sf *storeFlags) *report.Store {
	if _, err := sf.choose(env); err != nil {
		return nil
	}
	st := storeLabel(env, sf)
	return &st
}

// openGateEvidence opens where the gate reads lane evidence: the evidence
// store --evidence-* names when given, else the record store itself, which
// must keep lanegate's evidence (the service does not: then the flag is
// required, never guessed).
func openGateEvidence(ctx context.Context, env *Env, sf *storeFlags, ev evidenceStoreFlags, st backend.Backend) (backend.EvidenceStore, func(), error) {
	if len(ev.named()) > 0 {
		return ev.open(ctx, env, sf, st.Kind())
	}
	eb, ok := st.(backend.EvidenceBackend)
	if !ok {
		return nil, nil, usageErr("store %s keeps no lanegate evidence: pass %s", st.Describe(), registry.OrList(evidenceStoreFlagNames()))
	}
	// The record store is open already: read its evidence, not a second
	// connection to the same store.
	es, err := eb.Evidence(ctx)
	if err != nil {
		return nil, nil, err
	}
	return es, func() {}, nil
}
