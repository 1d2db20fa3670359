package report

import (
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/verdict"
)

func TestFieldDiffsNamesEachDifferingAuthorityField(t *testing.T) {
	a := &record.ProviderTarget{ProviderID: "dokploy", TargetCategory: "compose", TargetID: "old", DisplayName: "x",
		ProviderTargetType: "compose", ProviderEvidence: map[string]string{"project_name": "p"}, UpdatedAt: "1", SourceLabel: "a"}
	b := *a
	b.TargetID, b.DisplayName, b.UpdatedAt, b.SourceLabel = "new", "y", "2", "b"
	got := fieldDiffs(a, &b, mdCode)
	want := "target_id: physical `old` ≠ projected `new`; display_name: physical `x` ≠ projected `y`"
	if got != want {
		t.Errorf("fieldDiffs = %q, want %q (updated_at and source_label never decide)", got, want)
	}
}

func TestApplyInputsOnlyForAnApplicableDryRun(t *testing.T) {
	ready := func() Backfill {
		return Backfill{Plan: &backfill.Plan{Digest: "sha256:" + strings.Repeat("a", 64), Totals: backfill.Totals{Creates: 2}},
			Verdict: verdict.OK, Apply: &ApplyInputs{Lanes: []string{"cm/prod", "opw/prod"}, Confirmation: "APPLY PROVIDER TARGET BACKFILL"}}
	}
	h := ready()
	if !h.applyReady() {
		t.Fatal("an ok dry run with creates should print its apply inputs")
	}
	block := applyInputsBlock(h)
	for _, want := range []string{"mode: backfill-apply\n", "lanes: cm/prod,opw/prod\n", "plan_digest: " + h.Plan.Digest + "\n", "confirmation: APPLY PROVIDER TARGET BACKFILL\n"} {
		if !strings.Contains(block, want) {
			t.Errorf("apply inputs lack %q:\n%s", want, block)
		}
	}
	for name, mod := range map[string]func(*Backfill){
		"blocked":    func(h *Backfill) { h.Verdict = verdict.Blocked },
		"applied":    func(h *Backfill) { h.Plan.Outcome.Applied = true },
		"no creates": func(h *Backfill) { h.Plan.Totals.Creates = 0 },
		"no inputs":  func(h *Backfill) { h.Apply = nil },
	} {
		c := ready()
		mod(&c)
		if c.applyReady() {
			t.Errorf("%s: apply inputs printed", name)
		}
	}
}
