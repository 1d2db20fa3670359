package report

import (
	"reflect"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/store"
)

// TestFinalTotalsMatchReplay: the totals FinalTotals derives from the plan's
// counters equal a recount of every spooled item, for each outcome.
func TestFinalTotalsMatchReplay(t *testing.T) {
	items := []backfill.Item{
		{Context: "a", Instance: "p", Status: backfill.StatusWouldCreate, Severity: audit.SeverityOK},
		{Context: "b", Instance: "p", Status: backfill.StatusWouldCreate, Severity: audit.SeverityOK},
		{Context: "c", Instance: "p", Status: backfill.StatusSkippedExists, Severity: audit.SeverityOK},
		{Context: "d", Instance: "p", Status: backfill.StatusSkippedIncomplete, Severity: audit.SeverityWarning},
		{Context: "e", Instance: "p", Status: backfill.StatusUnsupportedProvider, Severity: audit.SeverityWarning},
		{Context: "f", Instance: "p", Status: backfill.StatusSkippedConflict, Severity: audit.SeverityBlocked},
	}
	plan := backfill.Totals{Inspected: len(items), Creates: 2, Counts: map[string]int{}}
	for _, it := range items {
		plan.Counts[it.Status]++
		switch it.Severity {
		case audit.SeverityBlocked:
			plan.Blocked++
		case audit.SeverityWarning:
			plan.Warning++
		}
	}
	for _, o := range []Outcome{
		{},
		{Applied: true},
		{Applied: true, Created: true},
		{Applied: true, Conflicts: map[store.Route]bool{{Context: "b", Instance: "p"}: true}, Refusal: "x"},
	} {
		b, err := NewBackfillBuilder()
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if err := b.Item(it); err != nil {
				t.Fatal(err)
			}
		}
		h := BackfillHeader{Totals: plan, Outcome: o}
		got, gotCreated, err := b.FinalTotals(h)
		if err != nil {
			t.Fatal(err)
		}
		want, wantCreated, err := b.replayTotals(h)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || gotCreated != wantCreated {
			t.Errorf("outcome %+v: FinalTotals %+v (%d created), replay %+v (%d created)", o, got, gotCreated, want, wantCreated)
		}
		if o.Created && (gotCreated != 2 || got.Counts[backfill.StatusWouldCreate] != 0) {
			t.Errorf("a successful apply: %+v, %d created", got, gotCreated)
		}
		b.Close()
	}
}
