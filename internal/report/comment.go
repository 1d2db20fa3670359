package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/verdict"
)

// EvidenceCell is one lane's latest evidence of one kind, as decided by
// evidence.LatestCells.
type EvidenceCell = evidence.Cell

// CommentLane is one lane's row; its Readiness is decided by
// evidence.DecideCommentReadiness, and the comment renders it.
type CommentLane = evidence.CommentLane

// CommentState is the machine-readable block a later run reads back
// (evidence.NewCommentState builds it).
type CommentState = evidence.CommentState

// CommentSchema identifies the hidden state block.
const CommentSchema = evidence.CommentSchema

var stateRe = regexp.MustCompile(`<!-- lanegate:state (\{.*?\}) -->`)

// ReadCommentState extracts the state block from a previous comment body.
func ReadCommentState(body string) (*CommentState, bool) {
	m := stateRe.FindStringSubmatch(body)
	if m == nil {
		return nil, false
	}
	var st CommentState
	if err := json.Unmarshal([]byte(strings.ReplaceAll(m[1], `-\u002d`, "--")), &st); err != nil || st.Schema != CommentSchema {
		return nil, false
	}
	return &st, true
}

// encodeState makes the JSON safe inside an HTML comment: "--" never appears.
func encodeState(st CommentState) string {
	b, _ := json.Marshal(st)
	return strings.ReplaceAll(string(b), "--", `-\u002d`)
}

// DigestInput is what the comment shows, for evidence.CommentDigest: the
// comment's content without its provenance, with the finding diffs as the
// comment renders them.
func (in CommentInput) DigestInput() evidence.DigestInput {
	d := evidence.DigestInput{Title: in.Title, Artifact: in.Artifact, State: in.State, Totals: in.Totals, Lanes: in.Lanes,
		EvidenceNotRead: in.EvidenceNotRead, Diffs: findingDiffs}
	if in.Shard != nil {
		d.Shard, _ = json.Marshal(in.Shard)
	}
	return d
}

// CommentInput is everything the evidence comment shows.
type CommentInput struct {
	Title  string
	Plan   *lanes.File
	Lanes  []CommentLane // declared lanes, any order
	Totals audit.Totals
	// Verdict is the audit report's status, rendered as it is.
	Verdict  verdict.Verdict
	Previous *CommentState
	State    CommentState
	RunURL   string
	Artifact string // name of the uploaded report artifact, if any
	Limit    int    // maximum body size in bytes (conservative stand-in for characters)
	// EvidenceNotRead: no store was read, so every evidence cell is
	// unknown ("evidence not read"), neither missing nor present.
	EvidenceNotRead bool
	// Shard is set when the report is one shard's; ShardLanes is how many
	// lane rows that shard covers.
	Shard      *ShardInfo
	ShardLanes int
}

func (in CommentInput) sorted() []CommentLane { return evidence.SortCommentLanes(in.Lanes) }

func fmtAge(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// notRead is the cell of evidence no store was read for.
const notRead = "evidence not read"

func cell(c EvidenceCell, required, read bool) string {
	switch {
	case !read:
		return notRead
	case !c.Present && required:
		return "❌ missing"
	case !c.Present:
		return "–"
	case !c.Passed:
		return "❌ fail " + fmtAge(c.Age)
	case !c.Fresh && required:
		return "⚠️ stale " + fmtAge(c.Age)
	}
	s := "✅ " + fmtAge(c.Age)
	if c.RunURL != "" {
		s = "[" + s + "](" + c.RunURL + ")"
	}
	return s
}

// RenderComment renders the evidence comment in the largest tier that fits
// the limit: full tables and diagram, then a condensed table, then counts and
// blocked lanes with a link to the run.
func RenderComment(in CommentInput) string {
	in.State = fitState(in)
	for _, tier := range []func(CommentInput) string{commentFull, commentCondensed, commentMinimal} {
		body := tier(in)
		if in.Limit <= 0 || len(body) <= in.Limit {
			return body
		}
	}
	// Even the minimal tier is too long (thousands of blocked lanes): cut
	// the blocked list, keep the state block.
	body := commentMinimal(in)
	tail := "\n\n_…list cut to fit GitHub's limit; the full tables are in " + runLink(in) + "._\n\n" + stateBlock(in)
	return cutAt(body, in.Limit-len(tail)) + tail
}

// cutAt shortens s to at most n bytes without splitting a UTF-8 sequence,
// preferring to end after a list separator or a line so that no lane name
// (or its code span) is cut in half.
func cutAt(s string, n int) string {
	if n >= len(s) {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	s = s[:n]
	if i := max(strings.LastIndex(s, ", "), strings.LastIndexByte(s, '\n')); i > 0 {
		s = s[:i]
	}
	return s
}

// fitState keeps the state block within half of the limit: past that the
// lanes map (the only part that grows with the fleet) keeps the first lanes
// in wave order and counts the rest in LanesOmitted. Without this a few
// thousand lanes make a state block longer than GitHub accepts, and the
// comment could not be posted at all.
func fitState(in CommentInput) CommentState {
	st := in.State
	budget := in.Limit / 2
	if in.Limit <= 0 || len(stateBlock(CommentInput{State: st})) <= budget {
		return st
	}
	// Size each entry as encodeState will write it.
	entry := func(lane, status string) int {
		b, _ := json.Marshal(map[string]string{lane: status})
		return len(strings.ReplaceAll(string(b), "--", `-\u002d`)) - 1 // "{" and "}" minus one "," per entry
	}
	all := st.Lanes
	st.Lanes = map[string]string{}
	st.LanesOmitted = 0
	// The fixed part, with a generous allowance for the omitted count.
	used := len(stateBlock(CommentInput{State: st})) + len(`,"lanes_omitted":1000000000`)
	keys := make([]string, 0, len(all))
	seen := map[string]bool{}
	for _, l := range in.sorted() {
		if _, ok := all[l.Lane]; ok && !seen[l.Lane] {
			seen[l.Lane] = true
			keys = append(keys, l.Lane)
		}
	}
	rest := make([]string, 0)
	for k := range all {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	for i, k := range keys {
		n := entry(k, all[k])
		if used+n > budget {
			st.LanesOmitted = len(keys) - i
			break
		}
		st.Lanes[k] = all[k]
		used += n
	}
	return st
}

func verdictLine(in CommentInput) string {
	n := map[evidence.Level]int{}
	for _, l := range in.Lanes {
		n[l.Readiness.Level]++
	}
	// The icon is the report's verdict; the readiness counts only describe it.
	line := fmt.Sprintf("%s **done %d/%d** · ready %d · waiting %d · blocked %d", in.Verdict.Icon(in.Totals.Warning),
		n[evidence.Done], len(in.Lanes), n[evidence.Ready], n[evidence.Waiting], len(in.Lanes)-n[evidence.Done]-n[evidence.Ready]-n[evidence.Waiting]-n[evidence.Unknown])
	if n[evidence.Unknown] > 0 {
		line += fmt.Sprintf(" · unknown %d", n[evidence.Unknown])
	}
	if in.Totals.Warning > 0 {
		line += fmt.Sprintf(" · audit warnings %d", in.Totals.Warning)
	}
	if in.EvidenceNotRead {
		line += " · evidence not read (no store given)"
	}
	if note := ShardNote(in.Shard, in.ShardLanes); note != "" {
		line += "\n\n> ⚠️ **" + note + "**"
	}
	return line
}

// header is the title, the verdict line and the provenance line. The
// comment is only rewritten when its result changes, so its time is when the
// result last changed; each run's job summary and commit status say when it
// was last checked.
func header(in CommentInput) string {
	title := in.Title
	if title == "" {
		title = "lanegate migration evidence"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n%s\n\n", mdCell(title), verdictLine(in))
	meta := []string{}
	if in.State.Time != "" {
		meta = append(meta, "result unchanged since "+in.State.Time)
	}
	if in.RunURL != "" {
		meta = append(meta, "[run]("+in.RunURL+")")
	}
	if in.State.HeadSHA != "" {
		meta = append(meta, "head `"+shortSHA(in.State.HeadSHA)+"`")
	}
	if len(meta) > 0 {
		b.WriteString("<sub>" + strings.Join(meta, " · ") + " · latest check: the run summary and commit status</sub>\n\n")
	}
	return b.String()
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// sinceLastRun renders the changes evidence.ChangesSince finds between the
// previous state and the rows.
func sinceLastRun(in CommentInput) string {
	ch := evidence.ChangesSince(in.Previous, in.Lanes)
	if ch.First {
		return "### Since last run\n\nFirst run: no previous state.\n\n"
	}
	var b strings.Builder
	b.WriteString("### Since last run\n\n")
	list := func(label string, xs []string) {
		if len(xs) > 0 {
			fmt.Fprintf(&b, "- %s: %s\n", label, "`"+strings.Join(xs, "`, `")+"`")
		}
	}
	list("✅ newly complete", ch.Newly)
	list("❌ regressed", ch.Regressed)
	list("🆕 new lanes", ch.Added)
	list("🗑️ no longer declared", ch.Cleared)
	if ch.None() {
		b.WriteString("No change.\n")
	}
	if n := ch.PrevOmitted; n > 0 {
		fmt.Fprintf(&b, "\n_The previous state left out %d lane(s) to fit the comment; changes to them are not shown._\n", n)
	}
	b.WriteString("\n")
	return b.String()
}

func stateBlock(in CommentInput) string {
	return "<!-- lanegate:state " + encodeState(in.State) + " -->\n"
}

func requiredKinds(in CommentInput, lane string) map[string]bool {
	return evidence.RequiredKinds(in.Plan, lane)
}

// evidenceCell combines a lane's evidence into one cell, one kind a line:
// required kinds always, others when present; "–" when there is none.
func evidenceCell(in CommentInput, l CommentLane) string {
	if in.EvidenceNotRead {
		return notRead
	}
	req := requiredKinds(in, l.Lane)
	var parts []string
	for _, k := range lanes.EvidenceKinds {
		c, ok := l.Evidence[k]
		if !req[k] && (!ok || !c.Present) {
			continue
		}
		parts = append(parts, k+" "+cell(c, req[k], true))
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, "<br>")
}

// laneCell is the lane name with its driver and stage beneath.
func laneCell(l CommentLane) string {
	return "`" + mdCell(l.Lane) + "`<br><sub>" + mdCell(l.Driver) + " · " + mdCell(l.Stage) + "</sub>"
}

// nextCell is the lane's next step as decided, "–" when there is none.
func nextCell(l CommentLane) string {
	if l.Readiness.Next == "" {
		return "–"
	}
	return mdCell(l.Readiness.Next)
}

// findingDiffs is "field: physical X ≠ projected Y" for the lane's worst
// finding, or "" without both records.
func findingDiffs(l CommentLane) string {
	if l.Physical == nil || l.Projected == nil {
		return ""
	}
	return fieldDiffs(l.Physical, l.Projected, mdCode)
}

// commentFull has one five-column table per wave for the lanes that are not
// done, the done lanes collapsed, the finding details collapsed, the
// changes since the last run and the wave diagram. Five columns fit
// GitHub's ~760 px comment width.
func commentFull(in CommentInput) string {
	var b strings.Builder
	b.WriteString(header(in))
	ls := in.sorted()
	for i := 0; i < len(ls); {
		j := i
		for j < len(ls) && ls[j].Wave == ls[i].Wave {
			j++
		}
		wave := ls[i:j]
		fmt.Fprintf(&b, "\n### Wave %d\n\n", ls[i].Wave)
		var done []CommentLane
		open := false
		for _, l := range wave {
			if l.Readiness.Level == evidence.Done {
				done = append(done, l)
				continue
			}
			if !open {
				b.WriteString("| | lane | audit | evidence | next step |\n|---|---|---|---|---|\n")
				open = true
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s |\n", l.Readiness.Level.Icon(), laneCell(l), mdCell(l.Status), evidenceCell(in, l), nextCell(l))
		}
		if len(done) > 0 {
			if open {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "<details><summary>✅ %d done lane(s)</summary>\n\n| | lane | audit | evidence |\n|---|---|---|---|\n", len(done))
			for _, l := range done {
				fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", l.Readiness.Level.Icon(), laneCell(l), mdCell(l.Status), evidenceCell(in, l))
			}
			b.WriteString("\n</details>\n")
		}
		i = j
	}
	b.WriteString("\n")
	b.WriteString(findingDetails(in))
	b.WriteString(sinceLastRun(in))
	b.WriteString(mermaid(in))
	b.WriteString(stateBlock(in))
	return b.String()
}

// findingDetails lists, collapsed, each lane's audit finding with its
// detail and, when both records exist, the fields where they differ.
func findingDetails(in CommentInput) string {
	var items []string
	for _, l := range in.sorted() {
		if l.Status == audit.StatusComplete && l.Severity == audit.SeverityOK {
			continue
		}
		line := "- `" + mdCell(l.Lane) + "` `" + mdCell(l.Status) + "`"
		if d := mdCell(l.Detail); d != "" {
			line += ": " + d
		}
		if diffs := findingDiffs(l); diffs != "" {
			line += "<br>" + diffs
		}
		items = append(items, line)
	}
	if len(items) == 0 {
		return ""
	}
	return fmt.Sprintf("<details><summary>Finding details (%d)</summary>\n\n%s\n\n</details>\n\n", len(items), strings.Join(items, "\n"))
}

func commentCondensed(in CommentInput) string {
	var b strings.Builder
	b.WriteString(header(in))
	// The readiness word, not the next step: one short row per lane.
	b.WriteString("| wave | lane | audit |\n|---:|---|---|\n")
	for _, l := range in.sorted() {
		fmt.Fprintf(&b, "| %d | `%s` | %s `%s` |\n", l.Wave, mdCell(l.Lane), l.Readiness.Level.Icon(), mdCell(l.Status))
	}
	b.WriteString("\n_Readiness: ✅ done · 🚀 ready · ⏳ waiting · ❌ blocked · ❔ unknown._\n")
	b.WriteString("\n")
	b.WriteString(sinceLastRun(in))
	b.WriteString("_Condensed to fit GitHub's comment limit; the wave diagram is in the run summary._\n\n")
	b.WriteString(stateBlock(in))
	return b.String()
}

func commentMinimal(in CommentInput) string {
	var b strings.Builder
	b.WriteString(header(in))
	fmt.Fprintf(&b, "Counts: %s\n\n", mdCell(CountsText(in.Totals.Counts)))
	var blocked []string
	for _, l := range in.sorted() {
		if lv := l.Readiness.Level; lv != evidence.Done && lv != evidence.Ready && lv != evidence.Waiting {
			blocked = append(blocked, "`"+mdCell(l.Lane)+"` ("+mdCell(l.Status)+")")
		}
	}
	if len(blocked) > 0 {
		fmt.Fprintf(&b, "Blocked lanes (%d): %s\n\n", len(blocked), strings.Join(blocked, ", "))
	}
	fmt.Fprintf(&b, "_Too many lanes for one comment: the full tables are in %s._\n\n", runLink(in))
	b.WriteString(stateBlock(in))
	return b.String()
}

// runLink points at the run (and its report artifact) holding the full
// tables.
func runLink(in CommentInput) string {
	where := "the run"
	if in.RunURL != "" {
		where = "[the run](" + in.RunURL + ")"
	}
	if in.Artifact != "" {
		where += " (artifact `" + mdCell(in.Artifact) + "`)"
	}
	return where
}

// mermaidClass colours a node by the lane's readiness.
func mermaidClass(l evidence.Level) string {
	switch l {
	case evidence.Done, evidence.Ready:
		return "ok"
	case evidence.Waiting, evidence.Unknown:
		return "warning"
	}
	return "blocked"
}

var mermaidID = regexp.MustCompile(`[^A-Za-z0-9_]`)

func nodeID(lane string) string { return "L_" + mermaidID.ReplaceAllString(lane, "_") }

// mermaid draws waves as subgraphs and requires as edges, lanes coloured by
// their audit severity.
func mermaid(in CommentInput) string {
	var b strings.Builder
	b.WriteString("### Wave plan\n\n```mermaid\nflowchart LR\n")
	wave := -1
	for _, l := range in.sorted() {
		if l.Wave != wave {
			if wave != -1 {
				b.WriteString("  end\n")
			}
			wave = l.Wave
			fmt.Fprintf(&b, "  subgraph W%d[\"wave %d\"]\n", wave, wave)
		}
		label := strings.NewReplacer(`"`, "'", "[", "(", "]", ")").Replace(l.Lane + " · " + l.Stage)
		fmt.Fprintf(&b, "    %s[\"%s\"]:::%s\n", nodeID(l.Lane), label, mermaidClass(l.Readiness.Level))
	}
	if wave != -1 {
		b.WriteString("  end\n")
	}
	if in.Plan != nil {
		for _, l := range in.sorted() {
			if pl, ok := in.Plan.Lane(l.Lane); ok {
				reqs := append([]string(nil), pl.Requires...)
				sort.Strings(reqs)
				for _, r := range reqs {
					fmt.Fprintf(&b, "  %s --> %s\n", nodeID(r), nodeID(l.Lane))
				}
			}
		}
	}
	b.WriteString("  classDef ok fill:#d4edda,stroke:#28a745\n  classDef warning fill:#fff3cd,stroke:#ffc107\n  classDef blocked fill:#f8d7da,stroke:#dc3545\n```\n\n")
	return b.String()
}
