package evidence

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AuditLane is one lane's audit outcome as audit evidence records it (the
// command layer builds it from an audit lane entry).
type AuditLane struct {
	Lane        string         // "context/instance"
	WorstStatus string         // the lane's worst finding status
	Severity    string         // ok, warning or blocked
	Counts      map[string]int // findings per status
}

// AuditSeverityBlocked is audit.SeverityBlocked, the severity whose lanes
// fail their audit evidence. evidence does not import audit for it: the
// command layer, which converts audit lane entries (and imports both),
// pins the two equal in a test.
const AuditSeverityBlocked = "blocked"

// AuditRecords turns audited lanes into audit evidence observed at now: one
// record per lane, passed unless the lane's severity is blocked, with
// detail {"verdict": worst status, "severity": severity, "counts":
// "status:n,..."} (counts sorted by status). The records are normalised;
// an invalid source or lane is an error wrapping a *ValidationError, and
// nothing is returned.
func AuditRecords(entries []AuditLane, src Source, now time.Time) ([]Record, error) {
	out := make([]Record, 0, len(entries))
	for _, e := range entries {
		r := Record{
			Lane:       e.Lane,
			Kind:       KindAudit,
			Passed:     e.Severity != AuditSeverityBlocked,
			ObservedAt: now,
			Source:     src,
			Detail: map[string]string{
				"verdict":  Truncate(e.WorstStatus, MaxDetailValueLen),
				"severity": Truncate(e.Severity, MaxDetailValueLen),
				"counts":   formatCounts(e.Counts),
			},
		}
		n, err := r.Normalize()
		if err != nil {
			return nil, fmt.Errorf("audit evidence for %s: %w", e.Lane, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// formatCounts renders {"complete":1} as "complete:1", sorted by status and
// cut to the detail value limit at an entry boundary.
func formatCounts(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		part := k + ":" + strconv.Itoa(counts[k])
		sep := ""
		if b.Len() > 0 {
			sep = ","
		}
		if b.Len()+len(sep)+len(part) > MaxDetailValueLen-4 {
			b.WriteString(",...")
			break
		}
		b.WriteString(sep + part)
	}
	return b.String()
}
