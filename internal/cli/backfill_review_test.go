package cli_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/backfill"
)

// The plan an operator reviews shows, per would-create row, the record
// apply writes byte for byte, source label included (issue #15 item 1).
func TestBackfillPlanShowsTheRowApplyWrites(t *testing.T) {
	t.Parallel()
	fleet := bfBaseFleet()
	bfEachStore(t, fleet, func(t *testing.T, s bfStore) {
		plan, _ := bfDryRun(t, s)
		planned := map[string]bfItem{}
		for _, it := range plan.Items {
			if it.Status == backfill.StatusWouldCreate {
				planned[it.key()] = it
				if it.Projected == nil || it.Projected.SourceLabel != backfill.SourceLabel {
					t.Errorf("%s: planned source_label %+v, want %q", it.key(), it.Projected, backfill.SourceLabel)
				}
			}
		}
		table := bfBackfill(t, s, "--format", "table")
		md := bfBackfill(t, s, "--format", "markdown")
		for k, it := range planned {
			p := it.Projected
			for _, want := range []string{p.TargetID, p.TargetCategory + "/" + p.ProviderTargetType, p.DisplayName, backfill.SourceLabel, p.UpdatedAt} {
				if !strings.Contains(table.Stdout, want) || !strings.Contains(md.Stdout, want) {
					t.Errorf("%s: value %q missing from the table or Markdown plan:\n%s\n%s", k, want, table.Stdout, md.Stdout)
				}
			}
			for ek := range p.ProviderEvidence {
				if !strings.Contains(md.Stdout, ek) {
					t.Errorf("%s: evidence key %q missing from the Markdown plan", k, ek)
				}
			}
		}
		if out := bfApply(t, s, plan.PlanDigest); out.Code != 0 {
			t.Fatalf("apply: %s", out)
		}
		got := s.created(t)
		if len(got) != len(planned) {
			t.Fatalf("created %d rows, planned %d", len(got), len(planned))
		}
		for k, it := range planned {
			if !reflect.DeepEqual(got[k], it.Projected) {
				t.Errorf("%s: apply wrote\n %+v\nthe plan showed\n %+v", k, got[k], it.Projected)
			}
		}
	})
}
