// Package dokploy is a small, read-only client for the Dokploy API, used by
// the deploy preflight to confirm that a configured application or compose
// target exists and that the API key can see it.
//
// Dokploy exposes its tRPC procedures over an OpenAPI bridge rooted at
// "<instance>/api". Requests authenticate with the "x-api-key" header. Lookups
// are GET requests such as
//
//	GET <instance>/api/application.one?applicationId=<id>
//	GET <instance>/api/compose.one?composeId=<id>
//
// A missing record is reported by Dokploy as a tRPC NOT_FOUND error, which the
// bridge turns into HTTP 404 with a JSON body like
// {"message":"Application not found","code":"NOT_FOUND"}. Some versions and
// proxies surface the same error with another status (400 or 500) and that
// body, so both forms are treated as not found.
package dokploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Target types accepted by Get.
const (
	TypeApplication = "application"
	TypeCompose     = "compose"
)

// DefaultTimeout bounds a single Get when neither the caller's context nor
// the supplied *http.Client sets a shorter limit.
const DefaultTimeout = 15 * time.Second

// maxBodyBytes caps how much of any response body is read.
const maxBodyBytes = 1 << 20

// maxMessageLen caps how much of a server-provided message is quoted in
// errors.
const maxMessageLen = 200

// ErrNotFound reports that Dokploy has no application or compose with the
// requested id (or the API key's organization cannot see it as such).
var ErrNotFound = errors.New("dokploy: target not found")

// ErrInvalidResponse reports a response that could not be understood, such
// as malformed JSON or a body that lacks the expected fields.
var ErrInvalidResponse = errors.New("dokploy: invalid response")

// Target is the subset of a Dokploy application or compose record that the
// preflight needs.
type Target struct {
	Type    string // TypeApplication or TypeCompose
	ID      string // applicationId or composeId
	Name    string // display name
	AppName string // Dokploy's generated service name (Docker/Swarm name)
}

// AuthError reports that Dokploy refused the request because of the API key
// (HTTP 401 or 403). Dokploy also answers 401 when the key is valid but its
// user may not access the requested service; Message then carries Dokploy's
// explanation.
type AuthError struct {
	StatusCode int
	Message    string // Dokploy's message, sanitized; may be empty
}

func (e *AuthError) Error() string {
	s := fmt.Sprintf("Dokploy rejected the API key (%d)", e.StatusCode)
	if m := e.Message; m != "" && !isGenericAuthMessage(m) {
		s += ": " + m
	}
	return s
}

// UnavailableError reports that Dokploy could not be reached or could not
// answer: a network failure, a timeout, a 5xx response, or throttling (429).
// Callers treat it as a transient infrastructure failure.
type UnavailableError struct {
	StatusCode int    // HTTP status, or 0 when no response was received
	Timeout    bool   // the request ran out of time
	Reason     string // short, sanitized description
	Err        error  // underlying error, if any
}

func (e *UnavailableError) Error() string {
	return "Dokploy is unavailable: " + e.Reason
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// APIError reports any other unexpected HTTP response from Dokploy.
type APIError struct {
	StatusCode int
	Message    string // Dokploy's message, sanitized; may be empty
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("Dokploy returned HTTP %d", e.StatusCode)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// notFoundError carries the detail of a not-found answer while matching
// ErrNotFound with errors.Is.
type notFoundError struct {
	targetType, id string
	detail         string
}

func (e *notFoundError) Error() string {
	s := fmt.Sprintf("Dokploy has no %s with id %q", e.targetType, e.id)
	if e.detail != "" {
		s += " (" + e.detail + ")"
	}
	return s
}

func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

// Client is a read-only Dokploy API client. It is safe for concurrent use.
type Client struct {
	base    *url.URL // ends in /api, no trailing slash
	apiKey  string
	hc      *http.Client
	timeout time.Duration
}

// New returns a client for the Dokploy instance at baseURL. baseURL may be
// the instance URL ("https://dokploy.example.com") or its API root
// ("https://dokploy.example.com/api"); "/api" is appended when the path does
// not already end with it. apiKey must be non-empty. hc may be nil, in which
// case a client with DefaultTimeout is used. The client never follows
// redirects, so the API key is never sent to another location.
func New(baseURL, apiKey string, hc *http.Client) (*Client, error) {
	key := strings.TrimSpace(apiKey)
	if key == "" {
		return nil, errors.New("dokploy: API key is empty")
	}
	for _, r := range key {
		if r < 0x21 || r == 0x7f {
			return nil, errors.New("dokploy: API key contains whitespace or control characters")
		}
	}

	base, err := normalizeBaseURL(baseURL)
	if err != nil {
		return nil, err
	}

	var c http.Client
	if hc != nil {
		c = *hc
	} else {
		c.Timeout = DefaultTimeout
	}
	// Never follow redirects: net/http would copy the x-api-key header to
	// the new location, even on another host.
	c.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}

	return &Client{base: base, apiKey: key, hc: &c, timeout: DefaultTimeout}, nil
}

// BaseURL returns the normalized API root, e.g. "https://dokploy.example.com/api".
func (c *Client) BaseURL() string { return c.base.String() }

func normalizeBaseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("dokploy: base URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("dokploy: invalid base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("dokploy: base URL %q must use http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("dokploy: base URL %q has no host", u.Redacted())
	}
	if u.User != nil {
		return nil, errors.New("dokploy: base URL must not contain credentials; use the API key")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("dokploy: base URL %q must not have a query or fragment", u.Redacted())
	}
	p := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(p, "/api") {
		p += "/api"
	}
	u.Path = p
	u.RawPath = ""
	return u, nil
}

// Get fetches the application or compose with the given id. targetType is
// TypeApplication or TypeCompose.
//
// Errors are classified: errors.Is(err, ErrNotFound) for a missing target;
// *AuthError for 401/403; *UnavailableError for network errors, timeouts,
// 429 and 5xx; errors.Is(err, ErrInvalidResponse) for unparseable bodies;
// *APIError for other statuses. If ctx is canceled (not timed out) the error
// wraps context.Canceled. Error strings never contain the API key.
func (c *Client) Get(ctx context.Context, targetType, id string) (Target, error) {
	targetType = strings.ToLower(strings.TrimSpace(targetType))
	var procedure, idParam string
	switch targetType {
	case TypeApplication:
		procedure, idParam = "application.one", "applicationId"
	case TypeCompose:
		procedure, idParam = "compose.one", "composeId"
	default:
		return Target{}, fmt.Errorf("dokploy: unknown target type %q (want %q or %q)", targetType, TypeApplication, TypeCompose)
	}
	id = strings.TrimSpace(id)
	if id == "" {
		return Target{}, fmt.Errorf("dokploy: empty %s id", targetType)
	}

	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}

	u := *c.base
	u.Path += "/" + procedure
	u.RawQuery = url.Values{idParam: {id}}.Encode()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Target{}, fmt.Errorf("dokploy: building request: %s", c.scrub(err.Error()))
	}
	req.Header.Set("x-api-key", c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "lanegate")

	resp, err := c.hc.Do(req)
	if err != nil {
		return Target{}, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	body := &readRecorder{r: io.LimitReader(resp.Body, maxBodyBytes)}

	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		t, err := decodeTarget(body, targetType, idParam, id)
		if err != nil && body.err != nil {
			// The body could not be read (timeout, reset), as opposed
			// to being read and found malformed.
			return Target{}, c.transportError(ctx, body.err)
		}
		return t, err
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		loc := resp.Header.Get("Location")
		msg := fmt.Sprintf("Dokploy redirected the request (HTTP %d)", resp.StatusCode)
		if loc != "" {
			msg += " to " + c.sanitize(loc)
		}
		return Target{}, &APIError{StatusCode: resp.StatusCode, Message: msg + "; set the Dokploy URL to the final address"}
	}

	eb := readErrorBody(body)
	msg := c.sanitize(eb.message)

	switch {
	case resp.StatusCode == http.StatusNotFound:
		nf := &notFoundError{targetType: targetType, id: id, detail: msg}
		if !eb.isJSON {
			nf.detail = "the endpoint answered 404 without a Dokploy error body; check the Dokploy URL"
		}
		return Target{}, nf
	case eb.isNotFound():
		return Target{}, &notFoundError{targetType: targetType, id: id, detail: msg}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Target{}, &AuthError{StatusCode: resp.StatusCode, Message: msg}
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		reason := fmt.Sprintf("HTTP %d", resp.StatusCode)
		if msg != "" {
			reason += ": " + msg
		}
		return Target{}, &UnavailableError{StatusCode: resp.StatusCode, Reason: reason}
	default:
		return Target{}, &APIError{StatusCode: resp.StatusCode, Message: msg}
	}
}

// transportError classifies an error from sending the request or reading
// the response.
func (c *Client) transportError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("dokploy: request canceled: %w", context.Canceled)
	}
	timeout := errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded)
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		timeout = true
	}
	if timeout {
		return &UnavailableError{Timeout: true, Reason: "request timed out", Err: err}
	}
	reason := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		// Drop the "Get \"<url>\": " prefix; the URL carries no secret, but
		// the inner error is the informative part.
		reason = ue.Err.Error()
	}
	return &UnavailableError{Reason: c.sanitize(reason), Err: err}
}

// scrub removes the API key from s.
func (c *Client) scrub(s string) string {
	if c.apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.apiKey, "[redacted]")
}

// sanitize makes a server- or network-provided string safe and short enough
// to quote in an error: the API key is removed, control characters are
// replaced, and the result is truncated.
func (c *Client) sanitize(s string) string {
	s = c.scrub(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxMessageLen {
		cut := maxMessageLen
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func isGenericAuthMessage(m string) bool {
	switch strings.ToLower(strings.TrimSpace(m)) {
	case "unauthorized", "forbidden", "unauthenticated":
		return true
	}
	return false
}

// errorBody is the union of the error shapes Dokploy may return: the
// OpenAPI bridge's {"message","code"} and tRPC's {"error":{...}}.
type errorBody struct {
	isJSON  bool
	message string
	code    string
}

func (e errorBody) isNotFound() bool {
	if e.code == "NOT_FOUND" {
		return true
	}
	return strings.Contains(strings.ToLower(e.message), "not found")
}

func readErrorBody(r io.Reader) errorBody {
	data, err := io.ReadAll(r)
	if err != nil && len(data) == 0 {
		return errorBody{}
	}
	var raw struct {
		Message string          `json:"message"`
		Code    json.RawMessage `json:"code"`
		Error   *struct {
			Message string `json:"message"`
			Data    struct {
				Code string `json:"code"`
			} `json:"data"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return errorBody{}
	}
	eb := errorBody{isJSON: true, message: raw.Message}
	var code string
	if json.Unmarshal(raw.Code, &code) == nil {
		eb.code = code
	}
	if raw.Error != nil {
		if eb.message == "" {
			eb.message = raw.Error.Message
		}
		if eb.code == "" {
			eb.code = raw.Error.Data.Code
		}
	}
	return eb
}

// decodeTarget reads the top-level fields it needs from a record, stopping
// as soon as they are found. Dokploy puts scalar columns before the (large)
// related collections, so this works even for records whose full JSON would
// exceed the body limit.
func decodeTarget(r io.Reader, targetType, idField, wantID string) (Target, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s.one: %s", ErrInvalidResponse, targetType, fmt.Sprintf(format, args...))
	}

	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return Target{}, invalid("%s", describeJSONErr(err))
	}
	if tok == nil {
		// JSON null: the procedure found nothing.
		return Target{}, &notFoundError{targetType: targetType, id: wantID}
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return Target{}, invalid("expected a JSON object")
	}

	fields := map[string]*string{}
	var t Target
	var gotID string
	fields["name"] = &t.Name
	fields["appName"] = &t.AppName
	fields[idField] = &gotID
	found := map[string]bool{}

	for dec.More() && len(found) < len(fields) {
		tok, err := dec.Token()
		if err != nil {
			return Target{}, invalid("%s", describeJSONErr(err))
		}
		key, ok := tok.(string)
		if !ok {
			return Target{}, invalid("malformed object")
		}
		dst, wanted := fields[key]
		if !wanted || found[key] {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return Target{}, invalid("%s", describeJSONErr(err))
			}
			continue
		}
		var v *string
		if err := dec.Decode(&v); err != nil {
			return Target{}, invalid("field %q: %s", key, describeJSONErr(err))
		}
		if v != nil {
			*dst = *v
		}
		found[key] = true
	}

	if gotID == "" {
		return Target{}, invalid("response has no %s", idField)
	}
	if gotID != wantID {
		return Target{}, invalid("response is for %s %q, not %q", idField, gotID, wantID)
	}
	t.Type = targetType
	t.ID = gotID
	return t, nil
}

func describeJSONErr(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "truncated or empty JSON body (limit 1 MiB)"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "unexpected JSON type " + te.Value
	}
	return "malformed JSON"
}

// readRecorder remembers the first read error other than io.EOF, so that a
// failed read can be told apart from a malformed body.
type readRecorder struct {
	r   io.Reader
	err error
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && err != io.EOF && rr.err == nil {
		rr.err = err
	}
	return n, err
}
