package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/probe"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/verdict"
)

const evidenceUsage = `usage: lanegate evidence <subcommand> [flags]

subcommands:
  record   record one piece of evidence (what a deploy or promotion workflow calls after its step)
  probe    probe the lanes' health URLs and record health evidence
  collect  read each lane's product environment from the Launchplane service and record authority evidence
  list     show the newest evidence per lane and kind
  show     show the evidence history of one lane`

func runEvidence(ctx context.Context, env *Env, args []string) error {
	return dispatch(ctx, env, "evidence", evidenceUsage, args,
		subcommand{"record", runEvidenceRecord},
		subcommand{"probe", runEvidenceProbe},
		subcommand{"collect", runEvidenceCollect},
		subcommand{"list", func(ctx context.Context, env *Env, args []string) error {
			return runEvidenceList(ctx, env, args, false)
		}},
		subcommand{"show", func(ctx context.Context, env *Env, args []string) error { return runEvidenceList(ctx, env, args, true) }})
}

// openEvidence opens lanegate's evidence storage for the chosen store. It
// does not need Launchplane's tables: a role with only the evidence grants
// can record and list.
func openEvidence(ctx context.Context, env *Env, sf *storeFlags) (backend.EvidenceStore, func(), error) {
	b, err := openBackend(ctx, env, sf, true)
	if err != nil {
		return nil, nil, err
	}
	closeStore := func() { b.Close() }
	eb, ok := b.(backend.EvidenceBackend)
	if !ok {
		closeStore()
		return nil, nil, runtimeErr("store %s keeps no evidence", b.Describe())
	}
	es, err := eb.Evidence(ctx)
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	return es, closeStore, nil
}

// sourceFlags say which CI run observed the evidence. In Actions they
// default to the current run.
type sourceFlags struct {
	runURL, runID, runAttempt, sha, actor string
}

func addSourceFlags(fs *flag.FlagSet, s *sourceFlags) {
	fs.StringVar(&s.runURL, "run-url", "", "URL of the workflow run that observed it (default: the current Actions run)")
	fs.StringVar(&s.runID, "run-id", "", "run id, for use outside Actions (default: GITHUB_RUN_ID)")
	fs.StringVar(&s.runAttempt, "run-attempt", "", "run attempt (default: GITHUB_RUN_ATTEMPT, else 1)")
	fs.StringVar(&s.sha, "sha", "", "commit SHA deployed or checked (default: GITHUB_SHA)")
	fs.StringVar(&s.actor, "actor", "", "who ran it (default: GITHUB_ACTOR)")
}

// resolve applies the flags over the Actions provenance. The run triple
// (URL, id, attempt) is taken from the environment only when no run flag
// was given, so a flag never mixes with another run's URL.
func (s *sourceFlags) resolve(env *Env) evidence.Source {
	info := env.rt.RunInfo()
	src := evidence.Source{RunURL: s.runURL, RunID: s.runID, RunAttempt: s.runAttempt, SHA: s.sha, Actor: s.actor}
	if s.runURL == "" && s.runID == "" && s.runAttempt == "" {
		src.RunURL, src.RunID, src.RunAttempt = info.RunURL, info.RunID, info.RunAttempt
	}
	if src.SHA == "" {
		src.SHA = info.SHA
	}
	if src.Actor == "" {
		src.Actor = info.Actor
	}
	return src
}

// checkNoSecrets refuses a record carrying any secret this invocation can
// see: evidence is shown in summaries and comments.
func checkNoSecrets(env *Env, r *evidence.Record) error {
	fields := []string{r.Lane, r.RunURL, r.RunID, r.RunAttempt, r.SHA, r.Actor, r.TraceID}
	for k, v := range r.Detail {
		fields = append(fields, k, v)
	}
	for _, s := range env.secrets {
		if len(s) < 4 {
			continue
		}
		for _, f := range fields {
			if strings.Contains(f, s) {
				return usageErr("refusing to record evidence that contains a secret value")
			}
		}
	}
	return nil
}

// loadEvidencePlan loads the lanes file, which these commands require.
func loadEvidencePlan(env *Env, path string) (*lanes.File, error) {
	plan, err := loadPlan(env, path, true, false)
	if err != nil {
		return nil, err
	}
	return plan, nil
}

func validationToUsage(err error) error {
	var ve *evidence.ValidationError
	if errors.As(err, &ve) {
		return usageErr("invalid evidence: %v", ve)
	}
	return err
}

// checkFormat checks an evidence command's --format (table or json).
func checkFormat(format string) error { return checkFormatFlag(report.KindEvidence, format) }

type evidenceRecordFlags struct {
	storeFlags
	sourceFlags
	lanesPath  string
	lane       string
	kind       string
	status     string
	trace      string
	observedAt string
	details    stringList
	format     string
}

func parseEvidenceRecordFlags(env *Env, args []string) (*evidenceRecordFlags, error) {
	fs := newFlagSet(env, "evidence record", "evidence record --lane CTX/INST --kind KIND --status pass|fail [--run-url URL | --run-id ID [--run-attempt N]] [--sha SHA] [--trace ID] [--detail k=v ...] [--state-dir DIR | --database-url URL]")
	var f evidenceRecordFlags
	addStoreFlags(fs, &f.storeFlags)
	addSourceFlags(fs, &f.sourceFlags)
	fs.StringVar(&f.lanesPath, "lanes", "lanes.yaml", "lanes file that declares the lane")
	fs.StringVar(&f.lane, "lane", "", "lane route CONTEXT/INSTANCE (must be declared in the lanes file)")
	fs.StringVar(&f.kind, "kind", "", "evidence kind: "+strings.Join(evidence.Kinds, ", "))
	fs.StringVar(&f.status, "status", "", "pass or fail")
	fs.StringVar(&f.trace, "trace", "", "optional trace id of the step")
	fs.StringVar(&f.observedAt, "observed-at", "", "when it was observed, RFC 3339 (default: now)")
	fs.Var(&f.details, "detail", "detail key=value (repeatable; at most 16, no secrets)")
	fs.StringVar(&f.format, "format", "table", "stdout format: table or json")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := checkFormat(f.format); err != nil {
		return nil, err
	}
	return &f, nil
}

// record builds the record the flags describe, checked against lanes.yaml
// and for secrets: nothing is opened or written unless it is valid.
func (f *evidenceRecordFlags) record(env *Env) (evidence.Record, error) {
	if f.lane == "" {
		return evidence.Record{}, usageErr("evidence record needs --lane CONTEXT/INSTANCE")
	}
	if _, _, err := lanes.ParseRoute(f.lane); err != nil {
		return evidence.Record{}, usageErr("--lane: %v", err)
	}
	if !evidence.ValidKind(f.kind) {
		return evidence.Record{}, usageErr("--kind %q: want one of %s", f.kind, strings.Join(evidence.Kinds, ", "))
	}
	var passed bool
	switch f.status {
	case "pass":
		passed = true
	case "fail":
	default:
		return evidence.Record{}, usageErr("--status %q: want pass or fail", f.status)
	}
	detail, err := parseDetails(f.details)
	if err != nil {
		return evidence.Record{}, err
	}
	observed, err := parseObservedAt(f.observedAt, time.Now())
	if err != nil {
		return evidence.Record{}, err
	}
	plan, err := loadEvidencePlan(env, f.lanesPath)
	if err != nil {
		return evidence.Record{}, err
	}
	if _, ok := plan.Lane(f.lane); !ok {
		return evidence.Record{}, usageErr("lane %s is not declared in %s", f.lane, plan.Path)
	}
	rec, err := evidence.Record{Lane: f.lane, Kind: f.kind, Passed: passed, ObservedAt: observed,
		Source: f.sourceFlags.resolve(env), TraceID: f.trace, Detail: detail}.Normalize()
	if err != nil {
		return evidence.Record{}, validationToUsage(err)
	}
	if err := checkNoSecrets(env, &rec); err != nil {
		return evidence.Record{}, err
	}
	return rec, nil
}

func runEvidenceRecord(ctx context.Context, env *Env, args []string) error {
	f, err := parseEvidenceRecordFlags(env, args)
	if err != nil {
		return err
	}
	rec, err := f.record(env)
	if err != nil {
		return err
	}
	st, closeStore, err := openEvidence(ctx, env, &f.storeFlags)
	if err != nil {
		return err
	}
	defer closeStore()
	res, err := st.Append(ctx, []evidence.Record{rec})
	if err != nil {
		return validationToUsage(err)
	}
	got := res[0]
	if !got.Created && got.Record.Passed != rec.Passed {
		fmt.Fprintf(env.Stderr, "lanegate: warning: %s evidence for %s from run %s attempt %s was already recorded as %s; this call's %s was not stored\n",
			rec.Kind, rec.Lane, rec.RunID, rec.RunAttempt, got.Record.Status(), rec.Status())
	}
	if err := report.Render(env.Stdout, f.format, report.EvidenceRecordDoc{Created: got.Created, Record: got.Record, Where: st.Describe()}); err != nil {
		return runtimeErr("write report: %v", err)
	}
	return nil
}

// parseDetails reads repeated --detail key=value flags.
func parseDetails(details []string) (map[string]string, error) {
	detail := map[string]string{}
	for _, d := range details {
		k, v, ok := strings.Cut(d, "=")
		if !ok {
			return nil, usageErr("--detail %q: want key=value", d)
		}
		if _, dup := detail[k]; dup {
			return nil, usageErr("--detail %q: key given twice", k)
		}
		detail[k] = v
	}
	return detail, nil
}

// parseObservedAt reads --observed-at ("" = now); a time beyond the
// allowed clock skew is refused.
func parseObservedAt(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, usageErr("--observed-at %q: want an RFC 3339 time such as 2026-05-01T12:00:00Z", s)
	}
	if t.After(now.Add(evidence.MaxClockSkew)) {
		return time.Time{}, usageErr("--observed-at %s is in the future", s)
	}
	return t, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return runtimeErr("write JSON: %v", err)
	}
	return nil
}

type evidenceProbeFlags struct {
	storeFlags
	sourceFlags
	lanesPath   string
	lanes       stringList
	concurrency int
	timeout     time.Duration
	noRecord    bool
	trace       string
	format      string
}

// probeRow is one lane's probe outcome as printed.
type probeRow = report.ProbeRow

func parseEvidenceProbeFlags(env *Env, args []string) (*evidenceProbeFlags, error) {
	fs := newFlagSet(env, "evidence probe", "evidence probe [--lane CTX/INST ...] [--concurrency N] [--timeout D] [--no-record] [--state-dir DIR | --database-url URL] [--format table|json]")
	var f evidenceProbeFlags
	addStoreFlags(fs, &f.storeFlags)
	addSourceFlags(fs, &f.sourceFlags)
	fs.StringVar(&f.lanesPath, "lanes", "lanes.yaml", "lanes file with the health URLs")
	fs.Var(&f.lanes, "lane", "only this lane (repeatable)")
	fs.IntVar(&f.concurrency, "concurrency", probe.DefaultConcurrency, "probes in flight at once")
	fs.DurationVar(&f.timeout, "timeout", probe.DefaultTimeout, "per-probe timeout for lanes without health.timeout")
	fs.BoolVar(&f.noRecord, "no-record", false, "probe and print only; write no evidence")
	fs.StringVar(&f.trace, "trace", "", "optional trace id recorded with every probe")
	fs.StringVar(&f.format, "format", "table", "stdout format: table or json")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := checkFormat(f.format); err != nil {
		return nil, err
	}
	if f.concurrency < 1 {
		return nil, usageErr("--concurrency must be at least 1")
	}
	if f.timeout <= 0 {
		return nil, usageErr("--timeout must be positive")
	}
	return &f, nil
}

// runEvidenceProbe probes the selected lanes' health URLs, records each
// result as health evidence and reports the run's verdict.
func runEvidenceProbe(ctx context.Context, env *Env, args []string) error {
	f, err := parseEvidenceProbeFlags(env, args)
	if err != nil {
		return err
	}
	plan, err := loadEvidencePlan(env, f.lanesPath)
	if err != nil {
		return err
	}
	selected, err := selectProbeLanes(plan, f.lanes)
	if err != nil {
		return err
	}
	// Check the source and open the store before any request goes out, so
	// a configuration mistake costs no probes.
	var src evidence.Source
	var st evidence.Store
	if !f.noRecord {
		if src, err = f.sourceFlags.resolve(env).Normalize(); err != nil {
			return validationToUsage(err)
		}
		var closeStore func()
		if st, closeStore, err = openEvidence(ctx, env, &f.storeFlags); err != nil {
			return err
		}
		defer closeStore()
	}
	rows, targets, targetRow := probeTargets(selected, f.timeout)
	results := (&probe.Prober{Concurrency: f.concurrency}).Probe(ctx, targets)
	if err := ctx.Err(); err != nil {
		return err
	}
	outs := make([]evidence.ProbeOutcome, len(results))
	for j, res := range results {
		outs[j] = evidence.ProbeOutcome{Lane: res.Lane, Passed: res.Passed, StatusCode: res.StatusCode, Latency: res.Latency,
			Redirects: res.Redirects, Error: res.Error}
		fillProbeRow(&rows[targetRow[j]], outs[j])
	}
	// The verdict is decided once; the JSON, the table header and the exit
	// code all render it.
	d := evidence.DecideProbes(outs, time.Now(), src, f.trace)
	if st != nil && len(d.Records) > 0 {
		if _, err := st.Append(ctx, d.Records); err != nil {
			return validationToUsage(err)
		}
		for _, i := range targetRow {
			rows[i].Recorded = true
		}
		fmt.Fprintf(env.Stderr, "lanegate: recorded %d health evidence record(s) in %s\n", len(d.Records), st.Describe())
	}
	if err := writeProbeReport(env, f.format, d, rows); err != nil {
		return err
	}
	if d.Verdict != verdict.OK {
		return &exitError{code: d.Verdict.ExitCode(), msg: d.Reason}
	}
	return nil
}

// selectProbeLanes is every lane of the plan in key order, or the --lane
// ones (each once, in flag order); an undeclared --lane is a usage error.
func selectProbeLanes(plan *lanes.File, keys []string) ([]*lanes.Lane, error) {
	var selected []*lanes.Lane
	if len(keys) == 0 {
		for _, k := range plan.Keys() {
			l, _ := plan.Lane(k)
			selected = append(selected, l)
		}
		return selected, nil
	}
	for _, k := range keys {
		l, ok := plan.Lane(k)
		if !ok {
			return nil, usageErr("--lane %s is not declared in %s", k, plan.Path)
		}
		if !slices.Contains(selected, l) {
			selected = append(selected, l)
		}
	}
	return selected, nil
}

// probeTargets is one row per selected lane and one probe target per lane
// with a health_url (targetRow[j] is target j's row); a lane without one is
// skipped. A lane's health.timeout wins over the --timeout default.
func probeTargets(selected []*lanes.Lane, defaultTimeout time.Duration) ([]probeRow, []probe.Target, []int) {
	rows := make([]probeRow, len(selected))
	var targets []probe.Target
	var targetRow []int
	for i, l := range selected {
		rows[i] = probeRow{Lane: l.Key}
		if l.HealthURL == "" {
			rows[i].Result, rows[i].Note = "skipped", "no health_url in the lanes file"
			continue
		}
		timeout := l.Health.Timeout
		if timeout <= 0 {
			timeout = defaultTimeout
		}
		targets = append(targets, probe.Target{Lane: l.Key, URL: l.HealthURL, ExpectStatus: l.Health.ExpectStatus,
			AllowPrivate: l.Health.AllowPrivate, Timeout: timeout})
		targetRow = append(targetRow, i)
	}
	return rows, targets, targetRow
}

func fillProbeRow(row *probeRow, o evidence.ProbeOutcome) {
	row.StatusCode, row.LatencyMS, row.Redirects = o.StatusCode, o.Latency.Milliseconds(), o.Redirects
	row.Result = "pass"
	if !o.Passed {
		row.Result, row.Error = "fail", o.Error
	}
}

// writeProbeReport renders the decided probe run as JSON or a table.
func writeProbeReport(env *Env, format string, d evidence.ProbeDecision, rows []probeRow) error {
	doc := report.EvidenceProbeDoc{Verdict: d.Verdict, Reason: d.Reason, Probed: d.Probed, Failed: d.Failed, Rows: rows}
	if err := report.Render(env.Stdout, format, doc); err != nil {
		return runtimeErr("write report: %v", err)
	}
	return nil
}

type evidenceListFlags struct {
	storeFlags
	lanes  stringList
	kinds  stringList
	since  string
	limit  int
	format string
}

func parseEvidenceListFlags(env *Env, args []string, show bool) (*evidenceListFlags, error) {
	name, synopsis, defLimit := "evidence list", "evidence list [--lane CTX/INST ...] [--kind KIND ...] [--since 7d|RFC3339] [--limit N] [--format table|json] [--state-dir DIR | --database-url URL]", 1
	if show {
		name, synopsis, defLimit = "evidence show", "evidence show --lane CTX/INST [--kind KIND ...] [--since 7d|RFC3339] [--limit N] [--format table|json] [--state-dir DIR | --database-url URL]", 20
	}
	fs := newFlagSet(env, name, synopsis)
	var f evidenceListFlags
	addStoreFlags(fs, &f.storeFlags)
	fs.Var(&f.lanes, "lane", "only this lane (repeatable for list)")
	fs.Var(&f.kinds, "kind", "only this kind (repeatable)")
	fs.StringVar(&f.since, "since", "", "only evidence observed within this duration (24h, 7d) or since this RFC 3339 time")
	fs.IntVar(&f.limit, "limit", defLimit, "records per lane and kind, newest first (0 = all)")
	fs.StringVar(&f.format, "format", "table", "stdout format: table or json")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := checkFormat(f.format); err != nil {
		return nil, err
	}
	if show && len(f.lanes) != 1 {
		return nil, usageErr("evidence show needs exactly one --lane CONTEXT/INSTANCE")
	}
	for _, l := range f.lanes {
		if _, _, err := lanes.ParseRoute(l); err != nil {
			return nil, usageErr("--lane: %v", err)
		}
	}
	for _, k := range f.kinds {
		if !evidence.ValidKind(k) {
			return nil, usageErr("--kind %q: want one of %s", k, strings.Join(evidence.Kinds, ", "))
		}
	}
	if f.limit < 0 {
		return nil, usageErr("--limit must not be negative")
	}
	return &f, nil
}

// query is the evidence query the flags describe, as of t.
func (f *evidenceListFlags) query(t time.Time) (evidence.Query, error) {
	q := evidence.Query{Lanes: f.lanes, Kinds: f.kinds, Limit: f.limit}
	if f.since != "" {
		s, err := parseSince(f.since, t)
		if err != nil {
			return q, err
		}
		q.Since = s
	}
	return q, nil
}

func runEvidenceList(ctx context.Context, env *Env, args []string, show bool) error {
	f, err := parseEvidenceListFlags(env, args, show)
	if err != nil {
		return err
	}
	t := time.Now()
	q, err := f.query(t)
	if err != nil {
		return err
	}
	st, closeStore, err := openEvidence(ctx, env, &f.storeFlags)
	if err != nil {
		return err
	}
	defer closeStore()
	ix, err := evidence.Latest(ctx, st, q)
	if err != nil {
		return err
	}
	if err := report.Render(env.Stdout, f.format, report.EvidenceListDoc{Now: t, Index: ix}); err != nil {
		return runtimeErr("write report: %v", err)
	}
	return nil
}

// parseSince accepts a duration back from now ("90m", "24h", "7d") or an
// RFC 3339 time.
func parseSince(s string, t time.Time) (time.Time, error) {
	if at, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return at, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n > 0 && n < 100000 {
			return t.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return t.Add(-d), nil
	}
	return time.Time{}, usageErr("--since %q: want a duration such as 24h or 7d, or an RFC 3339 time", s)
}
