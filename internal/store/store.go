// Package store defines what the decision code needs from a record store: the
// routes in (context, instance) byte order, each with its three records, and
// the cross-route identities held by more than one route. The filesystem and
// Postgres stores implement it; decisions never touch I/O.
package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/lanegate/lanegate/internal/record"
)

// Route is a (context, instance) pair after Launchplane's stripping.
type Route struct {
	Context, Instance string
}

// Key is the "context/instance" spelling used in lanes.yaml and reports.
func (r Route) Key() string { return r.Context + "/" + r.Instance }

// Less orders routes as Launchplane does (Python tuple order on str, which is
// code-point order, which is Go's byte order on UTF-8).
func (r Route) Less(o Route) bool {
	if r.Context != o.Context {
		return r.Context < o.Context
	}
	return r.Instance < o.Instance
}

// Compare returns -1, 0 or 1.
func (r Route) Compare(o Route) int {
	switch {
	case r.Less(o):
		return -1
	case o.Less(r):
		return 1
	}
	return 0
}

// SortRoutes sorts in route order.
func SortRoutes(rs []Route) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Less(rs[j]) })
}

// Invalid is a stored record that could not be used: its payload is not a
// valid Launchplane record, or its location disagrees with its content.
type Invalid struct {
	Kind   record.Kind
	Source string // file path relative to the state dir, or "table (context, instance)"
	Err    error
}

// Detail is the finding text for an invalid record. An Invalid without a
// Kind is about the whole route, not one record (a backend that reads route
// by route could not read this one): its text is "<Source>: <Err>".
func (i Invalid) Detail() string {
	if i.Kind == "" {
		return fmt.Sprintf("%s: %v", i.Source, i.Err)
	}
	return fmt.Sprintf("invalid %s record %s: %v", i.Kind, i.Source, i.Err)
}

// RouteRecords is everything stored for one route.
type RouteRecords struct {
	Route
	Target   *record.DokployTarget
	TargetID *record.DokployTargetID
	Provider *record.ProviderTarget
	Invalid  []Invalid
	// Prepared holds what a Preparer's Prepare computed for this route.
	Prepared any

	projected  *record.ProviderTarget
	projectErr error
	projectRan bool
}

// Projection is record.Project(rr.Target, rr.TargetID), computed once per
// route: the audit, the backfill plan and its digest all need it. Target and
// TargetID must both be set. The result is shared; callers must not modify
// it. Like the rest of a RouteRecords, it is used by one goroutine at a time.
func (rr *RouteRecords) Projection() (*record.ProviderTarget, error) {
	if !rr.projectRan {
		rr.projected, rr.projectErr = record.Project(rr.Target, rr.TargetID)
		rr.projectRan = true
	}
	return rr.projected, rr.projectErr
}

// PresetProjection makes Projection return p without projecting Target and
// TargetID, for a backend that is handed the projection itself (Launchplane's
// service returns it, never the Dokploy records it was made from). Target and
// TargetID must still be set, consistent with p (category, target id).
func (rr *RouteRecords) PresetProjection(p *record.ProviderTarget) {
	rr.projected, rr.projectErr, rr.projectRan = p, nil, true
}

// Scope narrows a scan. Stores may use it to read less; the decision code
// applies the same filters again, so a store that ignores it is still correct.
type Scope struct {
	Context, Instance string // exact, already stripped; "" = any
}

// Bindings maps each provider-target identity held by two or more routes to
// those routes (sorted). Identities held by one route are absent.
type Bindings map[record.Identity][]Route

// Visitor receives a consistent snapshot: Bindings once, then every route in
// order.
type Visitor interface {
	Bindings(b Bindings) error
	Route(rr *RouteRecords) error
}

// Preparer is a Visitor with per-route work that depends on nothing but the
// route's own records. A store may call Prepare for upcoming routes from
// other goroutines, concurrently, before it calls Route for each in order;
// a store that does not is still correct, as Route must do the work itself
// when Prepared is nil.
type Preparer interface {
	Prepare(rr *RouteRecords)
}

// Reader is a read-only view of Launchplane's records.
type Reader interface {
	// Describe names the store for logs, with credentials masked.
	Describe() string
	// Scan visits one consistent snapshot of the store.
	Scan(ctx context.Context, scope Scope, v Visitor) error
	Close() error
}

// Error is a store failure that is not about one record: unreadable
// directory, unreachable database, missing table. It maps to exit code 3.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a store Error.
func Errorf(err error, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Err: err}
}

// Claims maps a route that has a complete Dokploy pair but no provider-target
// row to the other routes that already hold, or would also be given, the
// identity its pair projects to. Only conflicting routes are present.
type Claims map[Route][]Route

// ClaimsVisitor is a Visitor that also wants Claims (the backfill planner);
// stores call Claims after Bindings and before the first Route.
type ClaimsVisitor interface {
	Visitor
	Claims(c Claims) error
}

// ProjectedIdentity is the identity a route's Dokploy pair projects to, for a
// route with a complete, valid pair and no provider-target row.
func ProjectedIdentity(rr *RouteRecords) (record.Identity, bool) {
	if rr.Provider != nil || rr.Target == nil || rr.TargetID == nil || len(rr.Invalid) > 0 {
		return record.Identity{}, false
	}
	return record.Identity{ProviderID: record.ProviderIDDokploy, Category: rr.Target.TargetType, TargetID: rr.TargetID.TargetID}, true
}

// ClaimsOf finds, among routes, those whose missing provider-target row
// would project onto an identity that another route holds (holders: every
// route holding each identity) or would also be given. Stores that read
// every route at once compute Claims with it.
func ClaimsOf(routes []*RouteRecords, holders map[record.Identity][]Route) Claims {
	projected := map[record.Identity][]Route{}
	for _, rr := range routes {
		if id, ok := ProjectedIdentity(rr); ok {
			projected[id] = append(projected[id], rr.Route)
		}
	}
	out := Claims{}
	for id, rs := range projected {
		for _, r := range rs {
			var others []Route
			for _, o := range holders[id] {
				if o != r {
					others = append(others, o)
				}
			}
			for _, o := range rs {
				if o != r {
					others = append(others, o)
				}
			}
			if len(others) > 0 {
				SortRoutes(others)
				out[r] = others
			}
		}
	}
	return out
}
