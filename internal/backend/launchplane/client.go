// Package launchplane is the backend that reads and writes Launchplane's
// provider-target records through Launchplane's own HTTP service
// (POST /v1/provider-targets/operations) with a GitHub OIDC token or an
// operator bearer, instead of reading its database. The service cannot
// enumerate routes, so the routes are the lanes of lanes.yaml; it runs one
// route per call, so an apply is per lane, never all-or-nothing.
package launchplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/lanegate/lanegate/internal/store"
)

// Operation modes.
const (
	ModeAudit          = "audit"
	ModeBackfillDryRun = "backfill-dry-run"
	ModeBackfillApply  = "backfill-apply"
)

// Grant actions, as the operator configures them in Launchplane.
const (
	GrantAudit    = "provider_target.audit"
	GrantBackfill = "provider_target.backfill"
	GrantRead     = "product_environment.read"
)

// OperationsPath is the service's provider-target operations route.
const OperationsPath = "/v1/provider-targets/operations"

// MaxResponseBytes caps every response body read from the service.
const MaxResponseBytes = 8 << 20

// Retry bounds the retries of network errors (never of HTTP statuses):
// Attempts tries in all, waiting Delay × attempt between them (linear, like
// Launchplane's composite action).
type Retry struct {
	Attempts int
	Delay    time.Duration
	// Sleep waits d or until ctx ends (nil: a timer). Tests make it instant.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 3
	}
	if r.Delay < 0 {
		r.Delay = 0
	} else if r.Delay == 0 {
		r.Delay = 250 * time.Millisecond
	}
	if r.Sleep == nil {
		r.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	return r
}

// do runs try until it succeeds, fails for good (retry false) or the
// attempts run out.
func (r Retry) do(ctx context.Context, try func() (retry bool, err error)) error {
	var err error
	for attempt := 1; ; attempt++ {
		var again bool
		again, err = try()
		if err == nil || !again || attempt >= r.Attempts {
			return err
		}
		if serr := r.Sleep(ctx, r.Delay*time.Duration(attempt)); serr != nil {
			return serr
		}
	}
}

// Client calls one Launchplane service.
type Client struct {
	base     *url.URL
	audience string
	tokens   TokenSource
	http     *http.Client
	retry    Retry
}

// ClientOptions configure NewClient.
type ClientOptions struct {
	BaseURL  string
	Audience string // for messages; the token source uses it
	Tokens   TokenSource
	HTTP     *http.Client // nil: a client with a 60 s timeout
	Retry    Retry
}

// ParseBaseURL checks a service base URL (http or https, a host, no query,
// no credentials) and returns it with its default audience, the host name.
func ParseBaseURL(raw string) (*url.URL, string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", configErr("--launchplane-url must be an http(s) URL with a host")
	}
	if u.User != nil {
		return nil, "", configErr("--launchplane-url must not carry credentials; pass a token with --token-file or LAUNCHPLANE_TOKEN")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, "", configErr("--launchplane-url must not carry a query or fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, u.Hostname(), nil
}

// NewClient builds a client.
func NewClient(opt ClientOptions) (*Client, error) {
	u, host, err := ParseBaseURL(opt.BaseURL)
	if err != nil {
		return nil, err
	}
	aud := opt.Audience
	if aud == "" {
		aud = host
	}
	hc := opt.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	return &Client{base: u, audience: aud, tokens: opt.Tokens, http: hc, retry: opt.Retry.withDefaults()}, nil
}

// Host is the service's host, safe to print.
func (c *Client) Host() string { return c.base.Host }

// OperationRequest is one provider-target operation on one route. Its JSON
// is exactly Launchplane's envelope keys (the service rejects unknown ones).
type OperationRequest struct {
	Mode       string `json:"mode"`
	ProviderID string `json:"provider_id"`
	Context    string `json:"context"`
	Instance   string `json:"instance"`
	Reason     string `json:"reason,omitempty"`
}

// Body is the request body, byte for byte the same every time it is built.
func (r OperationRequest) Body() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // strings only
	}
	return b
}

// Accepted is a 202 envelope.
type Accepted struct {
	Status          string          `json:"status"`
	TraceID         string          `json:"trace_id"`
	Records         json.RawMessage `json:"records"`
	Result          OperationResult `json:"result"`
	Replayed        bool            `json:"replayed"`
	OriginalTraceID string          `json:"original_trace_id"`
}

// OperationResult is the accepted envelope's result.
type OperationResult struct {
	Mode                string          `json:"mode"`
	ProviderID          string          `json:"provider_id"`
	Context             string          `json:"context"`
	Instance            string          `json:"instance"`
	OperationStatus     string          `json:"operation_status"`
	BlockedCount        int             `json:"blocked_count"`
	WarningCount        int             `json:"warning_count"`
	InspectedRouteCount int             `json:"inspected_route_count"`
	Reason              string          `json:"reason"`
	Report              json.RawMessage `json:"report"`
}

// decodeAccepted checks a 2xx body is an accepted envelope for req.
func decodeAccepted(body []byte, req OperationRequest) (*Accepted, error) {
	var a Accepted
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("the accepted response is not the documented envelope: %v", err)
	}
	switch {
	case a.Status != "accepted":
		return nil, fmt.Errorf("the response status is %q, not \"accepted\"", clean(a.Status))
	case a.Result.OperationStatus != "ok" && a.Result.OperationStatus != "blocked":
		return nil, fmt.Errorf("result.operation_status is %q, not ok or blocked", clean(a.Result.OperationStatus))
	case a.Result.Mode != req.Mode:
		return nil, fmt.Errorf("result.mode is %q, not the requested %q", clean(a.Result.Mode), req.Mode)
	case a.Result.Context != req.Context || a.Result.Instance != req.Instance:
		return nil, fmt.Errorf("the result is for route %q/%q, not the requested one", clean(a.Result.Context), clean(a.Result.Instance))
	case len(a.Result.Report) == 0 || a.Result.Report[0] != '{':
		return nil, errors.New("result.report is missing or not an object")
	}
	return &a, nil
}

// ServiceError is a call the service refused (any non-2xx), or a 2xx whose
// body is not what the documentation says. Error() is one operator sentence
// naming what to do; it never holds a token or a response body.
type ServiceError struct {
	Op      string // "audit", "backfill-dry-run", "backfill-apply", "read"
	Route   store.Route
	Status  int    // HTTP status
	Code    string // error.code, "" when the body is not an envelope
	Message string // error.message, sanitised
	TraceID string
	NonJSON bool
	// Malformed: a 2xx whose body is not the documented envelope.
	Malformed bool
	// Grant is the grant action the call needs.
	Grant    string
	Audience string
	// Product is set for product-environment reads.
	Product string
}

func (e *ServiceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Launchplane service %s for %s: HTTP %d", e.Op, e.Route.Key(), e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, " (%q)", e.Message)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, ", trace_id %s", e.TraceID)
	}
	b.WriteString(": ")
	b.WriteString(e.advice())
	return b.String()
}

func (e *ServiceError) advice() string {
	switch {
	case e.NonJSON:
		return "the response body is not JSON; check --launchplane-url points at Launchplane's service (a proxy or an unhandled server error answers like this)"
	case e.Malformed:
		return "the response does not match Launchplane's documented envelope: " + e.Message
	}
	switch e.Code {
	case "authentication_required":
		return fmt.Sprintf("the service did not accept the token: check that the audience %q is the service's configured --audience and that the job has `permissions: id-token: write` (an operator bearer must be one of the service's configured secrets)", e.Audience)
	case "authorization_denied":
		scope := "product and context launchplane, no instance"
		if e.Product != "" {
			scope = fmt.Sprintf("product %s, context %s, instance %s", e.Product, e.Route.Context, e.Route.Instance)
		}
		return fmt.Sprintf("the caller has no grant for this: add a Launchplane authz rule with action %s (%s) for this repository and workflow", e.Grant, scope)
	case "database_required", "database_storage_required":
		return "the service runs without Postgres storage; provider-target operations and reads need a database-backed Launchplane service"
	case "invalid_request", "invalid_query":
		return "the service refused the request as invalid; this lanegate version's request may not match the deployed service (the service gives no detail)"
	case "reason_required":
		return "the service requires a non-blank --reason for an apply"
	case "idempotency_key_required":
		return "the service requires an Idempotency-Key for backfill-apply and none arrived (a proxy may strip the header)"
	case "idempotency_key_reused":
		return "this lane's Idempotency-Key (derived from the plan digest and the lane) was already used with a different request body, e.g. another --reason: re-run with the original --reason to replay it, or review a new dry run (a new digest gives new keys)"
	case "mutation_in_progress":
		return "an apply with this lane's Idempotency-Key is still running on the service: wait for it to finish, then re-run the same apply (it replays the stored result)"
	case "mutation_reconciliation_required":
		return "the service does not know whether an earlier apply with this key finished: a Launchplane operator must reconcile it; then audit the lane and review a new dry run"
	case "not_found":
		if e.Product != "" {
			return fmt.Sprintf("Launchplane does not know product %s environment %s (or the route does not exist at --launchplane-url)", e.Product, e.Route.Instance)
		}
		return "the route does not exist: check that --launchplane-url is the service's base URL"
	case "method_not_allowed":
		return "the service does not accept this method on the route: check that --launchplane-url is the service's base URL and the service version"
	}
	switch e.Status {
	case http.StatusNotFound:
		return "the route does not exist: check that --launchplane-url is the service's base URL"
	case http.StatusMethodNotAllowed:
		return "the service does not accept this method on the route: check --launchplane-url and the service version"
	}
	return "the service refused the call; see its trace_id in Launchplane's logs"
}

// NetworkError is a call that failed in transport on every attempt.
type NetworkError struct {
	Op       string
	Route    store.Route
	Attempts int
	Err      string
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("Launchplane service %s for %s: network error after %d attempt(s): %s", e.Op, e.Route.Key(), e.Attempts, e.Err)
}

// rejected decodes a non-2xx body into a ServiceError.
func rejected(status int, body []byte, se *ServiceError) *ServiceError {
	se.Status = status
	var env struct {
		Status  string `json:"status"`
		TraceID string `json:"trace_id"`
		Error   *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil {
		se.NonJSON = err != nil
		if !se.NonJSON {
			se.Message = "the error body has no error object"
		}
		return se
	}
	se.Code = clean(env.Error.Code)
	se.Message = clean(env.Error.Message)
	se.TraceID = clean(env.TraceID)
	return se
}

// clean makes untrusted service text safe to print on one line: control and
// format characters become spaces, and it is cut at 300 characters.
func clean(s string) string {
	out := []rune{}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar {
			r = ' '
		}
		out = append(out, r)
		if len(out) >= 300 {
			out = append(out, '…')
			break
		}
	}
	return strings.TrimSpace(string(out))
}

// call sends one request (the same body and headers on every attempt) and
// returns a 2xx body. Only transport errors are retried.
func (c *Client) call(ctx context.Context, method, path string, body []byte, idemKey string, se *ServiceError) ([]byte, error) {
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return nil, err
	}
	u := *c.base
	u.Path = c.base.Path + path
	target := u.String()
	attempts := 0
	var out []byte
	err = c.retry.do(ctx, func() (bool, error) {
		attempts++
		var rd *bytes.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		var req *http.Request
		var err error
		if rd != nil {
			req, err = http.NewRequestWithContext(ctx, method, target, rd)
		} else {
			req, err = http.NewRequestWithContext(ctx, method, target, nil)
		}
		if err != nil {
			return false, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			if isTimeout(err) {
				// Like Launchplane's action: a timeout is not retried (the
				// call may still be running).
				return false, &NetworkError{Op: se.Op, Route: se.Route, Attempts: attempts, Err: scrubNetErr(err, target)}
			}
			return true, &NetworkError{Op: se.Op, Route: se.Route, Attempts: attempts, Err: scrubNetErr(err, target)}
		}
		defer resp.Body.Close()
		data, err := readCapped(resp.Body, MaxResponseBytes)
		if errors.Is(err, errTooLarge) {
			se.Status = resp.StatusCode
			se.Message = fmt.Sprintf("the response body is larger than %d bytes", MaxResponseBytes)
			return false, se
		}
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return true, &NetworkError{Op: se.Op, Route: se.Route, Attempts: attempts, Err: "reading the response: " + scrubNetErr(err, target)}
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			// A service that echoes the bearer must not make lanegate print it.
			return false, rejected(resp.StatusCode, bytes.ReplaceAll(data, []byte(tok), []byte("***")), se)
		}
		se.Status = resp.StatusCode
		out = data
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// grantFor names the grant a mode needs.
func grantFor(mode string) string {
	if mode == ModeBackfillApply {
		return GrantBackfill
	}
	return GrantAudit
}

// Operate runs one provider-target operation. idemKey is sent for
// backfill-apply (and must be non-empty there).
func (c *Client) Operate(ctx context.Context, req OperationRequest, idemKey string) (*Accepted, error) {
	route := store.Route{Context: req.Context, Instance: req.Instance}
	if req.Mode == ModeBackfillApply && strings.TrimSpace(idemKey) == "" {
		return nil, errors.New("launchplane: backfill-apply needs an Idempotency-Key")
	}
	if req.Mode != ModeBackfillApply {
		idemKey = ""
	}
	se := &ServiceError{Op: req.Mode, Route: route, Grant: grantFor(req.Mode), Audience: c.audience}
	body, err := c.call(ctx, http.MethodPost, OperationsPath, req.Body(), idemKey, se)
	if err != nil {
		return nil, err
	}
	a, err := decodeAccepted(body, req)
	if err != nil {
		se.Malformed, se.Message = true, err.Error()
		return nil, se
	}
	a.TraceID = clean(a.TraceID)
	a.OriginalTraceID = clean(a.OriginalTraceID)
	return a, nil
}
