package cli

import (
	"reflect"
	"testing"

	"github.com/lanegate/lanegate/internal/actions"
	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/evidence"
)

func TestRecordSourceFromRunInfo(t *testing.T) {
	got := sourceFromRunInfo(actions.RunInfo{SHA: "abc1234", RunURL: "https://github.com/o/r/actions/runs/5", RunID: "5", RunAttempt: "1", Actor: "me"})
	want := evidence.Source{RunURL: "https://github.com/o/r/actions/runs/5", RunID: "5", RunAttempt: "1", SHA: "abc1234", Actor: "me"}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestRecordAuditLaneFromEntry(t *testing.T) {
	tests := []struct {
		in   audit.LaneEntry
		want evidence.AuditLane
	}{
		{audit.LaneEntry{Lane: "a/x", Context: "a", Instance: "x", WorstStatus: "complete", Severity: "ok", Statuses: []string{"complete"}},
			evidence.AuditLane{Lane: "a/x", WorstStatus: "complete", Severity: "ok", Counts: map[string]int{"complete": 1}}},
		{audit.LaneEntry{Lane: "b/y", WorstStatus: "category_mismatch", Severity: "blocked", Statuses: []string{"category_mismatch", "display_name_mismatch"}},
			evidence.AuditLane{Lane: "b/y", WorstStatus: "category_mismatch", Severity: "blocked", Counts: map[string]int{"category_mismatch": 1, "display_name_mismatch": 1}}},
		{audit.LaneEntry{Lane: "c/z", WorstStatus: "missing_route", Severity: "blocked"},
			evidence.AuditLane{Lane: "c/z", WorstStatus: "missing_route", Severity: "blocked", Counts: map[string]int{"missing_route": 1}}},
	}
	for _, tt := range tests {
		if got := auditLaneFromEntry(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("auditLaneFromEntry(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// evidence fails a blocked lane's audit evidence by its own copy of the
// severity name: it must stay audit's, or blocked lanes would record a pass.
func TestRecordBlockedSeverityPinned(t *testing.T) {
	if evidence.AuditSeverityBlocked != audit.SeverityBlocked {
		t.Fatalf("evidence.AuditSeverityBlocked = %q, audit.SeverityBlocked = %q", evidence.AuditSeverityBlocked, audit.SeverityBlocked)
	}
}
