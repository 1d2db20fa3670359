package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
)

func init() {
	register(command{"publish", "publish JSON reports to the job summary, a sticky issue/PR comment or stdout", runPublish})
}

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
}

// rendered is one report ready to publish.
type rendered struct {
	kind   string // sticky name
	body   string
	sticky string // body for the sticky comment when it differs from body
}

func runPublish(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "publish", "publish [--issue N] [--pr N] [--summary] [--stdout] [--name NAME] [store flags for evidence] REPORT...")
	var f publishFlags
	addGitHubFlags(fs, &f.githubFlags)
	addStoreFlags(fs, &f.storeFlags)
	fs.IntVar(&f.issue, "issue", 0, "sticky comment on this issue (default: tracking_issue from lanes.yaml when no other target is given)")
	fs.IntVar(&f.pr, "pr", 0, "sticky comment on this pull request")
	fs.BoolVar(&f.summary, "summary", false, "append to the job summary ($GITHUB_STEP_SUMMARY or --summary-file)")
	fs.StringVar(&f.summaryF, "summary-file", "", "job summary file (local preview)")
	fs.BoolVar(&f.stdout, "stdout", false, "print the rendered Markdown")
	fs.StringVar(&f.name, "name", "", "sticky comment name (default: the report kind: evidence, backfill, gate)")
	fs.StringVar(&f.lanes, "lanes", "lanes.yaml", "lanes file (waves, requires, evidence requirements)")
	fs.StringVar(&f.runURL, "run-url", "", "link to the run (default: this workflow run)")
	fs.StringVar(&f.artifact, "artifact", "", "name of the uploaded report artifact, linked when the comment is condensed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: ExitConfig}
	}
	paths := fs.Args()
	if len(paths) == 0 {
		return usageErr("publish needs at least one JSON report")
	}
	if f.name != "" && len(paths) > 1 {
		return usageErr("--name names one sticky comment: publish one report with it")
	}
	if f.name != "" {
		if err := ghapi.ValidateStickyName(f.name); err != nil {
			return usageErr("--name: %v", err)
		}
	}
	if f.issue != 0 && f.pr != 0 {
		return usageErr("use --issue or --pr, not both")
	}
	plan, err := loadPlan(env, f.lanes, flagWasSet(fs, "lanes"), false)
	if err != nil {
		return err
	}
	if !f.summary && !f.stdout && f.issue == 0 && f.pr == 0 {
		if plan == nil || plan.TrackingIssue == 0 {
			return usageErr("publish needs a target: --issue N, --pr N, --summary or --stdout (or tracking_issue in lanes.yaml)")
		}
		f.issue = plan.TrackingIssue
	}
	info := env.rt.RunInfo()
	runURL := f.runURL
	if runURL == "" {
		runURL = info.RunURL
	}
	// Resolve GitHub before rendering: a sticky comment needs its previous
	// state, and a missing token must fail before anything is written.
	var (
		gh          *ghapi.Client
		owner, repo string
		identity    string
		number      = f.issue
	)
	if f.pr != 0 {
		number = f.pr
	}
	if number != 0 {
		if gh, err = f.client(env); err != nil {
			return usageErr("%v", err)
		}
		if owner, repo, err = f.ownerRepo(env); err != nil {
			return err
		}
		if identity, err = gh.Authenticated(ctx); err != nil {
			return runtimeErr("%v", err)
		}
	}
	var outs []rendered
	for _, p := range paths {
		data, err := safeio.ReadRegularFile(env.path(p), safeio.MaxReportBytes)
		if err != nil {
			return usageErr("cannot read report %s: %v", p, err)
		}
		var head struct {
			Schema string `json:"schema"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return usageErr("%s is not a JSON report: %v", p, err)
		}
		name := f.name
		var body, sticky string
		limit := ghapi.MaxCommentBody - 1024
		switch head.Schema {
		case report.AuditSchema:
			if name == "" {
				name = "evidence"
			}
			var (
				prev     *report.CommentState
				prevBody string
			)
			if gh != nil {
				prev, prevBody, err = previousState(ctx, gh, owner, repo, number, name, identity)
				if err != nil {
					return runtimeErr("%v", err)
				}
			}
			var digest string
			body, digest, err = evidenceComment(ctx, env, &f.storeFlags, plan, data, prev, runURL, f.artifact, ghapi.StickyBodyLimit(name))
			if err == nil && prev != nil && prev.ResultDigest != "" && prev.ResultDigest == digest {
				// Unchanged result: keep the previous comment byte for byte
				// (its time, run link and ages), so the upsert writes nothing.
				sticky = prevBody
			}
		case backfill.Schema:
			if name == "" {
				name = "backfill"
			}
			body, err = backfillMarkdown(data, limit)
		case gate.Schema:
			if name == "" {
				name = "gate"
			}
			var r gate.Result
			if err = json.Unmarshal(data, &r); err == nil {
				body = report.GateMarkdown(r, runURL, info.SHA, limit)
			}
		default:
			return usageErr("%s: unknown report schema %q", p, head.Schema)
		}
		if err != nil {
			return err
		}
		outs = append(outs, rendered{kind: name, body: body, sticky: sticky})
	}
	if f.stdout {
		for _, o := range outs {
			fmt.Fprint(env.Stdout, o.body)
		}
	}
	if f.summary {
		a := actionsFlags{summaryFile: f.summaryF}
		rt := a.runtime(env)
		for _, o := range outs {
			if err := rt.AddSummary(o.body + "\n"); err != nil {
				return runtimeErr("write job summary: %v", err)
			}
		}
	}
	if gh != nil {
		for _, o := range outs {
			body := o.body
			if o.sticky != "" {
				body = o.sticky
			}
			res, err := gh.UpsertSticky(ctx, owner, repo, number, o.kind, identity, body)
			if err != nil {
				return runtimeErr("%v", err)
			}
			fmt.Fprintf(env.Stderr, "lanegate: %s sticky comment %q on #%d: %s (comment %d, %d API request(s))\n",
				owner+"/"+repo, o.kind, number, res.Action, res.CommentID, gh.Requests())
		}
	}
	return nil
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
func evidenceComment(ctx context.Context, env *Env, sf *storeFlags, plan *lanes.File, data []byte, prev *report.CommentState, runURL, artifact string, limit int) (string, string, error) {
	rep, err := report.ReadAuditReport(bytes.NewReader(data))
	if err != nil {
		return "", "", usageErr("%v", err)
	}
	now := time.Now().UTC()
	updated := map[string]string{}
	for _, f := range rep.Findings {
		if f.Physical != nil {
			updated[f.Context+"/"+f.Instance] = f.Physical.UpdatedAt
		}
	}
	var idx evidence.Index
	if db, dir := sf.resolve(env); db != "" || dir != "" {
		es, closeES, err := openEvidence(ctx, env, sf)
		if err != nil {
			return "", "", err
		}
		defer closeES()
		keys := []string{}
		if plan != nil {
			for _, l := range plan.Lanes {
				keys = append(keys, l.Key)
			}
		}
		if idx, err = evidence.Latest(ctx, es, evidence.Query{Lanes: keys, Kinds: lanes.EvidenceKinds, Limit: 1}); err != nil {
			return "", "", runtimeErr("read evidence: %v", err)
		}
	}
	st := report.CommentState{Schema: report.CommentSchema, Lanes: map[string]string{}, RunURL: runURL,
		HeadSHA: env.Getenv("GITHUB_SHA"), Time: now.Format(time.RFC3339), Version: Version}
	sum := sha256.Sum256(data)
	st.ReportDigest = "sha256:" + hex.EncodeToString(sum[:])
	var rows []report.CommentLane
	for _, e := range rep.Lanes {
		if !e.Declared {
			continue
		}
		st.Lanes[e.Lane] = e.WorstStatus
		row := report.CommentLane{Lane: e.Lane, Wave: e.Wave, Driver: e.Driver, Status: e.WorstStatus, Severity: e.Severity,
			Detail: e.Detail, Evidence: map[string]report.EvidenceCell{}}
		var lane *lanes.Lane
		if plan != nil {
			lane, _ = plan.Lane(e.Lane)
		}
		if lane != nil {
			row.Stage = lane.Stage
		}
		for _, kind := range lanes.EvidenceKinds {
			recs := idx[e.Lane][kind]
			if len(recs) == 0 {
				continue
			}
			r := recs[0]
			c := report.EvidenceCell{Present: true, Passed: r.Passed, Age: now.Sub(r.ObservedAt), RunURL: r.Source.RunURL, Fresh: r.Passed,
				ObservedAt: r.ObservedAt}
			if lane != nil {
				for _, req := range lane.Evidence {
					if req.Kind == kind {
						c.Fresh = evidence.Evaluate(req, recs, updated[e.Lane], now).Fresh
					}
				}
			}
			row.Evidence[kind] = c
		}
		rows = append(rows, row)
	}
	if plan != nil {
		st.ConfigDigest = plan.Digest()
	}
	totals := audit.Totals{Inspected: rep.InspectedRouteCount, Blocked: rep.BlockedCount, Warning: rep.WarningCount, Counts: rep.Counts}
	in := report.CommentInput{Plan: plan, Lanes: rows, Totals: totals, Previous: prev, State: st,
		RunURL: runURL, Artifact: artifact, Limit: limit}
	in.State.ResultDigest = report.CommentDigest(in)
	return report.RenderComment(in), in.State.ResultDigest, nil
}

// backfillMarkdown renders a backfill report read back from JSON.
func backfillMarkdown(data []byte, limit int) (string, error) {
	var rep struct {
		Applied    bool            `json:"applied"`
		PlanDigest string          `json:"plan_digest"`
		Refusal    string          `json:"refusal"`
		Items      []backfill.Item `json:"items"`
		Inspected  int             `json:"inspected_route_count"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return "", usageErr("backfill report: %v", err)
	}
	b, err := report.NewBackfillBuilder()
	if err != nil {
		return "", runtimeErr("%v", err)
	}
	defer b.Close()
	t := backfill.Totals{Inspected: rep.Inspected, Counts: map[string]int{}}
	for _, it := range rep.Items {
		if it.Status == backfill.StatusWouldCreate {
			t.Creates++
		}
		if err := b.Item(it); err != nil {
			return "", runtimeErr("%v", err)
		}
	}
	var out strings.Builder
	h := report.BackfillHeader{Totals: t, Digest: rep.PlanDigest, Outcome: report.Outcome{Applied: rep.Applied, Refusal: rep.Refusal}}
	if err := b.WriteMarkdown(&out, h, limit); err != nil {
		return "", runtimeErr("%v", err)
	}
	return out.String(), nil
}
