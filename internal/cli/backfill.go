package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/actions"
	"github.com/lanegate/lanegate/internal/audit"
	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/store"
	"github.com/lanegate/lanegate/internal/verdict"
)

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

// backfillRun is one planned (and maybe applied) backfill.
type backfillRun struct {
	builder    *report.BackfillBuilder
	totals     backfill.Totals
	digest     string
	auditBlock []string // blocked audit findings other than missing_provider_target
	outcome    report.Outcome
	verdict    verdict.Verdict // decided once by decide, rendered by every channel
	store      *report.Store
	notices    []string
	apply      *report.ApplyInputs // the workflow inputs that apply this dry run, when it can say them
}

func (r *backfillRun) header() report.BackfillHeader {
	return report.BackfillHeader{Totals: r.totals, Digest: r.digest, Outcome: r.outcome, Verdict: r.verdict, Store: r.store, Notices: r.notices, Apply: r.apply}
}

// decide fixes the run's verdict once the outcome is known: backfill's rule
// over the final totals (after apply's rewrites).
func (r *backfillRun) decide(apply bool) (backfill.Totals, int, error) {
	final, created, err := r.builder.FinalTotals(r.header())
	if err != nil {
		return final, created, err
	}
	r.verdict = backfill.Verdict(final, apply, r.outcome.Refusal)
	return final, created, nil
}

// gateSink keeps the audit findings that refuse an apply.
type gateSink struct{ blocked []string }

func (g *gateSink) Finding(f audit.Finding) error {
	if f.Severity == audit.SeverityBlocked && f.Status != audit.StatusMissingProviderTarget {
		g.blocked = append(g.blocked, fmt.Sprintf("%s/%s %s", f.Context, f.Instance, f.Status))
	}
	return nil
}
func (g *gateSink) Lane(audit.LaneEntry) error { return nil }

// tee feeds one snapshot to the audit and the planner, so both decide on
// exactly the same records.
type tee struct {
	a *audit.Auditor
	p *backfill.Planner
}

func (t tee) Bindings(b store.Bindings) error {
	if err := t.a.Bindings(b); err != nil {
		return err
	}
	return t.p.Bindings(b)
}
func (t tee) Claims(c store.Claims) error    { return t.p.Claims(c) }
func (t tee) Prepare(rr *store.RouteRecords) { t.p.Prepare(rr) }
func (t tee) Route(rr *store.RouteRecords) error {
	if err := t.a.Route(rr); err != nil {
		return err
	}
	return t.p.Route(rr)
}

// planBackfill plans over one snapshot delivered by scan.
func planBackfill(filter audit.Filter, plan *lanes.File, scan func(store.Visitor) error) (*backfillRun, error) {
	return planBackfillWith(filter, plan, scan, nil)
}

// stagingSink hands each planned row, with the run's source label, to stage
// instead of the report's spool of creates (which only a one-connection
// apply reads back); items go to the report as usual.
type stagingSink struct {
	*report.BackfillBuilder
	label string
	stage func(*record.ProviderTarget) error
}

// Create implements backfill.Sink.
func (k *stagingSink) Create(c backfill.Create) error {
	row := *c.Record
	row.SourceLabel = k.label
	return k.stage(&row)
}

// stageFromSpool stages the rows of an apply that was planned on one
// connection, replayed from the plan's spool.
func stageFromSpool(ctx context.Context, s *pgstore.Store, tx pgx.Tx, run *backfillRun, label string, tick func(int)) (int, error) {
	stager, err := s.StageProviderTargets(ctx, tx, tick)
	if err != nil {
		return 0, err
	}
	err = run.builder.EachCreate(func(p *record.ProviderTarget) error {
		p.SourceLabel = label
		return stager.Add(p)
	})
	n, serr := stager.Close()
	if err == nil {
		err = serr
	}
	return n, err
}

// planBackfillWith is planBackfill whose plan goes to the sink wrap makes
// around the report builder (when wrap is not nil).
func planBackfillWith(filter audit.Filter, plan *lanes.File, scan func(store.Visitor) error, wrap func(*report.BackfillBuilder) backfill.Sink) (*backfillRun, error) {
	b, err := report.NewBackfillBuilder()
	if err != nil {
		return nil, runtimeErr("%v", err)
	}
	var sink backfill.Sink = b
	if wrap != nil {
		sink = wrap(b)
	}
	g := &gateSink{}
	t := tee{a: audit.New(filter, plan, g), p: backfill.NewPlanner(filter, sink)}
	if err := scan(t); err != nil {
		b.Close()
		return nil, err
	}
	if _, err := t.a.Finish(); err != nil {
		b.Close()
		return nil, err
	}
	totals, digest, err := t.p.Finish()
	if err != nil {
		b.Close()
		return nil, err
	}
	return &backfillRun{builder: b, totals: totals, digest: digest, auditBlock: g.blocked}, nil
}

// refusal says why an apply must not write, or "" when it may.
func (r *backfillRun) refusal(wantDigest string) string {
	if len(r.auditBlock) > 0 {
		shown := r.auditBlock
		if len(shown) > 10 {
			shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(r.auditBlock)-10))
		}
		return "the audit in scope has blocked findings other than missing_provider_target: " + strings.Join(shown, ", ")
	}
	if r.totals.Blocked > 0 {
		return fmt.Sprintf("the plan has %d blocked item(s); one blocked route refuses every write", r.totals.Blocked)
	}
	if r.totals.Creates > 0 && r.digest != wantDigest {
		return fmt.Sprintf("the data changed since the reviewed plan: --plan-digest %s does not match the fresh plan %s; review a new dry run", wantDigest, r.digest)
	}
	return ""
}

// stopBeforeWrite marks the run as an apply and says whether it must end
// here: refused (reason recorded) or nothing to create (a no-op, exit 0).
func (r *backfillRun) stopBeforeWrite(env *Env, digest string) bool {
	r.outcome.Applied = true
	if r.outcome.Refusal = r.refusal(digest); r.outcome.Refusal != "" {
		return true
	}
	if r.totals.Creates == 0 {
		fmt.Fprintln(env.Stderr, "lanegate: nothing to create: every route in scope already has its provider-target row")
		return true
	}
	return false
}

func runBackfill(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "backfill", "backfill [--state-dir DIR | --database-url URL] [filters] [--apply --plan-digest D --reason TEXT] [--format table|json|markdown] [--out FILE]")
	var f backfillFlags
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
		return err
	}
	if err := f.actionsFlags.validate(); err != nil {
		return err
	}
	switch f.format {
	case "table", "json", "markdown":
	default:
		return usageErr("--format %q: want table, json or markdown", f.format)
	}
	if f.apply {
		if strings.TrimSpace(f.reason) == "" {
			return usageErr("--apply requires --reason TEXT (a non-blank reason is recorded with the run)")
		}
		// Digests are lower-case hex; anything else is a typo, not "the data changed".
		if !strings.HasPrefix(f.digest, "sha256:") || len(f.digest) != len("sha256:")+64 ||
			strings.Trim(f.digest[len("sha256:"):], "0123456789abcdef") != "" {
			return usageErr("--apply requires --plan-digest sha256:<64 hex> from the reviewed dry run")
		}
	} else if f.digest != "" || f.reason != "" {
		return usageErr("--plan-digest and --reason only make sense with --apply")
	}
	filter, plan, st, err := openScope(ctx, env, fs, &f.scopeFlags, &f.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	if f.recover {
		fst, ok := st.(*fsstore.Store)
		if !ok {
			return usageErr("--recover applies to a filesystem state only (Postgres applies are transactional)")
		}
		unlock, err := fst.Lock()
		if err != nil {
			return err
		}
		defer unlock()
		n, err := fst.Recover()
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "lanegate: recovery removed %d file(s) of an interrupted apply\n", n)
		return nil
	}
	mode := "dry run"
	if f.apply {
		mode = "apply"
	}
	fmt.Fprintf(env.Stderr, "lanegate: backfill %s on %s\n", mode, st.Describe())
	rt := actions.New(actions.Config{Getenv: env.Getenv, Stderr: env.Stderr})
	info := rt.RunInfo()

	var run *backfillRun
	// No log group here: planning prints nothing, and an empty ::group::
	// is noise in the action log.
	switch s := st.(type) {
	case *pgstore.Store:
		run, err = backfillPostgres(ctx, env, s, filter, plan, f, info)
	case *fsstore.Store:
		run, err = backfillFiles(ctx, env, s, filter, plan, f, info)
	default:
		err = runtimeErr("store %s does not support backfill", st.Describe())
	}
	if err != nil {
		return err
	}
	defer run.builder.Close()
	if !f.apply && len(run.auditBlock) > 0 {
		// Say now what would stop the apply, so a dry run never looks
		// approvable when it is not.
		run.outcome.Refusal = report.DryRunRefusalLead + ": " + run.refusal("")
	}
	label := storeLabel(env, &f.storeFlags)
	run.store = &label
	run.notices = env.notices
	if !f.apply && filter.Context == "" && filter.Instance == "" {
		// The workflow selects routes by lanes only; a plan narrowed by
		// --context or --instance has no inputs that reproduce it.
		in := &report.ApplyInputs{Confirmation: ApplyConfirmation}
		for _, l := range filter.Lanes {
			in.Lanes = append(in.Lanes, l.Key())
		}
		run.apply = in
	}
	final, created, err := run.decide(f.apply)
	if err != nil {
		return runtimeErr("%v", err)
	}
	h := run.header()
	if f.out != "" {
		if err := writeFileAtomic(env.path(f.out), func(w io.Writer) error { return run.builder.WriteJSON(w, h) }); err != nil {
			return err
		}
	}
	switch f.format {
	case "json":
		err = run.builder.WriteJSON(env.Stdout, h)
	case "markdown":
		err = run.builder.WriteMarkdown(env.Stdout, h, 0)
	default:
		err = run.builder.WriteTable(env.Stdout, h)
	}
	if err != nil {
		return runtimeErr("write report: %v", err)
	}
	if err := publishBackfill(env, &f.actionsFlags, run, final, created, f.out); err != nil {
		return err
	}
	if run.outcome.Refusal != "" {
		if f.apply {
			fmt.Fprintf(env.Stderr, "lanegate: apply refused, nothing written: %s\n", run.outcome.Refusal)
		} else {
			fmt.Fprintf(env.Stderr, "lanegate: %s\n", run.outcome.Refusal)
		}
		return errBlocked // a refused apply fails whatever --fail-on says
	}
	return f.exitFor(run.verdict, final.Warning)
}

// publishBackfill writes the plan's job summary, outputs and annotations.
func publishBackfill(env *Env, a *actionsFlags, run *backfillRun, final backfill.Totals, created int, reportPath string) error {
	wantSummary, wantOutputs, wantAnnotations := a.destinations(env)
	if !wantSummary && !wantOutputs && !wantAnnotations {
		return nil
	}
	rt := a.runtime(env)
	if wantSummary {
		var md strings.Builder
		if err := run.builder.WriteMarkdown(&md, run.header(), actions.SummaryBudget); err != nil {
			return runtimeErr("render summary: %v", err)
		}
		if err := rt.AddSummary(md.String()); err != nil {
			return runtimeErr("write job summary: %v", err)
		}
	}
	if err := setOutputs(rt, [][2]string{
		{"status", string(run.verdict)},
		{"complete-count", strconv.Itoa(final.Counts[backfill.StatusSkippedExists] + created)},
		{"blocked-count", strconv.Itoa(final.Blocked)},
		{"warning-count", strconv.Itoa(final.Warning)},
		{"report-path", reportPath},
		{"plan-digest", run.digest},
		{"created-count", strconv.Itoa(created)},
	}); err != nil {
		return err
	}
	if !wantAnnotations {
		return nil
	}
	var anns []actions.Annotation
	more := 0
	if run.outcome.Refusal != "" {
		title := "lanegate: backfill apply refused"
		if !run.outcome.Applied {
			title = "lanegate: backfill blocked"
		}
		anns = append(anns, actions.Annotation{Level: actions.LevelError, Title: title, Message: run.outcome.Refusal})
	}
	err := run.builder.EachItemSummary(run.outcome, func(it backfill.Item) error {
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
		return runtimeErr("%v", err)
	}
	if len(anns) == 0 && run.verdict != verdict.OK {
		anns = append(anns, actions.Annotation{Level: actions.LevelError, Title: "lanegate: backfill " + string(run.verdict),
			Message: fmt.Sprintf("%d blocked item(s)", final.Blocked)})
	}
	rt.Annotate(anns, more)
	return nil
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

// progress reports rows written at a steady cadence, not per row.
type progress struct {
	w     io.Writer
	verb  string // "created" or "staged"
	total int
	last  time.Time
}

func (p *progress) tick(done int) {
	switch {
	case p.total > 0 && done == p.total, time.Since(p.last) >= 2*time.Second:
	default:
		return
	}
	if p.total > 0 {
		fmt.Fprintf(p.w, "lanegate: %s %d/%d provider-target row(s)\n", p.verb, done, p.total)
	} else {
		fmt.Fprintf(p.w, "lanegate: planned and %s %d provider-target row(s) so far\n", p.verb, done)
	}
	p.last = time.Now()
}

func backfillPostgres(ctx context.Context, env *Env, s *pgstore.Store, filter audit.Filter, plan *lanes.File, f backfillFlags, info actions.RunInfo) (*backfillRun, error) {
	scope := store.Scope{Context: filter.Context, Instance: filter.Instance}
	if !f.apply {
		return planBackfill(filter, plan, func(v store.Visitor) error { return s.Scan(ctx, scope, v) })
	}
	// Apply: plan again inside one transaction that holds Launchplane's
	// bundle lock exclusively, so the rows are re-checked under the lock and
	// nothing can change between the check and the write.
	tx, err := s.BeginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.Background())
	if err := s.CheckLanegateTables(ctx, tx, "lanegate_runs", "lanegate_backfill_items"); err != nil {
		return nil, err
	}
	// The plan is read on helper connections that share this transaction's
	// snapshot, so this connection stages the planned rows in a temporary
	// table meanwhile. Nothing reaches Launchplane's table unless every
	// check below passes; otherwise the rollback drops the staged rows.
	id := runID(info)
	label := backfill.SourceLabel
	prog := &progress{w: env.Stderr, verb: "staged", last: time.Now()}
	var stager *pgstore.Stager
	var wrap func(*report.BackfillBuilder) backfill.Sink
	scan := func(v store.Visitor) error { return s.ScanTx(ctx, tx, scope, v) }
	h, err := s.Helpers(ctx, tx)
	if err != nil {
		return nil, err
	}
	if h != nil {
		defer h.Close()
		if stager, err = s.StageProviderTargets(ctx, tx, prog.tick); err != nil {
			return nil, err
		}
		scan = func(v store.Visitor) error { return s.ScanHelpers(ctx, h, scope, v) }
		wrap = func(b *report.BackfillBuilder) backfill.Sink {
			return &stagingSink{BackfillBuilder: b, label: label, stage: stager.Add}
		}
	}
	run, err := planBackfillWith(filter, plan, scan, wrap)
	staged := 0
	if stager != nil {
		n, serr := stager.Close()
		if err == nil {
			err = serr
		}
		staged = n
	}
	if err != nil {
		if run != nil {
			run.builder.Close()
		}
		return nil, err
	}
	if run.stopBeforeWrite(env, f.digest) {
		return run, nil
	}
	prog.total = run.totals.Creates
	if stager == nil {
		// One connection: stage from the plan's spool now.
		if staged, err = stageFromSpool(ctx, s, tx, run, label, prog.tick); err != nil {
			return nil, err
		}
	}
	if staged != run.totals.Creates {
		return nil, runtimeErr("staged %d provider-target row(s) but the plan creates %d", staged, run.totals.Creates)
	}
	prog.tick(staged)
	missed, err := s.InsertStaged(ctx, tx, staged)
	if err != nil {
		return nil, err
	}
	if len(missed) > 0 {
		// Someone created rows we planned: roll everything back.
		tx.Rollback(context.Background())
		run.outcome.Conflicts = map[store.Route]bool{}
		for _, r := range missed {
			run.outcome.Conflicts[r] = true
		}
		run.outcome.Refusal = fmt.Sprintf("%d planned row(s) already existed at write time; the whole apply was rolled back", len(missed))
		return run, nil
	}
	run.outcome.Created = true
	final, created, err := run.decide(true)
	if err != nil {
		return nil, err
	}
	summary := map[string]any{"schema": backfill.Schema, "plan_digest": run.digest, "applied": true,
		"created_count": created, "counts": final.Counts, "blocked_count": final.Blocked,
		"warning_count": final.Warning, "inspected_route_count": final.Inspected, "source_label": label}
	runRowID, err := s.InsertRun(ctx, tx, pgstore.Run{Kind: "backfill", Status: string(run.verdict), Scope: scopeText(filter),
		Reason: strings.TrimSpace(f.reason), PlanDigest: run.digest, GitSHA: info.SHA, RunURL: info.RunURL,
		RunID: id, RunAttempt: info.RunAttempt, Actor: actor(env, info), Version: VersionString(), Report: summary})
	if err != nil {
		return nil, err
	}
	// Stream the items from the spool into COPY: a producer goroutine
	// replays them, COPY pulls; cancelling stops the producer if COPY fails.
	itemCtx, stopItems := context.WithCancel(ctx)
	defer stopItems()
	itemCh := make(chan pgstore.BackfillItemRow, 256)
	produced := make(chan error, 1)
	go func() {
		defer close(itemCh)
		produced <- run.builder.EachItemSummary(run.outcome, func(it backfill.Item) error {
			select {
			case itemCh <- pgstore.BackfillItemRow{Context: it.Context, Instance: it.Instance, Status: it.Status, Severity: it.Severity, Detail: it.Detail}:
				return nil
			case <-itemCtx.Done():
				return itemCtx.Err()
			}
		})
	}()
	next := func() (pgstore.BackfillItemRow, bool, error) {
		it, ok := <-itemCh
		if !ok {
			return it, false, <-produced
		}
		return it, true, nil
	}
	if err := s.InsertBackfillItems(ctx, tx, runRowID, next); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, runtimeErr("commit the backfill: %v", err)
	}
	fmt.Fprintf(env.Stderr, "lanegate: created %d provider-target row(s); recorded as lanegate run %d (run id %s, source_label %s)\n", created, runRowID, id, label)
	return run, nil
}

func backfillFiles(ctx context.Context, env *Env, s *fsstore.Store, filter audit.Filter, plan *lanes.File, f backfillFlags, info actions.RunInfo) (*backfillRun, error) {
	scope := store.Scope{Context: filter.Context, Instance: filter.Instance}
	if !f.apply {
		return planBackfill(filter, plan, func(v store.Visitor) error { return s.Scan(ctx, scope, v) })
	}
	unlock, err := s.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	// A journal means an interrupted apply: the plan read below refuses the
	// state and names --recover. Recovery runs only when asked for, never as
	// a side effect of an apply.
	run, err := planBackfill(filter, plan, func(v store.Visitor) error { return s.Scan(ctx, scope, v) })
	if err != nil {
		return nil, err
	}
	if run.stopBeforeWrite(env, f.digest) {
		return run, nil
	}
	id := runID(info)
	label := backfill.SourceLabel
	var rows []*record.ProviderTarget
	if err := run.builder.EachCreate(func(p *record.ProviderTarget) error {
		p.SourceLabel = label
		rows = append(rows, p)
		return nil
	}); err != nil {
		return nil, err
	}
	run.outcome.Created = true
	final, created, err := run.decide(true)
	if err != nil {
		return nil, err
	}
	var items []backfill.Item
	run.builder.EachItem(run.outcome, func(it backfill.Item) error { items = append(items, it); return nil })
	rec, err := json.MarshalIndent(map[string]any{"schema": backfill.Schema, "run_id": id, "plan_digest": run.digest,
		"reason": strings.TrimSpace(f.reason), "actor": actor(env, info), "run_url": info.RunURL, "git_sha": info.SHA,
		"lanegate_version": VersionString(), "source_label": label, "created_count": created, "counts": final.Counts,
		"recorded_at": time.Now().UTC().Format(time.RFC3339), "items": items}, "", "  ")
	if err != nil {
		return nil, err
	}
	prog := &progress{w: env.Stderr, verb: "created", total: len(rows), last: time.Now()}
	n, conflict, err := s.ApplyCreates(id, rows, rec, prog.tick)
	if err != nil {
		return nil, err
	}
	if conflict != nil {
		run.outcome.Created = false
		run.outcome.Conflicts = map[store.Route]bool{*conflict: true}
		run.outcome.Refusal = fmt.Sprintf("the provider-target row for %s appeared at write time; every file this apply created was removed", conflict.Key())
		return run, nil
	}
	fmt.Fprintf(env.Stderr, "lanegate: created %d provider-target file(s); recorded in .lanegate/backfills/%s.json\n", n, id)
	return run, nil
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
