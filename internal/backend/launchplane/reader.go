package launchplane

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// Kind is the driver's name.
const Kind = "launchplane"

// DefaultMaxInFlight bounds the per-lane calls in flight.
const DefaultMaxInFlight = 4

// Options are what the command passes beyond backend.Spec.
type Options struct {
	Audience    string // "" = the service URL's host
	TokenFile   string
	ProviderID  string // "" = dokploy
	MaxInFlight int    // 0 = DefaultMaxInFlight
	HTTP        *http.Client
	Retry       Retry
	OnToken     func(string) // told each token once, to mask it
	// Tokens replaces the token source NewTokenSource would pick (tests).
	Tokens TokenSource
}

// Backend is the Launchplane service as a lanegate backend. Scan is one
// audit call per lane; DryRun is a Reader doing one backfill-dry-run per
// lane; ApplyBackfill is per lane.
type Backend struct {
	client   *Client
	lanes    []store.Route
	provider string
	inFlight int
	mode     string

	mu        sync.Mutex
	traceIDs  map[store.Route]string
	notes     map[store.Route]string
	lastApply []LaneResult
}

var _ backend.Backend = (*Backend)(nil)
var _ backend.Applier = (*Backend)(nil)

// Open builds the backend for spec (Target is the service URL, Lanes the
// routes of lanes.yaml, Getenv the environment). It calls nothing yet.
func Open(spec backend.Spec, opt Options) (*Backend, error) {
	_, host, err := ParseBaseURL(spec.Target)
	if err != nil {
		return nil, err
	}
	if len(spec.Lanes) == 0 {
		return nil, configErr("the Launchplane service cannot list routes: declare the lanes to audit in lanes.yaml (the service backend audits exactly those)")
	}
	aud := opt.Audience
	if aud == "" {
		aud = host
	}
	tokens := opt.Tokens
	if tokens == nil {
		tokens, err = NewTokenSource(TokenOptions{Getenv: spec.Getenv, Audience: aud, TokenFile: opt.TokenFile,
			HTTP: opt.HTTP, Retry: opt.Retry, OnToken: opt.OnToken})
		if err != nil {
			return nil, err
		}
	}
	c, err := NewClient(ClientOptions{BaseURL: spec.Target, Audience: aud, Tokens: tokens, HTTP: opt.HTTP, Retry: opt.Retry})
	if err != nil {
		return nil, err
	}
	provider := record.PyLower(record.PyStrip(opt.ProviderID))
	if provider == "" {
		provider = record.ProviderIDDokploy
	}
	n := opt.MaxInFlight
	if n <= 0 {
		n = DefaultMaxInFlight
	}
	lanes := append([]store.Route(nil), spec.Lanes...)
	store.SortRoutes(lanes)
	uniq := lanes[:0]
	for i, r := range lanes {
		if i == 0 || r != lanes[i-1] {
			uniq = append(uniq, r)
		}
	}
	return &Backend{client: c, lanes: uniq, provider: provider, inFlight: n, mode: ModeAudit,
		traceIDs: map[store.Route]string{}, notes: map[store.Route]string{}}, nil
}

// Client is the service client (for the authority read).
func (b *Backend) Client() *Client { return b.client }

// Kind implements backend.Backend.
func (b *Backend) Kind() string { return Kind }

// Describe implements backend.Reader: the service host, never a token.
func (b *Backend) Describe() string {
	return fmt.Sprintf("Launchplane service %s (%d lane(s) from lanes.yaml; the service cannot list routes)", b.client.Host(), len(b.lanes))
}

// Close implements backend.Reader.
func (b *Backend) Close() error { return nil }

// DryRun returns a Reader over the same service whose Scan makes one
// backfill-dry-run call per lane (what a backfill dry run plans over). It
// shares trace ids and notes with b.
func (b *Backend) DryRun() *Backend {
	d := &Backend{client: b.client, lanes: b.lanes, provider: b.provider, inFlight: b.inFlight, mode: ModeBackfillDryRun,
		traceIDs: map[store.Route]string{}, notes: map[store.Route]string{}}
	return d
}

var _ backend.PlanReader = (*Backend)(nil)
var _ backend.Traced = (*Backend)(nil)
var _ backend.Noticer = (*Backend)(nil)

// PlanScan implements backend.PlanReader: the snapshot of one
// backfill-dry-run call per lane (DryRun's Scan); b then reports that
// scan's trace ids and notes.
func (b *Backend) PlanScan(ctx context.Context, scope store.Scope, v store.Visitor) error {
	d := b.DryRun()
	err := d.Scan(ctx, scope, v)
	d.mu.Lock()
	traces, notes := d.traceIDs, d.notes
	d.mu.Unlock()
	b.mu.Lock()
	b.traceIDs, b.notes = traces, notes
	b.mu.Unlock()
	return err
}

// RoutesNotice is the notice every report over the service carries.
func RoutesNotice(n int) string {
	return fmt.Sprintf("the Launchplane service cannot enumerate routes: this report covers the %d lane(s) of lanes.yaml, one service call each; routes not declared there were not read", n)
}

// Notices implements backend.Noticer: the service cannot enumerate routes,
// then what the last scan could not show the way the other backends would.
func (b *Backend) Notices() []string {
	return append([]string{RoutesNotice(len(b.lanes))}, b.Notes()...)
}

// TraceIDs returns each lane's trace_id from the last Scan (or apply call).
func (b *Backend) TraceIDs() map[store.Route]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[store.Route]string, len(b.traceIDs))
	for k, v := range b.traceIDs {
		out[k] = v
	}
	return out
}

// Notes returns, in lane order, what the last Scan could not show the way
// the other backends would ("lane: note").
func (b *Backend) Notes() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	keys := make([]store.Route, 0, len(b.notes))
	for r := range b.notes {
		keys = append(keys, r)
	}
	store.SortRoutes(keys)
	out := make([]string, len(keys))
	for i, r := range keys {
		out[i] = r.Key() + ": " + b.notes[r]
	}
	return out
}

// NoMatchNote explains a lane the service answered no_matching_routes for.
func NoMatchNote(provider string) string {
	return fmt.Sprintf("the Launchplane service has no Dokploy record and no %s provider-target row for this lane (no_matching_routes), reported as missing_route; a row of another provider is invisible through the service, which is asked per provider", provider)
}

// laneResult is one lane's call.
type laneResult struct {
	rr      *store.RouteRecords // nil: no record on the route
	traceID string
	note    string
}

// callLane runs one scan call; a failure becomes an unreadable route, so the
// audit blocks the lane with the service's error rather than skip it.
func (b *Backend) callLane(ctx context.Context, lane store.Route) laneResult {
	req := OperationRequest{Mode: b.mode, ProviderID: b.provider, Context: lane.Context, Instance: lane.Instance}
	acc, err := b.client.Operate(ctx, req, "")
	if err != nil {
		return laneResult{rr: failedLane(lane, err)}
	}
	res := laneResult{traceID: acc.TraceID}
	rep, err := DecodeReport(b.mode, acc.Result.Report)
	if err == nil {
		res.rr, err = routeRecords(b.mode, lane, rep)
	}
	if err != nil {
		se := &ServiceError{Op: b.mode, Route: lane, Status: http.StatusAccepted, Malformed: true, Message: err.Error(), TraceID: acc.TraceID}
		res.rr = failedLane(lane, se)
		return res
	}
	if res.rr == nil {
		res.note = NoMatchNote(b.provider)
	}
	return res
}

// failedLane is a route the service could not report: its one Invalid
// entry (no Kind: about the whole route) carries the service's error.
func failedLane(lane store.Route, err error) *store.RouteRecords {
	return &store.RouteRecords{Route: lane, Invalid: []store.Invalid{{Source: "the Launchplane service could not report this lane", Err: err}}}
}

// fatal reports errors that end the scan instead of blocking one lane: a
// configuration problem (no token) or a cancelled context.
func fatal(err error) bool {
	var ce *ConfigError
	var oe *OIDCError
	return errors.As(err, &ce) || errors.As(err, &oe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// scanLanes calls every lane, at most inFlight at a time, and returns the
// results in lane order. The scope does not narrow the calls: the
// cross-route checks (Bindings, Claims) need every lane's row, as the other
// backends read the whole store for them; the decisions apply the filters.
func (b *Backend) scanLanes(ctx context.Context, _ store.Scope) ([]store.Route, []laneResult, error) {
	lanes := b.lanes
	results := make([]laneResult, len(lanes))
	sem := make(chan struct{}, b.inFlight)
	var wg sync.WaitGroup
	for i, l := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = laneResult{rr: failedLane(l, ctx.Err())}
				return
			}
			defer func() { <-sem }()
			results[i] = b.callLane(ctx, l)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	for _, r := range results {
		if r.rr != nil && len(r.rr.Invalid) == 1 && r.rr.Invalid[0].Kind == "" && fatal(r.rr.Invalid[0].Err) {
			return nil, nil, r.rr.Invalid[0].Err
		}
	}
	b.mu.Lock()
	b.traceIDs = map[store.Route]string{}
	b.notes = map[store.Route]string{}
	for i, r := range results {
		if r.traceID != "" {
			b.traceIDs[lanes[i]] = r.traceID
		}
		if r.note != "" {
			b.notes[lanes[i]] = r.note
		}
	}
	b.mu.Unlock()
	return lanes, results, nil
}

// Scan implements backend.Reader: one call per lane in scope, then the
// snapshot in route order, Bindings and Claims computed over the physical
// rows the calls returned (the service shows no other route).
func (b *Backend) Scan(ctx context.Context, scope store.Scope, v store.Visitor) error {
	_, results, err := b.scanLanes(ctx, scope)
	if err != nil {
		return err
	}
	var routes []*store.RouteRecords
	for _, r := range results {
		if r.rr != nil {
			routes = append(routes, r.rr)
		}
	}
	return visit(ctx, routes, v)
}

// visit feeds a snapshot to v as every backend does.
func visit(ctx context.Context, routes []*store.RouteRecords, v store.Visitor) error {
	holders := map[record.Identity][]store.Route{}
	for _, rr := range routes {
		if rr.Provider != nil {
			id := rr.Provider.Identity()
			holders[id] = append(holders[id], rr.Route)
		}
	}
	bindings := store.Bindings{}
	for id, rs := range holders {
		if len(rs) > 1 {
			store.SortRoutes(rs)
			bindings[id] = rs
		}
	}
	if err := v.Bindings(bindings); err != nil {
		return err
	}
	if cv, ok := v.(store.ClaimsVisitor); ok {
		if err := cv.Claims(store.ClaimsOf(routes, holders)); err != nil {
			return err
		}
	}
	for _, rr := range routes {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := v.Route(rr); err != nil {
			return err
		}
	}
	return nil
}

func sortStrings(s []string) { sort.Strings(s) }
