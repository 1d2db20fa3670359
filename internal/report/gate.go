package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/lanegate/lanegate/internal/gate"
)

// GateReason is the gate's summary without its leading verdict word, for
// outputs that name the verdict already ("BLOCKED: …", "gate blocked: …").
// The summary keeps the word for the commit status, which has no other.
func GateReason(r gate.Result) string {
	return strings.TrimPrefix(r.Summary, r.Verdict+": ")
}

// GateMarkdown renders a gate decision for the PR comment and job summary.
// Reasons are listed per lane; past limit bytes the list is cut and the
// verdict line kept.
func GateMarkdown(r gate.Result, runURL, headSHA string, limit int) string {
	var b strings.Builder
	icon := "✅"
	if r.Verdict != gate.Pass {
		icon = "❌"
	}
	fmt.Fprintf(&b, "## %s lanegate cutover gate: %s\n\n%s\n\n", icon, r.Verdict, mdCell(GateReason(r)))
	var meta []string
	if headSHA != "" {
		meta = append(meta, "head `"+shortSHA(headSHA)+"`")
	}
	if runURL != "" {
		meta = append(meta, "[run]("+runURL+")")
	}
	meta = append(meta, "status `"+gate.StatusContext+"`")
	b.WriteString("<sub>" + strings.Join(meta, " · ") + "</sub>\n\n")
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "- ❌ %s\n", mdCell(p))
	}
	if len(r.Problems) > 0 {
		b.WriteString("\n")
	}
	if len(r.Lanes) > 0 {
		b.WriteString("| | lane | stage | in scope because | blocked by |\n|---|---|---|---|---|\n")
	}
	full := b.String()
	var rows strings.Builder
	for i, l := range r.Lanes {
		mark := "✅"
		if l.Verdict != gate.Pass {
			mark = "❌"
		}
		reasons := "—"
		if len(l.Reasons) > 0 {
			cells := make([]string, len(l.Reasons))
			for i, s := range l.Reasons {
				cells[i] = mdCell(s)
			}
			reasons = strings.Join(cells, "<br>")
		}
		why := make([]string, len(l.Why))
		for i, s := range l.Why {
			why[i] = mdCell(s)
		}
		row := fmt.Sprintf("| %s | `%s` | %s → %s | %s | %s |\n", mark, mdCell(l.Lane), mdCell(l.FromStage), mdCell(l.ToStage), strings.Join(why, "; "), reasons)
		if limit > 0 && len(full)+rows.Len()+len(row) > limit-256 {
			fmt.Fprintf(&rows, "\n_…%d more lane(s) cut to fit GitHub's comment limit; see the gate report in the run._\n", len(r.Lanes)-i)
			break
		}
		rows.WriteString(row)
	}
	return full + rows.String()
}

// WriteGateTable prints a gate decision for a terminal: the verdict and its
// reason, the problems, then each lane with the reasons it is blocked.
func WriteGateTable(w io.Writer, r gate.Result) error {
	fmt.Fprintf(w, "%s: %s\n", strings.ToUpper(r.Verdict), GateReason(r))
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	for _, l := range r.Lanes {
		fmt.Fprintf(w, "%-8s %s  %s → %s  (%s)\n", l.Verdict, l.Lane, l.FromStage, l.ToStage, strings.Join(l.Why, "; "))
		for _, reason := range l.Reasons {
			fmt.Fprintf(w, "         - %s\n", reason)
		}
	}
	return nil
}
