package backfill

import (
	"fmt"
	"strings"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/spool"
	"github.com/lanegate/lanegate/internal/store"
	"github.com/lanegate/lanegate/internal/verdict"
)

// Plan is one backfill plan as a value: what pure planning code decided
// over one snapshot (Make), and what an apply did with it (Outcome). An
// Applier re-makes the plan under its backend's lock, asks Refusal whether
// it may write, and records what it did in Outcome; renderers only render
// it.
//
// The items, and the rows to create, are spooled to temporary files so a
// plan over a million routes stays small in memory: call Close when done.
type Plan struct {
	Totals Totals
	Digest string
	// AuditBlocked lists the blocked audit findings other than
	// missing_provider_target ("ctx/inst status"): each refuses an apply.
	AuditBlocked []string
	Outcome      Outcome

	items   *spool.Spool
	creates *spool.Spool // nil until the first spooled create
	staged  int          // creates handed to a stage func instead of the spool

	final *finalTotals // FinalTotals' cache
}

// Outcome is what an apply did to the plan.
type Outcome struct {
	Applied   bool                 // an apply ran (whatever it decided); Launchplane's "mode": "apply"
	Created   bool                 // every would-create row was written; Launchplane's "applied"
	Conflicts map[store.Route]bool // planned rows a concurrent writer got to first
	Refusal   string               // why nothing was written, "" if not refused
	// Lanes is what a per-route apply (the Launchplane service applies one
	// route per call, so it cannot be all-or-nothing) did on each planned
	// create; nil for an all-or-nothing apply. Each would-create item is
	// rewritten by its lane's state (see LaneState).
	Lanes map[store.Route]LaneOutcome
}

// LaneState is what a per-route apply did on one planned create.
type LaneState string

const (
	// LaneCreated: the row was written by this apply: the item is created.
	LaneCreated LaneState = "created"
	// LaneReplayed: an earlier attempt of the same plan wrote the row (the
	// service replayed its stored answer): the item is created.
	LaneReplayed LaneState = "replayed"
	// LaneExists: the row was already there, matching: skipped-exists.
	LaneExists LaneState = "exists"
	// LaneRefused: the store refused the write (nothing written):
	// skipped-conflict, blocked, with the store's detail.
	LaneRefused LaneState = "refused"
	// LaneFailed: the call failed; whether it wrote is unknown for a
	// network error: apply-failed, blocked.
	LaneFailed LaneState = "failed"
	// LaneNotAttempted: an earlier lane stopped the apply: the item stays
	// would-create with detail NotAttemptedDetail.
	LaneNotAttempted LaneState = "not-attempted"
)

// LaneOutcome is one planned create's fate in a per-route apply.
type LaneOutcome struct {
	State   LaneState
	Detail  string // the store's detail, or the error
	TraceID string // the store's trace id of the lane's call, if any
}

// StatusApplyFailed is lanegate's item status for a planned create whose
// per-route apply call failed (blocked): the row may or may not exist.
const StatusApplyFailed = "apply-failed"

// NotAttemptedDetail is the detail of a planned create a per-route apply
// did not reach.
const NotAttemptedDetail = "not attempted: an earlier lane failed"

// PerRouteNote is what a per-route apply's report says about its
// semantics.
const PerRouteNote = "the store applies one route per call, so cross-route all-or-nothing is impossible: lanegate stopped at the first lane that failed or was refused; the items say exactly which lanes were created, replayed or refused; a re-run (new dry run, new digest, apply) converges"

// NewPlan is an empty plan whose items are added through Item (and rows
// through Create); Make is the usual way to get one.
func NewPlan() (*Plan, error) {
	items, err := spool.New("lanegate-items-*.jsonl")
	if err != nil {
		return nil, err
	}
	return &Plan{items: items}, nil
}

// Close removes the plan's spools.
func (p *Plan) Close() {
	p.items.Close()
	p.creates.Close()
}

// Item implements Sink: the item is spooled.
func (p *Plan) Item(it Item) error { return p.items.Add(it) }

// Create implements Sink: only the row is kept (the digest already covers
// the source records).
func (p *Plan) Create(c Create) error {
	if p.creates == nil {
		s, err := spool.New("lanegate-creates-*.jsonl")
		if err != nil {
			return err
		}
		p.creates = s
	}
	return p.creates.Add(c.Record)
}

// ItemCount is how many items the plan holds.
func (p *Plan) ItemCount() int { return p.items.Len() }

// EachCreate replays the rows to create in route order. A plan whose rows
// went to a stage func (Make) has none to replay and says so.
func (p *Plan) EachCreate(fn func(*record.ProviderTarget) error) error {
	if p.staged > 0 {
		return fmt.Errorf("the plan's %d row(s) were staged while planning, not kept", p.staged)
	}
	if p.creates == nil {
		return nil
	}
	return p.creates.Each(func(line []byte) error {
		row, err := record.DecodeProviderTarget(line)
		if err != nil {
			return fmt.Errorf("read planned row back: %w", err)
		}
		return fn(row)
	})
}

// DryRunRefusalLead starts a dry run's refusal (the JSON "refusal" key):
// what the apply would do, before why.
const DryRunRefusalLead = "an apply would be refused"

// Refusal says why an apply of this plan must not write, or "" when it may.
// reviewedDigest is the --plan-digest of the reviewed dry run: a plan that
// creates rows is refused unless its digest is that one.
func (p *Plan) Refusal(reviewedDigest string) string {
	if len(p.AuditBlocked) > 0 {
		shown := p.AuditBlocked
		if len(shown) > 10 {
			shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(p.AuditBlocked)-10))
		}
		return "the audit in scope has blocked findings other than missing_provider_target: " + strings.Join(shown, ", ")
	}
	if p.Totals.Blocked > 0 {
		return fmt.Sprintf("the plan has %d blocked item(s); one blocked route refuses every write", p.Totals.Blocked)
	}
	if p.Totals.Creates > 0 && p.Digest != reviewedDigest {
		return fmt.Sprintf("the data changed since the reviewed plan: --plan-digest %s does not match the fresh plan %s; review a new dry run", reviewedDigest, p.Digest)
	}
	return ""
}

// DryRunRefusal is a dry run's refusal: what would stop its apply that the
// plan's own blocked items do not already say (the audit's blocked
// findings), so a dry run never looks approvable when it is not. "" when
// nothing outside the plan refuses it.
func (p *Plan) DryRunRefusal() string {
	if len(p.AuditBlocked) == 0 {
		return ""
	}
	return DryRunRefusalLead + ": " + p.Refusal("")
}

// StartApply marks the plan as applied and decides whether the apply
// writes: not when it is refused (Outcome.Refusal says why) and not when
// there is nothing to create (a no-op that succeeds).
func (p *Plan) StartApply(reviewedDigest string) (write bool) {
	p.Outcome.Applied = true
	if p.Outcome.Refusal = p.Refusal(reviewedDigest); p.Outcome.Refusal != "" {
		return false
	}
	return p.Totals.Creates > 0
}

// transform rewrites a would-create item per the outcome, as Launchplane's
// apply phase does.
func (o Outcome) transform(it RawItem) RawItem {
	if it.Status != StatusWouldCreate {
		return it
	}
	if o.Lanes != nil {
		return o.transformLane(it)
	}
	if o.Conflicts[store.Route{Context: it.Context, Instance: it.Instance}] {
		it.Status, it.Severity = StatusSkippedConflict, audit.SeverityBlocked
		it.Detail = "provider-target row changed before backfill could create it"
		return it
	}
	if o.Created {
		it.Status, it.Detail = StatusCreated, "created explicit provider-target row"
	}
	return it
}

// transformLane rewrites a would-create item by its lane's per-route
// outcome. A planned create the apply has no outcome for was not attempted.
func (o Outcome) transformLane(it RawItem) RawItem {
	lo, ok := o.Lanes[store.Route{Context: it.Context, Instance: it.Instance}]
	if !ok {
		lo.State = LaneNotAttempted
	}
	with := func(base, detail string) string {
		if detail == "" || detail == base {
			return base
		}
		return base + ": " + detail
	}
	switch lo.State {
	case LaneCreated:
		it.Status, it.Detail = StatusCreated, "created explicit provider-target row"
	case LaneReplayed:
		it.Status, it.Detail = StatusCreated, "created explicit provider-target row (replayed: an earlier attempt of this plan created it)"
	case LaneExists:
		it.Status, it.Detail = StatusSkippedExists, "explicit provider-target row already matches the Dokploy projection"
	case LaneRefused:
		it.Status, it.Severity = StatusSkippedConflict, audit.SeverityBlocked
		it.Detail = with("the store refused the write, nothing written", lo.Detail)
	case LaneFailed:
		it.Status, it.Severity = StatusApplyFailed, audit.SeverityBlocked
		it.Detail = with("the apply call failed; audit the lane before a re-run", lo.Detail)
	default:
		it.Detail = NotAttemptedDetail
	}
	return it
}

// finalTotals caches FinalTotals for one outcome.
type finalTotals struct {
	key     string
	totals  Totals
	created int
}

// FinalTotals are the plan's totals after the outcome's rewrites, and how
// many rows were created (cached per outcome).
func (p *Plan) FinalTotals() (Totals, int, error) {
	o := p.Outcome
	key := fmt.Sprintf("%t/%t/%d/%q/%d/%d", o.Applied, o.Created, len(o.Conflicts), o.Refusal, p.items.Len(), len(o.Lanes))
	if p.final != nil && p.final.key == key {
		return p.final.totals, p.final.created, nil
	}
	var t Totals
	var created int
	if len(o.Conflicts) == 0 && o.Lanes == nil && p.Totals.Counts != nil {
		// Without conflicts the outcome only renames would-create items
		// (ok either way), so the plan's counters give the answer without
		// replaying the spool.
		t, created = p.renamedTotals()
	} else {
		var err error
		if t, created, err = p.replayTotals(); err != nil {
			return t, created, err
		}
	}
	p.final = &finalTotals{key: key, totals: t, created: created}
	return t, created, nil
}

// renamedTotals is FinalTotals from the plan's counters alone.
func (p *Plan) renamedTotals() (Totals, int) {
	t := Totals{Inspected: p.Totals.Inspected, Creates: p.Totals.Creates, Counts: map[string]int{},
		Blocked: p.Totals.Blocked, Warning: p.Totals.Warning}
	for k, v := range p.Totals.Counts {
		t.Counts[k] = v
	}
	created := 0
	if p.Outcome.Created {
		if n := t.Counts[StatusWouldCreate]; n > 0 {
			t.Counts[StatusCreated] += n
			created = t.Counts[StatusCreated]
			delete(t.Counts, StatusWouldCreate)
		}
	}
	return t, created
}

// replayTotals recounts the spooled items as the outcome rewrites them.
func (p *Plan) replayTotals() (Totals, int, error) {
	t := Totals{Inspected: p.Totals.Inspected, Creates: p.Totals.Creates, Counts: map[string]int{}}
	created := 0
	err := p.EachRaw(func(it RawItem) error {
		t.Counts[it.Status]++
		switch it.Severity {
		case audit.SeverityBlocked:
			t.Blocked++
		case audit.SeverityWarning:
			t.Warning++
		}
		if it.Status == StatusCreated {
			created++
		}
		return nil
	})
	return t, created, err
}

// Verdict decides the plan's verdict once, from the final totals and the
// outcome (see the Verdict function).
func (p *Plan) Verdict() (verdict.Verdict, error) {
	final, _, err := p.FinalTotals()
	if err != nil {
		return "", err
	}
	return Verdict(final, p.Outcome.Applied, p.Outcome.Refusal), nil
}

// EachRaw replays the items in plan order with the outcome's rewrites,
// their records left as raw JSON.
func (p *Plan) EachRaw(fn func(RawItem) error) error {
	o := p.Outcome
	return p.items.Each(func(line []byte) error {
		it, err := decodeRaw(line)
		if err != nil {
			return err
		}
		return fn(o.transform(it))
	})
}

// EachItem replays the items with the outcome's rewrites, records decoded.
func (p *Plan) EachItem(fn func(Item) error) error {
	return p.EachRaw(func(raw RawItem) error {
		it, err := raw.Decode()
		if err != nil {
			return err
		}
		return fn(it)
	})
}

// EachSummary replays the items with the outcome's rewrites, without their
// records.
func (p *Plan) EachSummary(fn func(Item) error) error {
	return p.EachRaw(func(raw RawItem) error { return fn(raw.Summary()) })
}
