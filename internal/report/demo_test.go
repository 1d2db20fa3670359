package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/verdict"
)

// demoInput is the README's demo: the repository's lanes.yaml over
// examples/state with deploy and health evidence recorded for the complete
// lanes and a failed promotion on opw/prod, at fixed ages.
func demoInput(t testing.TB) CommentInput {
	src, err := os.ReadFile(filepath.Join("..", "..", "lanes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	plan := ctParsePlan(t, string(src))
	run := "https://github.com/acme/launchplane/actions/runs/9100"
	at := time.Date(2026, 11, 29, 17, 0, 0, 0, time.UTC)
	pass := func(age time.Duration, url string) EvidenceCell {
		return EvidenceCell{Present: true, Passed: true, Fresh: true, Age: age, RunURL: url, ObservedAt: at.Add(-age)}
	}
	healthy := map[string]EvidenceCell{"deploy": pass(2*time.Hour, run), "health": pass(20*time.Minute, "")}
	ok, blocked := audit.SeverityOK, audit.SeverityBlocked
	complete := func(lane string, wave int, driver string, ev map[string]EvidenceCell) CommentLane {
		return CommentLane{Lane: lane, Wave: wave, Driver: driver, Status: audit.StatusComplete, Severity: ok, Evidence: ev}
	}
	phys := &record.ProviderTarget{ProviderID: "dokploy", TargetCategory: "compose", TargetID: "cmp-verireel-prod-2025",
		DisplayName: "verireel-prod", ProviderTargetType: "compose", ProviderEvidence: map[string]string{"project_name": "verireel"}}
	proj := *phys
	proj.TargetID = "cmp-verireel-prod"
	rows := []CommentLane{
		complete("discord-blue/prod", 1, "generic-web", healthy),
		complete("sellyouroutboard/testing", 1, "generic-web", healthy),
		complete("verireel/testing", 1, "verireel", healthy),
		complete("cm/testing", 2, "odoo", healthy),
		complete("opw/testing", 2, "odoo", healthy),
		{Lane: "sellyouroutboard/prod", Wave: 2, Driver: "generic-web", Status: audit.StatusMissingProviderTarget, Severity: blocked,
			Detail: "Dokploy target/id pair has no explicit provider-target row"},
		{Lane: "cm/prod", Wave: 3, Driver: "odoo", Status: audit.StatusMissingTargetID, Severity: blocked, Detail: "Dokploy target-id record is missing"},
		complete("opw/prod", 3, "odoo", map[string]EvidenceCell{"deploy": pass(2*time.Hour, run),
			"promotion": {Present: true, Passed: false, Age: time.Hour, RunURL: run, ObservedAt: at.Add(-time.Hour)}, "health": pass(20*time.Minute, "")}),
		{Lane: "verireel/prod", Wave: 3, Driver: "verireel", Status: audit.StatusIdentityMismatch, Severity: blocked,
			Detail: "provider-target identity mismatch", Physical: phys, Projected: &proj},
	}
	for i := range rows {
		if l, ok := plan.Lane(rows[i].Lane); ok {
			rows[i].Stage = l.Stage
		}
	}
	in := CommentInput{Plan: plan, Lanes: rows, Verdict: verdict.Blocked,
		Totals: audit.Totals{Inspected: 10, Blocked: 3, Warning: 1, Counts: map[string]int{"complete": 6, "missing_provider_target": 1,
			"missing_target_id": 1, "identity_mismatch": 1, "future_provider": 1}},
		State: CommentState{Schema: CommentSchema, Lanes: map[string]string{}, ReportDigest: "sha256:" + strings.Repeat("e6", 32),
			ConfigDigest: plan.Digest(), HeadSHA: "4f1c2d3e4b5a69788796a5b4c3d2e1f001122334",
			RunURL: "https://github.com/acme/lanegate/actions/runs/123", Time: "2026-11-29T17:13:15Z", Version: "dev"},
		RunURL: "https://github.com/acme/lanegate/actions/runs/123", Limit: ctEvidenceLimit}
	for _, r := range rows {
		in.State.Lanes[r.Lane] = r.Status
	}
	decideCommentReadiness(&in)
	in.State.ResultDigest = commentDigest(in)
	return in
}

const (
	demoBegin = "<!-- demo:begin (go test ./internal/report -run TestREADMEDemo -update rewrites this block) -->\n"
	demoEnd   = "<!-- demo:end -->\n"
)

// demoBlock is the rendered demo as the README embeds it: headings two
// levels down so that they nest under the README's "### Demo".
func demoBlock(t testing.TB) string {
	body := RenderComment(demoInput(t))
	var b strings.Builder
	fence := false
	for _, line := range strings.SplitAfter(body, "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(line, "#") {
			line = "##" + line
		}
		b.WriteString(line)
	}
	return b.String()
}

// The README's demo block is exactly what the renderer prints for the demo
// input; -update rewrites it.
func TestREADMEDemo(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i, j := strings.Index(s, demoBegin), strings.Index(s, demoEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no demo block between %q and %q", demoBegin, demoEnd)
	}
	want := demoBlock(t)
	got := s[i+len(demoBegin) : j]
	if *updateGoldens {
		s = s[:i+len(demoBegin)] + "\n" + want + "\n" + s[j:]
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != "\n"+want+"\n" {
		t.Errorf("README.md demo block differs from the renderer (go test ./internal/report -run TestREADMEDemo -update rewrites it)\n--- renderer ---\n%s", want)
	}
}
