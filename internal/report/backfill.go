package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/pyjson"
	"github.com/lanegate/lanegate/internal/verdict"
)

// Backfill report modes ("mode" key).
const (
	ModeDryRun = "dry_run"
	ModeApply  = "apply"
)

// Backfill is one backfill report: the plan (with its outcome) and what the
// command knows beside it. Its Write methods render it; they decide
// nothing.
type Backfill struct {
	Plan *backfill.Plan
	// Verdict is decided once by backfill.Verdict on the final totals (or
	// read back from a report); renderers print it and never recompute it.
	Verdict verdict.Verdict
	Store   *Store
	Notices []string // as Header.Notices
	// TraceIDs are as Header.TraceIDs: the service's trace id of each
	// lane's last call (the apply's where one ran, else the dry run's).
	TraceIDs map[string]string
	// Apply, when set, makes a dry run's Markdown end with the inputs that
	// apply it (only when there is something to create and nothing blocks).
	Apply *ApplyInputs
}

// applyReady says whether the Markdown ends with the apply inputs: a dry
// run whose verdict is ok and that creates something.
func (h Backfill) applyReady() bool {
	return h.Apply != nil && !h.Plan.Outcome.Applied && h.Verdict == verdict.OK && h.Plan.Totals.Creates > 0
}

// check refuses to render a header whose verdict is missing or disagrees
// with its counts and outcome.
func (h Backfill) check(t backfill.Totals) error {
	o := h.Plan.Outcome
	if err := verdict.Consistent(h.Verdict, t.Blocked, o.Refusal); err != nil {
		return fmt.Errorf("backfill report verdict: %w", err)
	}
	if h.Verdict == verdict.Refused && (!o.Applied || o.Created) {
		return fmt.Errorf("backfill report verdict: refused needs an apply that wrote nothing")
	}
	return nil
}

// refusalLead and refusalReason split the refusal so the renderers say
// "refused" once: a dry run's refusal already carries its lead.
func (h Backfill) refusalLead() string {
	if h.Plan.Outcome.Applied {
		return "apply refused"
	}
	return backfill.DryRunRefusalLead
}

func (h Backfill) refusalReason() string {
	return strings.TrimPrefix(h.Plan.Outcome.Refusal, backfill.DryRunRefusalLead+": ")
}

// mode names what was run, for every format.
func (h Backfill) mode() string {
	switch {
	case h.Verdict == verdict.Refused:
		return "apply refused"
	case h.Plan.Outcome.Applied:
		return "apply"
	}
	return "dry run"
}

// appendRawItem appends the item as compact JSON with its records as
// spooled.
func appendRawItem(dst []byte, it backfill.RawItem) []byte {
	dst = append(dst, `{"context":`...)
	dst = pyjson.AppendString(dst, it.Context)
	dst = append(dst, `,"detail":`...)
	dst = pyjson.AppendString(dst, it.Detail)
	dst = append(dst, `,"instance":`...)
	dst = pyjson.AppendString(dst, it.Instance)
	if len(it.Physical) > 0 {
		dst = append(dst, `,"physical_record":`...)
		dst = append(dst, it.Physical...)
	}
	if len(it.Projected) > 0 {
		dst = append(dst, `,"projected_record":`...)
		dst = append(dst, it.Projected...)
	}
	dst = append(dst, `,"provider_id":`...)
	dst = pyjson.AppendString(dst, it.ProviderID)
	dst = append(dst, `,"severity":`...)
	dst = pyjson.AppendString(dst, it.Severity)
	dst = append(dst, `,"status":`...)
	dst = pyjson.AppendString(dst, it.Status)
	return append(dst, '}')
}

// WriteJSON writes Launchplane's backfill payload keys plus lanegate's
// (schema, plan_digest, created_count, refusal), sorted, two-space indented.
//
// "applied" is true only when the planned rows were written; "mode" says
// whether an apply was asked for; "status" is the verdict.
func (h Backfill) WriteJSON(w io.Writer) error {
	t, created, err := h.Plan.FinalTotals()
	if err != nil {
		return err
	}
	if err := h.check(t); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, "{\n  \"applied\": %t,\n  \"blocked_count\": %d,\n  \"counts\": ", h.Plan.Outcome.Created, t.Blocked)
	writeCounts(bw, t.Counts)
	fmt.Fprintf(bw, ",\n  \"created_count\": %d,\n  \"inspected_route_count\": %d,\n  \"items\": ", created, t.Inspected)
	first := true
	bw.WriteString("[")
	var compact, indented []byte
	err = h.Plan.EachRaw(func(it backfill.RawItem) error {
		if !first {
			bw.WriteString(",")
		}
		first = false
		compact = appendRawItem(compact[:0], it)
		indented = appendIndent(indented[:0], compact, "    ", "  ")
		bw.WriteString("\n    ")
		_, err = bw.Write(indented)
		return err
	})
	if err != nil {
		return err
	}
	if !first {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]")
	mode := ModeDryRun
	if h.Plan.Outcome.Applied {
		mode = ModeApply
	}
	fmt.Fprintf(bw, ",\n  \"mode\": %q,\n", mode)
	if err := writeNotices(bw, h.Notices); err != nil {
		return err
	}
	fmt.Fprintf(bw, "  \"plan_digest\": %q,\n", h.Plan.Digest)
	if h.Plan.Outcome.Refusal != "" {
		r, _ := json.Marshal(h.Plan.Outcome.Refusal)
		fmt.Fprintf(bw, "  \"refusal\": %s,\n", r)
	}
	fmt.Fprintf(bw, "  \"schema\": %q,\n  \"status\": %q,\n", backfill.Schema, h.Verdict)
	if err := writeStore(bw, h.Store); err != nil {
		return err
	}
	if err := writeTraceIDs(bw, h.TraceIDs); err != nil {
		return err
	}
	fmt.Fprintf(bw, "  \"warning_count\": %d\n}\n", t.Warning)
	return bw.Flush()
}

// WriteTable prints the verdict, the digest and one line per item, blocked
// first.
func (h Backfill) WriteTable(w io.Writer) error {
	t, created, err := h.Plan.FinalTotals()
	if err != nil {
		return err
	}
	if err := h.check(t); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	mode := "DRY RUN"
	if h.Plan.Outcome.Applied {
		mode = "APPLY"
	}
	fmt.Fprintf(bw, "%s %s: %d route(s) inspected, %d to create, %d created, %d blocked, %d warning(s)", mode, h.Verdict.Word(), t.Inspected, h.Plan.Totals.Creates, created, t.Blocked, t.Warning)
	if len(t.Counts) > 0 {
		fmt.Fprintf(bw, " (%s)", CountsText(t.Counts))
	}
	fmt.Fprintf(bw, "\nplan digest: %s\n", h.Plan.Digest)
	if h.Plan.Outcome.Refusal != "" {
		fmt.Fprintf(bw, "%s: %s\n", h.refusalLead(), h.refusalReason())
	}
	width := [2]int{len("LANE"), len("STATUS")}
	if err := h.Plan.EachRaw(func(it backfill.RawItem) error {
		if n := len(it.Context + "/" + it.Instance); n > width[0] {
			width[0] = n
		}
		if n := len(it.Status); n > width[1] {
			width[1] = n
		}
		return nil
	}); err != nil {
		return err
	}
	if h.Plan.ItemCount() > 0 {
		fmt.Fprintf(bw, "\n%-*s  %-*s  %s\n", width[0], "LANE", width[1], "STATUS", "DETAIL")
	}
	for _, sev := range severityOrder {
		if err := h.Plan.EachRaw(func(it backfill.RawItem) error {
			if it.Severity != sev {
				return nil
			}
			fmt.Fprintf(bw, "%-*s  %-*s  %s\n", width[0], it.Context+"/"+it.Instance, width[1], it.Status, oneLine(it.Detail))
			// The values under the line, indented: what apply writes, or
			// where a stored row differs from the projection.
			extra, err := reviewText(it, plainValue)
			if err != nil {
				return fmt.Errorf("%s/%s: read the planned row: %w", it.Context, it.Instance, err)
			}
			if extra != "" {
				fmt.Fprintf(bw, "%-*s  %s\n", width[0]+width[1]+2, "", extra)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteMarkdown prints the plan for a job summary, blocked items first,
// within budget bytes (0 = unlimited).
func (h Backfill) WriteMarkdown(w io.Writer, budget int) error {
	t, created, err := h.Plan.FinalTotals()
	if err != nil {
		return err
	}
	if err := h.check(t); err != nil {
		return err
	}
	out := &budgetWriter{}
	tail := ""
	if h.applyReady() {
		tail = "\n" + applyInputsBlock(h)
	}
	if budget > 0 {
		out.limit = budget - 512 - len(tail)
	}
	out.write(fmt.Sprintf("## %s lanegate provider-target backfill (%s)\n\n", h.Verdict.Icon(t.Warning), h.mode()))
	out.write(fmt.Sprintf("**%d route(s) inspected, %d to create, %d created, %d blocked, %d warning(s)**\n\n", t.Inspected, h.Plan.Totals.Creates, created, t.Blocked, t.Warning))
	out.write(fmt.Sprintf("Plan digest: `%s`\n\n", h.Plan.Digest))
	if h.Plan.Outcome.Refusal != "" {
		lead := h.refusalLead()
		out.write(fmt.Sprintf("> **%s:** %s\n\n", strings.ToUpper(lead[:1])+lead[1:], mdCell(h.refusalReason())))
	}
	out.write("| | lane | status | detail |\n|---|---|---|---|\n")
	omitted := 0
	for _, sev := range severityOrder {
		if err := h.Plan.EachRaw(func(it backfill.RawItem) error {
			if it.Severity != sev {
				return nil
			}
			detail := mdCell(it.Detail)
			extra, err := reviewText(it, mdCode)
			if err != nil {
				return fmt.Errorf("%s/%s: read the planned row: %w", it.Context, it.Instance, err)
			}
			if extra != "" {
				detail += "<br>" + extra
			}
			if !out.write(fmt.Sprintf("| %s | `%s/%s` | `%s` | %s |\n", marker(it.Severity), mdCell(it.Context), mdCell(it.Instance), it.Status, detail)) {
				omitted++
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if omitted > 0 {
		out.force(fmt.Sprintf("\n> %d row(s) left out to stay within GitHub's size limit; the full report is in the JSON file.\n", omitted))
	}
	if tail != "" {
		out.force(tail)
	}
	_, err = io.WriteString(w, strings.TrimRight(out.b.String(), "\n")+"\n")
	return err
}
