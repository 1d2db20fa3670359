package ghapi

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/testkit"
)

// newFakeGitHub is the test kit's fake GitHub as these tests use it: every
// repository exists, a contents read without a ref reads main.
func newFakeGitHub(t testing.TB) *testkit.GitHub {
	t.Helper()
	return testkit.NewGitHub(t, testkit.GitHubOptions{DefaultRef: "main"})
}

// inject answers the next times requests matching method and path ("" for
// any) with status, header and body.
func inject(f *testkit.GitHub, method, path string, times, status int, header map[string]string, body string) {
	f.Inject(testkit.Injection{Method: method, Path: path, Times: times, Status: status, Header: header, Body: body})
}

// --- canned responses ---

var jsonMessage = testkit.JSONMessage

var (
	bodySecondary = jsonMessage("You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits")
	bodyPrimary = jsonMessage("API rate limit exceeded for installation ID 1.",
		"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api")
	bodyNotAccessible = jsonMessage("Resource not accessible by integration",
		"https://docs.github.com/rest/commits/statuses#create-a-commit-status")
	bodyBadCredentials = jsonMessage("Bad credentials", "https://docs.github.com/rest")
	bodyBadGateway     = `<html><body><h1>502 Bad Gateway</h1></body></html>`
)

// fakeClock is an injectable clock whose Sleep records the requested wait
// and advances time instead of sleeping.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// newTestClient returns a Client talking to f with a fake clock, no write
// spacing and no jitter; mods adjust the Config.
func newTestClient(t *testing.T, f *testkit.GitHub, mods ...func(*Config)) (*Client, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	cfg := Config{
		Token:        f.Token,
		APIURL:       f.APIURL(),
		WriteSpacing: -1,
		Sleep:        clk.Sleep,
		Now:          clk.Now,
		Jitter:       func(d time.Duration) time.Duration { return d },
		Logf:         t.Logf,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, clk
}

func assertCalls(t *testing.T, f *testkit.GitHub, want ...string) {
	t.Helper()
	got := f.Log()
	if len(want) == 0 {
		want = nil
	}
	if len(got) == 0 {
		got = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("call sequence mismatch\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

func assertSleeps(t *testing.T, clk *fakeClock, want ...time.Duration) {
	t.Helper()
	got := clk.Sleeps()
	if len(want) == 0 {
		want = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sleeps = %v, want %v", got, want)
	}
}

// assertNoToken fails if err's message reveals the token.
func assertNoToken(t *testing.T, f *testkit.GitHub, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), f.Token) {
		t.Fatalf("error message leaks the token: %q", err.Error())
	}
}

var tctx = context.Background()
