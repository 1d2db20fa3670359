package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/safeio"
	"github.com/lanegate/lanegate/internal/store"
)

// runMerge combines the reports of every shard of one sharded audit into the
// report an unsharded run would have produced.
func runMerge(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "merge", "merge [--format table|json|markdown] [--out FILE] SHARD-REPORT...")
	var a actionsFlags
	format := fs.String("format", "table", "stdout format: table, json or markdown")
	out := fs.String("out", "", "also write the merged JSON report to this file")
	lanesPath := fs.String("lanes", "lanes.yaml", "lanes file, for annotations (optional)")
	addActionsFlags(fs, &a)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: ExitConfig}
	}
	if err := a.validate(); err != nil {
		return err
	}
	if err := checkFormatFlag(report.KindAudit, *format); err != nil {
		return err
	}
	paths := fs.Args()
	if len(paths) == 0 {
		return usageErr("merge needs the shard reports as arguments")
	}
	var shards []*report.AuditReport
	for _, p := range paths {
		r, f, err := safeio.OpenRegularLimited(env.path(p), safeio.MaxReportBytes)
		if err != nil {
			return usageErr("cannot read shard report %s: %v", p, err)
		}
		rep, err := report.ReadAuditReport(r)
		f.Close()
		if err != nil {
			return usageErr("%s: %v", p, err)
		}
		shards = append(shards, rep)
	}
	merged, err := mergeShards(shards, paths)
	if err != nil {
		return err
	}
	defer merged.builder.Close()
	plan, err := loadPlan(env, *lanesPath, flagWasSet(fs, "lanes"), false)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := writeFileAtomic(env.path(*out), func(w io.Writer) error { return merged.writeJSON(w) }); err != nil {
			return err
		}
	}
	if err := report.Render(env.Stdout, *format, merged.doc(*out)); err != nil {
		return runtimeErr("write report: %v", err)
	}
	if err := publishAudit(env, &a, merged, plan, *out); err != nil {
		return err
	}
	return a.exitFor(merged.verdict, merged.totals.Warning)
}

// mergeShards checks the shards form one complete partition and interleaves
// their findings and lanes back into route order.
func mergeShards(shards []*report.AuditReport, paths []string) (*auditResult, error) {
	first := shards[0].Shard
	if first == nil {
		return nil, usageErr("%s is not a shard report (run audit with --shard I/N)", paths[0])
	}
	seen := map[int]string{}
	for i, s := range shards {
		if s.Shard == nil {
			return nil, usageErr("%s is not a shard report (run audit with --shard I/N)", paths[i])
		}
		if s.Shard.Count != first.Count || !sameFilter(s.Shard.Filter, first.Filter) || fmt.Sprint(s.Shard.FilterLanes) != fmt.Sprint(first.FilterLanes) {
			return nil, usageErr("%s comes from a different sharded audit than %s (shard count or filters differ)", paths[i], paths[0])
		}
		if prev, dup := seen[s.Shard.Index]; dup {
			return nil, usageErr("shard %d/%d appears twice: %s and %s", s.Shard.Index, s.Shard.Count, prev, paths[i])
		}
		seen[s.Shard.Index] = paths[i]
		// Shards read from different stores are not one audit.
		if (s.Store == nil) != (shards[0].Store == nil) || (s.Store != nil && *s.Store != *shards[0].Store) {
			return nil, usageErr("%s was read from a different store than %s (%s vs %s)", paths[i], paths[0], storeText(s.Store), storeText(shards[0].Store))
		}
	}
	for i := 1; i <= first.Count; i++ {
		if _, ok := seen[i]; !ok {
			return nil, usageErr("shard %d/%d is missing: a merge needs every shard", i, first.Count)
		}
	}
	var findings []audit.Finding
	var laneEntries []audit.LaneEntry
	matched := 0
	matchedLanes := map[store.Route]bool{}
	totals := audit.Totals{Counts: map[string]int{}}
	for _, s := range shards {
		findings = append(findings, s.Findings...)
		laneEntries = append(laneEntries, s.Lanes...)
		totals.Inspected += s.InspectedRouteCount
		matched += s.Shard.Matched
		for _, l := range s.Shard.MatchedLanes {
			matchedLanes[routeOf(l)] = true
		}
	}
	// Routes are disjoint across shards and each shard is in route order, so
	// a stable sort by route restores the unsharded order exactly.
	sort.SliceStable(findings, func(i, j int) bool { return findings[i].Route().Less(findings[j].Route()) })
	sort.SliceStable(laneEntries, func(i, j int) bool { return laneEntries[i].Route().Less(laneEntries[j].Route()) })
	filter := first.Filter
	for _, l := range first.FilterLanes {
		filter.Lanes = append(filter.Lanes, routeOf(l))
	}
	findings = append(findings, audit.NoMatchFindings(filter, matched, matchedLanes)...)
	b, err := report.NewAuditBuilder()
	if err != nil {
		return nil, runtimeErr("%v", err)
	}
	for _, f := range findings {
		totals.Counts[f.Status]++
		switch f.Severity {
		case audit.SeverityBlocked:
			totals.Blocked++
		case audit.SeverityWarning:
			totals.Warning++
		}
		if err := b.Finding(f); err != nil {
			b.Close()
			return nil, runtimeErr("%v", err)
		}
	}
	for _, e := range laneEntries {
		if err := b.Lane(e); err != nil {
			b.Close()
			return nil, runtimeErr("%v", err)
		}
	}
	// The merged verdict is the audit's rule over the merged totals, decided
	// here once, never carried over from any one shard.
	return &auditResult{builder: b, totals: totals, verdict: totals.Verdict(), store: shards[0].Store}, nil
}

// routeOf parses a lane key from a shard report the way --lane was parsed.
func routeOf(key string) store.Route {
	c, i, err := lanes.ParseRoute(key)
	if err != nil {
		return store.Route{Context: key}
	}
	return store.Route{Context: c, Instance: i}
}

func sameFilter(a, b audit.Filter) bool {
	return a.ProviderID == b.ProviderID && a.Context == b.Context && a.Instance == b.Instance
}

func storeText(s *report.Store) string {
	if s == nil {
		return "no store recorded"
	}
	return s.Kind + " " + s.Name
}
