package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/lanegate/lanegate/internal/actions"
	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/store"
	"github.com/lanegate/lanegate/internal/verdict"
)

// backfillFlags are the options of lanegate backfill.
type backfillFlags struct {
	scopeFlags
	storeFlags
	actionsFlags
	apply   bool
	recover bool
	digest  string
	reason  string
	format  string
	out     string
}

// parseBackfillFlags parses and checks the command line.
func parseBackfillFlags(env *Env, args []string) (*flag.FlagSet, *backfillFlags, error) {
	fs := newFlagSet(env, "backfill", "backfill [--state-dir DIR | --database-url URL | --launchplane-url URL] [filters] [--apply --plan-digest D --reason TEXT] [--format table|json|markdown] [--out FILE]")
	f := &backfillFlags{}
	addScopeFlags(fs, &f.scopeFlags)
	addStoreFlags(fs, &f.storeFlags)
	fs.BoolVar(&f.apply, "apply", false, "write the reviewed plan (default: dry run)")
	fs.BoolVar(&f.recover, "recover", false, "filesystem only: roll back an interrupted apply and exit")
	fs.StringVar(&f.digest, "plan-digest", "", "digest of the reviewed dry run (required with --apply)")
	fs.StringVar(&f.reason, "reason", "", "why this backfill is applied (required with --apply; recorded)")
	fs.StringVar(&f.format, "format", "table", "stdout format: table, json or markdown")
	fs.StringVar(&f.out, "out", "", "also write the JSON report to this file")
	addActionsFlags(fs, &f.actionsFlags)
	if err := parseFlags(fs, args); err != nil {
		return nil, nil, err
	}
	if err := f.actionsFlags.validate(); err != nil {
		return nil, nil, err
	}
	switch f.format {
	case "table", "json", "markdown":
	default:
		return nil, nil, usageErr("--format %q: want table, json or markdown", f.format)
	}
	if f.apply {
		if strings.TrimSpace(f.reason) == "" {
			return nil, nil, usageErr("--apply requires --reason TEXT (a non-blank reason is recorded with the run)")
		}
		// Digests are lower-case hex; anything else is a typo, not "the data changed".
		if !strings.HasPrefix(f.digest, "sha256:") || len(f.digest) != len("sha256:")+64 ||
			strings.Trim(f.digest[len("sha256:"):], "0123456789abcdef") != "" {
			return nil, nil, usageErr("--apply requires --plan-digest sha256:<64 hex> from the reviewed dry run")
		}
	} else if f.digest != "" || f.reason != "" {
		return nil, nil, usageErr("--plan-digest and --reason only make sense with --apply")
	}
	return fs, f, nil
}

func runBackfill(ctx context.Context, env *Env, args []string) error {
	fs, f, err := parseBackfillFlags(env, args)
	if err != nil {
		return err
	}
	filter, lanesFile, st, err := openScope(ctx, env, fs, &f.scopeFlags, &f.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	if f.recover {
		return recoverBackfill(ctx, env, st)
	}
	mode := "dry run"
	if f.apply {
		mode = "apply"
	}
	fmt.Fprintf(env.Stderr, "lanegate: backfill %s on %s\n", mode, st.Describe())
	info := actions.New(actions.Config{Getenv: env.Getenv, Stderr: env.Stderr}).RunInfo()
	// No log group here: planning prints nothing, and an empty ::group::
	// is noise in the action log.
	// A per-route apply that stopped at a failed lane returns its plan and
	// the error: the report (which lanes were created, replayed, refused,
	// not attempted) is rendered first, then the error decides the exit.
	plan, applyErr := f.makePlan(ctx, env, st, filter, lanesFile, info)
	if plan == nil {
		return applyErr
	}
	defer plan.Close()
	storeNotices(env, st)
	if plan.Outcome.Lanes != nil {
		fmt.Fprintf(env.Stderr, "lanegate: notice: %s\n", backfill.PerRouteNote)
		env.notices = append(env.notices, backfill.PerRouteNote)
	}
	rep, err := f.report(env, plan, filter)
	if err != nil {
		return err
	}
	rep.TraceIDs = traceIDs(st)
	if err := f.render(env, rep); err != nil {
		return err
	}
	final, created, err := plan.FinalTotals() // cached by the renderers
	if err != nil {
		return runtimeErr("%v", err)
	}
	if err := publishBackfill(env, &f.actionsFlags, rep, final, created, f.out); err != nil {
		return err
	}
	if applyErr != nil {
		return applyErr
	}
	if refusal := plan.Outcome.Refusal; refusal != "" {
		if f.apply {
			fmt.Fprintf(env.Stderr, "lanegate: apply refused, nothing written: %s\n", refusal)
		} else {
			fmt.Fprintf(env.Stderr, "lanegate: %s\n", refusal)
		}
		return errBlocked // a refused apply fails whatever --fail-on says
	}
	return f.exitFor(rep.Verdict, final.Warning)
}

// recoverBackfill rolls back an interrupted apply (lanegate backfill --recover).
func recoverBackfill(ctx context.Context, env *Env, st store.Reader) error {
	r, ok := st.(backend.Recoverer)
	if !ok {
		return usageErr("--recover applies to a filesystem state only (Postgres applies are transactional)")
	}
	n, err := r.Recover(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "lanegate: recovery removed %d file(s) of an interrupted apply\n", n)
	return nil
}

// makePlan plans over the store (a dry run) or has the store apply the plan
// it re-makes under its own lock (--apply).
func (f *backfillFlags) makePlan(ctx context.Context, env *Env, st store.Reader, filter audit.Filter, lanesFile *lanes.File, info actions.RunInfo) (*backfill.Plan, error) {
	scope := store.Scope{Context: filter.Context, Instance: filter.Instance}
	planner := func(scan func(store.Visitor) error, stage func(backfill.Create) error) (*backfill.Plan, error) {
		return backfill.Make(filter, lanesFile, scan, stage)
	}
	if !f.apply {
		scan := st.Scan
		if pr, ok := st.(backend.PlanReader); ok {
			scan = pr.PlanScan // the store's own dry-run read
		}
		return planner(func(v store.Visitor) error { return scan(ctx, scope, v) }, nil)
	}
	ap, ok := st.(backend.Applier)
	if !ok {
		return nil, runtimeErr("store %s does not support backfill", st.Describe())
	}
	res, err := ap.ApplyBackfill(ctx, backend.ApplyRequest{Scope: scope, Plan: planner, ReviewedDigest: f.digest,
		Run: backend.RunInfo{Kind: "backfill", Scope: scopeText(filter), Reason: strings.TrimSpace(f.reason),
			Actor: actor(env, info), GitSHA: info.SHA, RunURL: info.RunURL, RunID: runID(info),
			RunAttempt: info.RunAttempt, Version: VersionString()},
		Log: func(line string) { fmt.Fprintln(env.Stderr, line) }})
	if err != nil && (res.Plan == nil || res.Plan.Outcome.Lanes == nil) {
		if res.Plan != nil {
			res.Plan.Close()
		}
		return nil, err
	}
	return res.Plan, err
}

// report completes the plan's report: a dry run's refusal, the store, the
// notices, the inputs that apply it, and the verdict, decided once.
func (f *backfillFlags) report(env *Env, plan *backfill.Plan, filter audit.Filter) (report.Backfill, error) {
	if !f.apply {
		// Say now what would stop the apply, so a dry run never looks
		// approvable when it is not.
		plan.Outcome.Refusal = plan.DryRunRefusal()
	}
	label := storeLabel(env, &f.storeFlags)
	rep := report.Backfill{Plan: plan, Store: &label, Notices: env.notices}
	if !f.apply && filter.Context == "" && filter.Instance == "" {
		// The workflow selects routes by lanes only; a plan narrowed by
		// --context or --instance has no inputs that reproduce it.
		in := &report.ApplyInputs{Confirmation: ApplyConfirmation}
		for _, l := range filter.Lanes {
			in.Lanes = append(in.Lanes, l.Key())
		}
		rep.Apply = in
	}
	v, err := plan.Verdict()
	if err != nil {
		return rep, runtimeErr("%v", err)
	}
	rep.Verdict = v
	return rep, nil
}

// render writes the JSON report to --out and the report to stdout.
func (f *backfillFlags) render(env *Env, rep report.Backfill) error {
	if f.out != "" {
		if err := writeFileAtomic(env.path(f.out), rep.WriteJSON); err != nil {
			return err
		}
	}
	var err error
	switch f.format {
	case "json":
		err = rep.WriteJSON(env.Stdout)
	case "markdown":
		err = rep.WriteMarkdown(env.Stdout, 0)
	default:
		err = rep.WriteTable(env.Stdout)
	}
	if err != nil {
		return runtimeErr("write report: %v", err)
	}
	return nil
}

// publishBackfill writes the plan's job summary, outputs and annotations.
func publishBackfill(env *Env, a *actionsFlags, rep report.Backfill, final backfill.Totals, created int, reportPath string) error {
	wantSummary, wantOutputs, wantAnnotations := a.destinations(env)
	if !wantSummary && !wantOutputs && !wantAnnotations {
		return nil
	}
	rt := a.runtime(env)
	if wantSummary {
		var md strings.Builder
		if err := rep.WriteMarkdown(&md, actions.SummaryBudget); err != nil {
			return runtimeErr("render summary: %v", err)
		}
		if err := rt.AddSummary(md.String()); err != nil {
			return runtimeErr("write job summary: %v", err)
		}
	}
	if err := setOutputs(rt, [][2]string{
		{"status", string(rep.Verdict)},
		{"complete-count", strconv.Itoa(final.Counts[backfill.StatusSkippedExists] + created)},
		{"blocked-count", strconv.Itoa(final.Blocked)},
		{"warning-count", strconv.Itoa(final.Warning)},
		{"report-path", reportPath},
		{"plan-digest", rep.Plan.Digest},
		{"created-count", strconv.Itoa(created)},
	}); err != nil {
		return err
	}
	if !wantAnnotations {
		return nil
	}
	anns, more, err := backfillAnnotations(rep, final)
	if err != nil {
		return err
	}
	rt.Annotate(anns, more)
	return nil
}

// backfillAnnotations are the refusal and the blocked items, within the
// annotation budget; more counts the blocked items left out.
func backfillAnnotations(rep report.Backfill, final backfill.Totals) (anns []actions.Annotation, more int, err error) {
	o := rep.Plan.Outcome
	if o.Refusal != "" {
		title := "lanegate: backfill apply refused"
		if !o.Applied {
			title = "lanegate: backfill blocked"
		}
		anns = append(anns, actions.Annotation{Level: actions.LevelError, Title: title, Message: o.Refusal})
	}
	err = rep.Plan.EachSummary(func(it backfill.Item) error {
		if it.Severity == audit.SeverityBlocked {
			if len(anns) >= maxBuiltAnnotations {
				more++
				return nil
			}
			anns = append(anns, actions.Annotation{Level: actions.LevelError, Title: "lanegate: " + it.Context + "/" + it.Instance + " " + it.Status, Message: it.Detail})
		}
		return nil
	})
	if err != nil {
		return nil, 0, runtimeErr("%v", err)
	}
	if len(anns) == 0 && rep.Verdict != verdict.OK {
		anns = append(anns, actions.Annotation{Level: actions.LevelError, Title: "lanegate: backfill " + string(rep.Verdict),
			Message: fmt.Sprintf("%d blocked item(s)", final.Blocked)})
	}
	return anns, more, nil
}

// runID names this apply in its run record: the workflow run when
// there is one, else a local id.
func runID(info actions.RunInfo) string {
	if info.RunID != "" {
		id := info.RunID
		if info.RunAttempt != "" && info.RunAttempt != "1" {
			id += "-" + info.RunAttempt
		}
		return id
	}
	return localRunID()
}

func actor(env *Env, info actions.RunInfo) string {
	if info.Actor != "" {
		return info.Actor
	}
	return env.Getenv("GITHUB_ACTOR")
}

func scopeText(f audit.Filter) string {
	var parts []string
	if f.ProviderID != "" {
		parts = append(parts, "provider_id="+f.ProviderID)
	}
	if f.Context != "" {
		parts = append(parts, "context="+f.Context)
	}
	if f.Instance != "" {
		parts = append(parts, "instance="+f.Instance)
	}
	for _, l := range f.Lanes {
		parts = append(parts, "lane="+l.Key())
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, " ")
}
