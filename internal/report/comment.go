package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/lanes"
)

// EvidenceCell is one lane's latest evidence of one kind, as the comment
// shows it.
type EvidenceCell struct {
	Present bool
	Passed  bool
	Fresh   bool // passed and within the lane's maximum age (and after the row changed)
	Age     time.Duration
	RunURL  string
}

// CommentLane is one lane's row.
type CommentLane struct {
	Lane     string
	Wave     int
	Driver   string
	Stage    string
	Status   string // worst audit status
	Severity string
	Detail   string
	Evidence map[string]EvidenceCell // by kind: deploy, promotion, health
}

// CommentState is the machine-readable block a later run reads back.
type CommentState struct {
	Schema       string            `json:"schema"`
	Lanes        map[string]string `json:"lanes"` // lane -> worst audit status
	ReportDigest string            `json:"report_digest"`
	ConfigDigest string            `json:"config_digest"`
	HeadSHA      string            `json:"head_sha"`
	RunURL       string            `json:"run_url"`
	Time         string            `json:"time"`
	Version      string            `json:"lanegate_version"`
}

// CommentSchema identifies the hidden state block.
const CommentSchema = "lanegate.evidence-comment/v1"

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

// CommentInput is everything the evidence comment shows.
type CommentInput struct {
	Title    string
	Plan     *lanes.File
	Lanes    []CommentLane // declared lanes, any order
	Totals   audit.Totals
	Previous *CommentState
	State    CommentState
	RunURL   string
	Artifact string // name of the uploaded report artifact, if any
	Limit    int    // maximum body size in bytes (conservative stand-in for characters)
}

func (in CommentInput) sorted() []CommentLane {
	ls := append([]CommentLane(nil), in.Lanes...)
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].Wave != ls[j].Wave {
			return ls[i].Wave < ls[j].Wave
		}
		return ls[i].Lane < ls[j].Lane
	})
	return ls
}

func fmtAge(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func cell(c EvidenceCell, required bool) string {
	switch {
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
	for _, tier := range []func(CommentInput) string{commentFull, commentCondensed, commentMinimal} {
		body := tier(in)
		if in.Limit <= 0 || len(body) <= in.Limit {
			return body
		}
	}
	// Even the minimal tier is too long (thousands of blocked lanes): cut
	// the blocked list, keep the state block.
	body := commentMinimal(in)
	tail := "\n\n…list cut to fit GitHub's limit; see the run.\n" + stateBlock(in)
	return body[:max(0, in.Limit-len(tail)-1)] + tail
}

func verdictLine(in CommentInput) string {
	complete, blocked := 0, 0
	for _, l := range in.Lanes {
		if l.Status == audit.StatusComplete && l.Severity == audit.SeverityOK {
			complete++
		}
		if l.Severity == audit.SeverityBlocked {
			blocked++
		}
	}
	icon := "✅"
	if blocked > 0 {
		icon = "❌"
	}
	return fmt.Sprintf("%s **complete %d/%d** · blocked %d · warnings %d", icon, complete, len(in.Lanes), blocked, in.Totals.Warning)
}

func header(in CommentInput) string {
	title := in.Title
	if title == "" {
		title = "lanegate migration evidence"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n%s\n\n", mdCell(title), verdictLine(in))
	meta := []string{}
	if in.State.HeadSHA != "" {
		meta = append(meta, "head `"+shortSHA(in.State.HeadSHA)+"`")
	}
	if in.RunURL != "" {
		meta = append(meta, "[run]("+in.RunURL+")")
	}
	if in.State.Time != "" {
		meta = append(meta, "updated "+in.State.Time)
	}
	if len(meta) > 0 {
		b.WriteString("<sub>" + strings.Join(meta, " · ") + "</sub>\n\n")
	}
	return b.String()
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func sinceLastRun(in CommentInput) string {
	if in.Previous == nil {
		return "### Since last run\n\nFirst run: no previous state.\n\n"
	}
	var newly, regressed, added, cleared []string
	for _, l := range in.sorted() {
		prev, ok := in.Previous.Lanes[l.Lane]
		switch {
		case !ok:
			added = append(added, l.Lane)
		case prev != audit.StatusComplete && l.Status == audit.StatusComplete:
			newly = append(newly, l.Lane)
		case prev == audit.StatusComplete && l.Status != audit.StatusComplete:
			regressed = append(regressed, l.Lane+" ("+l.Status+")")
		}
	}
	for lane := range in.Previous.Lanes {
		found := false
		for _, l := range in.Lanes {
			if l.Lane == lane {
				found = true
			}
		}
		if !found {
			cleared = append(cleared, lane)
		}
	}
	sort.Strings(cleared)
	var b strings.Builder
	b.WriteString("### Since last run\n\n")
	list := func(label string, xs []string) {
		if len(xs) > 0 {
			fmt.Fprintf(&b, "- %s: %s\n", label, "`"+strings.Join(xs, "`, `")+"`")
		}
	}
	list("✅ newly complete", newly)
	list("❌ regressed", regressed)
	list("🆕 new lanes", added)
	list("🗑️ no longer declared", cleared)
	if len(newly)+len(regressed)+len(added)+len(cleared) == 0 {
		b.WriteString("No change.\n")
	}
	b.WriteString("\n")
	return b.String()
}

func stateBlock(in CommentInput) string {
	return "<!-- lanegate:state " + encodeState(in.State) + " -->\n"
}

func requiredKinds(in CommentInput, lane string) map[string]bool {
	out := map[string]bool{}
	if in.Plan == nil {
		return out
	}
	if l, ok := in.Plan.Lane(lane); ok {
		for _, e := range l.Evidence {
			out[e.Kind] = true
		}
	}
	return out
}

func commentFull(in CommentInput) string {
	var b strings.Builder
	b.WriteString(header(in))
	wave := -1
	for _, l := range in.sorted() {
		if l.Wave != wave {
			wave = l.Wave
			fmt.Fprintf(&b, "\n### Wave %d\n\n| | lane | driver | stage | audit | deploy | promotion | health |\n|---|---|---|---|---|---|---|---|\n", wave)
		}
		req := requiredKinds(in, l.Lane)
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | `%s` | %s | %s | %s |\n", marker(l.Severity), mdCell(l.Lane), mdCell(l.Driver), mdCell(l.Stage),
			mdCell(l.Status), cell(l.Evidence["deploy"], req["deploy"]), cell(l.Evidence["promotion"], req["promotion"]), cell(l.Evidence["health"], req["health"]))
	}
	b.WriteString("\n")
	b.WriteString(sinceLastRun(in))
	b.WriteString(mermaid(in))
	b.WriteString(stateBlock(in))
	return b.String()
}

func commentCondensed(in CommentInput) string {
	var b strings.Builder
	b.WriteString(header(in))
	b.WriteString("| wave | lane | audit | evidence |\n|---:|---|---|---|\n")
	for _, l := range in.sorted() {
		ev := "ok"
		req := requiredKinds(in, l.Lane)
		for _, k := range lanes.EvidenceKinds {
			c := l.Evidence[k]
			if req[k] && !c.Fresh {
				ev = "needs " + k
				break
			}
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s `%s` | %s |\n", l.Wave, mdCell(l.Lane), marker(l.Severity), mdCell(l.Status), ev)
	}
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
		if l.Severity == audit.SeverityBlocked {
			blocked = append(blocked, "`"+mdCell(l.Lane)+"` ("+mdCell(l.Status)+")")
		}
	}
	if len(blocked) > 0 {
		fmt.Fprintf(&b, "Blocked lanes (%d): %s\n\n", len(blocked), strings.Join(blocked, ", "))
	}
	where := "the run"
	if in.RunURL != "" {
		where = "[the run](" + in.RunURL + ")"
	}
	if in.Artifact != "" {
		where += " (artifact `" + mdCell(in.Artifact) + "`)"
	}
	fmt.Fprintf(&b, "_Too many lanes for one comment: the full tables are in %s._\n\n", where)
	b.WriteString(stateBlock(in))
	return b.String()
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
		fmt.Fprintf(&b, "    %s[\"%s\"]:::%s\n", nodeID(l.Lane), label, l.Severity)
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
