package backfill

import "github.com/lanegate/lanegate/internal/store"

// Plan is one backfill plan as a value: what pure planning code decided
// over one snapshot. Apply takes a Plan re-made under the backend's lock and
// records what it did in Outcome; renderers only render it.
//
// (Skeleton: the items and rows move here from report.BackfillBuilder.)
type Plan struct {
	Totals Totals
	Digest string
	// AuditBlocked lists the blocked audit findings other than
	// missing_provider_target ("ctx/inst status"): each refuses an apply.
	AuditBlocked []string
	Outcome      Outcome
}

// Outcome is what an apply did to the plan.
type Outcome struct {
	Applied   bool                 // an apply ran (whatever it decided)
	Created   bool                 // every would-create row was written
	Conflicts map[store.Route]bool // rows that appeared at write time
	Refusal   string               // why nothing was written, "" if not refused
}
