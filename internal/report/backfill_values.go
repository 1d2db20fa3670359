package report

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/record"
)

// field is one named value of a provider-target row as a reviewer sees it.
type field struct{ name, value string }

// rowFields lists the values a row holds, in the order Launchplane's
// record lists them. Evidence is one field, its keys sorted.
func rowFields(p *record.ProviderTarget) []field {
	keys := make([]string, 0, len(p.ProviderEvidence))
	for k := range p.ProviderEvidence {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ev := make([]string, len(keys))
	for i, k := range keys {
		ev[i] = k + "=" + p.ProviderEvidence[k]
	}
	evidence := strings.Join(ev, ", ")
	if evidence == "" {
		evidence = "(none)"
	}
	return []field{
		{"provider_id", p.ProviderID},
		{"target_id", p.TargetID},
		{"category/type", p.TargetCategory + "/" + p.ProviderTargetType},
		{"display_name", p.DisplayName},
		{"provider_evidence", evidence},
		{"updated_at", p.UpdatedAt},
		{"source_label", p.SourceLabel},
	}
}

// decodeRow reads a spooled record; nil when there is none.
func decodeRow(raw json.RawMessage) (*record.ProviderTarget, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	return record.DecodeProviderTarget(raw)
}

// reviewText is what a reviewer needs beside an item's detail: for a row
// apply writes (or wrote), every value of it; for a conflict, each field
// where the stored row and the projection differ. code formats a value
// (a Markdown code span, or plain text for the terminal). "" when there is
// nothing to add.
func reviewText(it backfill.RawItem, code func(string) string) (string, error) {
	switch it.Status {
	case backfill.StatusWouldCreate, backfill.StatusCreated:
		p, err := decodeRow(it.Projected)
		if err != nil || p == nil {
			return "", err
		}
		parts := []string{}
		for _, f := range rowFields(p) {
			if f.name == "provider_id" {
				continue // the item's provider_id column says it
			}
			parts = append(parts, f.name+" "+code(f.value))
		}
		return strings.Join(parts, " · "), nil
	case backfill.StatusSkippedConflict:
		phys, err := decodeRow(it.Physical)
		if err != nil {
			return "", err
		}
		proj, err := decodeRow(it.Projected)
		if err != nil || phys == nil || proj == nil {
			return "", err
		}
		return fieldDiffs(phys, proj, code), nil
	}
	return "", nil
}

// fieldDiffs names each authority field where the stored (physical) row
// differs from the Dokploy projection: "field: physical X ≠ projected Y".
// updated_at and source_label never decide a conflict and are left out.
func fieldDiffs(phys, proj *record.ProviderTarget, code func(string) string) string {
	a, b := rowFields(phys), rowFields(proj)
	var parts []string
	for i := range a {
		if a[i].name == "updated_at" || a[i].name == "source_label" || a[i].value == b[i].value {
			continue
		}
		parts = append(parts, a[i].name+": physical "+code(a[i].value)+" ≠ projected "+code(b[i].value))
	}
	return strings.Join(parts, "; ")
}

// mdCode is a Markdown code span safe in a table cell.
func mdCode(s string) string { return "`" + mdCell(s) + "`" }

// plainValue quotes a value for the terminal table, on one line.
func plainValue(s string) string { return "\"" + oneLine(s) + "\"" }

// ApplyInputs are the backfill workflow's inputs that apply the reviewed
// plan, printed at the end of a dry run's summary ready to paste.
type ApplyInputs struct {
	Lanes        []string // CONTEXT/INSTANCE of the dry run's --lane filters; empty = every lane
	Confirmation string   // the workflow's confirmation phrase
}

// applyInputsBlock renders the ready-to-paste apply inputs.
func applyInputsBlock(h Backfill) string {
	// Backticks would end the code block early; lane names never hold them.
	lanes := strings.ReplaceAll(oneLine(strings.Join(h.Apply.Lanes, ",")), "`", "'")
	var b strings.Builder
	b.WriteString("### Apply this plan\n\nRun the `provider-target-backfill` workflow again with these inputs (and a reason):\n\n```text\n")
	b.WriteString("mode: backfill-apply\n")
	b.WriteString("lanes: " + lanes + "\n")
	b.WriteString("plan_digest: " + h.Plan.Digest + "\n")
	b.WriteString("confirmation: " + h.Apply.Confirmation + "\n")
	b.WriteString("```\n")
	if lanes == "" {
		b.WriteString("\n_`lanes` empty: the plan covers every lane._\n")
	}
	return b.String()
}
