package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/registry"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/store"
	"github.com/lanegate/lanegate/internal/verdict"
)

// scopeFlags are the filters shared by audit and backfill.
type scopeFlags struct {
	lanesPath  string
	noLanes    bool
	lanes      stringList
	context    string
	instance   string
	providerID string
	shard      string
}

func addScopeFlags(fs *flag.FlagSet, s *scopeFlags) {
	fs.StringVar(&s.lanesPath, "lanes", "lanes.yaml", "lanes file; the default is used only when it exists")
	fs.BoolVar(&s.noLanes, "no-lanes", false, "audit the store alone, exactly like Launchplane (ignore any lanes file)")
	fs.Var(&s.lanes, "lane", "only this route, as CONTEXT/INSTANCE (repeatable)")
	fs.StringVar(&s.context, "context", "", "only routes in this context")
	fs.StringVar(&s.instance, "instance", "", "only routes with this instance")
	fs.StringVar(&s.providerID, "provider-id", "", "only routes of this provider (as Launchplane's --provider-id)")
}

// filter validates the scope flags.
func (s *scopeFlags) filter() (audit.Filter, error) {
	f := audit.Filter{ProviderID: s.providerID, Context: s.context, Instance: s.instance}
	for _, l := range s.lanes {
		c, i, err := lanes.ParseRoute(l)
		if err != nil {
			return f, usageErr("--lane %q: %v", l, err)
		}
		f.Lanes = append(f.Lanes, store.Route{Context: c, Instance: i})
	}
	if s.shard != "" {
		sh, err := parseShard(s.shard)
		if err != nil {
			return f, err
		}
		f.Shard = sh
	}
	return f.Normalize(), nil
}

func parseShard(s string) (audit.Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return audit.Shard{}, usageErr("--shard %q: want I/N with 1 <= I <= N", s)
	}
	return audit.Shard{Index: i, Count: n}, nil
}

// openScope validates the filters, loads the lanes file and opens the store,
// in that order, so bad input fails before any store is touched.
func openScope(ctx context.Context, env *Env, fs *flag.FlagSet, sc *scopeFlags, sf *storeFlags) (audit.Filter, *lanes.File, store.Reader, error) {
	filter, err := sc.filter()
	if err != nil {
		return filter, nil, nil, err
	}
	// The store is chosen (and printed) first, so it is the log's first line.
	c, err := sf.chooseAndAnnounce(env)
	if err != nil {
		return filter, nil, nil, err
	}
	if d, ok := registry.Lookup(c.Kind); ok && d.NeedsLanes && sc.noLanes {
		return filter, nil, nil, usageErr("--no-lanes cannot be used with --%s: the %s store cannot enumerate routes, so it reads exactly the lanes of lanes.yaml (pass --lanes FILE)", d.Flag, c.Kind)
	}
	plan, err := loadPlan(env, sc.lanesPath, flagWasSet(fs, "lanes"), sc.noLanes)
	if err != nil {
		return filter, nil, nil, err
	}
	sf.lanes = planRoutes(plan)
	st, err := openStore(ctx, env, sf)
	if err != nil {
		return filter, nil, nil, err
	}
	return filter, plan, st, nil
}

// planRoutes are the routes lanes.yaml declares (none without a lanes
// file): what a backend that cannot list routes reads.
func planRoutes(plan *lanes.File) []store.Route {
	if plan == nil {
		return nil
	}
	var out []store.Route
	for _, l := range plan.Lanes {
		out = append(out, store.Route{Context: l.Context, Instance: l.Instance})
	}
	return out
}

type auditFlags struct {
	scopeFlags
	storeFlags
	actionsFlags
	format string
	out    string
	record bool
}

func runAudit(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "audit", "audit [--state-dir DIR | --database-url URL | --launchplane-url URL] [--lanes FILE | --no-lanes] [filters] [--format table|json|markdown] [--out FILE]")
	var f auditFlags
	addScopeFlags(fs, &f.scopeFlags)
	addStoreFlags(fs, &f.storeFlags)
	fs.StringVar(&f.shard, "shard", "", "audit only shard I of N (I/N) of a deterministic hash partition of routes")
	fs.StringVar(&f.format, "format", "table", "stdout format: table, json or markdown")
	fs.StringVar(&f.out, "out", "", "also write the JSON report to this file")
	addActionsFlags(fs, &f.actionsFlags)
	fs.BoolVar(&f.record, "record", false, "record the run and per-lane audit evidence (Postgres: lanegate_* tables; filesystem: .lanegate/)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormatFlag(report.KindAudit, f.format); err != nil {
		return err
	}
	if err := f.actionsFlags.validate(); err != nil {
		return err
	}
	filter, plan, st, err := openScope(ctx, env, fs, &f.scopeFlags, &f.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, ok := st.(backend.AuditRecorder); f.record && !ok {
		return usageErr("--record needs a store that keeps lanegate's runs and evidence (Postgres or a state directory); %s cannot record them", st.Describe())
	}
	fmt.Fprintf(env.Stderr, "lanegate: auditing %s\n", st.Describe())

	// No log group here: the scan prints nothing, and an empty ::group::
	// is noise in the action log.
	res, err := runAuditScan(ctx, st, filter, plan)
	if err != nil {
		return err
	}
	label := storeLabel(env, &f.storeFlags)
	res.store = &label
	storeNotices(env, st)
	res.notices = env.notices
	res.traceIDs = traceIDs(st)
	defer res.builder.Close()
	if f.out != "" {
		if err := writeFileAtomic(env.path(f.out), func(w io.Writer) error { return res.writeJSON(w) }); err != nil {
			return err
		}
	}
	if err := report.Render(env.Stdout, f.format, res.doc(f.out)); err != nil {
		return runtimeErr("write report: %v", err)
	}
	if f.record {
		if err := recordAudit(ctx, env, st, res, filter); err != nil {
			return err
		}
	}
	if err := publishAudit(env, &f.actionsFlags, res, plan, f.out); err != nil {
		return err
	}
	return f.exitFor(res.verdict, res.totals.Warning)
}

// auditResult is a finished audit whose report can be rendered.
type auditResult struct {
	builder *report.AuditBuilder
	totals  audit.Totals
	verdict verdict.Verdict // decided once, by the audit, from the totals
	shard   *report.ShardInfo
	store   *report.Store
	notices []string
	// traceIDs are the store's per-lane trace ids (the service's), nil
	// for a store without them.
	traceIDs map[string]string
}

// header is what every channel renders: the verdict, never recomputed.
func (r *auditResult) header() report.Header {
	return report.Header{Totals: r.totals, Verdict: r.verdict, Shard: r.shard, Store: r.store, Notices: r.notices, TraceIDs: r.traceIDs}
}

// storeNotices adds what the store says its last scan could not do the
// way the others do (backend.Noticer) to the run's notices, on stderr and
// in the report, like every notice.
func storeNotices(env *Env, st store.Reader) {
	n, ok := st.(backend.Noticer)
	if !ok {
		return
	}
	for _, msg := range n.Notices() {
		fmt.Fprintf(env.Stderr, "lanegate: notice: %s\n", msg)
		env.notices = append(env.notices, msg)
	}
}

// traceIDs are the store's per-lane trace ids (backend.Traced) by lane
// key, nil when the store has none.
func traceIDs(st store.Reader) map[string]string {
	t, ok := st.(backend.Traced)
	if !ok {
		return nil
	}
	ids := t.TraceIDs()
	if len(ids) == 0 {
		return nil
	}
	out := make(map[string]string, len(ids))
	for r, id := range ids {
		out[r.Key()] = id
	}
	return out
}

// doc is the report for report.Render; reportPath is where --out wrote the
// JSON report ("" = nowhere).
func (r *auditResult) doc(reportPath string) report.AuditDoc {
	return report.AuditDoc{Builder: r.builder, Header: r.header(), ReportPath: reportPath}
}

func (r *auditResult) writeJSON(w io.Writer) error {
	return r.builder.WriteJSON(w, r.header())
}

// runAuditScan streams one snapshot of the store through the auditor.
func runAuditScan(ctx context.Context, st store.Reader, filter audit.Filter, plan *lanes.File) (*auditResult, error) {
	b, err := report.NewAuditBuilder()
	if err != nil {
		return nil, runtimeErr("%v", err)
	}
	a := audit.New(filter, plan, b)
	scope := store.Scope{Context: filter.Context, Instance: filter.Instance}
	if err := st.Scan(ctx, scope, a); err != nil {
		b.Close()
		return nil, err
	}
	totals, err := a.Finish()
	if err != nil {
		b.Close()
		return nil, err
	}
	res := &auditResult{builder: b, totals: totals, verdict: totals.Verdict()}
	// Any --shard, 1/1 included (a one-job matrix), makes a shard report
	// for merge.
	if filter.Shard.Count > 0 {
		info := &report.ShardInfo{Index: filter.Shard.Index, Count: filter.Shard.Count,
			Filter: filter, FilterLanes: []string{}, Matched: a.Matched, MatchedLanes: []string{}}
		for _, r := range filter.Lanes {
			info.FilterLanes = append(info.FilterLanes, r.Key())
			if a.MatchedLanes[r] {
				info.MatchedLanes = append(info.MatchedLanes, r.Key())
			}
		}
		res.shard = info
	}
	return res, nil
}
