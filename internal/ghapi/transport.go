package ghapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// peekLimit bounds how much of an error response body the transport reads
// to decide whether a 403 is a rate limit.
const peekLimit = 64 << 10

// transport is the retrying, budgeted http.RoundTripper installed underneath
// go-github. go-github only ever sees the final response of a request, so
// rate-limit responses reach it only when the transport has given up.
type transport struct {
	base           http.RoundTripper
	maxRetries     int
	maxTotalWait   time.Duration
	baseBackoff    time.Duration
	secondaryWait  time.Duration
	maxRequests    int
	writeSpacing   time.Duration
	attemptTimeout time.Duration
	sleep          func(context.Context, time.Duration) error
	now            func() time.Time
	jitter         func(time.Duration) time.Duration
	logf           func(format string, args ...any)

	mu       sync.Mutex
	requests int           // attempts actually sent
	waited   time.Duration // retry sleep consumed so far (all requests)

	writeMu   sync.Mutex // serialises mutating requests
	lastWrite time.Time  // end of the previous mutating attempt (guarded by writeMu)
}

// retryDecision describes what to do with a response or transport error.
type retryDecision struct {
	retry  bool
	wait   time.Duration
	reason string
}

func isMutating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func isIdempotentRead(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// takeRequest reserves one request from the budget.
func (t *transport) takeRequest() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.requests >= t.maxRequests {
		return fmt.Errorf("%w: all %d allowed requests were used", ErrBudgetExhausted, t.maxRequests)
	}
	t.requests++
	return nil
}

func (t *transport) requestCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.requests
}

// reserveWait books d against the total wait budget; it reports false (and
// books nothing) when d does not fit in what remains.
func (t *transport) reserveWait(d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d < 0 {
		d = 0
	}
	if t.waited+d > t.maxTotalWait {
		return false
	}
	t.waited += d
	return true
}

func (t *transport) log(format string, args ...any) {
	if t.logf != nil {
		t.logf(format, args...)
	}
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	mutating := isMutating(req.Method)
	if mutating {
		t.writeMu.Lock()
		defer t.writeMu.Unlock()
	}

	for attempt := 0; ; attempt++ {
		areq, err := t.attemptRequest(req, attempt)
		if err != nil {
			return nil, err
		}
		if mutating {
			if err := t.spaceWrite(ctx); err != nil {
				closeBody(areq)
				return nil, err
			}
		}
		if err := t.takeRequest(); err != nil {
			closeBody(areq)
			return nil, err
		}

		resp, rtErr := t.send(areq)
		if mutating {
			t.lastWrite = t.now()
		}

		var dec retryDecision
		if rtErr != nil {
			if ctx.Err() != nil {
				return nil, rtErr
			}
			dec = t.classifyError(req, rtErr, attempt)
		} else {
			dec = t.classifyResponse(resp, attempt)
		}
		if !dec.retry {
			return resp, rtErr
		}
		if attempt >= t.maxRetries {
			t.log("GitHub %s %s: %s; giving up after %d attempts", req.Method, req.URL.Path, dec.reason, attempt+1)
			return resp, rtErr
		}
		if !t.replayable(req) {
			return resp, rtErr
		}
		if !t.reserveWait(dec.wait) {
			t.log("GitHub %s %s: %s; not retrying: waiting %s would exceed what is left of the %s retry wait budget",
				req.Method, req.URL.Path, dec.reason, dec.wait, t.maxTotalWait)
			return resp, rtErr
		}
		if resp != nil {
			drainAndClose(resp)
		}
		t.log("GitHub %s %s: %s; retrying in %s (retry %d of %d)",
			req.Method, req.URL.Path, dec.reason, dec.wait, attempt+1, t.maxRetries)
		if err := t.sleep(ctx, dec.wait); err != nil {
			return nil, err
		}
	}
}

// attemptRequest prepares the request for one attempt. The first attempt
// uses the caller's body; later attempts rebuild it with GetBody so the exact
// same bytes are sent again.
func (t *transport) attemptRequest(req *http.Request, attempt int) (*http.Request, error) {
	areq := req.Clone(req.Context())
	if attempt > 0 && req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("replaying request body: %w", err)
		}
		areq.Body = body
	}
	return areq, nil
}

// replayable reports whether the request can be sent again.
func (t *transport) replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// spaceWrite keeps mutating attempts at least writeSpacing apart. The caller
// holds writeMu.
func (t *transport) spaceWrite(ctx context.Context) error {
	if t.writeSpacing <= 0 || t.lastWrite.IsZero() {
		return nil
	}
	d := t.lastWrite.Add(t.writeSpacing).Sub(t.now())
	if d <= 0 {
		return nil
	}
	return t.sleep(ctx, d)
}

// send performs one attempt with its own timeout. The timeout stays armed
// until the response body is closed, so reading the body is covered too.
func (t *transport) send(req *http.Request) (*http.Response, error) {
	if t.attemptTimeout <= 0 {
		return t.base.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.attemptTimeout)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

func drainAndClose(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, peekLimit))
	resp.Body.Close()
}

// classifyError decides whether a transport-level failure is retried. Only
// reads are retried: a failed write may have reached GitHub.
func (t *transport) classifyError(req *http.Request, err error, attempt int) retryDecision {
	if errors.Is(err, ErrBudgetExhausted) || !isIdempotentRead(req.Method) {
		return retryDecision{}
	}
	return retryDecision{retry: true, wait: t.backoff(t.baseBackoff, attempt), reason: "request failed: " + err.Error()}
}

// classifyResponse decides whether a response is retried and for how long
// to wait first, following GitHub's guidance for primary and secondary rate
// limits.
func (t *transport) classifyResponse(resp *http.Response, attempt int) retryDecision {
	code := resp.StatusCode
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		reason := fmt.Sprintf("HTTP %d", code)
		if d, ok := t.headerWait(resp); ok {
			return retryDecision{retry: true, wait: d, reason: reason}
		}
		return retryDecision{retry: true, wait: t.backoff(t.baseBackoff, attempt), reason: reason}
	case http.StatusTooManyRequests:
		return t.rateLimitDecision(resp, attempt, "HTTP 429 (rate limited)")
	case http.StatusForbidden:
		if !isRateLimit403(resp) {
			return retryDecision{}
		}
		return t.rateLimitDecision(resp, attempt, "HTTP 403 (rate limited)")
	}
	return retryDecision{}
}

func (t *transport) rateLimitDecision(resp *http.Response, attempt int, reason string) retryDecision {
	if d, ok := t.headerWait(resp); ok {
		return retryDecision{retry: true, wait: d, reason: reason}
	}
	// A secondary limit without guidance: wait at least a minute, then back
	// off exponentially.
	return retryDecision{retry: true, wait: t.backoff(t.secondaryWait, attempt), reason: reason}
}

// headerWait derives the wait from Retry-After, or from X-RateLimit-Reset
// when the primary limit is used up.
func (t *transport) headerWait(resp *http.Response) (time.Duration, bool) {
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now()); ok {
		return d, true
	}
	if strings.TrimSpace(resp.Header.Get("X-RateLimit-Remaining")) == "0" {
		if reset, err := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("X-RateLimit-Reset")), 10, 64); err == nil {
			d := time.Unix(reset, 0).Sub(t.now())
			if d < time.Second {
				// Reset already passed (or clocks disagree): a short pause
				// is enough.
				d = time.Second
			}
			return d, true
		}
	}
	return 0, false
}

// backoff is base·2^attempt plus jitter.
func (t *transport) backoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 0; i < attempt && d < 24*time.Hour; i++ {
		d *= 2
	}
	return t.jitter(d)
}

// defaultJitter adds up to 20% random extra time.
func defaultJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// parseRetryAfter accepts delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			secs = 0
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		d := at.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// isRateLimit403 reports whether a 403 is a (primary or secondary) rate
// limit rather than a permission problem. It may peek at the body; the body
// stays readable in full afterwards.
func isRateLimit403(resp *http.Response) bool {
	if strings.TrimSpace(resp.Header.Get("X-RateLimit-Remaining")) == "0" {
		return true
	}
	if resp.Header.Get("Retry-After") != "" {
		return true
	}
	return mentionsRateLimit(peekBody(resp))
}

func mentionsRateLimit(b []byte) bool {
	return bytes.Contains(bytes.ToLower(b), []byte("rate limit"))
}

// peekBody reads up to peekLimit bytes and puts them back in front of the
// unread remainder.
func peekBody(resp *http.Response) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	resp.Body = &prefixedBody{Reader: io.MultiReader(bytes.NewReader(head), resp.Body), closer: resp.Body}
	return head
}

type prefixedBody struct {
	io.Reader
	closer io.Closer
}

func (p *prefixedBody) Close() error { return p.closer.Close() }

// defaultSleep waits for d or until ctx is done.
func defaultSleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
