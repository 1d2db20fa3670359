package report

import (
	"fmt"
	"github.com/lanegate/lanegate/internal/preflight"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lanegate/lanegate/internal/evidence"
)

// tableFormat is --format table, the default: aligned text for a terminal.
var tableFormat = Format{
	Name:   "table",
	Kinds:  []Kind{KindAudit, KindBackfill, KindGate, KindEvidence, KindPreflight},
	Render: renderTable,
}

func renderTable(w io.Writer, doc Doc) error {
	switch d := doc.(type) {
	case AuditDoc:
		return d.Builder.WriteTable(w, d.Header)
	case BackfillDoc:
		return d.Backfill.WriteTable(w)
	case GateDoc:
		return WriteGateTable(w, d.Result)
	case PreflightDoc:
		return preflightTable(w, d)
	case EvidenceRecordDoc:
		return evidenceRecordTable(w, d)
	case EvidenceProbeDoc:
		return evidenceProbeTable(w, d)
	case EvidenceListDoc:
		return evidenceListTable(w, d)
	case EvidenceCollectDoc:
		return evidenceCollectTable(w, d)
	}
	return unsupported("table", doc)
}

func evidenceRecordTable(w io.Writer, d EvidenceRecordDoc) error {
	r := d.Record
	run := fmt.Sprintf("run %s attempt %s", r.RunID, r.RunAttempt)
	var err error
	if d.Created {
		_, err = fmt.Fprintf(w, "recorded %s evidence for %s: %s (%s) in %s\n", r.Kind, r.Lane, r.Status(), run, d.Where)
	} else {
		_, err = fmt.Fprintf(w, "%s evidence for %s from %s was already recorded (%s, observed %s); kept it\n",
			r.Kind, r.Lane, run, r.Status(), r.ObservedAt.Format(time.RFC3339))
	}
	return err
}

func evidenceProbeTable(w io.Writer, d EvidenceProbeDoc) error {
	header := fmt.Sprintf("%s: %d probed, %d failed", d.Verdict.Word(), d.Probed, d.Failed)
	if d.Reason != "" {
		header += " (" + d.Reason + ")"
	}
	fmt.Fprintln(w, header)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LANE\tRESULT\tSTATUS\tLATENCY\tDETAIL")
	for _, r := range d.Rows {
		status, latency, detail := "-", "-", r.Error
		if r.Result != "skipped" {
			if r.StatusCode != 0 {
				status = strconv.Itoa(r.StatusCode)
			}
			latency = fmt.Sprintf("%dms", r.LatencyMS)
		} else {
			detail = r.Note
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Lane, r.Result, status, latency, detail)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func evidenceListTable(w io.Writer, d EvidenceListDoc) error {
	if len(d.Index) == 0 {
		_, err := fmt.Fprintln(w, "no evidence recorded")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LANE\tKIND\tRESULT\tAGE\tOBSERVED\tRUN\tSHA\tTRACE\tDETAIL")
	for _, lane := range d.Index.Lanes() {
		for _, kind := range d.Index.Kinds(lane) {
			for _, r := range d.Index[lane][kind] {
				run := r.RunID
				if r.RunAttempt != "1" {
					run += " #" + r.RunAttempt
				}
				sha := r.SHA
				if len(sha) > 12 {
					sha = sha[:12]
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Lane, r.Kind, r.Status(),
					evidence.FormatAge(d.Now.Sub(r.ObservedAt)), r.ObservedAt.Format(time.RFC3339),
					dashIfEmpty(run), dashIfEmpty(sha), dashIfEmpty(r.TraceID), dashIfEmpty(detailText(r.Detail)))
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// detailText is a record's detail as sorted key=value pairs.
func detailText(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, " ")
}

func preflightTable(w io.Writer, d PreflightDoc) error {
	rep := d.Report
	labels := map[string]string{preflight.Pass: "ok", preflight.Fail: "FAIL", preflight.Error: "ERROR", preflight.Skip: "skip"}
	for _, c := range rep.Checks {
		if _, err := fmt.Fprintf(w, "%-5s %s: %s\n", labels[c.Status], c.Check, c.Message); err != nil {
			return err
		}
	}
	var err error
	switch rep.Status {
	case preflight.StatusPass:
		_, err = fmt.Fprintf(w, "preflight passed for %s\n", rep.Lane)
	case preflight.StatusBlocked:
		_, err = fmt.Fprintf(w, "preflight BLOCKED for %s: do not deploy\n", rep.Lane)
	default:
		_, err = fmt.Fprintf(w, "preflight could not complete for %s: do not deploy\n", rep.Lane)
	}
	return err
}
