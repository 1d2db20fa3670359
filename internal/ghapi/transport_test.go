package ghapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetry429HonoursRetryAfterAndReplaysBody(t *testing.T) {
	f := newFakeGitHub(t)
	inject(f, "POST", "/repos/acme/shop/issues/7/comments", 1, http.StatusTooManyRequests,
		map[string]string{"Retry-After": "7"}, bodySecondary)
	c, clk := newTestClient(t, f)

	cm, err := c.CreateComment(tctx, "acme", "shop", 7, "hello ✓")
	if err != nil {
		t.Fatalf("CreateComment: %v", err)
	}
	assertCalls(t, f, createPR7, createPR7)
	assertSleeps(t, clk, 7*time.Second)
	calls := f.Calls()
	if calls[0].Body != calls[1].Body || !strings.Contains(calls[1].Body, `"body":"hello ✓"`) {
		t.Fatalf("retried body differs:\n%q\n%q", calls[0].Body, calls[1].Body)
	}
	if cm.ID == 0 || cm.Body != "hello ✓" || cm.AuthorLogin != bot || cm.UpdatedAt.IsZero() {
		t.Fatalf("comment = %+v", cm)
	}
	if n := len(f.IssueComments("acme/shop", 7)); n != 1 {
		t.Fatalf("%d comments created, want 1", n)
	}
	if c.Requests() != 2 {
		t.Fatalf("Requests() = %d, want 2", c.Requests())
	}
}

func TestRetryPrimaryLimitWaitsUntilReset(t *testing.T) {
	f := newFakeGitHub(t)
	c, clk := newTestClient(t, f)
	reset := clk.Now().Add(42 * time.Second).Unix()
	inject(f, "GET", "/repos/acme/shop/issues/7/comments", 1, http.StatusForbidden, map[string]string{
		"X-RateLimit-Limit":     "5000",
		"X-RateLimit-Remaining": "0",
		"X-RateLimit-Reset":     strconv.FormatInt(reset, 10),
	}, bodyPrimary)

	if _, err := c.ListComments(tctx, "acme", "shop", 7); err != nil {
		t.Fatalf("ListComments: %v", err)
	}
	assertCalls(t, f, listPR7, listPR7)
	assertSleeps(t, clk, 42*time.Second)
}

func TestRetrySecondaryLimitWithoutHeaders(t *testing.T) {
	f := newFakeGitHub(t)
	inject(f, "PATCH", "", 2, http.StatusForbidden, nil, bodySecondary)
	id := f.AddComment("acme/shop", 7, bot, "x")
	c, clk := newTestClient(t, f)

	if err := c.EditComment(tctx, "acme", "shop", id, "y"); err != nil {
		t.Fatalf("EditComment: %v", err)
	}
	assertCalls(t, f, editCall(id), editCall(id), editCall(id))
	// At least a minute, then exponential backoff.
	assertSleeps(t, clk, 60*time.Second, 120*time.Second)
	if got := f.IssueComments("acme/shop", 7)[0].Body; got != "y" {
		t.Fatalf("body = %q", got)
	}
}

func TestRetry502ThenSuccess(t *testing.T) {
	f := newFakeGitHub(t)
	inject(f, "GET", "", 2, http.StatusBadGateway, nil, bodyBadGateway)
	c, clk := newTestClient(t, f)

	if _, err := c.ListComments(tctx, "acme", "shop", 7); err != nil {
		t.Fatalf("ListComments: %v", err)
	}
	assertCalls(t, f, listPR7, listPR7, listPR7)
	assertSleeps(t, clk, 1*time.Second, 2*time.Second)
}

func TestRetryDefaultJitterBounds(t *testing.T) {
	f := newFakeGitHub(t)
	inject(f, "GET", "", 3, http.StatusServiceUnavailable, nil, "")
	c, clk := newTestClient(t, f, func(cfg *Config) { cfg.Jitter = nil })

	if _, err := c.ListComments(tctx, "acme", "shop", 7); err != nil {
		t.Fatalf("ListComments: %v", err)
	}
	got := clk.Sleeps()
	if len(got) != 3 {
		t.Fatalf("sleeps = %v", got)
	}
	for i, d := range got {
		base := time.Second << i
		if d < base || d > base+base/5 {
			t.Errorf("sleep %d = %v, want within [%v, %v]", i, d, base, base+base/5)
		}
	}
}

func TestRetryStopsWhenTotalWaitWouldBeExceeded(t *testing.T) {
	f := newFakeGitHub(t)
	inject(f, "POST", "", 10, http.StatusTooManyRequests, map[string]string{"Retry-After": "120"}, bodySecondary)
	c, clk := newTestClient(t, f) // default MaxTotalWait: 3m

	_, err := c.CreateComment(tctx, "acme", "shop", 7, "hi")
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	want := `GitHub rate limit still exceeded for "create comment" (429) after retrying: You have exceeded a secondary rate limit. Please wait a few minutes before you try again.`
	if err.Error() != want {
		t.Fatalf("err = %q\nwant  %q", err, want)
	}
	// 120s fits in 3m; a second 120s would not, so no third attempt.
	assertCalls(t, f, createPR7, createPR7)
	assertSleeps(t, clk, 120*time.Second)

	// The budget is shared by the whole client: 60s are left.
	f.ResetCalls()
	inject(f, "GET", "", 1, http.StatusTooManyRequests, map[string]string{"Retry-After": "61"}, bodySecondary)
	if _, err := c.ListComments(tctx, "acme", "shop", 8); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	assertCalls(t, f, "GET /repos/acme/shop/issues/8/comments?per_page=100")
}

func TestRetryPrimaryResetBeyondBudgetGivesUpImmediately(t *testing.T) {
	f := newFakeGitHub(t)
	c, clk := newTestClient(t, f)
	reset := clk.Now().Add(40 * time.Minute).Unix()
	inject(f, "POST", "", 1, http.StatusForbidden, map[string]string{
		"X-RateLimit-Remaining": "0",
		"X-RateLimit-Reset":     strconv.FormatInt(reset, 10),
	}, bodyPrimary)

	err := c.CreateStatus(tctx, "acme", "shop", strings.Repeat("a", 40), Status{State: "success", Context: "lanegate/cutover"})
	if !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrPermission) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	assertCalls(t, f, "POST /repos/acme/shop/statuses/"+strings.Repeat("a", 40))
	assertSleeps(t, clk)
}

func TestGoGithubRefusesLocallyAfterWeGiveUpOnPrimaryLimit(t *testing.T) {
	f := newFakeGitHub(t)
	// go-github compares resets with the real clock, so use it here too.
	c, clk := newTestClient(t, f, func(cfg *Config) { cfg.Now = time.Now })
	inject(f, "GET", "", 1, http.StatusForbidden, map[string]string{
		"X-RateLimit-Limit":     "5000",
		"X-RateLimit-Remaining": "0",
		"X-RateLimit-Reset":     strconv.FormatInt(time.Now().Add(40*time.Minute).Unix(), 10),
	}, bodyPrimary)

	if _, err := c.ListComments(tctx, "acme", "shop", 7); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	_, err := c.ListComments(tctx, "acme", "shop", 7)
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("second call: err = %v, want ErrRateLimited", err)
	}
	assertCalls(t, f, listPR7) // the second call never left the process
	assertSleeps(t, clk)
	if c.Requests() != 1 {
		t.Fatalf("Requests() = %d, want 1", c.Requests())
	}
}

func TestRetryGivesUpAfterMaxRetries(t *testing.T) {
	f := newFakeGitHub(t)
	inject(f, "GET", "", 100, http.StatusBadGateway, nil, bodyBadGateway)
	c, clk := newTestClient(t, f)

	_, err := c.ListComments(tctx, "acme", "shop", 7)
	if err == nil || err.Error() != `GitHub API error for "list comments" (502): Bad Gateway` {
		t.Fatalf("err = %v", err)
	}
	assertCalls(t, f, listPR7, listPR7, listPR7, listPR7, listPR7) // 1 + 4 retries
	assertSleeps(t, clk, 1*time.Second, 2*time.Second, 4*time.Second, 8*time.Second)
}

func TestBudgetExhausted(t *testing.T) {
	f := newFakeGitHub(t)
	for i := 0; i < 250; i++ {
		f.AddComment("acme/shop", 7, "dev", "c")
	}
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.MaxRequests = 3 })

	if got, err := c.ListComments(tctx, "acme", "shop", 7); err != nil || len(got) != 250 {
		t.Fatalf("ListComments: %d comments, %v", len(got), err)
	}
	_, err := c.ListComments(tctx, "acme", "shop", 7)
	if !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("err = %v, want ErrBudgetExhausted", err)
	}
	if want := "list comments: GitHub API request budget exhausted: all 3 allowed requests were used"; err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
	if c.Requests() != 3 || len(f.Log()) != 3 {
		t.Fatalf("Requests() = %d, server saw %d; want 3", c.Requests(), len(f.Log()))
	}
}

func TestBudgetExhaustedDuringRetries(t *testing.T) {
	f := newFakeGitHub(t)
	inject(f, "GET", "", 10, http.StatusBadGateway, nil, bodyBadGateway)
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.MaxRequests = 2 })

	_, err := c.PullRequest(tctx, "acme", "shop", 7)
	if !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("err = %v, want ErrBudgetExhausted", err)
	}
	assertCalls(t, f, "GET /repos/acme/shop/pulls/7", "GET /repos/acme/shop/pulls/7")
}

func TestRetrySleepRespectsContext(t *testing.T) {
	f := newFakeGitHub(t)
	inject(f, "GET", "", 1, http.StatusTooManyRequests, map[string]string{"Retry-After": "30"}, bodySecondary)
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.Sleep = nil }) // real sleep

	cctx, cancel := context.WithTimeout(tctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ListComments(cctx, "acme", "shop", 7)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("took %v: the sleep ignored the context", el)
	}
	assertCalls(t, f, listPR7)
}

func TestWriteSpacing(t *testing.T) {
	f := newFakeGitHub(t)
	c, clk := newTestClient(t, f, func(cfg *Config) { cfg.WriteSpacing = 0 }) // default 1s

	for i := 0; i < 3; i++ {
		if _, err := c.CreateComment(tctx, "acme", "shop", 7, "x"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListComments(tctx, "acme", "shop", 7); err != nil { // reads are not spaced
			t.Fatal(err)
		}
	}
	assertSleeps(t, clk, time.Second, time.Second)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNetworkErrorsRetriedForReadsOnly(t *testing.T) {
	f := newFakeGitHub(t)
	var fails atomic.Int32
	fails.Store(1)
	flaky := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if fails.Add(-1) >= 0 {
			return nil, errors.New("connection reset by peer")
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	c, clk := newTestClient(t, f, func(cfg *Config) { cfg.HTTPClient = &http.Client{Transport: flaky} })

	if _, err := c.ListComments(tctx, "acme", "shop", 7); err != nil {
		t.Fatalf("ListComments: %v", err)
	}
	assertSleeps(t, clk, time.Second)
	assertCalls(t, f, listPR7)

	fails.Store(1)
	_, err := c.CreateComment(tctx, "acme", "shop", 7, "x")
	if err == nil || !strings.Contains(err.Error(), "connection reset by peer") {
		t.Fatalf("err = %v", err)
	}
	if !strings.HasPrefix(err.Error(), `GitHub request for "create comment" failed: `) {
		t.Fatalf("err = %q", err)
	}
	assertSleeps(t, clk, time.Second) // a write that may have landed is not retried
	if c.Requests() != 3 {
		t.Fatalf("Requests() = %d, want 3", c.Requests())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"Thu, 01 Jan 2026 00:01:30 GMT", 90 * time.Second, true},
		{"", 0, false},
		{"soon", 0, false},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
