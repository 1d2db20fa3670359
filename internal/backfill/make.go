package backfill

import (
	"fmt"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/store"
)

// Make plans a backfill over the one snapshot scan delivers: the audit and
// the planner see exactly the same records (a tee), the audit's blocked
// findings other than missing_provider_target become the plan's
// preconditions (AuditBlocked), and the planner's items, totals and digest
// the plan's. lanesFile is the declared lanes (nil when there are none).
//
// When stage is not nil every row the plan creates is handed to it as it is
// planned, instead of being kept in the plan (EachCreate then refuses): a
// backend that streams rows into a staging area while it reads passes it.
//
// On error the plan is closed and nil.
func Make(filter audit.Filter, lanesFile *lanes.File, scan func(store.Visitor) error, stage func(Create) error) (*Plan, error) {
	p, err := NewPlan()
	if err != nil {
		return nil, err
	}
	var sink Sink = p
	if stage != nil {
		sink = stagingSink{p, stage}
	}
	g := &auditGate{}
	t := tee{a: audit.New(filter, lanesFile, g), p: NewPlanner(filter, sink)}
	if err := scan(t); err != nil {
		p.Close()
		return nil, err
	}
	if _, err := t.a.Finish(); err != nil {
		p.Close()
		return nil, err
	}
	totals, digest, err := t.p.Finish()
	if err != nil {
		p.Close()
		return nil, err
	}
	p.Totals, p.Digest, p.AuditBlocked = totals, digest, g.blocked
	return p, nil
}

// stagingSink keeps the items in the plan and hands the creates to stage.
type stagingSink struct {
	p     *Plan
	stage func(Create) error
}

func (k stagingSink) Item(it Item) error { return k.p.Item(it) }

func (k stagingSink) Create(c Create) error {
	k.p.staged++
	return k.stage(c)
}

// auditGate keeps the audit findings that refuse an apply.
type auditGate struct{ blocked []string }

func (g *auditGate) Finding(f audit.Finding) error {
	if f.Severity == audit.SeverityBlocked && f.Status != audit.StatusMissingProviderTarget {
		g.blocked = append(g.blocked, fmt.Sprintf("%s/%s %s", f.Context, f.Instance, f.Status))
	}
	return nil
}

func (g *auditGate) Lane(audit.LaneEntry) error { return nil }

// tee feeds one snapshot to the audit and the planner, so both decide on
// exactly the same records.
type tee struct {
	a *audit.Auditor
	p *Planner
}

func (t tee) Bindings(b store.Bindings) error {
	if err := t.a.Bindings(b); err != nil {
		return err
	}
	return t.p.Bindings(b)
}

func (t tee) Claims(c store.Claims) error    { return t.p.Claims(c) }
func (t tee) Prepare(rr *store.RouteRecords) { t.p.Prepare(rr) }

func (t tee) Route(rr *store.RouteRecords) error {
	if err := t.a.Route(rr); err != nil {
		return err
	}
	return t.p.Route(rr)
}
