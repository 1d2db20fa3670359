// Package backfill plans the creation of missing provider-target rows with
// Launchplane's backfill statuses and severities, and computes the plan
// digest an operator reviews before apply. It is pure: records in, plan out
// (Make returns a Plan value). Writing a plan is each backend's job: see
// backend.Applier, implemented in internal/backend/pg and internal/backend/fs.
package backfill

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/lanegate/lanegate/internal/verdict"
	"hash"
	"strings"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/pyjson"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// Statuses, in Launchplane's spelling (hyphens, except no_matching_routes).
const (
	StatusWouldCreate         = "would-create"
	StatusCreated             = "created"
	StatusSkippedExists       = "skipped-exists"
	StatusSkippedIncomplete   = "skipped-incomplete"
	StatusSkippedConflict     = "skipped-conflict"
	StatusUnsupportedProvider = "unsupported-provider"
	StatusNoMatchingRoutes    = "no_matching_routes"
	// lanegate addition: a record on the route could not be read.
	StatusInvalidRecord = "invalid_record"
)

// Schema identifies lanegate's backfill report format.
const Schema = "lanegate.backfill/v1"

// SourceLabel is the source_label of every row a backfill apply writes. It
// is one stable value, not per run: the plan shows and the digest covers
// exactly the row apply writes, and a reviewed digest must still match at
// apply time, so nothing run-specific can be in the row. The run that wrote
// a row is recorded separately (run_id in the run record).
const SourceLabel = "lanegate:backfill"

// Item is one route's plan entry, with exactly Launchplane's item keys.
type Item struct {
	Context    string                 `json:"context"`
	Detail     string                 `json:"detail"`
	Instance   string                 `json:"instance"`
	Physical   *record.ProviderTarget `json:"physical_record,omitempty"`
	Projected  *record.ProviderTarget `json:"projected_record,omitempty"`
	ProviderID string                 `json:"provider_id"`
	Severity   string                 `json:"severity"`
	Status     string                 `json:"status"`
}

// Route returns the item's route.
func (it Item) Route() store.Route { return store.Route{Context: it.Context, Instance: it.Instance} }

// Create is one row apply would write on its route (where no
// provider-target row exists: the precondition the digest covers).
type Create struct {
	Route  store.Route
	Record *record.ProviderTarget
}

// Sink receives plan items and creates in route order.
type Sink interface {
	Item(it Item) error
	Create(c Create) error
}

// Totals are the plan's counters.
type Totals struct {
	Inspected int
	Blocked   int
	Warning   int
	Creates   int
	Counts    map[string]int
}

// Status is the plan's counts alone as a status ("ok"/"blocked"); a
// report's status is Verdict, which also knows about refusals.
func (t Totals) Status() string { return string(verdict.FromCounts(t.Blocked)) }

// Verdict is the backfill's outcome, decided here once from the final
// totals (after apply's rewrites), whether an apply was asked for and why it
// was refused ("" when it was not):
//   - an apply that was refused wrote nothing: refused;
//   - a blocked item, or a dry run whose apply would be refused: blocked;
//   - otherwise ok (warnings do not block).
func Verdict(final Totals, apply bool, refusal string) verdict.Verdict {
	switch {
	case apply && refusal != "":
		return verdict.Refused
	case final.Blocked > 0 || refusal != "":
		return verdict.Blocked
	}
	return verdict.OK
}

// Decide plans one route following Launchplane's backfill table, plus
// lanegate's cross-route conflict check on would-create routes. claimed lists
// the other routes that hold (or would also get) this route's projected
// identity.
func Decide(rr *store.RouteRecords, claimed []store.Route) Item {
	it := Item{Context: rr.Context, Instance: rr.Instance, ProviderID: record.ProviderIDDokploy}
	set := func(status, severity, detail string) Item {
		it.Status, it.Severity, it.Detail = status, severity, detail
		return it
	}
	if len(rr.Invalid) > 0 {
		details := make([]string, len(rr.Invalid))
		for i, inv := range rr.Invalid {
			details[i] = inv.Detail()
		}
		return set(StatusInvalidRecord, audit.SeverityBlocked, strings.Join(details, "; "))
	}
	P, T, I := rr.Provider, rr.Target, rr.TargetID
	it.Physical = P
	if P != nil && P.ProviderID != record.ProviderIDDokploy {
		it.ProviderID = P.ProviderID
		return set(StatusUnsupportedProvider, audit.SeverityWarning, "explicit provider-target row is not managed by Dokploy backfill")
	}
	if T == nil || I == nil {
		var missing []string
		if T == nil {
			missing = append(missing, "target")
		}
		if I == nil {
			missing = append(missing, "target-id")
		}
		sev := audit.SeverityWarning
		if P != nil {
			sev = audit.SeverityBlocked
		}
		return set(StatusSkippedIncomplete, sev, "Dokploy route is incomplete; missing "+strings.Join(missing, ", "))
	}
	X, err := rr.Projection()
	if err != nil {
		return set(StatusInvalidRecord, audit.SeverityBlocked, "cannot project the Dokploy target and target-id records: "+err.Error())
	}
	it.Projected = X
	if P == nil {
		if len(claimed) > 0 {
			keys := make([]string, len(claimed))
			for i, r := range claimed {
				keys[i] = r.Key()
			}
			return set(StatusSkippedConflict, audit.SeverityBlocked, fmt.Sprintf(
				"projected identity %s/%s/%s is already bound to another route: %s",
				X.ProviderID, X.TargetCategory, X.TargetID, strings.Join(keys, ", ")))
		}
		// The item shows the row exactly as apply writes it: the projection
		// with lanegate's source label (a copy: the projection is shared
		// with the audit).
		row := *X
		row.SourceLabel = SourceLabel
		it.Projected = &row
		return set(StatusWouldCreate, audit.SeverityOK, "would create explicit provider-target row")
	}
	if P.AuthorityEqual(X) {
		return set(StatusSkippedExists, audit.SeverityOK, "explicit provider-target row already matches the Dokploy projection")
	}
	return set(StatusSkippedConflict, audit.SeverityBlocked, "existing provider-target row differs from the Dokploy projection")
}

// Planner is a store.ClaimsVisitor that plans each route as it arrives and
// folds every create into the plan digest.
type Planner struct {
	filter       audit.Filter
	claims       store.Claims
	sink         Sink
	digest       hash.Hash
	last         *store.Route
	Matched      int
	MatchedLanes map[store.Route]bool
	Totals       Totals
}

// NewPlanner builds a planner over the normalised filter.
func NewPlanner(filter audit.Filter, sink Sink) *Planner {
	p := &Planner{filter: filter.Normalize(), sink: sink, digest: sha256.New(),
		MatchedLanes: map[store.Route]bool{}, Totals: Totals{Counts: map[string]int{}}}
	p.digest.Write([]byte(DigestHeader))
	return p
}

// Bindings implements store.Visitor; the planner uses Claims instead.
func (p *Planner) Bindings(store.Bindings) error { return nil }

// Claims implements store.ClaimsVisitor.
func (p *Planner) Claims(c store.Claims) error {
	p.claims = c
	return nil
}

// Route implements store.Visitor.
func (p *Planner) Route(rr *store.RouteRecords) error {
	if p.last != nil && !p.last.Less(rr.Route) {
		return fmt.Errorf("store returned route %s after %s: routes must arrive in order", rr.Key(), p.last.Key())
	}
	r := rr.Route
	p.last = &r
	if !p.filter.Passes(rr, false) {
		return nil
	}
	p.Matched++
	if len(p.filter.Lanes) > 0 {
		p.MatchedLanes[rr.Route] = true
	}
	p.Totals.Inspected++
	it := Decide(rr, p.claims[rr.Route])
	if it.Status == StatusWouldCreate {
		c := Create{Route: rr.Route, Record: it.Projected}
		blob, ok := rr.Prepared.([]byte)
		if !ok {
			blob = createBlob(nil, c)
		}
		p.digest.Write(blob)
		p.Totals.Creates++
		if err := p.sink.Create(c); err != nil {
			return err
		}
	}
	return p.emit(it)
}

func (p *Planner) emit(it Item) error {
	p.Totals.Counts[it.Status]++
	switch it.Severity {
	case audit.SeverityBlocked:
		p.Totals.Blocked++
	case audit.SeverityWarning:
		p.Totals.Warning++
	}
	return p.sink.Item(it)
}

// Prepare implements store.Preparer: it encodes, off the visiting
// goroutine, what the digest folds in for a route that may be created.
func (p *Planner) Prepare(rr *store.RouteRecords) {
	if rr.Provider != nil || rr.Target == nil || rr.TargetID == nil || len(rr.Invalid) > 0 {
		return
	}
	X, err := rr.Projection()
	if err != nil {
		return
	}
	rr.Prepared = createBlob(nil, Create{Route: rr.Route, Record: X})
}

// DigestHeader starts every plan digest's input. v2 covers, per route,
// exactly what apply writes and the one precondition every backend can
// observe: the row (source label SourceLabel) and the absence of a
// provider-target row on the route. The Dokploy records the row is
// projected from are not folded in (v1 did): the Launchplane service never
// returns them, and they matter to an apply only through the row they
// project to, which the digest covers byte for byte.
const DigestHeader = "lanegate.backfill.plan/v2\n"

// createBlob appends what one create adds to the digest: the route, the row
// exactly as apply writes it (source label SourceLabel) in Launchplane's
// canonical encoding, and the precondition that the route has no
// provider-target row. Route parts are separated by 0x1f and each create
// ends with a newline; neither byte can end a JSON-encoded row early (the
// encoding escapes control characters), so the encoding is unambiguous.
func createBlob(dst []byte, c Create) []byte {
	row := *c.Record
	row.SourceLabel = SourceLabel
	dst = append(dst, "create\x1f"...)
	dst = append(dst, c.Route.Context...)
	dst = append(dst, '\x1f')
	dst = append(dst, c.Route.Instance...)
	dst = append(dst, '\n')
	dst = append(dst, row.EncodePython()...)
	return append(dst, "\nprecondition\x1fprovider-target-absent\n"...)
}

// Finish emits no_matching_routes items and returns the totals and digest.
func (p *Planner) Finish() (Totals, string, error) {
	for _, f := range audit.NoMatchFindings(p.filter, p.Matched, p.MatchedLanes) {
		providerID := p.filter.ProviderID
		if providerID == "" {
			providerID = record.ProviderIDDokploy
		}
		it := Item{Context: f.Context, Instance: f.Instance, Status: StatusNoMatchingRoutes, Severity: audit.SeverityBlocked,
			Detail: "provider-target backfill filters did not match any stored route", ProviderID: providerID}
		if err := p.emit(it); err != nil {
			return p.Totals, "", err
		}
	}
	return p.Totals, "sha256:" + hex.EncodeToString(p.digest.Sum(nil)), nil
}

// AppendJSON appends the item as compact JSON, the same bytes encoding/json
// writes with HTML escaping off, without reflection.
func (it Item) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"context":`...)
	dst = pyjson.AppendString(dst, it.Context)
	dst = append(dst, `,"detail":`...)
	dst = pyjson.AppendString(dst, it.Detail)
	dst = append(dst, `,"instance":`...)
	dst = pyjson.AppendString(dst, it.Instance)
	if it.Physical != nil {
		dst = append(dst, `,"physical_record":`...)
		dst = it.Physical.AppendJSON(dst)
	}
	if it.Projected != nil {
		dst = append(dst, `,"projected_record":`...)
		dst = it.Projected.AppendJSON(dst)
	}
	dst = append(dst, `,"provider_id":`...)
	dst = pyjson.AppendString(dst, it.ProviderID)
	dst = append(dst, `,"severity":`...)
	dst = pyjson.AppendString(dst, it.Severity)
	dst = append(dst, `,"status":`...)
	dst = pyjson.AppendString(dst, it.Status)
	return append(dst, '}')
}
