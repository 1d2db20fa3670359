package gate

import (
	"fmt"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/lanes"
)

// LaneAudit is what a lane's audit findings establish: whether its explicit
// provider-target row exists (and when it last changed), and the statuses of
// its blocked findings.
type LaneAudit struct {
	ProviderPresent bool
	// ProviderUpdatedAt is the provider-target row's updated_at as the last
	// finding carrying the row stated it; deploy and promotion evidence must
	// be observed after it.
	ProviderUpdatedAt string
	Blocked           []string
}

// AuditFolder folds a stream of audit findings into one LaneAudit per lane
// (context/instance). The zero value is not usable; use NewAuditFolder.
type AuditFolder struct{ lanes map[string]LaneAudit }

// NewAuditFolder returns an empty folder.
func NewAuditFolder() *AuditFolder { return &AuditFolder{lanes: map[string]LaneAudit{}} }

// Add folds one finding in. Every finding names its lane, even one that
// carries no record and blocks nothing.
func (a *AuditFolder) Add(f audit.Finding) {
	k := f.Context + "/" + f.Instance
	la := a.lanes[k]
	if f.Physical != nil {
		la.ProviderPresent = true
		la.ProviderUpdatedAt = f.Physical.UpdatedAt
	}
	if f.Severity == audit.SeverityBlocked {
		la.Blocked = append(la.Blocked, f.Status)
	}
	a.lanes[k] = la
}

// Lanes returns the folded audit facts by lane key.
func (a *AuditFolder) Lanes() map[string]LaneAudit { return a.lanes }

// AssembleHealth judges every lane of the trusted (base) plan by that plan's
// rules: its audit facts, its required evidence (evidence.Check against the
// provider-target row's updated_at) and its recorded audits over the plan's
// retire window. idx is the lanes' evidence as evidence.Latest returns it.
//
// A plan lane without audit facts has no provider-target row and so is never
// clean: no input is not a clean input. Lanes the findings name that are not
// in the plan keep their audit facts but are never marked audit-clean.
func AssembleHealth(plan *lanes.File, audits map[string]LaneAudit, idx evidence.Index, now time.Time) map[string]LaneHealth {
	health := map[string]LaneHealth{}
	for k, la := range audits {
		health[k] = LaneHealth{ProviderPresent: la.ProviderPresent, AuditProblems: la.Blocked}
	}
	if plan == nil {
		return health
	}
	for _, l := range plan.Lanes {
		h := health[l.Key]
		h.AuditClean = len(h.AuditProblems) == 0
		for _, v := range evidence.Check(l, idx[l.Key], audits[l.Key].ProviderUpdatedAt, now) {
			if !v.Fresh {
				h.EvidenceProblems = append(h.EvidenceProblems, v.Kind+" evidence: "+v.Reason)
			}
		}
		h.WindowProblems = RetireWindow(idx[l.Key][evidence.KindAudit], plan.RetireWindow, now)
		health[l.Key] = h
	}
	return health
}

// RetireWindow checks the recorded audits of a lane over the retire window
// ending at now: at least one passing audit at or before the window's start,
// and no failed audit inside it (strictly after the start). It returns the
// problems; none means the lane has been clean for the whole window.
func RetireWindow(audits []evidence.Record, window time.Duration, now time.Time) []string {
	start := now.Add(-window)
	var problems []string
	covered := false
	for _, r := range audits {
		if r.ObservedAt.After(start) && !r.Passed {
			problems = append(problems, fmt.Sprintf("an audit failed %s ago, inside the %s retire window", evidence.FormatAge(now.Sub(r.ObservedAt)), evidence.FormatAge(window)))
		}
		if !r.ObservedAt.After(start) && r.Passed {
			covered = true
		}
	}
	if !covered {
		problems = append(problems, fmt.Sprintf("no passing recorded audit from before the %s retire window: the lane has not been clean that long", evidence.FormatAge(window)))
	}
	return problems
}
