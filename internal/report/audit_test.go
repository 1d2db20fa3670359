package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/record"
)

var updateGoldens = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func providerRecord(ctx, inst, providerID, category, targetID, name string) *record.ProviderTarget {
	return &record.ProviderTarget{SchemaVersion: 1, Context: ctx, Instance: inst, ProviderID: providerID,
		TargetCategory: category, TargetID: targetID, DisplayName: name, ProviderTargetType: category,
		ProviderEvidence: map[string]string{"project_name": ctx}, UpdatedAt: "2026-04-21T18:31:00Z",
		SourceLabel: "launchplane:dual-write"}
}

// fixedRun is a small audit with one of each interesting verdict, fed to a
// builder exactly as the auditor would.
type fixedRun struct {
	findings []audit.Finding
	lanes    []audit.LaneEntry
	totals   audit.Totals
}

func newFixedRun() fixedRun {
	discord := providerRecord("discord-blue", "prod", "dokploy", "application", "app-discord-blue-prod", "discord-blue-prod")
	syoProjected := providerRecord("sellyouroutboard", "prod", "dokploy", "application", "app-syo-prod", "syo-prod")
	vrPhysical := providerRecord("verireel", "prod", "dokploy", "compose", "cmp-verireel-prod-2025", "verireel-prod")
	vrProjected := providerRecord("verireel", "prod", "dokploy", "compose", "cmp-verireel-prod", "verireel-prod")
	cmPhysical := providerRecord("cm", "prod", "dokploy", "compose", "cmp-cm-prod", "cm <prod>")
	cmPhysical.ProviderTargetType = "stack"
	cmProjected := providerRecord("cm", "prod", "dokploy", "compose", "cmp-cm-prod", "cm-prod")
	legacy := providerRecord("legacy-site", "prod", "static-host", "static", "bucket-legacy-site", "legacy-site")

	f := func(ctx, inst, status, sev, detail string, p, x *record.ProviderTarget) audit.Finding {
		return audit.Finding{Context: ctx, Instance: inst, Status: status, Severity: sev, Detail: detail, Physical: p, Projected: x}
	}
	r := fixedRun{}
	r.findings = []audit.Finding{
		f("broken", "prod", audit.StatusInvalidRecord, audit.SeverityBlocked,
			"invalid provider_target record launchplane_provider_targets/broken|x.json: field `display_name`: <empty>", nil, nil),
		f("cm", "prod", audit.StatusDisplayNameMismatch, audit.SeverityBlocked, "display_name physical='cm <prod>' projected='cm-prod'", cmPhysical, cmProjected),
		f("cm", "prod", audit.StatusProviderTargetTypeMismatch, audit.SeverityBlocked, "provider_target_type physical='stack' projected='compose'", cmPhysical, cmProjected),
		f("discord-blue", "prod", audit.StatusComplete, audit.SeverityOK, "explicit provider-target row matches the Dokploy projection", discord, discord),
		f("ghost", "prod", audit.StatusMissingRoute, audit.SeverityBlocked, "lane is declared in the lanes file but the store has no record for it", nil, nil),
		f("legacy-site", "prod", audit.StatusFutureProvider, audit.SeverityWarning, "explicit provider-target row is not managed by the Dokploy projection audit", legacy, nil),
		f("sellyouroutboard", "prod", audit.StatusMissingProviderTarget, audit.SeverityBlocked, "Dokploy target/id pair has no explicit provider-target row", nil, syoProjected),
		f("verireel", "prod", audit.StatusIdentityMismatch, audit.SeverityBlocked,
			"provider-target identity mismatch: target_id physical='cmp-verireel-prod-2025' projected='cmp-verireel-prod'", vrPhysical, vrProjected),
		f("nope", "*", audit.StatusNoMatchingRoutes, audit.SeverityBlocked, "provider-target audit filters did not match any stored route", nil, nil),
	}
	lane := func(ctx, inst string, declared bool, product, driver string, wave int, statuses []string, worst, sev, detail string) audit.LaneEntry {
		return audit.LaneEntry{Lane: ctx + "/" + inst, Context: ctx, Instance: inst, Declared: declared, Product: product, Driver: driver,
			Wave: wave, WorstStatus: worst, Severity: sev, Statuses: statuses, Detail: detail}
	}
	r.lanes = []audit.LaneEntry{
		lane("broken", "prod", false, "", "", 0, []string{audit.StatusInvalidRecord}, audit.StatusInvalidRecord, audit.SeverityBlocked, r.findings[0].Detail),
		lane("cm", "prod", true, "cm", "odoo", 3, []string{audit.StatusDisplayNameMismatch, audit.StatusProviderTargetTypeMismatch},
			audit.StatusDisplayNameMismatch, audit.SeverityBlocked, r.findings[1].Detail),
		lane("discord-blue", "prod", true, "discord-blue", "generic-web", 1, []string{audit.StatusComplete}, audit.StatusComplete, audit.SeverityOK, r.findings[3].Detail),
		lane("ghost", "prod", true, "ghost", "verireel", 2, []string{audit.StatusMissingRoute}, audit.StatusMissingRoute, audit.SeverityBlocked, r.findings[4].Detail),
		lane("legacy-site", "prod", false, "", "", 0, []string{audit.StatusFutureProvider}, audit.StatusFutureProvider, audit.SeverityWarning, r.findings[5].Detail),
		lane("sellyouroutboard", "prod", true, "sellyouroutboard", "generic-web", 2, []string{audit.StatusMissingProviderTarget},
			audit.StatusMissingProviderTarget, audit.SeverityBlocked, r.findings[6].Detail),
		lane("verireel", "prod", true, "verireel", "verireel", 3, []string{audit.StatusIdentityMismatch}, audit.StatusIdentityMismatch, audit.SeverityBlocked, r.findings[7].Detail),
	}
	r.totals = audit.Totals{Inspected: len(r.lanes), Counts: map[string]int{}}
	for _, f := range r.findings {
		r.totals.Counts[f.Status]++
		switch f.Severity {
		case audit.SeverityBlocked:
			r.totals.Blocked++
		case audit.SeverityWarning:
			r.totals.Warning++
		}
	}
	return r
}

func (r fixedRun) builder(t testing.TB) *AuditBuilder {
	t.Helper()
	b, err := NewAuditBuilder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	// Lanes and findings interleave in route order, as the auditor emits them.
	for _, f := range r.findings {
		if err := b.Finding(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range r.lanes {
		if err := b.Lane(e); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGoldens {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./internal/report -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func render(t *testing.T, r fixedRun, format string, h Header, opt MarkdownOptions) []byte {
	t.Helper()
	b := r.builder(t)
	var out bytes.Buffer
	var err error
	switch format {
	case "json":
		err = b.WriteJSON(&out, h)
	case "table":
		err = b.WriteTable(&out, h)
	case "markdown":
		err = b.WriteMarkdown(&out, h, opt)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestGoldenOutputs(t *testing.T) {
	r := newFixedRun()
	h := AuditHeader(r.totals, nil, nil)
	golden(t, "audit.json.golden", render(t, r, "json", h, MarkdownOptions{}))
	golden(t, "audit.table.golden", render(t, r, "table", h, MarkdownOptions{}))
	golden(t, "audit.md.golden", render(t, r, "markdown", h, MarkdownOptions{ReportPath: "lanegate-audit.json"}))

	shard := &ShardInfo{Index: 2, Count: 4, Filter: audit.Filter{ProviderID: "dokploy"},
		FilterLanes: []string{"cm/prod"}, Matched: 7, MatchedLanes: []string{"cm/prod"}}
	golden(t, "audit_shard.json.golden", render(t, r, "json", AuditHeader(r.totals, shard, nil), MarkdownOptions{}))

	empty := fixedRun{totals: audit.Totals{Counts: map[string]int{}}}
	golden(t, "empty.json.golden", render(t, empty, "json", AuditHeader(empty.totals, nil, nil), MarkdownOptions{}))
	golden(t, "empty.table.golden", render(t, empty, "table", AuditHeader(empty.totals, nil, nil), MarkdownOptions{}))
	golden(t, "empty.md.golden", render(t, empty, "markdown", AuditHeader(empty.totals, nil, nil), MarkdownOptions{}))
}

func TestOutputsAreDeterministic(t *testing.T) {
	for _, format := range []string{"json", "table", "markdown"} {
		r := newFixedRun()
		a := render(t, r, format, AuditHeader(r.totals, nil, nil), MarkdownOptions{})
		b := render(t, newFixedRun(), format, AuditHeader(r.totals, nil, nil), MarkdownOptions{})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs differ", format)
		}
	}
	// Replaying a builder twice gives the same bytes too (spools rewind).
	r := newFixedRun()
	b := r.builder(t)
	var one, two bytes.Buffer
	if err := b.WriteJSON(&one, AuditHeader(r.totals, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteJSON(&two, AuditHeader(r.totals, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one.Bytes(), two.Bytes()) {
		t.Error("second WriteJSON on the same builder differs")
	}
}

func keysOf(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestJSONShape(t *testing.T) {
	r := newFixedRun()
	for _, sharded := range []bool{false, true} {
		h := AuditHeader(r.totals, nil, nil)
		wantTop := []string{"blocked_count", "counts", "findings", "inspected_route_count", "lanes", "schema", "status", "warning_count"}
		if sharded {
			h.Shard = &ShardInfo{Index: 1, Count: 2, FilterLanes: []string{}, MatchedLanes: []string{}}
			wantTop = []string{"blocked_count", "counts", "findings", "inspected_route_count", "lanes", "schema", "shard", "status", "warning_count"}
		}
		out := render(t, r, "json", h, MarkdownOptions{})
		if !json.Valid(out) {
			t.Fatalf("invalid JSON:\n%s", out)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(out, &top); err != nil {
			t.Fatal(err)
		}
		if got := keysOf(top); !reflect.DeepEqual(got, wantTop) {
			t.Errorf("sharded=%v: top-level keys %v, want %v", sharded, got, wantTop)
		}
		var scalars struct {
			Blocked   int            `json:"blocked_count"`
			Warning   int            `json:"warning_count"`
			Inspected int            `json:"inspected_route_count"`
			Status    string         `json:"status"`
			Schema    string         `json:"schema"`
			Counts    map[string]int `json:"counts"`
		}
		json.Unmarshal(out, &scalars)
		if scalars.Blocked != 7 || scalars.Warning != 1 || scalars.Inspected != 7 || scalars.Status != "blocked" ||
			scalars.Schema != AuditSchema || !reflect.DeepEqual(scalars.Counts, r.totals.Counts) {
			t.Errorf("scalars %+v", scalars)
		}
		var findings []map[string]json.RawMessage
		if err := json.Unmarshal(top["findings"], &findings); err != nil {
			t.Fatal(err)
		}
		if len(findings) != len(r.findings) {
			t.Fatalf("%d findings, want %d", len(findings), len(r.findings))
		}
		for i, f := range findings {
			want := []string{"context", "detail", "instance", "severity", "status"}
			if r.findings[i].Physical != nil {
				want = append(want, "physical_record")
			}
			if r.findings[i].Projected != nil {
				want = append(want, "projected_record")
			}
			sort.Strings(want)
			if got := keysOf(f); !reflect.DeepEqual(got, want) {
				t.Errorf("finding %d keys %v, want %v", i, got, want)
			}
			for _, k := range []string{"physical_record", "projected_record"} {
				if raw, ok := f[k]; ok {
					var rec map[string]json.RawMessage
					json.Unmarshal(raw, &rec)
					if len(rec) != 11 {
						t.Errorf("finding %d %s has %d keys, want the full 11-key record", i, k, len(rec))
					}
				}
			}
		}
	}
	// Keys appear in sorted order in the text, as with sort_keys=True.
	out := string(render(t, r, "json", AuditHeader(r.totals, nil, nil), MarkdownOptions{}))
	last := -1
	for _, k := range []string{`"blocked_count"`, `"counts"`, `"findings"`, `"inspected_route_count"`, `"lanes"`, `"schema"`, `"status"`, `"warning_count"`} {
		i := strings.Index(out, "\n  "+k)
		if i < 0 || i < last {
			t.Errorf("top-level key %s out of order", k)
		}
		last = i
	}
	if !strings.HasSuffix(out, "}\n") {
		t.Error("report should end with a newline")
	}
}

func TestJSONStatusOK(t *testing.T) {
	b, err := NewAuditBuilder()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out bytes.Buffer
	if err := b.WriteJSON(&out, AuditHeader(audit.Totals{Warning: 2, Counts: map[string]int{"future_provider": 2}}, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"status": "ok"`) {
		t.Errorf("warnings only must report ok:\n%s", out.String())
	}
}

func TestReadAuditReportRoundTrip(t *testing.T) {
	r := newFixedRun()
	shard := &ShardInfo{Index: 2, Count: 3, Filter: audit.Filter{Context: "cm"}, FilterLanes: []string{"cm/prod"},
		Matched: 1, MatchedLanes: []string{"cm/prod"}}
	for _, sh := range []*ShardInfo{nil, shard} {
		out := render(t, r, "json", AuditHeader(r.totals, sh, nil), MarkdownOptions{})
		rep, err := ReadAuditReport(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Schema != AuditSchema || rep.Status != "blocked" || rep.InspectedRouteCount != r.totals.Inspected ||
			rep.BlockedCount != r.totals.Blocked || rep.WarningCount != r.totals.Warning || !reflect.DeepEqual(rep.Counts, r.totals.Counts) {
			t.Errorf("header %+v", rep)
		}
		if !reflect.DeepEqual(rep.Findings, r.findings) {
			t.Errorf("findings differ after the round trip:\n%+v\n%+v", rep.Findings, r.findings)
		}
		if !reflect.DeepEqual(rep.Lanes, r.lanes) {
			t.Errorf("lanes differ after the round trip:\n%+v\n%+v", rep.Lanes, r.lanes)
		}
		if !reflect.DeepEqual(rep.Shard, sh) {
			t.Errorf("shard %+v, want %+v", rep.Shard, sh)
		}
	}
	if _, err := ReadAuditReport(strings.NewReader(`{"schema": "lanegate.backfill/v1"}`)); err == nil || !strings.Contains(err.Error(), "not a lanegate audit report") {
		t.Errorf("wrong schema: %v", err)
	}
	if _, err := ReadAuditReport(strings.NewReader(`{"schema": `)); err == nil {
		t.Error("truncated report accepted")
	}
	// A report whose record does not validate is refused.
	bad := `{"schema": "lanegate.audit/v1", "findings": [{"context": "a", "instance": "b", "physical_record": {"context": ""}}]}`
	if _, err := ReadAuditReport(strings.NewReader(bad)); err == nil {
		t.Error("invalid embedded record accepted")
	}
}

func TestTableOrdersBlockedFirst(t *testing.T) {
	out := string(render(t, newFixedRun(), "table", AuditHeader(newFixedRun().totals, nil, nil), MarkdownOptions{}))
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "BLOCKED: 7 route(s) inspected, 7 blocked finding(s), 1 warning(s) (") {
		t.Errorf("verdict line %q", lines[0])
	}
	pos := func(s string) int { return strings.Index(out, s) }
	if !(pos("\nverireel/prod ") < pos("\nlegacy-site/prod ") && pos("\nlegacy-site/prod ") < pos("\ndiscord-blue/prod ")) {
		t.Errorf("rows not in blocked, warning, ok order:\n%s", out)
	}
	if !strings.Contains(out, "display_name_mismatch+provider_target_type_mismatch") {
		t.Error("a lane's other statuses are not shown")
	}
	if !strings.Contains(out, "(undeclared)") {
		t.Error("undeclared lanes are not marked")
	}
	if !strings.Contains(out, "\nnope/*: no_matching_routes: ") {
		t.Error("no_matching_routes finding not shown")
	}
}

func TestVerdict(t *testing.T) {
	if got := Headline(AuditHeader(audit.Totals{Inspected: 3, Counts: map[string]int{"complete": 3}}, nil, nil)); got != "OK: 3 route(s) inspected, 0 blocked finding(s), 0 warning(s) (complete 3)" {
		t.Errorf("Verdict = %q", got)
	}
	if got := Headline(AuditHeader(audit.Totals{}, nil, nil)); got != "OK: 0 route(s) inspected, 0 blocked finding(s), 0 warning(s)" {
		t.Errorf("Verdict = %q", got)
	}
	if got := CountsText(map[string]int{"b": 1, "a": 2}); got != "a 2, b 1" {
		t.Errorf("CountsText = %q", got)
	}
}

func TestMarkdownEscapesCells(t *testing.T) {
	out := string(render(t, newFixedRun(), "markdown", AuditHeader(newFixedRun().totals, nil, nil), MarkdownOptions{Title: "audit | <b>x</b>"}))
	for _, bad := range []string{"<b>", "<prod>", "<empty>", "broken|x", "`display_name`"} {
		if strings.Contains(out, bad) {
			t.Errorf("markdown contains unescaped %q", bad)
		}
	}
	for _, want := range []string{"audit \\| &lt;b&gt;x&lt;/b&gt;", "cm &lt;prod&gt;", "broken\\|x.json", "'display_name'"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func TestMarkdownBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 lanes")
	}
	const lanes = 200000
	const budget = 900 << 10
	b, err := NewAuditBuilder()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	totals := audit.Totals{Inspected: lanes, Counts: map[string]int{}}
	blocked := 0
	for i := 0; i < lanes; i++ {
		ctx, inst := fmt.Sprintf("product-%06d", i), "prod"
		e := audit.LaneEntry{Lane: ctx + "/" + inst, Context: ctx, Instance: inst, Declared: i%3 != 0,
			Product: ctx, Driver: "generic-web", Wave: 1 + i%4, Statuses: []string{audit.StatusComplete},
			WorstStatus: audit.StatusComplete, Severity: audit.SeverityOK, Detail: "explicit provider-target row matches the Dokploy projection"}
		switch {
		case i%97 == 5:
			e.WorstStatus, e.Severity, e.Statuses = audit.StatusMissingProviderTarget, audit.SeverityBlocked, []string{audit.StatusMissingProviderTarget}
			e.Detail = "Dokploy target/id pair has no explicit provider-target row"
			blocked++
		case i%251 == 7:
			e.WorstStatus, e.Severity, e.Statuses = audit.StatusFutureProvider, audit.SeverityWarning, []string{audit.StatusFutureProvider}
			e.Detail = "explicit provider-target row is not managed by the Dokploy projection audit"
			totals.Warning++
		}
		totals.Counts[e.WorstStatus]++
		if err := b.Lane(e); err != nil {
			t.Fatal(err)
		}
	}
	totals.Blocked = blocked
	var out bytes.Buffer
	if err := b.WriteMarkdown(&out, AuditHeader(totals, nil, nil), MarkdownOptions{Budget: budget, ReportPath: "out/lanegate-audit.json"}); err != nil {
		t.Fatal(err)
	}
	md := out.String()
	if len(md) > budget {
		t.Errorf("markdown is %d bytes, budget %d", len(md), budget)
	}
	if !strings.Contains(md, Headline(AuditHeader(totals, nil, nil))) {
		t.Error("header verdict missing")
	}
	for status, n := range totals.Counts {
		if !strings.Contains(md, fmt.Sprintf("| `%s` | %d |", status, n)) {
			t.Errorf("count row for %s missing", status)
		}
	}
	firstBlocked := strings.Index(md, "| ❌ |")
	firstOK := strings.Index(md, "| ✅ |")
	if firstBlocked < 0 {
		t.Fatal("no blocked lane kept")
	}
	if firstOK >= 0 && firstOK < firstBlocked {
		t.Error("an ok lane comes before a blocked lane")
	}
	// Every blocked lane fits in this budget, so none may be dropped.
	if got := strings.Count(md, "| ❌ |"); got != blocked {
		t.Errorf("%d blocked rows kept, want all %d", got, blocked)
	}
	noteRe := "lane row(s) left out to stay within GitHub's size limit; the counts above are complete and the full report is in `out/lanegate-audit.json`.\n"
	if !strings.HasSuffix(md, noteRe) {
		t.Errorf("markdown does not end with the left-out note:\n...%s", md[max(0, len(md)-300):])
	}
	if !strings.HasPrefix(md[strings.LastIndex(md, "\n> ")+3:], fmt.Sprint(lanes-countRows(md))) {
		t.Errorf("left-out count does not match the rows dropped")
	}
}

func countRows(md string) int {
	return strings.Count(md, "| ❌ |") + strings.Count(md, "| ⚠️ |") + strings.Count(md, "| ✅ |")
}

func TestMarkdownBudgetTooSmall(t *testing.T) {
	r := newFixedRun()
	b := r.builder(t)
	var out bytes.Buffer
	if err := b.WriteMarkdown(&out, AuditHeader(r.totals, nil, nil), MarkdownOptions{Budget: 600}); err == nil {
		t.Error("a budget smaller than the header was accepted")
	}
}

func TestMarkdownUnlimitedKeepsEveryRow(t *testing.T) {
	r := newFixedRun()
	md := string(render(t, r, "markdown", AuditHeader(r.totals, nil, nil), MarkdownOptions{}))
	if got := countRows(md); got != len(r.lanes) {
		t.Errorf("%d rows, want %d", got, len(r.lanes))
	}
	if strings.Contains(md, "left out") {
		t.Error("left-out note without a budget")
	}
	if !strings.Contains(md, "### Undeclared routes") || strings.Index(md, "### Lanes") > strings.Index(md, "### Undeclared routes") {
		t.Error("declared lanes must come before the undeclared section")
	}
}

func TestMarkdownBudgetKeepsWarningsThatFit(t *testing.T) {
	// Past the budget, ok rows go first; warning rows that still fit must
	// stay.
	b, err := NewAuditBuilder()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	totals := audit.Totals{Counts: map[string]int{}}
	add := func(i int, sev, status string) {
		ctx := fmt.Sprintf("p%05d", i)
		e := audit.LaneEntry{Lane: ctx + "/prod", Context: ctx, Instance: "prod", Declared: true, Product: ctx,
			Driver: "odoo", Wave: 1, Statuses: []string{status}, WorstStatus: status, Severity: sev, Detail: "detail " + status}
		if err := b.Lane(e); err != nil {
			t.Fatal(err)
		}
		totals.Inspected++
		totals.Counts[status]++
		switch sev {
		case audit.SeverityBlocked:
			totals.Blocked++
		case audit.SeverityWarning:
			totals.Warning++
		}
	}
	for i := 0; i < 3000; i++ {
		switch {
		case i%300 == 1:
			add(i, audit.SeverityBlocked, audit.StatusMissingTargetID)
		case i%300 == 2:
			add(i, audit.SeverityWarning, audit.StatusFutureProvider)
		default:
			add(i, audit.SeverityOK, audit.StatusComplete)
		}
	}
	var out bytes.Buffer
	if err := b.WriteMarkdown(&out, AuditHeader(totals, nil, nil), MarkdownOptions{Budget: 8 << 10}); err != nil {
		t.Fatal(err)
	}
	md := out.String()
	if len(md) > 8<<10 {
		t.Errorf("%d bytes over the budget", len(md))
	}
	if got := strings.Count(md, "| ❌ |"); got != 10 {
		t.Errorf("%d blocked rows, want 10", got)
	}
	if got := strings.Count(md, "| ⚠️ |"); got != 10 {
		t.Errorf("%d warning rows, want all 10: they fit once the ok rows are dropped\n%s", got, md)
	}
	if !strings.Contains(md, "> 2980 lane row(s) left out") {
		t.Errorf("left-out note wrong:\n%s", md[strings.LastIndex(md, "\n>"):])
	}
}
