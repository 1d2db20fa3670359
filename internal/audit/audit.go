// Package audit decides, route by route, whether each route's explicit
// provider-target row agrees with the projection of its Dokploy target and
// target-id records, with Launchplane's statuses, severities and order, plus
// lanegate's checks for declared lanes, invalid records and identities bound
// to more than one route. It is pure: records in, findings out.
package audit

import (
	"encoding/json"
	"fmt"
	"github.com/lanegate/lanegate/internal/verdict"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"

	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/pyjson"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// Statuses, in Launchplane's vocabulary plus lanegate's additions.
const (
	StatusComplete                   = "complete"
	StatusMissingProviderTarget      = "missing_provider_target"
	StatusMissingDokployPair         = "missing_dokploy_pair"
	StatusMissingDokployTarget       = "missing_dokploy_target"
	StatusMissingTargetID            = "missing_target_id"
	StatusNoMatchingRoutes           = "no_matching_routes"
	StatusIdentityMismatch           = "identity_mismatch"
	StatusCategoryMismatch           = "category_mismatch"
	StatusDisplayNameMismatch        = "display_name_mismatch"
	StatusProviderTargetTypeMismatch = "provider_target_type_mismatch"
	StatusProviderEvidenceMismatch   = "provider_evidence_mismatch"
	StatusFutureProvider             = "future_provider"
	// lanegate additions
	StatusMissingRoute            = "missing_route"
	StatusDuplicateTargetIdentity = "duplicate_target_identity"
	StatusInvalidRecord           = "invalid_record"
)

// Severities.
const (
	SeverityOK      = "ok"
	SeverityWarning = "warning"
	SeverityBlocked = "blocked"
)

// SeverityRank orders severities from harmless to blocking.
func SeverityRank(s string) int {
	switch s {
	case SeverityBlocked:
		return 2
	case SeverityWarning:
		return 1
	}
	return 0
}

// Finding is one verdict on one route, with exactly Launchplane's keys.
type Finding struct {
	Context   string                 `json:"context"`
	Detail    string                 `json:"detail"`
	Instance  string                 `json:"instance"`
	Physical  *record.ProviderTarget `json:"physical_record,omitempty"`
	Projected *record.ProviderTarget `json:"projected_record,omitempty"`
	Severity  string                 `json:"severity"`
	Status    string                 `json:"status"`
}

// Route returns the finding's route.
func (f Finding) Route() store.Route { return store.Route{Context: f.Context, Instance: f.Instance} }

// Shard selects a deterministic hash partition of routes: route r belongs to
// shard Index (1-based) of Count when fnv64a(key) mod Count == Index-1.
type Shard struct {
	Index, Count int
}

// Active reports whether sharding is on.
func (s Shard) Active() bool { return s.Count > 1 }

// Contains reports whether the route falls in this shard.
func (s Shard) Contains(r store.Route) bool {
	if !s.Active() {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(r.Context))
	h.Write([]byte{0x1f})
	h.Write([]byte(r.Instance))
	return int(h.Sum64()%uint64(s.Count)) == s.Index-1
}

// String is "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Filter narrows the audit the way Launchplane's filters do, plus lanes.
type Filter struct {
	ProviderID string        `json:"provider_id"`
	Context    string        `json:"context"`
	Instance   string        `json:"instance"`
	Lanes      []store.Route `json:"-"`
	Shard      Shard         `json:"-"`
}

// Normalize applies Launchplane's filter normalisation.
func (f Filter) Normalize() Filter {
	f.ProviderID = record.PyLower(record.PyStrip(f.ProviderID))
	f.Context = record.PyStrip(f.Context)
	f.Instance = record.PyStrip(f.Instance)
	lanes := append([]store.Route(nil), f.Lanes...)
	store.SortRoutes(lanes)
	f.Lanes = lanes[:0]
	for i, r := range lanes {
		if i == 0 || r != lanes[i-1] {
			f.Lanes = append(f.Lanes, r)
		}
	}
	return f
}

// Active reports whether any filter was given (sharding is not a filter).
func (f Filter) Active() bool {
	return f.ProviderID != "" || f.Context != "" || f.Instance != "" || len(f.Lanes) > 0
}

func (f Filter) hasLane(r store.Route) bool {
	i := sort.Search(len(f.Lanes), func(i int) bool { return !f.Lanes[i].Less(r) })
	return i < len(f.Lanes) && f.Lanes[i] == r
}

// Passes applies every filter except the shard.
func (f Filter) Passes(rr *store.RouteRecords, declared bool) bool {
	if f.Context != "" && rr.Context != f.Context {
		return false
	}
	if f.Instance != "" && rr.Instance != f.Instance {
		return false
	}
	if len(f.Lanes) > 0 && !f.hasLane(rr.Route) {
		return false
	}
	if f.ProviderID == "" {
		return true
	}
	if rr.Provider != nil && rr.Provider.ProviderID == f.ProviderID {
		return true
	}
	if f.ProviderID == record.ProviderIDDokploy {
		// Launchplane keeps a route under the dokploy filter when it has a
		// Dokploy record. lanegate adds: declared lanes are Dokploy lanes, and
		// a route with an unreadable record stays visible rather than vanish.
		return rr.Target != nil || rr.TargetID != nil || declared || len(rr.Invalid) > 0
	}
	return false
}

// Decide returns the findings for one route in Launchplane's order, followed
// by lanegate's cross-route identity check. bindings holds every identity
// bound to two or more routes across the whole store.
func Decide(rr *store.RouteRecords, bindings store.Bindings) []Finding {
	mk := func(status, severity, detail string, physical, projected *record.ProviderTarget) Finding {
		return Finding{Context: rr.Context, Instance: rr.Instance, Status: status, Severity: severity,
			Detail: detail, Physical: physical, Projected: projected}
	}
	if len(rr.Invalid) > 0 {
		// A route with an unusable record cannot be judged; say exactly which
		// record and field instead.
		out := make([]Finding, 0, len(rr.Invalid))
		for _, inv := range rr.Invalid {
			out = append(out, mk(StatusInvalidRecord, SeverityBlocked, inv.Detail(), nil, nil))
		}
		return out
	}
	P, T, I := rr.Provider, rr.Target, rr.TargetID
	var out []Finding
	switch {
	case P == nil && T == nil && I == nil:
		out = append(out, mk(StatusMissingRoute, SeverityBlocked,
			"lane is declared in the lanes file but the store has no record for it", nil, nil))
	case P != nil && P.ProviderID != record.ProviderIDDokploy:
		out = append(out, mk(StatusFutureProvider, SeverityWarning,
			"explicit provider-target row is not managed by the Dokploy projection audit", P, nil))
	case T == nil && I == nil:
		out = append(out, mk(StatusMissingDokployPair, SeverityBlocked,
			"explicit Dokploy provider-target row has no Dokploy target or target-id records", P, nil))
	case T == nil:
		out = append(out, mk(StatusMissingDokployTarget, SeverityBlocked,
			"Dokploy target metadata record is missing", P, nil))
	case I == nil:
		out = append(out, mk(StatusMissingTargetID, SeverityBlocked,
			"Dokploy target-id record is missing", P, nil))
	default:
		X, err := rr.Projection()
		if err != nil {
			out = append(out, mk(StatusInvalidRecord, SeverityBlocked,
				"cannot project the Dokploy target and target-id records: "+err.Error(), P, nil))
			break
		}
		if P == nil {
			out = append(out, mk(StatusMissingProviderTarget, SeverityBlocked,
				"Dokploy target/id pair has no explicit provider-target row", nil, X))
			break
		}
		out = append(out, Compare(rr, P, X)...)
	}
	if P != nil {
		if others := otherRoutes(bindings[P.Identity()], rr.Route); len(others) > 0 {
			id := P.Identity()
			out = append(out, mk(StatusDuplicateTargetIdentity, SeverityBlocked,
				fmt.Sprintf("provider-target identity %s/%s/%s is also bound to %s",
					id.ProviderID, id.Category, id.TargetID, strings.Join(others, ", ")), P, nil))
		}
	}
	return out
}

func otherRoutes(routes []store.Route, self store.Route) []string {
	var out []string
	for _, r := range routes {
		if r != self {
			out = append(out, r.Key())
		}
	}
	return out
}

// Compare checks the five facets of a physical row against the projection in
// Launchplane's order; a row that agrees on all of them is complete.
func Compare(rr *store.RouteRecords, P, X *record.ProviderTarget) []Finding {
	mk := func(status, detail string) Finding {
		return Finding{Context: rr.Context, Instance: rr.Instance, Status: status, Severity: SeverityBlocked,
			Detail: detail, Physical: P, Projected: X}
	}
	diff := func(field, a, b string) string {
		return fmt.Sprintf("%s physical=%s projected=%s", field, record.PyRepr(a), record.PyRepr(b))
	}
	var out []Finding
	var identity []string
	if P.ProviderID != X.ProviderID {
		identity = append(identity, diff("provider_id", P.ProviderID, X.ProviderID))
	}
	if P.TargetID != X.TargetID {
		identity = append(identity, diff("target_id", P.TargetID, X.TargetID))
	}
	if len(identity) > 0 {
		out = append(out, mk(StatusIdentityMismatch, "provider-target identity mismatch: "+strings.Join(identity, ", ")))
	}
	if P.TargetCategory != X.TargetCategory {
		out = append(out, mk(StatusCategoryMismatch, diff("target_category", P.TargetCategory, X.TargetCategory)))
	}
	if P.DisplayName != X.DisplayName {
		out = append(out, mk(StatusDisplayNameMismatch, diff("display_name", P.DisplayName, X.DisplayName)))
	}
	if P.ProviderTargetType != X.ProviderTargetType {
		out = append(out, mk(StatusProviderTargetTypeMismatch, diff("provider_target_type", P.ProviderTargetType, X.ProviderTargetType)))
	}
	if !record.EvidenceEqual(P.ProviderEvidence, X.ProviderEvidence) {
		out = append(out, mk(StatusProviderEvidenceMismatch, "provider_evidence differs between explicit row and Dokploy projection"))
	}
	if len(out) == 0 {
		out = append(out, Finding{Context: rr.Context, Instance: rr.Instance, Status: StatusComplete, Severity: SeverityOK,
			Detail: "explicit provider-target row matches the Dokploy projection", Physical: P, Projected: X})
	}
	return out
}

// LaneEntry summarises one inspected route for the report's lanes array.
type LaneEntry struct {
	// Fields in key order: reports sort their keys (like Launchplane's
	// sort_keys), and AppendJSON writes them in this order.
	Context     string   `json:"context"`
	Declared    bool     `json:"declared"`
	Detail      string   `json:"detail"`
	Driver      string   `json:"driver"`
	Instance    string   `json:"instance"`
	Lane        string   `json:"lane"`
	Product     string   `json:"product"`
	Severity    string   `json:"severity"`
	Statuses    []string `json:"statuses"`
	Wave        int      `json:"wave"`
	WorstStatus string   `json:"worst_status"`
}

// Route returns the entry's route.
func (e LaneEntry) Route() store.Route { return store.Route{Context: e.Context, Instance: e.Instance} }

// Sink receives decisions as they are made, in route order.
type Sink interface {
	Finding(f Finding) error
	Lane(e LaneEntry) error
}

// Totals are the report's counters.
type Totals struct {
	Inspected int
	Blocked   int
	Warning   int
	Counts    map[string]int
}

// Verdict is the audit's outcome, decided here once: blocked when any
// finding is blocked, else ok (warnings do not block). Every report channel
// renders this value.
func (t Totals) Verdict() verdict.Verdict { return verdict.FromCounts(t.Blocked) }

// Status is the verdict as Launchplane's report spells it ("ok"/"blocked").
func (t Totals) Status() string { return string(t.Verdict()) }

// Auditor is a store.Visitor that decides each route as it arrives and
// streams the results to a Sink; it holds only the declared lanes in memory.
type Auditor struct {
	filter   Filter
	plan     *lanes.File
	declared []store.Route
	next     int
	bindings store.Bindings
	sink     Sink
	last     *store.Route
	// Matched counts routes that passed the filters before sharding; only
	// routes named by --lane filters are remembered, so memory stays flat.
	Matched      int
	MatchedLanes map[store.Route]bool
	Totals       Totals
}

// New builds an Auditor. plan may be nil (--no-lanes).
func New(filter Filter, plan *lanes.File, sink Sink) *Auditor {
	a := &Auditor{filter: filter.Normalize(), plan: plan, sink: sink, MatchedLanes: map[store.Route]bool{},
		Totals: Totals{Counts: map[string]int{}}}
	if plan != nil {
		for _, l := range plan.Lanes {
			a.declared = append(a.declared, store.Route{Context: l.Context, Instance: l.Instance})
		}
		store.SortRoutes(a.declared)
	}
	return a
}

// Bindings implements store.Visitor.
func (a *Auditor) Bindings(b store.Bindings) error {
	a.bindings = b
	return nil
}

// Route implements store.Visitor.
func (a *Auditor) Route(rr *store.RouteRecords) error {
	if a.last != nil && !a.last.Less(rr.Route) {
		return fmt.Errorf("store returned route %s after %s: routes must arrive in order", rr.Key(), a.last.Key())
	}
	r := rr.Route
	a.last = &r
	for a.next < len(a.declared) && a.declared[a.next].Less(rr.Route) {
		if err := a.inspect(&store.RouteRecords{Route: a.declared[a.next]}, true); err != nil {
			return err
		}
		a.next++
	}
	declared := false
	if a.next < len(a.declared) && a.declared[a.next] == rr.Route {
		declared = true
		a.next++
	}
	return a.inspect(rr, declared)
}

func (a *Auditor) inspect(rr *store.RouteRecords, declared bool) error {
	if !a.filter.Passes(rr, declared) {
		return nil
	}
	a.Matched++
	if len(a.filter.Lanes) > 0 {
		a.MatchedLanes[rr.Route] = true
	}
	if !a.filter.Shard.Contains(rr.Route) {
		return nil
	}
	a.Totals.Inspected++
	findings := Decide(rr, a.bindings)
	entry := LaneEntry{Lane: rr.Key(), Context: rr.Context, Instance: rr.Instance, Declared: declared, Statuses: []string{}}
	if declared {
		if l, ok := a.plan.Lane(rr.Key()); ok {
			entry.Product, entry.Driver, entry.Wave = l.Product, l.Driver, l.Wave
		}
	}
	for _, f := range findings {
		if err := a.emit(f); err != nil {
			return err
		}
		if entry.WorstStatus == "" || SeverityRank(f.Severity) > SeverityRank(entry.Severity) {
			entry.WorstStatus, entry.Severity, entry.Detail = f.Status, f.Severity, f.Detail
		}
		if n := len(entry.Statuses); n == 0 || entry.Statuses[n-1] != f.Status {
			entry.Statuses = append(entry.Statuses, f.Status)
		}
	}
	return a.sink.Lane(entry)
}

func (a *Auditor) emit(f Finding) error {
	a.Totals.Counts[f.Status]++
	switch f.Severity {
	case SeverityBlocked:
		a.Totals.Blocked++
	case SeverityWarning:
		a.Totals.Warning++
	}
	return a.sink.Finding(f)
}

// Finish emits the declared lanes that sort after the last stored route and
// the no_matching_routes findings, then returns the totals.
func (a *Auditor) Finish() (Totals, error) {
	for ; a.next < len(a.declared); a.next++ {
		if err := a.inspect(&store.RouteRecords{Route: a.declared[a.next]}, true); err != nil {
			return a.Totals, err
		}
	}
	if a.filter.Shard.Count > 0 {
		// Only the merge of every shard knows whether a filter matched.
		// That holds for an explicit 1/1 too: its report goes to merge.
		return a.Totals, nil
	}
	for _, f := range NoMatchFindings(a.filter, a.Matched, a.MatchedLanes) {
		if err := a.emit(f); err != nil {
			return a.Totals, err
		}
	}
	return a.Totals, nil
}

// NoMatchFindings returns Launchplane's no_matching_routes finding when active
// filters matched nothing, and one per --lane filter that matched no route.
func NoMatchFindings(f Filter, matched int, matchedLanes map[store.Route]bool) []Finding {
	f = f.Normalize()
	var out []Finding
	const detail = "provider-target audit filters did not match any stored route"
	if len(f.Lanes) > 0 {
		for _, r := range f.Lanes {
			if !matchedLanes[r] {
				out = append(out, Finding{Context: r.Context, Instance: r.Instance, Status: StatusNoMatchingRoutes,
					Severity: SeverityBlocked, Detail: detail})
			}
		}
		return out
	}
	if f.Active() && matched == 0 {
		c, i := f.Context, f.Instance
		if c == "" {
			c = "*"
		}
		if i == "" {
			i = "*"
		}
		out = append(out, Finding{Context: c, Instance: i, Status: StatusNoMatchingRoutes, Severity: SeverityBlocked, Detail: detail})
	}
	return out
}

// MarshalJSON for Shard prints "I/N".
func (s Shard) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// AppendJSON appends the finding as compact JSON, the same bytes
// encoding/json writes with HTML escaping off, without reflection.
func (f Finding) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"context":`...)
	dst = pyjson.AppendString(dst, f.Context)
	dst = append(dst, `,"detail":`...)
	dst = pyjson.AppendString(dst, f.Detail)
	dst = append(dst, `,"instance":`...)
	dst = pyjson.AppendString(dst, f.Instance)
	if f.Physical != nil {
		dst = append(dst, `,"physical_record":`...)
		dst = f.Physical.AppendJSON(dst)
	}
	if f.Projected != nil {
		dst = append(dst, `,"projected_record":`...)
		dst = f.Projected.AppendJSON(dst)
	}
	dst = append(dst, `,"severity":`...)
	dst = pyjson.AppendString(dst, f.Severity)
	dst = append(dst, `,"status":`...)
	dst = pyjson.AppendString(dst, f.Status)
	return append(dst, '}')
}

// AppendJSON appends the entry as compact JSON, the same bytes encoding/json
// writes for the struct (field order, HTML escaping off), without reflection:
// one entry is spooled per route.
func (e LaneEntry) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"context":`...)
	dst = pyjson.AppendString(dst, e.Context)
	dst = append(dst, `,"declared":`...)
	dst = strconv.AppendBool(dst, e.Declared)
	dst = append(dst, `,"detail":`...)
	dst = pyjson.AppendString(dst, e.Detail)
	dst = append(dst, `,"driver":`...)
	dst = pyjson.AppendString(dst, e.Driver)
	dst = append(dst, `,"instance":`...)
	dst = pyjson.AppendString(dst, e.Instance)
	dst = append(dst, `,"lane":`...)
	dst = pyjson.AppendString(dst, e.Lane)
	dst = append(dst, `,"product":`...)
	dst = pyjson.AppendString(dst, e.Product)
	dst = append(dst, `,"severity":`...)
	dst = pyjson.AppendString(dst, e.Severity)
	dst = append(dst, `,"statuses":`...)
	if e.Statuses == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, s := range e.Statuses {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = pyjson.AppendString(dst, s)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"wave":`...)
	dst = strconv.AppendInt(dst, int64(e.Wave), 10)
	dst = append(dst, `,"worst_status":`...)
	dst = pyjson.AppendString(dst, e.WorstStatus)
	return append(dst, '}')
}
