package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lanegate/lanegate/internal/audit"
)

// Headline is the one-line summary printed first by every format: the
// header's verdict, then its counts.
func Headline(h Header) string {
	t := h.Totals
	var b strings.Builder
	b.WriteString(h.Verdict.Word())
	fmt.Fprintf(&b, ": %d route(s) inspected, %d blocked finding(s), %d warning(s)", t.Inspected, t.Blocked, t.Warning)
	if len(t.Counts) > 0 {
		b.WriteString(" (")
		b.WriteString(CountsText(t.Counts))
		b.WriteString(")")
	}
	return b.String()
}

// CountsText lists counts sorted by status: "complete 6, missing_target_id 1".
func CountsText(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.Itoa(counts[k])
	}
	return strings.Join(parts, ", ")
}

// severityOrder is the display order: what needs attention first.
var severityOrder = []string{audit.SeverityBlocked, audit.SeverityWarning, audit.SeverityOK}

func waveText(e audit.LaneEntry) string {
	if !e.Declared {
		return "-"
	}
	return strconv.Itoa(e.Wave)
}

func driverText(e audit.LaneEntry) string {
	if !e.Declared {
		return "(undeclared)"
	}
	return e.Driver
}

func statusText(e audit.LaneEntry) string {
	if len(e.Statuses) <= 1 {
		return e.WorstStatus
	}
	// Show the worst first, then the others, so the table says everything.
	rest := make([]string, 0, len(e.Statuses))
	for _, s := range e.Statuses {
		if s != e.WorstStatus {
			rest = append(rest, s)
		}
	}
	return e.WorstStatus + "+" + strings.Join(rest, "+")
}

// ShardNote says which shard a shard's report is and how much it covers,
// so it is never read as the whole fleet; "" for a whole report.
func ShardNote(sh *ShardInfo, lanes int) string {
	if sh == nil {
		return ""
	}
	return fmt.Sprintf("shard %d/%d only: this report covers %d lane(s) of one shard of a sharded audit, not the whole fleet; "+
		"combine every shard with `lanegate merge` first", sh.Index, sh.Count, lanes)
}

// WriteTable prints the verdict and an aligned table, blocked lanes first.
func (b *AuditBuilder) WriteTable(w io.Writer, h Header) error {
	if err := h.check(); err != nil {
		return err
	}
	width := [4]int{len("LANE"), len("WAVE"), len("DRIVER"), len("STATUS")}
	if err := b.EachLane(func(e audit.LaneEntry) error {
		for i, s := range []string{e.Lane, waveText(e), driverText(e), statusText(e)} {
			if n := utf8.RuneCountInString(s); n > width[i] {
				width[i] = n
			}
		}
		return nil
	}); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, Headline(h))
	if note := ShardNote(h.Shard, b.lanes.n); note != "" {
		fmt.Fprintln(bw, strings.ReplaceAll(note, "`", ""))
	}
	if b.lanes.n > 0 {
		fmt.Fprintln(bw)
		row := func(cells ...string) {
			for i := 0; i < 4; i++ {
				bw.WriteString(cells[i])
				bw.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(cells[i])+2))
			}
			bw.WriteString(cells[4])
			bw.WriteString("\n")
		}
		row("LANE", "WAVE", "DRIVER", "STATUS", "DETAIL")
		for _, sev := range severityOrder {
			if err := b.EachLane(func(e audit.LaneEntry) error {
				if e.Severity == sev {
					row(e.Lane, waveText(e), driverText(e), statusText(e), oneLine(e.Detail))
				}
				return nil
			}); err != nil {
				return err
			}
		}
	}
	// no_matching_routes findings have no lane entry; show them too.
	if b.noMatch == 0 {
		return bw.Flush()
	}
	if err := b.EachFinding(func(f audit.Finding) error {
		if f.Status == audit.StatusNoMatchingRoutes {
			fmt.Fprintf(bw, "\n%s/%s: %s: %s\n", f.Context, f.Instance, f.Status, f.Detail)
		}
		return nil
	}); err != nil {
		return err
	}
	return bw.Flush()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// mdCell makes text safe inside a Markdown table cell and inert as HTML.
var mdEscaper = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "`", "'")

func mdCell(s string) string {
	return mdEscaper.Replace(oneLine(s))
}

func marker(sev string) string {
	switch sev {
	case audit.SeverityBlocked:
		return "❌"
	case audit.SeverityWarning:
		return "⚠️"
	}
	return "✅"
}

// MarkdownOptions shapes the Markdown output.
type MarkdownOptions struct {
	Title      string // heading text; default "lanegate provider-target audit"
	Budget     int    // maximum bytes; 0 = unlimited
	ReportPath string // where the full JSON report is, for the overflow note
}

// WriteMarkdown prints the GitHub-flavoured report: verdict, counts, one lane
// table (blocked first) and the undeclared routes in their own section. Past
// the byte budget it keeps the header and as many blocked lanes as fit, and
// says how many rows were left out and where the full report is.
func (b *AuditBuilder) WriteMarkdown(w io.Writer, h Header, opt MarkdownOptions) error {
	if err := h.check(); err != nil {
		return err
	}
	t := h.Totals
	title := opt.Title
	if title == "" {
		title = "lanegate provider-target audit"
	}
	var head strings.Builder
	fmt.Fprintf(&head, "## %s %s\n\n", h.Verdict.Icon(t.Warning), mdCell(title))
	fmt.Fprintf(&head, "**%s**\n\n", mdCell(Headline(h)))
	if note := ShardNote(h.Shard, b.lanes.n); note != "" {
		fmt.Fprintf(&head, "> ⚠️ **%s**\n\n", note)
	}
	if len(t.Counts) > 0 {
		head.WriteString("| status | count |\n|---|---:|\n")
		keys := make([]string, 0, len(t.Counts))
		for k := range t.Counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&head, "| `%s` | %d |\n", k, t.Counts[k])
		}
		head.WriteString("\n")
	}
	// Try the full table first; past the budget, drop ok rows, then warning
	// rows, so blocked lanes are the last thing to be left out. A pass is
	// good enough when every row it tried to keep fitted: rows it dropped
	// on purpose (below minRank) do not count against it.
	for _, minRank := range []int{0, 1, 2} {
		body, overflow, err := b.markdownBody(head.String(), opt, minRank)
		if err != nil {
			return err
		}
		if overflow == 0 || minRank == 2 {
			_, err = io.WriteString(w, body)
			return err
		}
	}
	return nil
}

// markdownBody renders the lanes at or above minRank within the budget and
// returns how many rows did not fit (overflow), besides those below minRank.
func (b *AuditBuilder) markdownBody(head string, opt MarkdownOptions, minRank int) (string, int, error) {
	out := &budgetWriter{}
	// Reserve room for the overflow note so it always fits.
	const reserve = 512
	if opt.Budget > 0 {
		out.limit = opt.Budget - reserve
	}
	if !out.write(head) {
		return "", 0, fmt.Errorf("markdown budget %d bytes is too small for the header", opt.Budget)
	}
	tableHead := "| | lane | wave | driver | status | detail |\n|---|---|---:|---|---|---|\n"
	omitted, overflow := 0, 0
	full := false // once a row does not fit, later rows are only counted
	section := func(declared bool, heading string) error {
		started := false
		for _, sev := range severityOrder {
			n := b.buckets[bucket{declared, sev}]
			switch {
			case n == 0:
				continue
			case audit.SeverityRank(sev) < minRank:
				omitted += n
				continue
			case full:
				omitted += n
				overflow += n
				continue
			}
			err := b.EachLane(func(e audit.LaneEntry) error {
				if e.Declared != declared || e.Severity != sev {
					return nil
				}
				if !full && !started {
					if !out.write(heading + tableHead) {
						full = true
					} else {
						started = true
					}
				}
				if !full {
					row := fmt.Sprintf("| %s | `%s` | %s | %s | `%s` | %s |\n", marker(e.Severity), mdCell(e.Lane),
						waveText(e), mdCell(driverText(e)), mdCell(statusText(e)), mdCell(e.Detail))
					if out.write(row) {
						return nil
					}
					full = true
				}
				omitted++
				overflow++
				return nil
			})
			if err != nil {
				return err
			}
		}
		if started {
			out.write("\n")
		}
		return nil
	}
	if err := section(true, "### Lanes\n\n"); err != nil {
		return "", 0, err
	}
	if err := section(false, "### Undeclared routes\n\nStored routes that `lanes.yaml` does not declare.\n\n"); err != nil {
		return "", 0, err
	}
	if b.noMatch > 0 {
		if err := b.EachFinding(func(f audit.Finding) error {
			if f.Status == audit.StatusNoMatchingRoutes {
				out.write(fmt.Sprintf("❌ `%s/%s`: %s\n\n", mdCell(f.Context), mdCell(f.Instance), mdCell(f.Detail)))
			}
			return nil
		}); err != nil {
			return "", 0, err
		}
	}
	if omitted > 0 {
		where := "the JSON report"
		if opt.ReportPath != "" {
			where = "`" + mdCell(opt.ReportPath) + "`"
		}
		out.force(fmt.Sprintf("> %d lane row(s) left out to stay within GitHub's size limit; the counts above are complete and the full report is in %s.\n", omitted, where))
	}
	return out.b.String(), overflow, nil
}

// budgetWriter accepts whole pieces until the byte limit would be passed.
type budgetWriter struct {
	b     strings.Builder
	limit int
}

func (bw *budgetWriter) write(s string) bool {
	if bw.limit > 0 && bw.b.Len()+len(s) > bw.limit {
		return false
	}
	bw.b.WriteString(s)
	return true
}

func (bw *budgetWriter) force(s string) { bw.b.WriteString(s) }
