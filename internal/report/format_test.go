package report

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/preflight"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/gate"
	"github.com/lanegate/lanegate/internal/verdict"
)

// The usage messages are documented behaviour: byte for byte per kind.
func TestCheckFormat(t *testing.T) {
	cases := []struct {
		kind Kind
		name string
		want string // "" = accepted
	}{
		{KindAudit, "table", ""},
		{KindAudit, "json", ""},
		{KindAudit, "markdown", ""},
		{KindAudit, "yaml", `--format "yaml": want table, json or markdown`},
		{KindAudit, "", `--format "": want table, json or markdown`},
		{KindAudit, "JSON", `--format "JSON": want table, json or markdown`},
		{KindBackfill, "markdown", ""},
		{KindBackfill, "csv", `--format "csv": want table, json or markdown`},
		{KindGate, "markdown", ""},
		{KindGate, "html", `--format "html": want table, json or markdown`},
		{KindEvidence, "table", ""},
		{KindEvidence, "json", ""},
		{KindEvidence, "markdown", `--format "markdown": want table or json`},
		{KindPreflight, "json", ""},
		{KindPreflight, "markdown", `--format "markdown": want table or json`},
		{Kind("nothing"), "table", `--format "table": want nothing`},
	}
	for _, c := range cases {
		err := CheckFormat(c.kind, c.name)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("CheckFormat(%s, %q) = %q, want %q", c.kind, c.name, got, c.want)
		}
	}
}

func TestOrList(t *testing.T) {
	for in, want := range map[string]string{"": "nothing", "a": "a", "a b": "a or b", "a b c": "a, b or c", "a b c d": "a, b, c or d"} {
		if got := orList(strings.Fields(in)); got != want {
			t.Errorf("orList(%q) = %q, want %q", in, got, want)
		}
	}
}

// sampleDocs are docs of every type, as small as renders.
func sampleDocs(t *testing.T) []Doc {
	t.Helper()
	r := newFixedRun()
	ab := r.builder(t)
	bp, err := backfill.NewPlan()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bp.Close)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := evidence.Record{Lane: "cm/prod", Kind: "health", Passed: true, ObservedAt: now.Add(-90 * time.Minute),
		Source: evidence.Source{RunID: "77", RunAttempt: "2", SHA: "0123456789abcdef0123"}, Detail: map[string]string{"b": "2", "a": "1"}}
	return []Doc{
		AuditDoc{Builder: ab, Header: AuditHeader(r.totals, nil, nil)},
		BackfillDoc{Backfill: Backfill{Plan: bp, Verdict: verdict.OK}},
		GateDoc{Result: sampleGate()},
		EvidenceRecordDoc{Created: true, Record: rec, Where: "state dir s"},
		EvidenceProbeDoc{Verdict: verdict.OK, Probed: 1, Rows: []ProbeRow{{Lane: "cm/prod", Result: "pass", StatusCode: 200, LatencyMS: 12}}},
		EvidenceListDoc{Now: now, Index: evidence.NewIndex([]evidence.Record{rec})},
		PreflightDoc{Report: &preflight.Report{Lane: "cm/prod", Status: preflight.StatusBlocked,
			Checks: []preflight.Check{{Check: "provider_target", Status: preflight.Fail, Message: "no row"}}}},
	}
}

func sampleGate() gate.Result {
	return gate.Result{Verdict: gate.Blocked, Summary: gate.Blocked + ": 1 lane(s) blocked",
		Problems: []string{"lanes.yaml at base unreadable"},
		Lanes: []gate.LaneVerdict{
			{Lane: "cm/prod", Why: []string{"label", "trailer"}, FromStage: "dokploy", ToStage: "launchplane", Verdict: gate.Blocked, Reasons: []string{"no health evidence", "audit blocked"}},
			{Lane: "cm/dev", Why: []string{"label"}, FromStage: "dokploy", ToStage: "shadow", Verdict: gate.Pass},
		}}
}

// Every format renders every doc of every kind it claims, and refuses the
// others before calling its renderer.
func TestRegistryIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range formats {
		if seen[f.Name] {
			t.Errorf("format %s registered twice", f.Name)
		}
		seen[f.Name] = true
		for _, d := range sampleDocs(t) {
			err := Render(io.Discard, f.Name, d)
			if f.renders(d.Kind()) {
				if err != nil {
					t.Errorf("%s of %T: %v", f.Name, d, err)
				}
				continue
			}
			if err == nil || !strings.Contains(err.Error(), "cannot render a "+string(d.Kind())+" report") {
				t.Errorf("%s of %T: got %v, want a refusal", f.Name, d, err)
			}
		}
	}
	for _, k := range []Kind{KindAudit, KindBackfill, KindGate, KindEvidence, KindPreflight} {
		if got := Formats(k); len(got) < 2 || got[0] != "table" || got[1] != "json" {
			t.Errorf("Formats(%s) = %v: every kind renders table (the default) and json", k, got)
		}
	}
	if err := Render(io.Discard, "yaml", GateDoc{}); err == nil || err.Error() != `unknown format "yaml"` {
		t.Errorf("unknown format: %v", err)
	}
}

// A doc type a format claims by kind but has no case for is an error, not
// empty output.
type strayDoc struct{}

func (strayDoc) Kind() Kind { return KindGate }

func TestRendererRefusesAnUnknownDocType(t *testing.T) {
	for _, f := range formats {
		var out bytes.Buffer
		err := Render(&out, f.Name, strayDoc{})
		if err == nil || !strings.Contains(err.Error(), "no rendering for report.strayDoc") || out.Len() != 0 {
			t.Errorf("%s: err %v, output %q", f.Name, err, out.String())
		}
	}
}

// A new format is one renderer and one registry line: CheckFormat, Render
// and the usage message follow without any other change.
func TestANewFormatIsOneEntry(t *testing.T) {
	saved := formats
	t.Cleanup(func() { formats = saved })
	formats = append(formats[:len(formats):len(formats)], Format{Name: "lines", Kinds: []Kind{KindGate},
		Render: func(w io.Writer, doc Doc) error {
			d, ok := doc.(GateDoc)
			if !ok {
				return unsupported("lines", doc)
			}
			_, err := fmt.Fprintln(w, d.Result.Verdict)
			return err
		}})
	if err := CheckFormat(KindGate, "lines"); err != nil {
		t.Fatal(err)
	}
	if err := CheckFormat(KindGate, "x"); err == nil || err.Error() != `--format "x": want table, json, markdown or lines` {
		t.Errorf("usage: %v", err)
	}
	if err := CheckFormat(KindAudit, "lines"); err == nil {
		t.Error("lines accepted for audit")
	}
	var out bytes.Buffer
	if err := Render(&out, "lines", GateDoc{Result: sampleGate()}); err != nil || out.String() != "blocked\n" {
		t.Errorf("got %q, %v", out.String(), err)
	}
}

// Render gives the audit builder's own bytes: the golden files.
func TestRenderAuditMatchesGoldens(t *testing.T) {
	for format, file := range map[string]string{"json": "audit.json.golden", "table": "audit.table.golden", "markdown": "audit.md.golden"} {
		r := newFixedRun()
		var out bytes.Buffer
		doc := AuditDoc{Builder: r.builder(t), Header: AuditHeader(r.totals, nil, nil), ReportPath: "lanegate-audit.json"}
		if err := Render(&out, format, doc); err != nil {
			t.Fatal(err)
		}
		golden(t, file, out.Bytes())
	}
}

func renderString(t *testing.T, format string, d Doc) string {
	t.Helper()
	var out bytes.Buffer
	if err := Render(&out, format, d); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestRenderGate(t *testing.T) {
	res := sampleGate()
	wantTable := "BLOCKED: 1 lane(s) blocked\n" +
		"  problem: lanes.yaml at base unreadable\n" +
		"blocked  cm/prod  dokploy → launchplane  (label; trailer)\n" +
		"         - no health evidence\n" +
		"         - audit blocked\n" +
		"pass     cm/dev  dokploy → shadow  (label)\n"
	if got := renderString(t, "table", GateDoc{Result: res}); got != wantTable {
		t.Errorf("table:\n%s\nwant:\n%s", got, wantTable)
	}
	doc := GateDoc{Result: res, RunURL: "https://example.test/run/1", HeadSHA: "0123456789abcdef", Limit: 65536}
	if got, want := renderString(t, "markdown", doc), GateMarkdown(res, doc.RunURL, doc.HeadSHA, doc.Limit); got != want {
		t.Errorf("markdown differs from GateMarkdown:\n%s\nwant:\n%s", got, want)
	}
	js := renderString(t, "json", GateDoc{Result: res})
	if strings.Contains(js, `"store"`) || !strings.HasPrefix(js, "{\n  \"schema\": \"\",\n  \"verdict\": \"blocked\",") || !strings.HasSuffix(js, "}\n") {
		t.Errorf("json without a store:\n%s", js)
	}
	js = renderString(t, "json", GateDoc{Result: res, Store: &Store{Kind: "postgres", Name: "lp"}})
	if !strings.Contains(js, "\n  \"store\": {\n    \"kind\": \"postgres\",\n    \"name\": \"lp\"\n  }\n}\n") {
		t.Errorf("json with a store:\n%s", js)
	}
}

func TestRenderEvidence(t *testing.T) {
	docs := sampleDocs(t)
	rec := docs[3].(EvidenceRecordDoc)
	if got, want := renderString(t, "table", rec), "recorded health evidence for cm/prod: pass (run 77 attempt 2) in state dir s\n"; got != want {
		t.Errorf("record created: %q, want %q", got, want)
	}
	rec.Created = false
	if got, want := renderString(t, "table", rec), "health evidence for cm/prod from run 77 attempt 2 was already recorded (pass, observed 2025-03-01T10:30:00Z); kept it\n"; got != want {
		t.Errorf("record kept: %q, want %q", got, want)
	}
	if got := renderString(t, "json", rec); !strings.HasPrefix(got, "{\n  \"created\": false,\n  \"record\": {\n    \"lane\": \"cm/prod\",") {
		t.Errorf("record json:\n%s", got)
	}

	probe := EvidenceProbeDoc{Verdict: verdict.Blocked, Reason: "1 lane(s) failed", Probed: 2, Failed: 1, Rows: []ProbeRow{
		{Lane: "cm/prod", Result: "pass", StatusCode: 200, LatencyMS: 12},
		{Lane: "cm/dev", Result: "fail", LatencyMS: 3000, Error: "timeout"},
		{Lane: "cm/test", Result: "skipped", Note: "no health URL"},
	}}
	wantProbe := "BLOCKED: 2 probed, 1 failed (1 lane(s) failed)\n" +
		"LANE     RESULT   STATUS  LATENCY  DETAIL\n" +
		"cm/prod  pass     200     12ms     \n" +
		"cm/dev   fail     -       3000ms   timeout\n" +
		"cm/test  skipped  -       -        no health URL\n"
	if got := renderString(t, "table", probe); got != wantProbe {
		t.Errorf("probe table:\n%s\nwant:\n%s", got, wantProbe)
	}
	wantProbeJSON := `{
  "status": "blocked",
  "reason": "1 lane(s) failed",
  "probed": 2,
  "failed": 1,
  "results": [
    {
      "lane": "cm/prod",
      "result": "pass",
      "status_code": 200,
      "latency_ms": 12,
      "recorded": false
    },
    {
      "lane": "cm/dev",
      "result": "fail",
      "latency_ms": 3000,
      "error": "timeout",
      "recorded": false
    },
    {
      "lane": "cm/test",
      "result": "skipped",
      "note": "no health URL",
      "recorded": false
    }
  ]
}
`
	if got := renderString(t, "json", probe); got != wantProbeJSON {
		t.Errorf("probe json:\n%s\nwant:\n%s", got, wantProbeJSON)
	}

	list := docs[5].(EvidenceListDoc)
	wantList := "LANE     KIND    RESULT  AGE    OBSERVED              RUN    SHA           TRACE  DETAIL\n" +
		"cm/prod  health  pass    1h30m  2025-03-01T10:30:00Z  77 #2  0123456789ab  -      a=1 b=2\n"
	if got := renderString(t, "table", list); got != wantList {
		t.Errorf("list table:\n%s\nwant:\n%s", got, wantList)
	}
	js := renderString(t, "json", list)
	for _, want := range []string{"{\n  \"generated_at\": \"2025-03-01T12:00:00Z\",\n  \"evidence\": {\n    \"cm/prod\": {\n      \"health\": [\n",
		"\"status\": \"pass\",\n", "\"age_seconds\": 5400\n"} {
		if !strings.Contains(js, want) {
			t.Errorf("list json lacks %q:\n%s", want, js)
		}
	}
	if got := renderString(t, "table", EvidenceListDoc{Now: list.Now}); got != "no evidence recorded\n" {
		t.Errorf("empty list: %q", got)
	}
	if got := renderString(t, "json", EvidenceListDoc{Now: list.Now}); got != "{\n  \"generated_at\": \"2025-03-01T12:00:00Z\",\n  \"evidence\": {}\n}\n" {
		t.Errorf("empty list json: %q", got)
	}
}

// A write error surfaces; it is never swallowed into a short report.
func TestRenderSurfacesWriteErrors(t *testing.T) {
	for _, d := range sampleDocs(t) {
		for _, name := range Formats(d.Kind()) {
			if _, ok := d.(GateDoc); ok && name == "table" {
				continue // the gate table ignores write errors, as it always has
			}
			if err := Render(failWriter{}, name, d); err == nil {
				t.Errorf("%s of %T: no error from a failing writer", name, d)
			}
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// The preflight table is the lines operators read before a deploy.
func TestPreflightTable(t *testing.T) {
	doc := PreflightDoc{Report: &preflight.Report{Lane: "cm/prod", Status: preflight.StatusBlocked, Checks: []preflight.Check{
		{Check: "provider_target", Status: preflight.Pass, Message: "row present"},
		{Check: "display_name", Status: preflight.Fail, Message: "differs"},
	}}}
	want := "ok    provider_target: row present\nFAIL  display_name: differs\npreflight BLOCKED for cm/prod: do not deploy\n"
	if got := renderString(t, "table", doc); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}
