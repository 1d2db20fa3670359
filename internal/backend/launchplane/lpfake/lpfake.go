// Package lpfake is a fake Launchplane HTTP service for tests: the
// provider-target operations route and the product-environment read, with
// the documented envelopes, checks and idempotency, computing its per-route
// reports from a real filesystem state directory (lanegate's filesystem
// backend, audit and backfill packages, filtered to one route and one
// provider as Launchplane's route is). Plus a fake GitHub OIDC token endpoint.
package lpfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/store"
)

// OperationsPath is the route the fake serves operations on.
const OperationsPath = "/v1/provider-targets/operations"

// Fault is a failure the fake injects into one request.
type Fault int

const (
	FaultNone Fault = iota
	// FaultDrop closes the connection without answering, before running.
	FaultDrop
	// FaultDropAfterRun runs (and for an apply, stores) the operation, then
	// closes the connection: the caller never sees the answer.
	FaultDropAfterRun
	// FaultSlow waits Server.SlowDelay before answering.
	FaultSlow
	// Fault503 answers 503 database_required.
	Fault503
	// FaultNonJSON500 answers 500 with a plain-text body.
	FaultNonJSON500
)

// Request is one recorded request.
type Request struct {
	Method, Path   string
	Body           []byte
	IdempotencyKey string
	Token          string
	Mode           string // from the body, when it parsed
	Route          store.Route
}

// Environment is one product environment's read model (the target fields
// the evidence rule reads, and list lengths).
type Environment struct {
	Context            string
	Provider           string
	ProviderTargetType string
	TrustState         string
	TargetIDRecorded   bool
	AvailableActions   int
	RuntimeSettings    int
	ManagedSecrets     int
}

type idemEntry struct {
	fingerprint string
	state       string // "done", "running", "reconcile_required"
	traceID     string
	response    map[string]any // records and result
}

// Server is the fake service.
type Server struct {
	*httptest.Server
	Dir string
	// SlowDelay is FaultSlow's wait.
	SlowDelay time.Duration

	mu           sync.Mutex
	hook         func(r Request, n int) Fault
	grants       map[string]map[string]bool
	readOnly     map[string]bool
	idem         map[string]*idemEntry
	requests     []Request
	runs         map[string]int
	environments map[string]Environment
	dbMissing    bool
	trace        int
}

// New starts a fake service over the state directory dir.
func New(t testing.TB, dir string) *Server {
	s := &Server{Dir: dir, SlowDelay: 2 * time.Second, grants: map[string]map[string]bool{}, readOnly: map[string]bool{},
		idem: map[string]*idemEntry{}, runs: map[string]int{}, environments: map[string]Environment{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// SetHook sets (nil: clears) the function that picks a fault for each
// request, after it is recorded; n counts requests from 1.
func (s *Server) SetHook(h func(r Request, n int) Fault) {
	s.mu.Lock()
	s.hook = h
	s.mu.Unlock()
}

// Grant lets token call with the given grant actions (a token with no
// grants is still authenticated).
func (s *Server) Grant(token string, actions ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grants[token] == nil {
		s.grants[token] = map[string]bool{}
	}
	for _, a := range actions {
		s.grants[token][a] = true
	}
}

// ReadOnlyTerminal marks token as the read-only terminal secret (403 on
// operations).
func (s *Server) ReadOnlyTerminal(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOnly[token] = true
	if s.grants[token] == nil {
		s.grants[token] = map[string]bool{}
	}
}

// SetDatabaseMissing makes every operation answer 503 database_required.
func (s *Server) SetDatabaseMissing(v bool) {
	s.mu.Lock()
	s.dbMissing = v
	s.mu.Unlock()
}

// SetEnvironment adds a product environment to the read model.
func (s *Server) SetEnvironment(product, instance string, e Environment) {
	s.mu.Lock()
	s.environments[product+"/"+instance] = e
	s.mu.Unlock()
}

// SetKeyState presets the stored state of an Idempotency-Key for token
// ("running" or "reconcile_required").
func (s *Server) SetKeyState(token, key, state string) {
	s.mu.Lock()
	s.idem[token+"|"+key] = &idemEntry{state: state}
	s.mu.Unlock()
}

// Requests returns every request so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Runs says how many times an operation of mode actually ran (replays and
// refused calls do not run).
func (s *Server) Runs(mode string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[mode]
}

func (s *Server) nextTrace() string {
	s.trace++
	return fmt.Sprintf("launchplane_req_%06d", s.trace)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	data, _ := json.Marshal(v)
	w.Write(data)
}

func (s *Server) reject(w http.ResponseWriter, status int, code, msg string) {
	s.mu.Lock()
	tr := s.nextTrace()
	s.mu.Unlock()
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Launchplane API"`)
	}
	writeJSON(w, status, map[string]any{"status": "rejected", "trace_id": tr, "error": map[string]any{"code": code, "message": msg}})
}

func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("lpfake: response writer cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec := Request{Method: r.Method, Path: r.URL.Path, Body: body, IdempotencyKey: r.Header.Get("Idempotency-Key"), Token: bearer(r)}
	var probe struct {
		Mode     string `json:"mode"`
		Context  string `json:"context"`
		Instance string `json:"instance"`
	}
	if json.Unmarshal(body, &probe) == nil {
		rec.Mode, rec.Route = probe.Mode, store.Route{Context: probe.Context, Instance: probe.Instance}
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	n := len(s.requests)
	hook := s.hook
	s.mu.Unlock()
	fault := FaultNone
	if hook != nil {
		fault = hook(rec, n)
	}
	switch fault {
	case FaultDrop:
		drop(w)
		return
	case FaultSlow:
		select {
		case <-time.After(s.SlowDelay):
		case <-r.Context().Done():
			return
		}
	case Fault503:
		s.reject(w, http.StatusServiceUnavailable, "database_required", "Launchplane provider-target operations require database storage.")
		return
	case FaultNonJSON500:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "Internal Server Error")
		return
	}
	switch {
	case r.URL.Path == OperationsPath:
		if r.Method != http.MethodPost {
			s.reject(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method Not Allowed")
			return
		}
		s.operations(w, r, rec, fault == FaultDropAfterRun)
	case strings.HasPrefix(r.URL.Path, "/v1/products/"):
		if r.Method != http.MethodGet {
			s.reject(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method Not Allowed")
			return
		}
		s.productEnvironment(w, r, rec)
	default:
		s.reject(w, http.StatusNotFound, "not_found", "Not Found")
	}
}

var envelopeKeys = []string{"schema_version", "mode", "product", "provider_id", "context", "instance", "reason"}

type envelope struct {
	mode, product, provider, context, instance, reason string
}

// parseEnvelope applies ProviderTargetOperationEnvelope's rules; any
// problem is the same generic error.
func parseEnvelope(body []byte) (envelope, map[string]any, bool) {
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || raw == nil || dec.More() {
		return envelope{}, nil, false
	}
	for k := range raw {
		if !slices.Contains(envelopeKeys, k) {
			return envelope{}, nil, false
		}
	}
	str := func(k, def string) (string, bool) {
		v, ok := raw[k]
		if !ok {
			return def, true
		}
		s, ok := v.(string)
		return strings.TrimSpace(s), ok
	}
	if v, ok := raw["schema_version"]; ok {
		n, isNum := v.(json.Number)
		i, err := strconv.ParseInt(string(n), 10, 64)
		if !isNum || err != nil || i < 1 {
			return envelope{}, nil, false
		}
	}
	var e envelope
	var ok [6]bool
	e.mode, ok[0] = str("mode", "")
	e.product, ok[1] = str("product", "launchplane")
	e.provider, ok[2] = str("provider_id", "dokploy")
	e.context, ok[3] = str("context", "")
	e.instance, ok[4] = str("instance", "")
	e.reason, ok[5] = str("reason", "")
	for _, b := range ok {
		if !b {
			return envelope{}, nil, false
		}
	}
	e.provider = strings.ToLower(e.provider)
	switch {
	case e.mode != "audit" && e.mode != "backfill-dry-run" && e.mode != "backfill-apply",
		e.product != "launchplane", e.provider == "", e.context == "", e.instance == "",
		e.mode == "backfill-apply" && e.reason == "":
		return envelope{}, nil, false
	}
	return e, raw, true
}

// fingerprint is SHA-256 over the raw parsed body re-serialised with sorted
// keys and compact separators (Go's map encoding sorts keys).
func fingerprint(raw map[string]any) string {
	data, _ := json.Marshal(raw)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (s *Server) operations(w http.ResponseWriter, r *http.Request, rec Request, dropAfter bool) {
	tok := rec.Token
	s.mu.Lock()
	grants, known := s.grants[tok]
	readOnly := s.readOnly[tok]
	dbMissing := s.dbMissing
	s.mu.Unlock()
	if tok == "" || !known {
		s.reject(w, http.StatusUnauthorized, "authentication_required", "Launchplane authentication required.")
		return
	}
	if readOnly {
		s.reject(w, http.StatusForbidden, "authorization_denied", "Read-only terminal access cannot run provider-target operations.")
		return
	}
	env, raw, ok := parseEnvelope(rec.Body)
	if !ok {
		s.reject(w, http.StatusBadRequest, "invalid_request", "Invalid request.")
		return
	}
	if dbMissing {
		s.reject(w, http.StatusServiceUnavailable, "database_required", "Launchplane provider-target operations require database storage.")
		return
	}
	action := "provider_target.audit"
	if env.mode == "backfill-apply" {
		action = "provider_target.backfill"
	}
	if !grants[action] {
		s.reject(w, http.StatusForbidden, "authorization_denied", "GitHub Actions identity is not authorized for "+action+".")
		return
	}
	if env.mode != "backfill-apply" {
		resp, err := s.run(env)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "Internal Server Error")
			return
		}
		s.mu.Lock()
		resp["trace_id"] = s.nextTrace()
		s.mu.Unlock()
		if dropAfter {
			drop(w)
			return
		}
		writeJSON(w, http.StatusAccepted, resp)
		return
	}
	key := strings.TrimSpace(rec.IdempotencyKey)
	if key == "" {
		s.reject(w, http.StatusBadRequest, "idempotency_key_required", "Idempotency-Key header is required.")
		return
	}
	fp := fingerprint(raw)
	scoped := tok + "|" + key
	s.mu.Lock()
	ent := s.idem[scoped]
	switch {
	case ent == nil:
		ent = &idemEntry{fingerprint: fp, state: "running"}
		s.idem[scoped] = ent
	case ent.state == "running":
		s.mu.Unlock()
		s.reject(w, http.StatusConflict, "mutation_in_progress", "A mutation with this Idempotency-Key is in progress.")
		return
	case ent.state == "reconcile_required":
		s.mu.Unlock()
		s.reject(w, http.StatusConflict, "mutation_reconciliation_required", "The mutation with this Idempotency-Key needs reconciliation.")
		return
	case ent.fingerprint != fp:
		s.mu.Unlock()
		s.reject(w, http.StatusConflict, "idempotency_key_reused", "Idempotency-Key was reused with a different request.")
		return
	default:
		resp := map[string]any{"status": "accepted", "trace_id": s.nextTrace(), "records": ent.response["records"],
			"result": ent.response["result"], "replayed": true, "original_trace_id": ent.traceID}
		s.mu.Unlock()
		if dropAfter {
			drop(w)
			return
		}
		writeJSON(w, http.StatusAccepted, resp)
		return
	}
	s.mu.Unlock()
	resp, err := s.run(env)
	s.mu.Lock()
	if err != nil {
		delete(s.idem, scoped)
		s.mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "Internal Server Error")
		return
	}
	resp["trace_id"] = s.nextTrace()
	ent.state, ent.traceID, ent.response = "done", resp["trace_id"].(string), resp
	s.mu.Unlock()
	if dropAfter {
		drop(w)
		return
	}
	writeJSON(w, http.StatusAccepted, resp)
}

// errUnhandled stands for an exception Launchplane does not handle (an
// invalid record, a projection error): a generic 500.
var errUnhandled = errors.New("unhandled")

// run executes one operation over the state directory (serialised, like
// Launchplane's bundle lock) and returns the accepted envelope sans trace.
func (s *Server) run(env envelope) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[env.mode]++
	st, err := fsstore.OpenWith(s.Dir, fsstore.Options{AllowEmpty: true})
	if err != nil {
		return nil, err
	}
	snap, err := st.Load()
	if err != nil {
		return nil, err
	}
	route := store.Route{Context: env.context, Instance: env.instance}
	var rr *store.RouteRecords
	for _, x := range snap.Routes {
		if x.Route == route {
			rr = x
		}
		if len(x.Invalid) > 0 && x.Route == route {
			return nil, errUnhandled
		}
	}
	if rr != nil && rr.Target != nil && rr.TargetID != nil {
		if _, err := rr.Projection(); err != nil {
			return nil, errUnhandled
		}
	}
	filter := audit.Filter{ProviderID: env.provider, Context: env.context, Instance: env.instance}
	var report json.RawMessage
	var status string
	var blocked, warning, inspected int
	switch env.mode {
	case "audit":
		sink := &findings{}
		a := audit.New(filter, nil, sink)
		a.Bindings(store.Bindings{})
		if rr != nil {
			if err := a.Route(rr); err != nil {
				return nil, err
			}
		}
		t, err := a.Finish()
		if err != nil {
			return nil, err
		}
		status, blocked, warning, inspected = t.Status(), t.Blocked, t.Warning, t.Inspected
		report = auditPayload(t, sink.f)
	default:
		sink := &items{}
		p := backfill.NewPlanner(filter, sink)
		p.Claims(nil)
		if rr != nil {
			if err := p.Route(rr); err != nil {
				return nil, err
			}
		}
		t, _, err := p.Finish()
		if err != nil {
			return nil, err
		}
		for i := range sink.it {
			if sink.it[i].Status == backfill.StatusWouldCreate {
				// Launchplane's item shows its own projection, label and all.
				sink.it[i].Projected, _ = rr.Projection()
			}
		}
		apply := env.mode == "backfill-apply"
		if apply && t.Blocked == 0 {
			s.applyItems(st, snap, sink.it)
		}
		t = recount(sink.it)
		status, blocked, warning, inspected = t.Status(), t.Blocked, t.Warning, t.Inspected
		report = backfillPayload(t, apply, sink.it)
	}
	result := map[string]any{"mode": env.mode, "provider_id": env.provider, "context": env.context, "instance": env.instance,
		"operation_status": status, "blocked_count": blocked, "warning_count": warning, "inspected_route_count": inspected,
		"reason": env.reason, "report": report}
	return map[string]any{"status": "accepted", "records": map[string]any{}, "result": result}, nil
}

// applyItems creates each would-create row exclusively (the filesystem
// backend's create), with the cross-route identity check of the newest
// Launchplane.
func (s *Server) applyItems(st *fsstore.Store, snap *fsstore.Snapshot, its []backfill.Item) {
	for i := range its {
		it := &its[i]
		if it.Status != backfill.StatusWouldCreate || it.Projected == nil {
			continue
		}
		var others []string
		for _, o := range snap.Routes {
			if o.Provider != nil && o.Route != it.Route() && o.Provider.Identity() == it.Projected.Identity() {
				others = append(others, o.Key())
			}
		}
		if len(others) > 0 {
			it.Status, it.Severity = backfill.StatusSkippedConflict, audit.SeverityBlocked
			it.Detail = fmt.Sprintf("Provider target identity is already bound to another route: %s; requested %s.", strings.Join(others, ", "), it.Route().Key())
			continue
		}
		_, err := st.CreateProviderTarget(it.Projected)
		switch {
		case err == nil:
			it.Status, it.Severity, it.Detail, it.Physical = backfill.StatusCreated, audit.SeverityOK, "created explicit provider-target row", nil
		case errors.Is(err, fsstore.ErrExists):
			it.Status, it.Severity, it.Detail = backfill.StatusSkippedConflict, audit.SeverityBlocked, "provider-target row changed before backfill could create it"
		default:
			it.Status, it.Severity, it.Detail = backfill.StatusSkippedConflict, audit.SeverityBlocked, err.Error()
		}
	}
}

func recount(its []backfill.Item) backfill.Totals {
	t := backfill.Totals{Counts: map[string]int{}}
	for _, it := range its {
		if it.Status != backfill.StatusNoMatchingRoutes {
			t.Inspected++
		}
		t.Counts[it.Status]++
		switch it.Severity {
		case audit.SeverityBlocked:
			t.Blocked++
		case audit.SeverityWarning:
			t.Warning++
		}
	}
	return t
}

type findings struct{ f []audit.Finding }

func (s *findings) Finding(f audit.Finding) error { s.f = append(s.f, f); return nil }
func (s *findings) Lane(audit.LaneEntry) error    { return nil }

type items struct{ it []backfill.Item }

func (s *items) Item(it backfill.Item) error  { s.it = append(s.it, it); return nil }
func (s *items) Create(backfill.Create) error { return nil }

func counts(m map[string]int) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(k)
		b = append(b, kb...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(m[k]), 10)
	}
	return append(b, '}')
}

// auditPayload is to_report_payload()'s keys in Launchplane's order.
func auditPayload(t audit.Totals, fs []audit.Finding) json.RawMessage {
	b := fmt.Appendf(nil, `{"status":%q,"inspected_route_count":%d,"blocked_count":%d,"warning_count":%d,"counts":`, t.Status(), t.Inspected, t.Blocked, t.Warning)
	b = append(b, counts(t.Counts)...)
	b = append(b, `,"findings":[`...)
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = f.AppendJSON(b)
	}
	return append(b, "]}"...)
}

func backfillPayload(t backfill.Totals, applied bool, its []backfill.Item) json.RawMessage {
	b := fmt.Appendf(nil, `{"status":%q,"applied":%t,"inspected_route_count":%d,"blocked_count":%d,"warning_count":%d,"counts":`, t.Status(), applied, t.Inspected, t.Blocked, t.Warning)
	b = append(b, counts(t.Counts)...)
	b = append(b, `,"items":[`...)
	for i, it := range its {
		if i > 0 {
			b = append(b, ',')
		}
		b = it.AppendJSON(b)
	}
	return append(b, "]}"...)
}

func (s *Server) productEnvironment(w http.ResponseWriter, r *http.Request, rec Request) {
	s.mu.Lock()
	grants, known := s.grants[rec.Token]
	s.mu.Unlock()
	if rec.Token == "" || !known {
		s.reject(w, http.StatusUnauthorized, "authentication_required", "Launchplane authentication required.")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/v1/products/")
	product, envName, ok := strings.Cut(rest, "/environments/")
	if !ok || product == "" || envName == "" || strings.Contains(envName, "/") {
		s.reject(w, http.StatusNotFound, "not_found", "Not Found")
		return
	}
	s.mu.Lock()
	e, found := s.environments[product+"/"+envName]
	s.mu.Unlock()
	if !found {
		s.reject(w, http.StatusNotFound, "not_found", "Unknown product environment.")
		return
	}
	if !grants["product_environment.read"] {
		s.reject(w, http.StatusForbidden, "authorization_denied", "Not authorized for product_environment.read.")
		return
	}
	list := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = map[string]any{"key": fmt.Sprintf("item-%d", i)}
		}
		return out
	}
	s.mu.Lock()
	tr := s.nextTrace()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "trace_id": tr, "environment": map[string]any{
		"product": product, "context": e.Context,
		"target": map[string]any{"provider": e.Provider, "target_type": e.ProviderTargetType, "target_name": "",
			"provider_target_type": e.ProviderTargetType, "target_id_recorded": e.TargetIDRecorded, "trust_state": e.TrustState},
		"runtime_settings": list(e.RuntimeSettings), "managed_secrets": list(e.ManagedSecrets),
		"available_actions": list(e.AvailableActions), "warnings": []any{}, "trust_state": e.TrustState,
	}})
}

// OIDCMode is how the fake token endpoint answers.
type OIDCMode int

const (
	OIDCOK OIDCMode = iota
	OIDCStatus500
	OIDCNoValue
	OIDCEmptyValue
	OIDCDropFirst // drop the first connection, then answer
)

// OIDC is a fake GitHub Actions OIDC token endpoint.
type OIDC struct {
	*httptest.Server
	RequestToken string
	Audience     string
	JWT          string

	mu    sync.Mutex
	mode  OIDCMode
	calls int
	bad   []string
}

// NewOIDC starts a token endpoint that hands jwt to a caller presenting
// requestToken and asking for exactly audience.
func NewOIDC(t testing.TB, requestToken, audience, jwt string) *OIDC {
	o := &OIDC{RequestToken: requestToken, Audience: audience, JWT: jwt}
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.Close)
	return o
}

// RequestURL is ACTIONS_ID_TOKEN_REQUEST_URL: it already has a query.
func (o *OIDC) RequestURL() string { return o.URL + "/token?api-version=2.0" }

// SetMode picks the answer.
func (o *OIDC) SetMode(m OIDCMode) { o.mu.Lock(); o.mode = m; o.mu.Unlock() }

// Calls is how many requests arrived.
func (o *OIDC) Calls() int { o.mu.Lock(); defer o.mu.Unlock(); return o.calls }

// Problems lists what was wrong with requests (wrong token, audience, query).
func (o *OIDC) Problems() []string { o.mu.Lock(); defer o.mu.Unlock(); return slices.Clone(o.bad) }

func (o *OIDC) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.calls++
	n, mode := o.calls, o.mode
	o.mu.Unlock()
	fail := func(why string, status int) {
		o.mu.Lock()
		o.bad = append(o.bad, why)
		o.mu.Unlock()
		w.WriteHeader(status)
	}
	if r.URL.Path != "/token" {
		fail("path "+r.URL.Path, http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+o.RequestToken {
		fail("request token", http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Accept") != "application/json" {
		fail("accept "+r.Header.Get("Accept"), http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	if q.Get("api-version") != "2.0" {
		fail("api-version lost", http.StatusBadRequest)
		return
	}
	if a := q["audience"]; len(a) != 1 || a[0] != o.Audience {
		fail(fmt.Sprintf("audience %q", a), http.StatusBadRequest)
		return
	}
	switch {
	case mode == OIDCStatus500:
		w.WriteHeader(http.StatusInternalServerError)
		return
	case mode == OIDCDropFirst && n == 1:
		drop(w)
		return
	case mode == OIDCNoValue:
		writeJSON(w, http.StatusOK, map[string]any{"count": 1})
		return
	case mode == OIDCEmptyValue:
		writeJSON(w, http.StatusOK, map[string]any{"value": "  "})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": 1, "value": o.JWT})
}
