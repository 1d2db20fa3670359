// Package report turns audit decisions into lanegate's outputs: the JSON
// report (Launchplane's audit payload plus lanegate's keys), an aligned
// terminal table and GitHub-flavoured Markdown. Decisions arrive as a stream
// and are spooled to temporary files, so memory stays flat however many
// routes there are.
package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/verdict"
)

// AuditSchema identifies lanegate's audit report format.
const AuditSchema = "lanegate.audit/v1"

// spool is an append-only temp file of JSON lines.
type spool struct {
	f   *os.File
	w   *bufio.Writer
	n   int
	buf []byte
}

// appender is a value that writes its own JSON (findings do, for speed).
type appender interface{ AppendJSON([]byte) []byte }

func newSpool(pattern string) (*spool, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return nil, fmt.Errorf("create spool file: %w", err)
	}
	return &spool{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (s *spool) add(v any) error {
	if a, ok := v.(appender); ok {
		s.n++
		s.buf = append(a.AppendJSON(s.buf[:0]), '\n')
		_, err := s.w.Write(s.buf)
		return err
	}
	enc := json.NewEncoder(s.w)
	enc.SetEscapeHTML(false)
	s.n++
	return enc.Encode(v) // one compact line
}

// each replays the spooled lines in order.
func (s *spool) each(fn func(line []byte) error) error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	sc := bufio.NewScanner(s.f)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	_, err := s.f.Seek(0, io.SeekEnd)
	return err
}

func (s *spool) close() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// AuditBuilder is an audit.Sink that spools findings and lane entries.
type AuditBuilder struct {
	findings, lanes *spool
	// buckets counts lane entries by declared and severity, so renderers
	// skip passes over the spool that would find nothing.
	buckets map[bucket]int
	noMatch int
}

type bucket struct {
	declared bool
	severity string
}

// NewAuditBuilder creates the spools; call Close when done.
func NewAuditBuilder() (*AuditBuilder, error) {
	f, err := newSpool("lanegate-findings-*.jsonl")
	if err != nil {
		return nil, err
	}
	l, err := newSpool("lanegate-lanes-*.jsonl")
	if err != nil {
		f.close()
		return nil, err
	}
	return &AuditBuilder{findings: f, lanes: l}, nil
}

// Finding implements audit.Sink.
func (b *AuditBuilder) Finding(f audit.Finding) error {
	if f.Status == audit.StatusNoMatchingRoutes {
		b.noMatch++
	}
	return b.findings.add(f)
}

// Lane implements audit.Sink.
func (b *AuditBuilder) Lane(e audit.LaneEntry) error {
	if b.buckets == nil {
		b.buckets = map[bucket]int{}
	}
	b.buckets[bucket{e.Declared, e.Severity}]++
	return b.lanes.add(e)
}

// Close removes the spools.
func (b *AuditBuilder) Close() {
	b.findings.close()
	b.lanes.close()
}

// ShardInfo is carried only by a shard's report, for `lanegate merge`.
type ShardInfo struct {
	Index        int          `json:"index"`
	Count        int          `json:"count"`
	Filter       audit.Filter `json:"filter"`
	FilterLanes  []string     `json:"filter_lanes"`
	Matched      int          `json:"matched_route_count"`
	MatchedLanes []string     `json:"matched_lanes"`
}

// Store names the record store a report was read from: kind "filesystem"
// or "postgres"; name is the state directory or host:port/database (never
// credentials).
type Store struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Header is everything in the report except the two arrays.
type Header struct {
	Totals audit.Totals
	// Verdict is decided by the audit (Totals.Verdict) or read back from a
	// report; renderers print it and never recompute it.
	Verdict verdict.Verdict
	Shard   *ShardInfo
	Store   *Store
	// Notices are things the run could not do as asked and that a reader of
	// the report must see (for example: no lanes.yaml, so every route is
	// undeclared). Written as "notices" when there are any.
	Notices []string
	// TraceIDs are each lane's trace id ("context/instance" -> id) from a
	// store whose calls carry one (the Launchplane service). Written as
	// "trace_ids" only when there are any, so the other stores' reports
	// are unchanged.
	TraceIDs map[string]string
}

// AuditHeader is the header of a finished audit: its verdict as the audit
// decides it.
func AuditHeader(t audit.Totals, shard *ShardInfo, st *Store) Header {
	return Header{Totals: t, Verdict: t.Verdict(), Shard: shard, Store: st}
}

// check refuses to render a header whose verdict is missing or disagrees
// with its counts: a report never says more than it knows.
func (h Header) check() error {
	if err := verdict.Consistent(h.Verdict, h.Totals.Blocked, ""); err != nil {
		return fmt.Errorf("audit report verdict: %w", err)
	}
	if h.Verdict == verdict.Refused {
		return fmt.Errorf("audit report verdict: an audit is never refused")
	}
	return nil
}

// writeNotices writes the "notices" key (with its trailing comma) when
// there are any.
func writeNotices(w *bufio.Writer, notices []string) error {
	if len(notices) == 0 {
		return nil
	}
	nj, err := json.MarshalIndent(notices, "  ", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  \"notices\": %s,\n", nj)
	return nil
}

// writeStore writes the "store" key (with its trailing comma) when known.
func writeStore(w *bufio.Writer, st *Store) error {
	if st == nil {
		return nil
	}
	sj, err := json.MarshalIndent(st, "  ", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  \"store\": %s,\n", sj)
	return nil
}

// writeTraceIDs writes the "trace_ids" key (with its trailing comma) when
// there are any.
func writeTraceIDs(w *bufio.Writer, ids map[string]string) error {
	if len(ids) == 0 {
		return nil
	}
	tj, err := json.MarshalIndent(ids, "  ", "  ") // map keys sorted
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  \"trace_ids\": %s,\n", tj)
	return nil
}

// WriteJSON writes the report with sorted keys and two-space indentation, like
// Launchplane's CLI (json.dumps(..., indent=2, sort_keys=True)).
func (b *AuditBuilder) WriteJSON(w io.Writer, h Header) error {
	if err := h.check(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	t := h.Totals
	fmt.Fprintf(bw, "{\n  \"blocked_count\": %d,\n  \"counts\": ", t.Blocked)
	writeCounts(bw, t.Counts)
	bw.WriteString(",\n  \"findings\": ")
	if err := writeArray(bw, b.findings); err != nil {
		return err
	}
	fmt.Fprintf(bw, ",\n  \"inspected_route_count\": %d,\n  \"lanes\": ", t.Inspected)
	if err := writeArray(bw, b.lanes); err != nil {
		return err
	}
	bw.WriteString(",\n")
	if err := writeNotices(bw, h.Notices); err != nil {
		return err
	}
	fmt.Fprintf(bw, "  \"schema\": %q,\n", AuditSchema)
	if h.Shard != nil {
		sj, err := json.MarshalIndent(h.Shard, "  ", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "  \"shard\": %s,\n", sj)
	}
	fmt.Fprintf(bw, "  \"status\": %q,\n", h.Verdict)
	if err := writeStore(bw, h.Store); err != nil {
		return err
	}
	if err := writeTraceIDs(bw, h.TraceIDs); err != nil {
		return err
	}
	fmt.Fprintf(bw, "  \"warning_count\": %d\n}\n", t.Warning)
	return bw.Flush()
}

func writeCounts(w *bufio.Writer, counts map[string]int) {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		w.WriteString("{}")
		return
	}
	w.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			w.WriteString(",")
		}
		fmt.Fprintf(w, "\n    %q: %d", k, counts[k])
	}
	w.WriteString("\n  }")
}

func writeArray(w *bufio.Writer, s *spool) error {
	if s.n == 0 {
		w.WriteString("[]")
		return nil
	}
	w.WriteString("[")
	first := true
	var buf []byte
	err := s.each(func(line []byte) error {
		if !first {
			w.WriteString(",")
		}
		first = false
		w.WriteString("\n    ")
		buf = appendIndent(buf[:0], bytes.TrimRight(line, "\n"), "    ", "  ")
		_, err := w.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	w.WriteString("\n  ]")
	return nil
}

// EachLane replays the lane entries in route order.
func (b *AuditBuilder) EachLane(fn func(audit.LaneEntry) error) error {
	return b.lanes.each(func(line []byte) error {
		var e audit.LaneEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return err
		}
		return fn(e)
	})
}

// EachFinding replays the findings in order.
func (b *AuditBuilder) EachFinding(fn func(audit.Finding) error) error {
	return b.findings.each(func(line []byte) error {
		var f audit.Finding
		if err := json.Unmarshal(line, &f); err != nil {
			return err
		}
		return fn(f)
	})
}

// AuditReport is a decoded audit report, for tools that read one back
// (publish, merge, tests). It holds the whole report in memory.
type AuditReport struct {
	Schema              string            `json:"schema"`
	Status              string            `json:"status"`
	InspectedRouteCount int               `json:"inspected_route_count"`
	BlockedCount        int               `json:"blocked_count"`
	WarningCount        int               `json:"warning_count"`
	Counts              map[string]int    `json:"counts"`
	Findings            []audit.Finding   `json:"findings"`
	Lanes               []audit.LaneEntry `json:"lanes"`
	Shard               *ShardInfo        `json:"shard,omitempty"`
	Store               *Store            `json:"store,omitempty"`
}

// Header is the report's verdict and counters as read back.
func (r *AuditReport) Header() Header {
	return Header{Totals: audit.Totals{Inspected: r.InspectedRouteCount, Blocked: r.BlockedCount, Warning: r.WarningCount, Counts: r.Counts},
		Verdict: verdict.Verdict(r.Status), Shard: r.Shard, Store: r.Store}
}

// ReadAuditReport decodes a report and checks it can be read in full: its
// schema, a known status, and counters that agree with the status and with
// the findings. Anything less is an error, never a guess.
func ReadAuditReport(r io.Reader) (*AuditReport, error) {
	var rep AuditReport
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("decode audit report: %w", err)
	}
	if rep.Schema != AuditSchema {
		return nil, fmt.Errorf("not a lanegate audit report (schema %q, want %q)", rep.Schema, AuditSchema)
	}
	v, err := verdict.Parse(rep.Status)
	if err != nil {
		return nil, fmt.Errorf("audit report field status: %w", err)
	}
	if v == verdict.Refused {
		return nil, fmt.Errorf("audit report field status: an audit is never %q", v)
	}
	if err := verdict.Consistent(v, rep.BlockedCount, ""); err != nil {
		return nil, fmt.Errorf("audit report: %w", err)
	}
	blocked, warning, counted := 0, 0, map[string]int{}
	for _, f := range rep.Findings {
		counted[f.Status]++
		switch f.Severity {
		case audit.SeverityBlocked:
			blocked++
		case audit.SeverityWarning:
			warning++
		}
	}
	if blocked != rep.BlockedCount || warning != rep.WarningCount {
		return nil, fmt.Errorf("audit report: blocked_count %d and warning_count %d disagree with its findings (%d blocked, %d warning)",
			rep.BlockedCount, rep.WarningCount, blocked, warning)
	}
	for k, n := range rep.Counts {
		if counted[k] != n {
			return nil, fmt.Errorf("audit report: counts[%q] is %d but %d finding(s) have that status", k, n, counted[k])
		}
	}
	if len(counted) != len(rep.Counts) {
		return nil, fmt.Errorf("audit report: counts list %d status(es) but the findings have %d", len(rep.Counts), len(counted))
	}
	return &rep, nil
}
