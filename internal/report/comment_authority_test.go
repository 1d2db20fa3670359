package report

import (
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/verdict"
)

// Authority evidence shows in the evidence column like every other kind,
// one kind a line: the table keeps its five columns.
func TestCommentShowsAuthority(t *testing.T) {
	const plan = `schema_version: 1
lanes:
  - {route: a/prod, product: a, driver: odoo, wave: 1, evidence: {authority: {max_age: 1d}}}
  - {route: b/prod, product: b, driver: odoo, wave: 1, evidence: {authority: {max_age: 1d}}}
  - {route: c/prod, product: c, driver: odoo, wave: 1, evidence: {}}
`
	p := ctParsePlan(t, plan)
	ok := audit.SeverityOK
	rows := []CommentLane{
		{Lane: "a/prod", Wave: 1, Driver: "odoo", Stage: "dokploy", Status: audit.StatusComplete, Severity: ok,
			Evidence: map[string]EvidenceCell{"authority": ctFresh(time.Hour, "")}},
		{Lane: "b/prod", Wave: 1, Driver: "odoo", Stage: "dokploy", Status: audit.StatusComplete, Severity: ok, Evidence: map[string]EvidenceCell{}},
		{Lane: "c/prod", Wave: 1, Driver: "odoo", Stage: "dokploy", Status: audit.StatusComplete, Severity: ok, Evidence: map[string]EvidenceCell{}},
	}
	in := CommentInput{Plan: p, Lanes: rows, Verdict: verdict.OK, Totals: audit.Totals{Inspected: 3, Counts: map[string]int{"complete": 3}},
		State: CommentState{Schema: CommentSchema, Lanes: map[string]string{}, ConfigDigest: p.Digest(), Time: "2026-05-01T10:00:00Z"},
		Limit: ctEvidenceLimit}
	decideCommentReadiness(&in)
	body := commentFull(in)
	var a, b, c string
	for _, line := range strings.Split(body, "\n") {
		switch {
		case strings.Contains(line, "`a/prod`"):
			a = line
		case strings.Contains(line, "`b/prod`"):
			b = line
		case strings.Contains(line, "`c/prod`"):
			c = line
		}
	}
	if !strings.Contains(a, "authority ") || strings.Count(a, " | ") != 4 {
		t.Errorf("a/prod row: %q", a)
	}
	if !strings.Contains(b, "authority ") || !strings.Contains(b, "lanegate evidence collect") {
		t.Errorf("b/prod row (required, missing): %q", b)
	}
	if strings.Contains(c, "authority") {
		t.Errorf("c/prod row (not required, none): %q", c)
	}
	if !strings.Contains(body, "| | lane | audit | evidence | next step |") {
		t.Errorf("the table has other columns:\n%s", body)
	}
}
