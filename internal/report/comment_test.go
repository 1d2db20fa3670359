package report

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/gate"
	"github.com/lanegate/lanegate/internal/ghapi"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/verdict"
)

// ctEvidenceLimit is the body limit publish renders the evidence comment
// with.
var ctEvidenceLimit = ghapi.StickyBodyLimit("evidence")

// ctSmallPlan is a nine-lane plan over three waves with requires edges and
// per-lane evidence requirements.
const ctSmallPlan = `schema_version: 1
defaults:
  evidence:
    deploy: {max_age: 7d}
    health: {max_age: 24h}
lanes:
  - {route: blog/prod, product: blog, driver: generic-web, wave: 1, stage: provider-target}
  - {route: blog/testing, product: blog, driver: generic-web, wave: 1}
  - {route: shop/testing, product: shop, driver: odoo, wave: 1}
  - {route: shop/prod, product: shop, driver: odoo, wave: 2, requires: [shop/testing],
     evidence: {deploy: {max_age: 7d}, promotion: {max_age: 7d}, health: {max_age: 24h}}}
  - {route: video/testing, product: video, driver: verireel, wave: 2}
  - {route: "wiki/pr-1", product: wiki, driver: generic-web, wave: 2, evidence: {}}
  - {route: video/prod, product: video, driver: verireel, wave: 3, requires: [video/testing, shop/prod]}
  - {route: crm/prod, product: crm, driver: odoo, wave: 3}
  - {route: crm/testing, product: crm, driver: odoo, wave: 3}
`

func ctParsePlan(t testing.TB, src string) *lanes.File {
	t.Helper()
	f, err := lanes.Parse("lanes.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var ctObserved = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func ctFresh(age time.Duration, url string) EvidenceCell {
	return EvidenceCell{Present: true, Passed: true, Fresh: true, Age: age, RunURL: url, ObservedAt: ctObserved.Add(-age)}
}

// ctSmallInput is the comment the golden file pins: nine lanes with every
// kind of evidence cell, and a previous state so that "Since last run"
// lists each kind of change.
func ctSmallInput(t testing.TB) CommentInput {
	plan := ctParsePlan(t, ctSmallPlan)
	ok, blocked, warn := audit.SeverityOK, audit.SeverityBlocked, audit.SeverityWarning
	rows := []CommentLane{
		{Lane: "blog/prod", Wave: 1, Driver: "generic-web", Stage: "provider-target", Status: audit.StatusComplete, Severity: ok,
			Detail: "explicit provider-target row matches the Dokploy projection", Evidence: map[string]EvidenceCell{
				"deploy": ctFresh(3*time.Hour, "https://github.example/o/r/actions/runs/11"),
				"health": ctFresh(20*time.Minute, ""),
			}},
		{Lane: "blog/testing", Wave: 1, Driver: "generic-web", Stage: "dokploy", Status: audit.StatusComplete, Severity: ok, Evidence: map[string]EvidenceCell{
			"deploy": {Present: true, Passed: true, Fresh: false, Age: 9 * 24 * time.Hour, ObservedAt: ctObserved.Add(-9 * 24 * time.Hour)},
			"health": {Present: true, Passed: false, Age: 2 * time.Hour, RunURL: "https://github.example/o/r/actions/runs/12"},
		}},
		{Lane: "shop/testing", Wave: 1, Driver: "odoo", Stage: "dokploy", Status: audit.StatusComplete, Severity: ok, Evidence: map[string]EvidenceCell{}},
		{Lane: "shop/prod", Wave: 2, Driver: "odoo", Stage: "dokploy", Status: audit.StatusMissingProviderTarget, Severity: blocked,
			Detail: "Dokploy target/id pair has no explicit provider-target row", Evidence: map[string]EvidenceCell{
				"deploy":    ctFresh(26*time.Hour, ""),
				"promotion": {Present: true, Passed: true, Fresh: false, Age: 8 * 24 * time.Hour},
			}},
		{Lane: "video/testing", Wave: 2, Driver: "verireel", Stage: "dokploy", Status: audit.StatusComplete, Severity: ok, Evidence: map[string]EvidenceCell{
			"promotion": ctFresh(5*time.Minute, ""), // not required: shown, never missing
		}},
		{Lane: "wiki/pr-1", Wave: 2, Driver: "generic-web", Stage: "dokploy", Status: audit.StatusFutureProvider, Severity: warn,
			Detail: "a | pipe and <b>html</b> and `ticks`"},
		{Lane: "video/prod", Wave: 3, Driver: "verireel", Stage: "dokploy", Status: audit.StatusIdentityMismatch, Severity: blocked,
			Detail: "provider-target identity mismatch"},
		{Lane: "crm/prod", Wave: 3, Driver: "odoo", Stage: "dokploy", Status: audit.StatusMissingTargetID, Severity: blocked},
		{Lane: "crm/testing", Wave: 3, Driver: "odoo", Stage: "dokploy", Status: audit.StatusComplete, Severity: ok},
	}
	in := CommentInput{
		Plan:    plan,
		Lanes:   rows,
		Verdict: verdict.Blocked,
		Totals:  audit.Totals{Inspected: 10, Blocked: 3, Warning: 1, Counts: map[string]int{"complete": 5, "missing_provider_target": 1, "identity_mismatch": 1, "missing_target_id": 1, "future_provider": 1}},
		Previous: &CommentState{Schema: CommentSchema, Lanes: map[string]string{
			"blog/prod":     audit.StatusComplete,
			"blog/testing":  audit.StatusMissingProviderTarget, // → newly complete
			"shop/testing":  audit.StatusComplete,
			"shop/prod":     audit.StatusMissingProviderTarget,
			"video/testing": audit.StatusComplete,
			"wiki/pr-1":     audit.StatusFutureProvider,
			"video/prod":    audit.StatusComplete, // → regressed
			"crm/prod":      audit.StatusMissingTargetID,
			"old/prod":      audit.StatusComplete, // → no longer declared
			// crm/testing is new
		}},
		State: CommentState{Schema: CommentSchema, Lanes: map[string]string{}, ReportDigest: "sha256:" + strings.Repeat("ab", 32),
			ConfigDigest: plan.Digest(), HeadSHA: "0123456789abcdef0123456789abcdef01234567",
			RunURL: "https://github.example/o/r/actions/runs/99", Time: "2026-05-01T10:00:00Z", Version: "v1.2.3"},
		RunURL: "https://github.example/o/r/actions/runs/99",
		Limit:  ctEvidenceLimit,
	}
	for _, r := range rows {
		in.State.Lanes[r.Lane] = r.Status
	}
	decideCommentReadiness(&in)
	in.State.ResultDigest = commentDigest(in)
	return in
}

func TestRenderCommentGolden(t *testing.T) {
	in := ctSmallInput(t)
	body := RenderComment(in)
	golden(t, "comment_small.md.golden", []byte(body))

	for _, want := range []string{
		"## lanegate migration evidence\n",
		"❌ **done 1/9** · ready 0 · waiting 1 · blocked 7 · audit warnings 1",
		"result unchanged since 2026-05-01T10:00:00Z · [run](https://github.example/o/r/actions/runs/99) · head `0123456789ab`",
		"| ⏳ | `wiki/pr-1`", // waits for wave 1
		"record fresh deploy evidence", "run the provider-target backfill", "fix the Dokploy pair",
		"<details><summary>✅ 1 done lane(s)</summary>", "<details><summary>Finding details (4)</summary>",
		"### Wave 1\n", "### Wave 2\n", "### Wave 3\n",
		"[✅ 3h](https://github.example/o/r/actions/runs/11)", // fresh with a run link
		"⚠️ stale 9d", // required, passed, too old
		"❌ fail 2h",   // failed
		"❌ missing",   // required, absent
		"✅ 5m",        // present, not required
		"- ✅ newly complete: `blog/testing`\n",
		"- ❌ regressed: `video/prod (identity_mismatch)`\n",
		"- 🆕 new lanes: `crm/testing`\n",
		"- 🗑️ no longer declared: `old/prod`\n",
		"```mermaid\nflowchart LR\n",
		"  subgraph W1[\"wave 1\"]\n",
		"    L_wiki_pr_1[\"wiki/pr-1 · dokploy\"]:::warning\n",
		"  L_shop_testing --> L_shop_prod\n",
		"  L_shop_prod --> L_video_prod\n",
		"  L_video_testing --> L_video_prod\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("comment lacks %q", want)
		}
	}
	// The promotion column of a lane that does not require it says "–".
	if !strings.Contains(body, "| ✅ | `blog/prod`<br><sub>generic-web · provider-target</sub> | `complete` | deploy [✅ 3h](https://github.example/o/r/actions/runs/11)<br>health ✅ 20m |") {
		t.Errorf("blog/prod row:\n%s", body)
	}
	// Every table fits GitHub's ~760 px comment width: five columns at most.
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "|---") && strings.Count(line, "|")-1 > 5 {
			t.Errorf("table with %d columns: %s", strings.Count(line, "|")-1, line)
		}
	}
	st, ok := ReadCommentState(body)
	if !ok {
		t.Fatal("state block does not parse")
	}
	if st.ResultDigest != in.State.ResultDigest || st.ConfigDigest != in.State.ConfigDigest || len(st.Lanes) != 9 || st.LanesOmitted != 0 {
		t.Errorf("state read back = %+v", st)
	}
	if RenderComment(in) != body {
		t.Error("rendering is not deterministic")
	}
}

func TestRenderCommentFirstRun(t *testing.T) {
	in := ctSmallInput(t)
	in.Previous = nil
	body := RenderComment(in)
	if !strings.Contains(body, "### Since last run\n\nFirst run: no previous state.\n") {
		t.Errorf("first run:\n%s", body)
	}
	in.Previous = &CommentState{Schema: CommentSchema, Lanes: in.State.Lanes}
	if body := RenderComment(in); !strings.Contains(body, "### Since last run\n\nNo change.\n") {
		t.Errorf("unchanged:\n%s", body)
	}
}

// ctManyLanes builds n lanes over ten waves; every seventh is blocked and
// every eleventh has a warning. Lane names are realistic in length.
func ctManyLanes(n int, withPlan bool) CommentInput {
	in := CommentInput{Limit: ctEvidenceLimit, Verdict: verdict.Blocked, Totals: audit.Totals{Inspected: n, Counts: map[string]int{}},
		State: CommentState{Schema: CommentSchema, Lanes: map[string]string{}, ReportDigest: "sha256:" + strings.Repeat("0", 64),
			HeadSHA: strings.Repeat("f", 40), RunURL: "https://github.example/o/r/actions/runs/7", Time: "2026-05-01T10:00:00Z", Version: "dev"},
		RunURL: "https://github.example/o/r/actions/runs/7", Artifact: "lanegate-report"}
	var yaml strings.Builder
	yaml.WriteString("schema_version: 1\nlanes:\n")
	for i := range n {
		l := CommentLane{Lane: fmt.Sprintf("app%04d/prod", i), Wave: 1 + i%10, Driver: "odoo", Stage: "dokploy",
			Status: audit.StatusComplete, Severity: audit.SeverityOK, Detail: "explicit provider-target row matches the Dokploy projection",
			Evidence: map[string]EvidenceCell{"deploy": ctFresh(time.Hour, "https://github.example/o/r/actions/runs/1"), "health": ctFresh(time.Minute, "")}}
		switch {
		case i%7 == 0:
			l.Status, l.Severity, l.Detail = audit.StatusMissingProviderTarget, audit.SeverityBlocked, "Dokploy target/id pair has no explicit provider-target row"
			in.Totals.Blocked++
		case i%11 == 0:
			l.Status, l.Severity = audit.StatusFutureProvider, audit.SeverityWarning
			in.Totals.Warning++
		}
		in.Totals.Counts[l.Status]++
		in.Lanes = append(in.Lanes, l)
		in.State.Lanes[l.Lane] = l.Status
		fmt.Fprintf(&yaml, "  - {route: %s, product: app%04d, driver: odoo, wave: %d", l.Lane, i, l.Wave)
		if i >= 10 && i%5 == 0 {
			fmt.Fprintf(&yaml, ", requires: [app%04d/prod]", i%10)
		}
		yaml.WriteString("}\n")
	}
	if withPlan {
		plan, err := lanes.Parse("lanes.yaml", []byte(yaml.String()))
		if err != nil {
			panic(err)
		}
		in.Plan = plan
		in.State.ConfigDigest = plan.Digest()
	}
	in.State.ResultDigest = commentDigest(in)
	decideCommentReadiness(&in)
	return in
}

// ctCheckBody checks what every tier must give: a body within the limit,
// valid UTF-8, and a state block that parses and accounts for every lane.
func ctCheckBody(t *testing.T, in CommentInput, body string) *CommentState {
	t.Helper()
	if len(body) > in.Limit || utf8.RuneCountInString(body) > in.Limit {
		t.Fatalf("body is %d bytes, over the limit %d", len(body), in.Limit)
	}
	if !utf8.ValidString(body) {
		t.Fatal("body is not valid UTF-8")
	}
	if strings.Count(body, "<!-- lanegate:state ") != 1 || !strings.HasSuffix(body, " -->\n") {
		t.Fatalf("body must end with exactly one state block:\n…%s", body[max(0, len(body)-300):])
	}
	st, ok := ReadCommentState(body)
	if !ok {
		t.Fatalf("state block does not parse:\n…%s", body[max(0, len(body)-300):])
	}
	if len(st.Lanes)+st.LanesOmitted != len(in.Lanes) {
		t.Errorf("state lists %d lane(s) and omits %d, want %d in all", len(st.Lanes), st.LanesOmitted, len(in.Lanes))
	}
	for lane, status := range st.Lanes {
		if in.State.Lanes[lane] != status {
			t.Errorf("state says %s is %q, want %q", lane, status, in.State.Lanes[lane])
		}
	}
	if st.ResultDigest != in.State.ResultDigest || st.Time != in.State.Time || st.RunURL != in.State.RunURL {
		t.Errorf("state provenance changed: %+v", st)
	}
	return st
}

func TestRenderCommentTiers(t *testing.T) {
	t.Run("50 lanes: full", func(t *testing.T) {
		in := ctManyLanes(50, true)
		body := RenderComment(in)
		ctCheckBody(t, in, body)
		for _, want := range []string{"### Wave 1\n", "### Wave 10\n", "```mermaid\n", "  L_app0000_prod --> L_app0010_prod\n", "| | lane | audit | evidence | next step |"} {
			if !strings.Contains(body, want) {
				t.Errorf("full tier lacks %q", want)
			}
		}
		if strings.Contains(body, "Condensed") || strings.Contains(body, "Too many lanes") {
			t.Error("50 lanes should not be condensed")
		}
	})
	t.Run("800 lanes: condensed", func(t *testing.T) {
		in := ctManyLanes(800, true)
		if full := commentFull(in); len(full) <= in.Limit {
			t.Fatalf("fixture too small: the full tier (%d bytes) fits", len(full))
		}
		body := RenderComment(in)
		st := ctCheckBody(t, in, body)
		if st.LanesOmitted != 0 {
			t.Errorf("800 lanes should fit in the state block, %d omitted", st.LanesOmitted)
		}
		if !strings.Contains(body, "_Condensed to fit GitHub's comment limit") || strings.Contains(body, "```mermaid") {
			t.Errorf("want the condensed tier without a diagram")
		}
		if !regexp.MustCompile("\\| 10 \\| `app0799/prod` \\| \\S+ `complete` \\|\n").MatchString(body) {
			t.Error("condensed row for the last lane missing")
		}
		if strings.Count(body, "`app") != 800 {
			t.Errorf("%d condensed rows, want 800", strings.Count(body, "`app"))
		}
	})
	t.Run("5000 lanes: minimal", func(t *testing.T) {
		in := ctManyLanes(5000, true)
		body := RenderComment(in)
		st := ctCheckBody(t, in, body)
		if st.LanesOmitted == 0 {
			t.Error("a 5,000-lane state cannot fit; expected omitted lanes")
		}
		for _, want := range []string{"Counts: ", "Blocked lanes (", "[the run](https://github.example/o/r/actions/runs/7) (artifact `lanegate-report`)"} {
			if !strings.Contains(body, want) {
				t.Errorf("minimal tier lacks %q", want)
			}
		}
	})
	t.Run("5000 lanes all blocked, no plan", func(t *testing.T) {
		in := ctManyLanes(5000, false)
		for i := range in.Lanes {
			in.Lanes[i].Severity, in.Lanes[i].Status = audit.SeverityBlocked, audit.StatusProviderEvidenceMismatch
			in.State.Lanes[in.Lanes[i].Lane] = audit.StatusProviderEvidenceMismatch
		}
		in.Previous = &CommentState{Schema: CommentSchema, Lanes: map[string]string{"app0001/prod": audit.StatusComplete}, LanesOmitted: 4999}
		decideCommentReadiness(&in)
		body := RenderComment(in)
		ctCheckBody(t, in, body)
		if !strings.Contains(body, "_…list cut to fit GitHub's limit; the full tables are in [the run](https://github.example/o/r/actions/runs/7) (artifact `lanegate-report`)._") {
			t.Error("the blocked list should have been cut")
		}
		// The list is cut between entries, never inside a lane name.
		cut := body[:strings.Index(body, "\n\n_…list cut")]
		if !regexp.MustCompile("`app\\d{4}/prod` \\(provider_evidence_mismatch\\)$").MatchString(cut) {
			t.Errorf("list cut mid-entry: …%s", cut[max(0, len(cut)-80):])
		}
	})
	t.Run("100000-character lane names", func(t *testing.T) {
		// Pathological: one entry alone is larger than the comment.
		in := ctManyLanes(3, false)
		long := strings.Repeat("é", 40000) + "/prod"
		in.Lanes[0].Lane = long
		delete(in.State.Lanes, "app0000/prod")
		in.State.Lanes[long] = in.Lanes[0].Status
		body := RenderComment(in)
		ctCheckBody(t, in, body)
	})
}

func TestSinceLastRunWithOmittedPreviousLanes(t *testing.T) {
	in := ctManyLanes(20, false)
	in.Previous = &CommentState{Schema: CommentSchema, Lanes: map[string]string{
		"app0000/prod": audit.StatusComplete,              // regressed (it is blocked now)
		"app0001/prod": audit.StatusMissingProviderTarget, // newly complete
		"gone/prod":    audit.StatusComplete,              // no longer declared
	}, LanesOmitted: 40}
	body := RenderComment(in)
	for _, want := range []string{
		"- ✅ newly complete: `app0001/prod`\n",
		"- ❌ regressed: `app0000/prod (missing_provider_target)`\n",
		"- 🗑️ no longer declared: `gone/prod`\n",
		"_The previous state left out 40 lane(s) to fit the comment; changes to them are not shown._",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("lacks %q\n%s", want, body)
		}
	}
	if strings.Contains(body, "new lanes") {
		t.Error("lanes the previous state omitted are unknown, not new")
	}
}

func TestCommentDigest(t *testing.T) {
	base := ctSmallInput(t)
	d := commentDigest(base)
	if !strings.HasPrefix(d, "sha256:") || len(d) != len("sha256:")+64 {
		t.Fatalf("digest %q", d)
	}
	same := []func(in *CommentInput){
		func(in *CommentInput) { in.State.Time = "2030-01-01T00:00:00Z" },
		func(in *CommentInput) {
			in.State.RunURL, in.RunURL = "https://elsewhere/run/2", "https://elsewhere/run/2"
		},
		func(in *CommentInput) { in.State.HeadSHA = strings.Repeat("9", 40) },
		func(in *CommentInput) { in.Previous = nil },
		func(in *CommentInput) {
			in.Lanes[0].Evidence["deploy"] = ctFresh(3*time.Hour, "https://github.example/o/r/actions/runs/11")
		},
		func(in *CommentInput) { // ages grow between runs; the observation stays
			c := in.Lanes[0].Evidence["deploy"]
			c.Age += 6 * time.Hour
			in.Lanes[0].Evidence["deploy"] = c
		},
		func(in *CommentInput) { in.Lanes[0], in.Lanes[8] = in.Lanes[8], in.Lanes[0] }, // order does not matter
	}
	for i, change := range same {
		in := ctSmallInput(t)
		change(&in)
		if got := commentDigest(in); got != d {
			t.Errorf("change %d altered the digest", i)
		}
	}
	differ := []func(in *CommentInput){
		func(in *CommentInput) { in.Lanes[2].Status = audit.StatusMissingTargetID },
		func(in *CommentInput) { in.Lanes[2].Severity = audit.SeverityBlocked },
		func(in *CommentInput) { in.Lanes[2].Stage = "provider-target" },
		func(in *CommentInput) { in.Lanes = in.Lanes[1:] },
		func(in *CommentInput) { in.State.ReportDigest = "sha256:" + strings.Repeat("cd", 32) },
		func(in *CommentInput) { in.State.ConfigDigest = "other" },
		func(in *CommentInput) { in.State.Version = "v9" },
		func(in *CommentInput) { in.Totals.Warning++ },
		func(in *CommentInput) { // went stale
			c := in.Lanes[0].Evidence["health"]
			c.Fresh = false
			in.Lanes[0].Evidence["health"] = c
		},
		func(in *CommentInput) { // newer evidence
			in.Lanes[0].Evidence["health"] = ctFresh(time.Minute, "")
		},
		func(in *CommentInput) { in.Lanes[2].Evidence["health"] = EvidenceCell{Present: true} },
	}
	for i, change := range differ {
		in := ctSmallInput(t)
		change(&in)
		if got := commentDigest(in); got == d {
			t.Errorf("change %d did not alter the digest", i)
		}
	}
}

func TestReadCommentStateRejects(t *testing.T) {
	for _, body := range []string{
		"",
		"no state here",
		`<!-- lanegate:state {"schema":"other/v1","lanes":{}} -->`,
		`<!-- lanegate:state {not json} -->`,
	} {
		if st, ok := ReadCommentState(body); ok {
			t.Errorf("ReadCommentState(%q) = %+v", body, st)
		}
	}
	// "--" inside values survives the round trip through an HTML comment.
	in := ctManyLanes(2, false)
	in.State.RunURL = "https://x/--/run"
	in.State.Lanes["a--b/prod"] = "complete"
	in.Lanes = append(in.Lanes, CommentLane{Lane: "a--b/prod", Status: "complete", Severity: audit.SeverityOK})
	body := RenderComment(in)
	block := body[strings.Index(body, "<!-- lanegate:state ")+len("<!-- lanegate:state ") : len(body)-len(" -->\n")]
	if strings.Contains(block, "--") {
		t.Errorf("state JSON contains \"--\": %s", block)
	}
	st, ok := ReadCommentState(body)
	if !ok || st.RunURL != "https://x/--/run" || st.Lanes["a--b/prod"] != "complete" {
		t.Errorf("round trip: %+v %v", st, ok)
	}
}

// TestGateStatusDescriptionManyLanes: a 5,000-lane decision still fits a
// commit status, and its Markdown fits a sticky comment.
func TestGateStatusDescriptionManyLanes(t *testing.T) {
	var src strings.Builder
	src.WriteString("schema_version: 1\nlanes:\n")
	// One wave: with several, gate.Decide lists every earlier-wave lane of
	// every lane in scope (quadratic; see the report).
	for i := range 5000 {
		fmt.Fprintf(&src, "  - {route: tenant-%04d/prod, product: p%04d, driver: odoo, wave: 1}\n", i, i)
	}
	plan := ctParsePlan(t, src.String())
	res := gate.Decide(gate.Input{Base: plan, Head: plan, FilesCapped: true, Now: time.Now()})
	if len(res.Lanes) != 5000 || res.Verdict != gate.Blocked {
		t.Fatalf("%d lanes, verdict %s", len(res.Lanes), res.Verdict)
	}
	if d := res.StatusDescription(); utf8.RuneCountInString(d) > ghapi.MaxStatusDescription || d != "blocked: 5000 of 5000 lane(s) not ready" {
		t.Errorf("description %q", d)
	}
	// A long first problem is cut to 140 characters.
	res = gate.Decide(gate.Input{Base: plan, Head: plan, Labels: []string{"cutover:" + strings.Repeat("x", 300) + "/prod"}, FilesCapped: true})
	d := res.StatusDescription()
	if n := utf8.RuneCountInString(d); n != ghapi.MaxStatusDescription || !strings.HasSuffix(d, "…") || !strings.HasPrefix(d, "blocked: the pull request declares lane") {
		t.Errorf("description (%d characters) %q", n, d)
	}
	limit := ghapi.StickyBodyLimit("gate")
	md := GateMarkdown(res, "https://github.example/o/r/actions/runs/5", strings.Repeat("a", 40), limit)
	if len(md) > limit || !utf8.ValidString(md) {
		t.Errorf("gate markdown is %d bytes, limit %d", len(md), limit)
	}
	if !strings.Contains(md, "more lane(s) cut to fit GitHub's comment limit") || !strings.HasPrefix(md, "## ❌ lanegate cutover gate: blocked\n") {
		t.Errorf("gate markdown head/tail:\n%s\n…\n%s", md[:200], md[len(md)-200:])
	}
}
