package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/pyjson"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
	"github.com/lanegate/lanegate/internal/verdict"
)

// BackfillBuilder is a backfill.Sink that spools plan items and the rows
// apply would create.
type BackfillBuilder struct {
	items, creates *spool
	totalsKey      string // outcome the cached totals belong to
	totals         backfill.Totals
	created        int
}

// itemLite is a spooled item with its records left as raw JSON: rendering
// and counting never need them decoded, and decoding is the costly part.
type itemLite struct {
	Context    string          `json:"context"`
	Detail     string          `json:"detail"`
	Instance   string          `json:"instance"`
	Physical   json.RawMessage `json:"physical_record,omitempty"`
	Projected  json.RawMessage `json:"projected_record,omitempty"`
	ProviderID string          `json:"provider_id"`
	Severity   string          `json:"severity"`
	Status     string          `json:"status"`
}

// summary drops the records.
func (it itemLite) summary() backfill.Item {
	return backfill.Item{Context: it.Context, Detail: it.Detail, Instance: it.Instance, ProviderID: it.ProviderID,
		Severity: it.Severity, Status: it.Status}
}

// NewBackfillBuilder creates the spools; call Close when done.
func NewBackfillBuilder() (*BackfillBuilder, error) {
	i, err := newSpool("lanegate-items-*.jsonl")
	if err != nil {
		return nil, err
	}
	c, err := newSpool("lanegate-creates-*.jsonl")
	if err != nil {
		i.close()
		return nil, err
	}
	return &BackfillBuilder{items: i, creates: c}, nil
}

// Close removes the spools.
func (b *BackfillBuilder) Close() {
	b.items.close()
	b.creates.close()
}

// Item implements backfill.Sink.
func (b *BackfillBuilder) Item(it backfill.Item) error { return b.items.add(it) }

// Create implements backfill.Sink; only the row is kept (the digest already
// covers the source records).
func (b *BackfillBuilder) Create(c backfill.Create) error { return b.creates.add(c.Record) }

// EachCreate replays the planned rows in route order.
func (b *BackfillBuilder) EachCreate(fn func(*record.ProviderTarget) error) error {
	return b.creates.each(func(line []byte) error {
		p, err := record.DecodeProviderTarget(line)
		if err != nil {
			return fmt.Errorf("read planned row back: %w", err)
		}
		return fn(p)
	})
}

// Backfill report modes ("mode" key).
const (
	ModeDryRun = "dry_run"
	ModeApply  = "apply"
)

// Outcome is what apply did to the plan.
type Outcome struct {
	Applied   bool                 // --apply was requested (Launchplane's "applied")
	Created   bool                 // the planned rows were written
	Conflicts map[store.Route]bool // planned rows a concurrent writer got to first
	Refusal   string               // why apply wrote nothing, when it refused
}

// BackfillHeader is the report's scalar part.
type BackfillHeader struct {
	Totals  backfill.Totals
	Digest  string
	Outcome Outcome
	// Verdict is decided once by backfill.Verdict on the final totals (or
	// read back from a report); renderers print it and never recompute it.
	Verdict verdict.Verdict
	Store   *Store
	Notices []string // as Header.Notices
	// Apply, when set, makes a dry run's Markdown end with the inputs that
	// apply it (only when there is something to create and nothing blocks).
	Apply *ApplyInputs
}

// applyReady says whether the Markdown ends with the apply inputs: a dry
// run whose verdict is ok and that creates something.
func (h BackfillHeader) applyReady() bool {
	return h.Apply != nil && !h.Outcome.Applied && h.Verdict == verdict.OK && h.Totals.Creates > 0
}

// check refuses to render a header whose verdict is missing or disagrees
// with its counts and outcome.
func (h BackfillHeader) check(t backfill.Totals) error {
	if err := verdict.Consistent(h.Verdict, t.Blocked, h.Outcome.Refusal); err != nil {
		return fmt.Errorf("backfill report verdict: %w", err)
	}
	if h.Verdict == verdict.Refused && (!h.Outcome.Applied || h.Outcome.Created) {
		return fmt.Errorf("backfill report verdict: refused needs an apply that wrote nothing")
	}
	return nil
}

// DryRunRefusalLead starts a dry run's refusal (the JSON "refusal" key):
// what the apply would do, before why.
const DryRunRefusalLead = "an apply would be refused"

// refusalLead and refusalReason split the refusal so the renderers say
// "refused" once: a dry run's refusal already carries its lead.
func (h BackfillHeader) refusalLead() string {
	if h.Outcome.Applied {
		return "apply refused"
	}
	return DryRunRefusalLead
}

func (h BackfillHeader) refusalReason() string {
	return strings.TrimPrefix(h.Outcome.Refusal, DryRunRefusalLead+": ")
}

// mode names what was run, for every format.
func (h BackfillHeader) mode() string {
	switch {
	case h.Verdict == verdict.Refused:
		return "apply refused"
	case h.Outcome.Applied:
		return "apply"
	}
	return "dry run"
}

// transform rewrites a would-create item per the outcome, as Launchplane's
// apply phase does.
func (o Outcome) transform(it itemLite) itemLite {
	if it.Status != backfill.StatusWouldCreate {
		return it
	}
	if o.Conflicts[store.Route{Context: it.Context, Instance: it.Instance}] {
		it.Status, it.Severity = backfill.StatusSkippedConflict, audit.SeverityBlocked
		it.Detail = "provider-target row changed before backfill could create it"
		return it
	}
	if o.Created {
		it.Status, it.Detail = backfill.StatusCreated, "created explicit provider-target row"
	}
	return it
}

// FinalTotals recounts after the outcome's rewrites (cached per outcome).
func (b *BackfillBuilder) FinalTotals(h BackfillHeader) (backfill.Totals, int, error) {
	key := fmt.Sprintf("%t/%t/%d/%q/%d", h.Outcome.Applied, h.Outcome.Created, len(h.Outcome.Conflicts), h.Outcome.Refusal, b.items.n)
	if b.totalsKey == key {
		return b.totals, b.created, nil
	}
	if len(h.Outcome.Conflicts) == 0 && h.Totals.Counts != nil {
		// Without conflicts the outcome only renames would-create items
		// (ok either way), so the plan's counters give the answer without
		// replaying the spool.
		t := backfill.Totals{Inspected: h.Totals.Inspected, Creates: h.Totals.Creates, Counts: map[string]int{},
			Blocked: h.Totals.Blocked, Warning: h.Totals.Warning}
		for k, v := range h.Totals.Counts {
			t.Counts[k] = v
		}
		created := 0
		if h.Outcome.Created {
			if n := t.Counts[backfill.StatusWouldCreate]; n > 0 {
				t.Counts[backfill.StatusCreated] += n
				created = t.Counts[backfill.StatusCreated]
				delete(t.Counts, backfill.StatusWouldCreate)
			}
		}
		b.totalsKey, b.totals, b.created = key, t, created
		return t, created, nil
	}
	t, created, err := b.replayTotals(h)
	if err == nil {
		b.totalsKey, b.totals, b.created = key, t, created
	}
	return t, created, err
}

// replayTotals recounts the spooled items as the outcome rewrites them.
func (b *BackfillBuilder) replayTotals(h BackfillHeader) (backfill.Totals, int, error) {
	t := backfill.Totals{Inspected: h.Totals.Inspected, Creates: h.Totals.Creates, Counts: map[string]int{}}
	created := 0
	err := b.eachLite(h.Outcome, func(it itemLite) error {
		t.Counts[it.Status]++
		switch it.Severity {
		case audit.SeverityBlocked:
			t.Blocked++
		case audit.SeverityWarning:
			t.Warning++
		}
		if it.Status == backfill.StatusCreated {
			created++
		}
		return nil
	})
	return t, created, err
}

func (b *BackfillBuilder) eachLite(o Outcome, fn func(itemLite) error) error {
	return b.items.each(func(line []byte) error {
		it, err := decodeLite(line)
		if err != nil {
			return err
		}
		return fn(o.transform(it))
	})
}

// decodeLite reads one spooled item. The spool holds lines Item.AppendJSON
// wrote, which the field walker reads without reflection; anything else goes
// through encoding/json.
func decodeLite(line []byte) (itemLite, error) {
	var it itemLite
	ok := pyjson.EachField(line, func(k string, v pyjson.Field) bool {
		var dst *string
		switch k {
		case "context":
			dst = &it.Context
		case "detail":
			dst = &it.Detail
		case "instance":
			dst = &it.Instance
		case "provider_id":
			dst = &it.ProviderID
		case "severity":
			dst = &it.Severity
		case "status":
			dst = &it.Status
		case "physical_record":
			it.Physical = v.Raw
			return true
		case "projected_record":
			it.Projected = v.Raw
			return true
		default:
			return false
		}
		*dst = v.Str
		return v.IsStr
	})
	if ok {
		return it, nil
	}
	it = itemLite{}
	err := json.Unmarshal(line, &it)
	return it, err
}

// appendJSON appends the item as compact JSON with its records as spooled.
func (it itemLite) appendJSON(dst []byte) []byte {
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

// EachItem replays items with the outcome applied, records included.
func (b *BackfillBuilder) EachItem(o Outcome, fn func(backfill.Item) error) error {
	return b.eachLite(o, func(lite itemLite) error {
		it := lite.summary()
		if len(lite.Physical) > 0 {
			if err := json.Unmarshal(lite.Physical, &it.Physical); err != nil {
				return err
			}
		}
		if len(lite.Projected) > 0 {
			if err := json.Unmarshal(lite.Projected, &it.Projected); err != nil {
				return err
			}
		}
		return fn(it)
	})
}

// EachItemSummary replays items with the outcome applied, without records.
func (b *BackfillBuilder) EachItemSummary(o Outcome, fn func(backfill.Item) error) error {
	return b.eachLite(o, func(lite itemLite) error { return fn(lite.summary()) })
}

// WriteJSON writes Launchplane's backfill payload keys plus lanegate's
// (schema, plan_digest, created_count, refusal), sorted, two-space indented.
//
// "applied" is true only when the planned rows were written; "mode" says
// whether an apply was asked for; "status" is the verdict.
func (b *BackfillBuilder) WriteJSON(w io.Writer, h BackfillHeader) error {
	t, created, err := b.FinalTotals(h)
	if err != nil {
		return err
	}
	if err := h.check(t); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, "{\n  \"applied\": %t,\n  \"blocked_count\": %d,\n  \"counts\": ", h.Outcome.Created, t.Blocked)
	writeCounts(bw, t.Counts)
	fmt.Fprintf(bw, ",\n  \"created_count\": %d,\n  \"inspected_route_count\": %d,\n  \"items\": ", created, t.Inspected)
	first := true
	bw.WriteString("[")
	var compact, indented []byte
	err = b.eachLite(h.Outcome, func(it itemLite) error {
		if !first {
			bw.WriteString(",")
		}
		first = false
		compact = it.appendJSON(compact[:0])
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
	if h.Outcome.Applied {
		mode = ModeApply
	}
	fmt.Fprintf(bw, ",\n  \"mode\": %q,\n", mode)
	if err := writeNotices(bw, h.Notices); err != nil {
		return err
	}
	fmt.Fprintf(bw, "  \"plan_digest\": %q,\n", h.Digest)
	if h.Outcome.Refusal != "" {
		r, _ := json.Marshal(h.Outcome.Refusal)
		fmt.Fprintf(bw, "  \"refusal\": %s,\n", r)
	}
	fmt.Fprintf(bw, "  \"schema\": %q,\n  \"status\": %q,\n", backfill.Schema, h.Verdict)
	if err := writeStore(bw, h.Store); err != nil {
		return err
	}
	fmt.Fprintf(bw, "  \"warning_count\": %d\n}\n", t.Warning)
	return bw.Flush()
}

// WriteBackfillTable prints the verdict, the digest and one line per item,
// blocked first.
func (b *BackfillBuilder) WriteTable(w io.Writer, h BackfillHeader) error {
	t, created, err := b.FinalTotals(h)
	if err != nil {
		return err
	}
	if err := h.check(t); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	mode := "DRY RUN"
	if h.Outcome.Applied {
		mode = "APPLY"
	}
	fmt.Fprintf(bw, "%s %s: %d route(s) inspected, %d to create, %d created, %d blocked, %d warning(s)", mode, h.Verdict.Word(), t.Inspected, h.Totals.Creates, created, t.Blocked, t.Warning)
	if len(t.Counts) > 0 {
		fmt.Fprintf(bw, " (%s)", CountsText(t.Counts))
	}
	fmt.Fprintf(bw, "\nplan digest: %s\n", h.Digest)
	if h.Outcome.Refusal != "" {
		fmt.Fprintf(bw, "%s: %s\n", h.refusalLead(), h.refusalReason())
	}
	width := [2]int{len("LANE"), len("STATUS")}
	if err := b.eachLite(h.Outcome, func(it itemLite) error {
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
	if b.items.n > 0 {
		fmt.Fprintf(bw, "\n%-*s  %-*s  %s\n", width[0], "LANE", width[1], "STATUS", "DETAIL")
	}
	for _, sev := range severityOrder {
		if err := b.eachLite(h.Outcome, func(it itemLite) error {
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
func (b *BackfillBuilder) WriteMarkdown(w io.Writer, h BackfillHeader, budget int) error {
	t, created, err := b.FinalTotals(h)
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
	out.write(fmt.Sprintf("**%d route(s) inspected, %d to create, %d created, %d blocked, %d warning(s)**\n\n", t.Inspected, h.Totals.Creates, created, t.Blocked, t.Warning))
	out.write(fmt.Sprintf("Plan digest: `%s`\n\n", h.Digest))
	if h.Outcome.Refusal != "" {
		lead := h.refusalLead()
		out.write(fmt.Sprintf("> **%s:** %s\n\n", strings.ToUpper(lead[:1])+lead[1:], mdCell(h.refusalReason())))
	}
	out.write("| | lane | status | detail |\n|---|---|---|---|\n")
	omitted := 0
	for _, sev := range severityOrder {
		if err := b.eachLite(h.Outcome, func(it itemLite) error {
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
