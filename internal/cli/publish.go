package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/gate"
	"github.com/lanegate/lanegate/internal/ghapi"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/safeio"
	"github.com/lanegate/lanegate/internal/verdict"
)

type publishFlags struct {
	githubFlags
	storeFlags
	issue    int
	pr       int
	summary  bool
	stdout   bool
	name     string
	lanes    string
	runURL   string
	artifact string
	summaryF string
	status   bool

	paths    []string // the reports to publish
	lanesSet bool     // --lanes was given: the lanes file must exist
}

// rendered is one report ready to publish.
type rendered struct {
	kind   string // sticky name
	body   string
	sticky string // body for the sticky comment when it differs from body
	// check is the evidence comment's latest check, for the job summary
	// and the commit status: the comment itself only changes with its result.
	check *lastCheck
}

// lastCheck is when publish last checked an evidence result and since when
// that result is unchanged.
type lastCheck struct {
	at, since string
	verdict   verdict.Verdict
}

func parsePublishFlags(env *Env, args []string) (*publishFlags, error) {
	fs := newFlagSet(env, "publish", "publish [--issue N] [--pr N] [--summary] [--stdout] [--name NAME] [store flags for evidence] REPORT...")
	var f publishFlags
	addGitHubFlags(fs, &f.githubFlags)
	addStoreFlags(fs, &f.storeFlags)
	fs.IntVar(&f.issue, "issue", 0, "sticky comment on this issue (default: tracking_issue from lanes.yaml when no other target is given)")
	fs.IntVar(&f.pr, "pr", 0, "sticky comment on this pull request")
	fs.BoolVar(&f.summary, "summary", false, "append to the job summary ($GITHUB_STEP_SUMMARY or --summary-file)")
	fs.StringVar(&f.summaryF, "summary-file", "", "job summary file (local preview); implies --summary")
	fs.BoolVar(&f.stdout, "stdout", false, "print the rendered Markdown")
	fs.StringVar(&f.name, "name", "", "sticky comment name (default: the report kind: evidence, backfill, gate)")
	fs.StringVar(&f.lanes, "lanes", "lanes.yaml", "lanes file (waves, requires, evidence requirements)")
	fs.StringVar(&f.runURL, "run-url", "", "link to the run (default: this workflow run)")
	fs.BoolVar(&f.status, "check-status", false, "record each evidence check as commit status lanegate/evidence-check on GITHUB_SHA (one write per run)")
	fs.StringVar(&f.artifact, "artifact", "", "name of the uploaded report artifact, linked when the comment is condensed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &exitError{code: ExitConfig}
	}
	if f.summaryF != "" {
		// Naming a summary file asks for a summary; without this it was
		// silently ignored and nothing was written.
		f.summary = true
	}
	f.paths = fs.Args()
	f.lanesSet = flagWasSet(fs, "lanes")
	if len(f.paths) == 0 {
		return nil, usageErr("publish needs at least one JSON report")
	}
	if f.name != "" && len(f.paths) > 1 {
		return nil, usageErr("--name names one sticky comment: publish one report with it")
	}
	if f.name != "" {
		if err := ghapi.ValidateStickyName(f.name); err != nil {
			return nil, usageErr("--name: %v", err)
		}
	}
	if f.issue != 0 && f.pr != 0 {
		return nil, usageErr("use --issue or --pr, not both")
	}
	return &f, nil
}

// publishTarget is the issue or pull request the sticky comments go to;
// gh is nil when no comment is asked for.
type publishTarget struct {
	gh          *ghapi.Client
	owner, repo string
	identity    string
	number      int
}

// runPublish reads every report, resolves where the comments go, renders
// each report and publishes it to the comment, stdout and the job summary.
func runPublish(ctx context.Context, env *Env, args []string) error {
	f, err := parsePublishFlags(env, args)
	if err != nil {
		return err
	}
	plan, err := loadPlan(env, f.lanes, f.lanesSet, false)
	if err != nil {
		return err
	}
	if !f.summary && !f.stdout && f.issue == 0 && f.pr == 0 {
		if plan == nil || plan.TrackingIssue == 0 {
			return usageErr("publish needs a target: --issue N, --pr N, --summary or --stdout (or tracking_issue in lanes.yaml)")
		}
		f.issue = plan.TrackingIssue
	}
	reports, err := loadReports(env, f)
	if err != nil {
		return err
	}
	info := env.rt.RunInfo()
	runURL := f.runURL
	if runURL == "" {
		runURL = info.RunURL
	}
	// Resolve GitHub before rendering: a sticky comment needs its previous
	// state, and a missing token must fail before anything is written.
	gt, err := resolvePublishTarget(ctx, env, f)
	if err != nil {
		return err
	}
	outs := make([]rendered, 0, len(reports))
	for _, lr := range reports {
		o, err := renderReport(ctx, env, f, gt, plan, lr, runURL, info.SHA)
		if err != nil {
			return err
		}
		outs = append(outs, o)
	}
	if f.stdout {
		for _, o := range outs {
			fmt.Fprint(env.Stdout, o.body)
		}
	}
	// The comments first, so that the job summary can link to them.
	urls, err := postStickies(ctx, env, f, gt, outs, info.SHA)
	if err != nil {
		return err
	}
	if f.summary {
		a := actionsFlags{summaryFile: f.summaryF}
		rt := a.runtime(env)
		for i, o := range outs {
			if err := rt.AddSummary(summaryLinks(o, urls[i]) + o.body + "\n"); err != nil {
				return runtimeErr("write job summary: %v", err)
			}
		}
	}
	return nil
}

// loadReports reads every report in full before anything else: a report
// publish cannot read completely, or a shard's report bound for a sticky
// comment, fails before GitHub is asked anything.
func loadReports(env *Env, f *publishFlags) ([]loadedReport, error) {
	reports := make([]loadedReport, 0, len(f.paths))
	for _, p := range f.paths {
		lr, err := loadReport(env, p)
		if err != nil {
			return nil, err
		}
		if lr.audit != nil && lr.audit.Shard != nil && (f.issue != 0 || f.pr != 0) {
			sh := lr.audit.Shard
			return nil, usageErr("%s is the report of shard %d/%d only (%d lane(s)), not the whole fleet: combine every shard with `lanegate merge` and publish the merged report as the comment",
				p, sh.Index, sh.Count, len(lr.audit.Lanes))
		}
		reports = append(reports, lr)
	}
	return reports, nil
}

// resolvePublishTarget opens the GitHub client for a comment target and
// asks who it is (the sticky comments it may update are its own).
func resolvePublishTarget(ctx context.Context, env *Env, f *publishFlags) (*publishTarget, error) {
	gt := &publishTarget{number: f.issue}
	if f.pr != 0 {
		gt.number = f.pr
	}
	if gt.number == 0 {
		return gt, nil
	}
	var err error
	if gt.gh, err = f.client(env); err != nil {
		return nil, usageErr("%v", err)
	}
	if gt.owner, gt.repo, err = f.ownerRepo(env); err != nil {
		return nil, err
	}
	if gt.identity, err = gt.gh.Authenticated(ctx); err != nil {
		return nil, runtimeErr("%v", err)
	}
	return gt, nil
}

// renderReport renders one report for its sticky comment. An evidence
// comment whose result is unchanged keeps the previous comment byte for
// byte.
func renderReport(ctx context.Context, env *Env, f *publishFlags, gt *publishTarget, plan *lanes.File, lr loadedReport, runURL, sha string) (rendered, error) {
	o := rendered{kind: f.name}
	limit := ghapi.MaxCommentBody - 1024
	var err error
	switch lr.schema {
	case report.AuditSchema:
		if o.kind == "" {
			o.kind = "evidence"
		}
		var (
			prev     *report.CommentState
			prevBody string
		)
		if gt.gh != nil {
			if prev, prevBody, err = previousState(ctx, gt.gh, gt.owner, gt.repo, gt.number, o.kind, gt.identity); err != nil {
				return o, runtimeErr("%v", err)
			}
		}
		var digest string
		now := time.Now().UTC().Format(time.RFC3339)
		o.body, digest, err = evidenceComment(ctx, env, &f.storeFlags, plan, lr.audit, lr.data, prev, runURL, f.artifact, ghapi.StickyBodyLimit(o.kind))
		o.check = &lastCheck{at: now, since: now, verdict: lr.audit.Header().Verdict}
		if err == nil && evidence.Unchanged(prev, digest) {
			// Unchanged result: keep the previous comment byte for byte
			// (its time, run link and ages), so the upsert writes nothing.
			o.sticky = prevBody
			o.check.since = prev.Time
		}
	case backfill.Schema:
		if o.kind == "" {
			o.kind = "backfill"
		}
		o.body, err = backfillMarkdown(lr.backfill, lr.path, limit)
	case gate.Schema:
		if o.kind == "" {
			o.kind = "gate"
		}
		o.body = report.GateMarkdown(*lr.gate, runURL, sha, limit)
	}
	return o, err
}

// postStickies upserts each rendered report's sticky comment and returns
// the comments' URLs ("" where none was posted).
func postStickies(ctx context.Context, env *Env, f *publishFlags, gt *publishTarget, outs []rendered, sha string) ([]string, error) {
	urls := make([]string, len(outs))
	if gt.gh == nil {
		return urls, nil
	}
	owner, repo, number := gt.owner, gt.repo, gt.number
	for i, o := range outs {
		body := o.body
		if o.sticky != "" {
			body = o.sticky
		}
		res, err := gt.gh.UpsertSticky(ctx, owner, repo, number, o.kind, gt.identity, body)
		if err != nil {
			return nil, runtimeErr("%v", err)
		}
		urls[i] = res.URL
		where := res.URL
		if where == "" {
			where = fmt.Sprintf("comment %d", res.CommentID)
		}
		fmt.Fprintf(env.Stderr, "lanegate: %s sticky comment %q on #%d: %s %s (%d API request(s))\n",
			owner+"/"+repo, o.kind, number, res.Action, where, gt.gh.Requests())
		if o.check != nil && f.status {
			postCheckStatus(ctx, env, gt.gh, owner, repo, sha, o, res.URL)
		}
	}
	return urls, nil
}

// summaryLinks heads a report's job summary with the comment it published
// and, for the evidence comment, when this run checked it.
func summaryLinks(o rendered, url string) string {
	var lines []string
	if url != "" {
		lines = append(lines, fmt.Sprintf("Sticky comment `%s`: %s", o.kind, url))
	}
	if o.check != nil {
		lines = append(lines, fmt.Sprintf("Checked %s: result unchanged since %s.", o.check.at, o.check.since))
	}
	if len(lines) == 0 {
		return ""
	}
	return "> " + strings.Join(lines, "<br>\n> ") + "\n\n"
}

// postCheckStatus records the latest check as a commit status
// (lanegate/evidence-check) linking to the comment: the comment is only
// rewritten when its result changes. The status is reporting only; when it
// cannot be posted (no statuses: write permission, no commit SHA) publish
// says so and goes on.
func postCheckStatus(ctx context.Context, env *Env, gh *ghapi.Client, owner, repo, sha string, o rendered, url string) {
	if sha == "" {
		fmt.Fprintln(env.Stderr, "lanegate: warning: no GITHUB_SHA: the latest check is not recorded as a commit status")
		return
	}
	state := "failure" // anything but an ok verdict: never a green status
	if o.check.verdict == verdict.OK {
		state = "success"
	}
	st := ghapi.Status{State: state, Context: "lanegate/evidence-check", TargetURL: url,
		Description: fmt.Sprintf("checked %s: %s; result unchanged since %s", o.check.at, o.check.verdict, o.check.since)}
	if err := gh.CreateStatus(ctx, owner, repo, sha, st); err != nil {
		fmt.Fprintf(env.Stderr, "lanegate: warning: could not record the latest check as a commit status: %v\n", err)
	}
}

// previousState reads the state block of our existing sticky comment and
// returns it with the comment's body.
func previousState(ctx context.Context, gh *ghapi.Client, owner, repo string, number int, name, identity string) (*report.CommentState, string, error) {
	comments, err := gh.ListComments(ctx, owner, repo, number)
	if err != nil {
		return nil, "", err
	}
	marker := ghapi.Marker(name)
	for _, c := range comments {
		if strings.EqualFold(c.AuthorLogin, identity) && strings.Contains(c.Body, marker) {
			if st, ok := report.ReadCommentState(c.Body); ok {
				return st, c.Body, nil
			}
		}
	}
	return nil, "", nil
}

// evidenceComment renders the tracking-issue comment from an audit report,
// the lane plan and (when a store is given) the lanes' evidence. It also
// returns the result digest written into the comment's state.
func evidenceComment(ctx context.Context, env *Env, sf *storeFlags, plan *lanes.File, rep *report.AuditReport, data []byte, prev *report.CommentState, runURL, artifact string, limit int) (string, string, error) {
	now := time.Now().UTC()
	idx, evidenceRead, err := readCommentEvidence(ctx, env, sf, plan)
	if err != nil {
		return "", "", err
	}
	rows := evidence.CommentRows(plan, rep.Lanes, rep.Findings, idx, now)
	evidence.DecideCommentReadiness(plan, rows, evidenceRead)
	h := rep.Header()
	in := report.CommentInput{Plan: plan, Lanes: rows, Totals: h.Totals, Verdict: h.Verdict, Previous: prev,
		State:  evidence.NewCommentState(data, plan, rows, runURL, env.Getenv("GITHUB_SHA"), VersionString(), now),
		RunURL: runURL, Artifact: artifact, Limit: limit, EvidenceNotRead: !evidenceRead, Shard: rep.Shard, ShardLanes: len(rep.Lanes)}
	in.State.ResultDigest = evidence.CommentDigest(in.DigestInput())
	return report.RenderComment(in), in.State.ResultDigest, nil
}

// readCommentEvidence reads the newest record of each kind for the plan's
// lanes. Without a store the evidence is unknown (read is false): the
// comment says "not read", never "missing" (which would be a claim about
// the store).
func readCommentEvidence(ctx context.Context, env *Env, sf *storeFlags, plan *lanes.File) (idx evidence.Index, read bool, err error) {
	if db, dir := sf.resolve(env); db == "" && dir == "" {
		return nil, false, nil
	}
	es, closeES, err := openEvidence(ctx, env, sf)
	if err != nil {
		return nil, true, err
	}
	defer closeES()
	keys := []string{}
	if plan != nil {
		for _, l := range plan.Lanes {
			keys = append(keys, l.Key)
		}
	}
	if idx, err = evidence.Latest(ctx, es, evidence.Query{Lanes: keys, Kinds: lanes.EvidenceKinds, Limit: 1}); err != nil {
		return nil, true, runtimeErr("read evidence: %v", err)
	}
	return idx, true, nil
}

// loadedReport is one report read back in full.
type loadedReport struct {
	path, schema string
	data         []byte
	audit        *report.AuditReport
	backfill     *backfillJSON
	gate         *gate.Result
}

// loadReport reads one report and checks publish can render it exactly:
// known schema, known status, counts that agree with it. Anything else is a
// usage error naming the file and what is wrong.
func loadReport(env *Env, p string) (loadedReport, error) {
	lr := loadedReport{path: p}
	data, err := safeio.ReadRegularFile(env.path(p), safeio.MaxReportBytes)
	if err != nil {
		return lr, usageErr("cannot read report %s: %v", p, err)
	}
	lr.data = data
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return lr, usageErr("%s is not a complete JSON report (truncated or not JSON): %v", p, err)
	}
	if head.Schema == nil {
		return lr, usageErr("%s has no schema field: not a lanegate report", p)
	}
	lr.schema = *head.Schema
	switch lr.schema {
	case report.AuditSchema:
		if lr.audit, err = report.ReadAuditReport(bytes.NewReader(data)); err != nil {
			return lr, usageErr("%s: %v", p, err)
		}
	case backfill.Schema:
		if lr.backfill, err = readBackfillJSON(data); err != nil {
			return lr, usageErr("%s: %v", p, err)
		}
	case gate.Schema:
		if lr.gate, err = readGateJSON(data); err != nil {
			return lr, usageErr("%s: %v", p, err)
		}
	default:
		return lr, usageErr("%s: unknown report schema %q (want %s, %s or %s)", p, lr.schema, report.AuditSchema, backfill.Schema, gate.Schema)
	}
	return lr, nil
}

// backfillJSON is a backfill report read back; pointers tell a missing
// field from a zero one.
type backfillJSON struct {
	Applied      *bool           `json:"applied"`
	BlockedCount *int            `json:"blocked_count"`
	WarningCount *int            `json:"warning_count"`
	CreatedCount *int            `json:"created_count"`
	Counts       map[string]int  `json:"counts"`
	Inspected    *int            `json:"inspected_route_count"`
	Items        []backfill.Item `json:"items"`
	Mode         string          `json:"mode"`
	PlanDigest   string          `json:"plan_digest"`
	Refusal      string          `json:"refusal"`
	Status       *string         `json:"status"`
	Store        *report.Store   `json:"store"`

	verdict verdict.Verdict
	apply   bool
}

func readBackfillJSON(data []byte) (*backfillJSON, error) {
	var r backfillJSON
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("backfill report: %v", err)
	}
	for name, missing := range map[string]bool{"status": r.Status == nil, "applied": r.Applied == nil,
		"blocked_count": r.BlockedCount == nil, "warning_count": r.WarningCount == nil,
		"created_count": r.CreatedCount == nil, "inspected_route_count": r.Inspected == nil, "items": r.Items == nil} {
		if missing {
			return nil, fmt.Errorf("backfill report has no %s field", name)
		}
	}
	v, err := verdict.Parse(*r.Status)
	if err != nil {
		return nil, fmt.Errorf("backfill report field status: %w", err)
	}
	r.verdict = v
	switch r.Mode {
	case report.ModeApply:
		r.apply = true
	case report.ModeDryRun:
	case "":
		// Reports from before "mode": applied meant "--apply was asked".
		r.apply = *r.Applied || v == verdict.Refused
	default:
		return nil, fmt.Errorf("backfill report field mode: unknown value %q (want %s or %s)", r.Mode, report.ModeDryRun, report.ModeApply)
	}
	blocked, warning, created, counted := 0, 0, 0, map[string]int{}
	for _, it := range r.Items {
		counted[it.Status]++
		switch it.Severity {
		case audit.SeverityBlocked:
			blocked++
		case audit.SeverityWarning:
			warning++
		}
		if it.Status == backfill.StatusCreated {
			created++
		}
	}
	if blocked != *r.BlockedCount || warning != *r.WarningCount {
		return nil, fmt.Errorf("backfill report: blocked_count %d and warning_count %d disagree with its items (%d blocked, %d warning)",
			*r.BlockedCount, *r.WarningCount, blocked, warning)
	}
	if created != *r.CreatedCount {
		return nil, fmt.Errorf("backfill report: created_count %d but %d item(s) are created", *r.CreatedCount, created)
	}
	for k, n := range r.Counts {
		if counted[k] != n {
			return nil, fmt.Errorf("backfill report: counts[%q] is %d but %d item(s) have that status", k, n, counted[k])
		}
	}
	if len(counted) != len(r.Counts) {
		return nil, fmt.Errorf("backfill report: counts list %d status(es) but the items have %d", len(r.Counts), len(counted))
	}
	if err := verdict.Consistent(v, blocked, r.Refusal); err != nil {
		return nil, fmt.Errorf("backfill report: %w", err)
	}
	switch {
	case v == verdict.Refused && (!r.apply || *r.Applied):
		return nil, fmt.Errorf("backfill report: status refused needs an apply that wrote nothing (mode %q, applied %t)", r.Mode, *r.Applied)
	case *r.Applied && v != verdict.OK:
		return nil, fmt.Errorf("backfill report: applied is true but status is %s", v)
	}
	return &r, nil
}

// readGateJSON reads a gate report back and checks its verdict agrees with
// its problems and lanes.
func readGateJSON(data []byte) (*gate.Result, error) {
	var r gate.Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("gate report: %v", err)
	}
	blocked := 0
	for _, l := range r.Lanes {
		switch l.Verdict {
		case gate.Pass:
		case gate.Blocked:
			blocked++
		default:
			return nil, fmt.Errorf("gate report: lane %s has unknown verdict %q", l.Lane, l.Verdict)
		}
	}
	switch r.Verdict {
	case gate.Pass:
		if blocked > 0 || len(r.Problems) > 0 {
			return nil, fmt.Errorf("gate report: verdict pass but %d blocked lane(s) and %d problem(s)", blocked, len(r.Problems))
		}
	case gate.Blocked:
		if blocked == 0 && len(r.Problems) == 0 {
			return nil, fmt.Errorf("gate report: verdict blocked without a blocked lane or a problem")
		}
	default:
		return nil, fmt.Errorf("gate report field verdict: unknown value %q (want %s or %s)", r.Verdict, gate.Pass, gate.Blocked)
	}
	return &r, nil
}

// backfillMarkdown renders a backfill report read back from JSON with the
// verdict it states.
func backfillMarkdown(rep *backfillJSON, path string, limit int) (string, error) {
	p, err := backfill.NewPlan()
	if err != nil {
		return "", runtimeErr("%v", err)
	}
	defer p.Close()
	p.Totals = backfill.Totals{Inspected: *rep.Inspected}
	for _, it := range rep.Items {
		if it.Status == backfill.StatusWouldCreate || it.Status == backfill.StatusCreated {
			p.Totals.Creates++
		}
		if err := p.Item(it); err != nil {
			return "", runtimeErr("%v", err)
		}
	}
	p.Digest = rep.PlanDigest
	p.Outcome = backfill.Outcome{Applied: rep.apply, Created: *rep.Applied, Refusal: rep.Refusal}
	var out strings.Builder
	h := report.Backfill{Plan: p, Verdict: rep.verdict, Store: rep.Store}
	if err := h.WriteMarkdown(&out, limit); err != nil {
		return "", usageErr("%s: %v", path, err)
	}
	return out.String(), nil
}
