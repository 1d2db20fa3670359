package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// All tests talk only to httptest servers on 127.0.0.1. Host names used in
// tests (*.test) are resolved by a fake resolver; addresses the fake
// resolver hands out that are not 127.0.0.1 are never dialed for real.

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func probeOne(t *testing.T, p *Prober, target Target) Result {
	t.Helper()
	res := p.Probe(context.Background(), []Target{target})
	if len(res) != 1 {
		t.Fatalf("got %d results, want 1", len(res))
	}
	return res[0]
}

func wantFail(t *testing.T, r Result, wantErr string) {
	t.Helper()
	if r.Passed {
		t.Fatalf("probe passed, want failure %q: %+v", wantErr, r)
	}
	if !strings.Contains(r.Error, wantErr) {
		t.Fatalf("Error = %q, want it to contain %q", r.Error, wantErr)
	}
}

// fakeResolver maps host names to addresses; a host may have a sequence of
// answers, one per lookup (the last one repeats).
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr
	calls   map[string]int
}

func newFakeResolver() *fakeResolver {
	return &fakeResolver{answers: map[string][][]netip.Addr{}, calls: map[string]int{}}
}

func (f *fakeResolver) set(host string, answers ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var seq [][]netip.Addr
	for _, a := range answers {
		var addrs []netip.Addr
		for _, s := range strings.Split(a, ",") {
			addrs = append(addrs, netip.MustParseAddr(s))
		}
		seq = append(seq, addrs)
	}
	f.answers[strings.ToLower(host)] = seq
}

func (f *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	host = strings.ToLower(host)
	seq, ok := f.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	i := f.calls[host]
	f.calls[host]++
	if i >= len(seq) {
		i = len(seq) - 1
	}
	return seq[i], nil
}

func serverPort(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func TestPass2xx(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("method = %s, want GET", r.Method)
		}
		if ua := r.Header.Get("User-Agent"); ua != "lanegate-probe" {
			t.Errorf("User-Agent = %q", ua)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	r := probeOne(t, &Prober{}, Target{Lane: "prod", URL: srv.URL + "/healthz", AllowPrivate: true})
	if !r.Passed || r.Error != "" || r.StatusCode != 204 {
		t.Fatalf("got %+v, want pass with 204", r)
	}
	if r.Lane != "prod" || r.URL != srv.URL+"/healthz" {
		t.Fatalf("lane/url not echoed: %+v", r)
	}
}

func TestFail500(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom: secret stack trace", http.StatusInternalServerError)
	}))
	r := probeOne(t, &Prober{}, Target{URL: srv.URL, AllowPrivate: true})
	wantFail(t, r, "unexpected status 500 (want 2xx)")
	if r.StatusCode != 500 {
		t.Fatalf("StatusCode = %d", r.StatusCode)
	}
	if strings.Contains(r.Error, "secret") {
		t.Fatalf("body leaked into Error: %q", r.Error)
	}
}

func TestExpectStatus(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/auth":
			w.WriteHeader(http.StatusUnauthorized)
		case "/moved":
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusMovedPermanently)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	p := &Prober{}
	res := p.Probe(context.Background(), []Target{
		{Lane: "a", URL: srv.URL + "/auth", ExpectStatus: []int{401, 403}, AllowPrivate: true},
		{Lane: "b", URL: srv.URL + "/ok", ExpectStatus: []int{204}, AllowPrivate: true},
		{Lane: "c", URL: srv.URL + "/ok", ExpectStatus: []int{200}, AllowPrivate: true},
		// A listed redirect status is accepted, not followed (the
		// redirect would otherwise leave the host).
		{Lane: "d", URL: srv.URL + "/moved", ExpectStatus: []int{301}, AllowPrivate: true},
	})
	if !res[0].Passed || res[0].StatusCode != 401 {
		t.Errorf("401 expected: %+v", res[0])
	}
	wantFail(t, res[1], "unexpected status 200 (want 204)")
	if !res[2].Passed {
		t.Errorf("200 expected: %+v", res[2])
	}
	if !res[3].Passed || res[3].StatusCode != 301 || res[3].Redirects != 0 {
		t.Errorf("301 expected: %+v", res[3])
	}
	for i, lane := range []string{"a", "b", "c", "d"} {
		if res[i].Lane != lane {
			t.Errorf("result %d has lane %q, want %q (input order)", i, res[i].Lane, lane)
		}
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never sends headers in time
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) }) // before srv.Close

	r := probeOne(t, &Prober{}, Target{URL: srv.URL, AllowPrivate: true, Timeout: 100 * time.Millisecond})
	wantFail(t, r, "timeout after 100ms")
	if r.StatusCode != 0 {
		t.Fatalf("StatusCode = %d, want 0", r.StatusCode)
	}
}

func TestRedirectsFollowedOnSameHost(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			http.Redirect(w, r, "/step", http.StatusFound)
		case "/step":
			http.Redirect(w, r, "/healthz", http.StatusTemporaryRedirect)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	r := probeOne(t, &Prober{}, Target{URL: srv.URL + "/", AllowPrivate: true})
	if !r.Passed || r.Redirects != 2 || r.StatusCode != 200 {
		t.Fatalf("got %+v, want pass after 2 redirects", r)
	}
}

func TestRedirectLoop(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	}))
	r := probeOne(t, &Prober{MaxRedirects: 3}, Target{URL: srv.URL + "/loop", AllowPrivate: true})
	wantFail(t, r, "stopped after 3 redirects")
	if r.Redirects != 3 || r.StatusCode != 302 {
		t.Fatalf("got %+v, want 3 redirects and status 302", r)
	}
	if got := hits.Load(); got != 4 {
		t.Fatalf("server saw %d requests, want 4", got)
	}

	// Default bound is 5.
	r = probeOne(t, &Prober{}, Target{URL: srv.URL + "/loop", AllowPrivate: true})
	wantFail(t, r, "stopped after 5 redirects")
}

func TestRedirectToAnotherPort(t *testing.T) {
	var otherHits atomic.Int32
	other := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
	}))
	lane := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/healthz", http.StatusFound)
	}))
	r := probeOne(t, &Prober{}, Target{URL: lane.URL, AllowPrivate: true})
	want := fmt.Sprintf("redirect leaves lane host %s for %s",
		strings.TrimPrefix(lane.URL, "http://"), strings.TrimPrefix(other.URL, "http://"))
	if r.Passed || r.Error != want {
		t.Fatalf("Error = %q, want %q", r.Error, want)
	}
	if r.StatusCode != 302 {
		t.Fatalf("StatusCode = %d, want 302", r.StatusCode)
	}
	if otherHits.Load() != 0 {
		t.Fatal("probe followed the redirect to the other host")
	}
}

func TestRedirectHostNames(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		port := strings.TrimPrefix(r.Host[strings.LastIndex(r.Host, ":"):], ":")
		switch r.URL.Path {
		case "/case":
			// Same host, different letter case: allowed.
			http.Redirect(w, r, "http://LANE.Test:"+port+"/ok", http.StatusFound)
		case "/away":
			http.Redirect(w, r, "http://other.test:"+port+"/ok", http.StatusFound)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	port := serverPort(t, srv)
	res := newFakeResolver()
	res.set("lane.test", "127.0.0.1")
	res.set("other.test", "127.0.0.1")
	p := &Prober{Resolver: res}

	r := probeOne(t, p, Target{URL: "http://lane.test:" + port + "/case", AllowPrivate: true})
	if !r.Passed || r.Redirects != 1 {
		t.Fatalf("case-only host change: got %+v, want pass", r)
	}
	r = probeOne(t, p, Target{URL: "http://lane.test:" + port + "/away", AllowPrivate: true})
	if want := "redirect leaves lane host lane.test:" + port + " for other.test:" + port; r.Error != want {
		t.Fatalf("Error = %q, want %q", r.Error, want)
	}
}

func TestSlowBodyDoesNotDelayResult(t *testing.T) {
	release := make(chan struct{})
	handlerDone := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "first bytes of a very slow body")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		io.WriteString(w, "the rest")
	}))
	t.Cleanup(func() { close(release) }) // before srv.Close

	results := make(chan Result, 1)
	go func() {
		results <- probeOne(t, &Prober{}, Target{URL: srv.URL, AllowPrivate: true})
	}()
	select {
	case r := <-results:
		if !r.Passed || r.StatusCode != 200 {
			t.Fatalf("got %+v, want pass", r)
		}
	case <-handlerDone:
		t.Fatal("probe waited for the body: handler finished before the result arrived")
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)

	t.Run("untrusted", func(t *testing.T) {
		r := probeOne(t, &Prober{}, Target{URL: srv.URL, AllowPrivate: true})
		wantFail(t, r, "tls: ")
		if r.Error != "tls: certificate signed by unknown authority" {
			t.Fatalf("Error = %q", r.Error)
		}
	})

	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	trusted := &tls.Config{RootCAs: pool}

	t.Run("trusted", func(t *testing.T) {
		r := probeOne(t, &Prober{TLSConfig: trusted}, Target{URL: srv.URL, AllowPrivate: true})
		if !r.Passed {
			t.Fatalf("got %+v, want pass", r)
		}
	})
	t.Run("wrong name", func(t *testing.T) {
		res := newFakeResolver()
		res.set("wrong.test", "127.0.0.1")
		target := "https://wrong.test:" + serverPort(t, srv) + "/"
		r := probeOne(t, &Prober{TLSConfig: trusted, Resolver: res}, Target{URL: target, AllowPrivate: true})
		wantFail(t, r, "tls: certificate is valid for")
	})
	t.Run("plain http server", func(t *testing.T) {
		plain := newServer(t, http.NotFoundHandler())
		target := "https://" + strings.TrimPrefix(plain.URL, "http://")
		r := probeOne(t, &Prober{}, Target{URL: target, AllowPrivate: true})
		wantFail(t, r, "tls: ")
	})
}

func TestConcurrencyLimit(t *testing.T) {
	const limit, total = 2, 7
	var inFlight, maxInFlight atomic.Int32
	arrived := make(chan struct{}, total)
	release := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		arrived <- struct{}{}
		<-release
		inFlight.Add(-1)
		w.WriteHeader(http.StatusOK)
	}))
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before srv.Close

	targets := make([]Target, total)
	for i := range targets {
		targets[i] = Target{Lane: fmt.Sprint(i), URL: fmt.Sprintf("%s/%d", srv.URL, i), AllowPrivate: true}
	}
	done := make(chan []Result, 1)
	go func() { done <- (&Prober{Concurrency: limit}).Probe(context.Background(), targets) }()

	// Exactly `limit` requests must arrive...
	for i := 0; i < limit; i++ {
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d requests arrived, want %d in parallel", i, limit)
		}
	}
	// ...and no more while they are blocked. (A late arrival after this
	// window would still be caught by maxInFlight below.)
	select {
	case <-arrived:
		t.Fatalf("more than %d requests in flight", limit)
	case <-time.After(200 * time.Millisecond):
	}
	unblock()

	res := <-done
	for i, r := range res {
		if !r.Passed || r.Lane != fmt.Sprint(i) {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	if got := maxInFlight.Load(); got != limit {
		t.Fatalf("max in flight = %d, want %d", got, limit)
	}
}

func TestPrivateAddressRefused(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	r := probeOne(t, &Prober{}, Target{Lane: "prod", URL: srv.URL}) // no AllowPrivate
	want := "refusing to probe private address 127.0.0.1 (set health.allow_private for this lane)"
	if r.Passed || r.Error != want {
		t.Fatalf("Error = %q, want %q", r.Error, want)
	}
	if hits.Load() != 0 {
		t.Fatal("server was contacted")
	}
}

// noDial fails the test if any connection is attempted.
func noDial(t *testing.T) func(context.Context, string, string) (net.Conn, error) {
	return func(_ context.Context, _, addr string) (net.Conn, error) {
		t.Errorf("unexpected dial to %s", addr)
		return nil, fmt.Errorf("dial refused by test")
	}
}

func TestPrivateAddressesRefusedAfterResolution(t *testing.T) {
	res := newFakeResolver()
	cases := map[string]string{
		"loop.test":       "127.0.0.53",
		"rfc1918.test":    "10.1.2.3",
		"rfc1918b.test":   "172.16.9.9",
		"rfc1918c.test":   "192.168.1.1",
		"metadata.test":   "169.254.169.254",
		"cgnat.test":      "100.64.0.7",
		"zero.test":       "0.0.0.0",
		"v6loop.test":     "::1",
		"ula.test":        "fd00::1",
		"v6ll.test":       "fe80::1",
		"mapped.test":     "::ffff:10.0.0.1",
		"multicast.test":  "224.0.0.251",
		"unspecv6.test":   "::",
		"allprivate.test": "10.0.0.1,192.168.0.1",
	}
	var targets []Target
	for host, addr := range cases {
		res.set(host, addr)
		targets = append(targets, Target{Lane: host, URL: "http://" + host + "/"})
	}
	p := &Prober{Resolver: res, DialContext: noDial(t)}
	for _, r := range p.Probe(context.Background(), targets) {
		wantFail(t, r, "refusing to probe private address ")
		first := strings.Split(cases[r.Lane], ",")[0]
		if want := netip.MustParseAddr(first).Unmap().String(); !strings.Contains(r.Error, want+" (set") {
			t.Errorf("%s: Error = %q, want address %s", r.Lane, r.Error, want)
		}
	}

	// IP literals are checked too, without resolution.
	r := probeOne(t, p, Target{URL: "http://[::1]:8080/"})
	wantFail(t, r, "refusing to probe private address ::1 ")
}

func TestMixedResolutionDialsOnlyPublic(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	port := serverPort(t, srv)
	res := newFakeResolver()
	res.set("mixed.test", "10.0.0.1,203.0.113.10")
	var (
		mu     sync.Mutex
		dialed []string
	)
	p := &Prober{
		Resolver: res,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			dialed = append(dialed, addr)
			mu.Unlock()
			if addr != "203.0.113.10:"+port {
				return nil, fmt.Errorf("unexpected address %s", addr)
			}
			// Stand-in for the public host: the local test server.
			var d net.Dialer
			return d.DialContext(ctx, network, "127.0.0.1:"+port)
		},
	}
	r := probeOne(t, p, Target{URL: "http://mixed.test:" + port + "/"})
	if !r.Passed {
		t.Fatalf("got %+v, want pass via the public address", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialed) != 1 {
		t.Fatalf("dialed %v, want only the public address", dialed)
	}
}

func TestDNSRebindingOnRedirect(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/admin", http.StatusFound)
			return
		}
		t.Errorf("rebound request reached %s", r.URL.Path)
	}))
	port := serverPort(t, srv)
	res := newFakeResolver()
	// First lookup answers a public address, the next one a private one.
	res.set("rebind.test", "203.0.113.10", "127.0.0.1")
	p := &Prober{
		Resolver: res,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != "203.0.113.10:"+port {
				t.Errorf("unexpected dial to %s", addr)
				return nil, fmt.Errorf("unexpected address %s", addr)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, "127.0.0.1:"+port)
		},
	}
	r := probeOne(t, p, Target{URL: "http://rebind.test:" + port + "/"})
	wantFail(t, r, "refusing to probe private address 127.0.0.1 (set health.allow_private for this lane)")
}

func TestInvalidTargets(t *testing.T) {
	p := &Prober{DialContext: noDial(t)}
	res := p.Probe(context.Background(), []Target{
		{URL: "ftp://example.com/file"},
		{URL: "file:///etc/passwd"},
		{URL: "http://"},
		{URL: "://nope"},
		{URL: "example.com/healthz"},
	})
	wantFail(t, res[0], `unsupported URL scheme "ftp"`)
	wantFail(t, res[1], `unsupported URL scheme "file"`)
	wantFail(t, res[2], "no host")
	wantFail(t, res[3], "invalid URL")
	wantFail(t, res[4], "unsupported URL scheme")
}

func TestDNSFailure(t *testing.T) {
	p := &Prober{Resolver: newFakeResolver(), DialContext: noDial(t)}
	r := probeOne(t, p, Target{URL: "http://nowhere.test/"})
	wantFail(t, r, "dns: no such host nowhere.test")
}

func TestLatencyUsesClock(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var calls int
	p := &Prober{Now: func() time.Time {
		calls++
		return base.Add(time.Duration(calls-1) * 250 * time.Millisecond)
	}}
	r := probeOne(t, p, Target{URL: srv.URL, AllowPrivate: true})
	if !r.Passed || r.Latency != 250*time.Millisecond {
		t.Fatalf("got %+v, want latency 250ms", r)
	}
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := &Prober{DialContext: noDial(t), Concurrency: 1}
	res := p.Probe(ctx, []Target{{URL: "http://a.test/"}, {URL: "http://b.test/"}})
	for _, r := range res {
		wantFail(t, r, "canceled")
	}
}

func TestPasswordRedactedInResult(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, pw, ok := r.BasicAuth(); !ok || u != "probe" || pw != "hunter2" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	target := strings.Replace(srv.URL, "http://", "http://probe:hunter2@", 1)
	r := probeOne(t, &Prober{}, Target{URL: target, AllowPrivate: true})
	if !r.Passed {
		t.Fatalf("got %+v", r)
	}
	if strings.Contains(r.URL, "hunter2") {
		t.Fatalf("password in result URL: %q", r.URL)
	}
}

func TestIsBlocked(t *testing.T) {
	blocked := []string{
		"127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255",
		"192.168.0.1", "169.254.169.254", "100.64.0.1", "100.127.255.255", "0.0.0.0",
		"224.0.0.1", "255.255.255.255", "::1", "::", "fc00::1", "fdff::1", "fe80::1",
		"ff02::1", "::ffff:127.0.0.1", "::ffff:192.168.1.1",
	}
	allowed := []string{
		"1.1.1.1", "8.8.8.8", "203.0.113.10", "100.63.255.255", "100.128.0.0",
		"172.32.0.1", "192.169.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8",
	}
	for _, s := range blocked {
		if !IsBlocked(netip.MustParseAddr(s)) {
			t.Errorf("IsBlocked(%s) = false, want true", s)
		}
	}
	for _, s := range allowed {
		if IsBlocked(netip.MustParseAddr(s)) {
			t.Errorf("IsBlocked(%s) = true, want false", s)
		}
	}
}

func TestSameHost(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"http://Example.com/", "http://example.COM/x", true},
		{"http://example.com/", "https://example.com/", true}, // default ports
		{"http://example.com:80/", "http://example.com/", true},
		{"https://example.com/", "https://example.com:443/", true},
		{"http://example.com/", "http://example.com:8080/", false},
		{"https://example.com:8443/", "https://example.com/", false},
		{"http://example.com/", "http://www.example.com/", false},
		{"http://127.0.0.1:1000/", "http://localhost:1000/", false},
	} {
		a, b := mustParse(t, tc.a), mustParse(t, tc.b)
		if got := sameHost(a, b); got != tc.want {
			t.Errorf("sameHost(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestIsBlockedEmbeddedIPv4: every IPv6 form that reaches an IPv4 address
// (NAT64, IPv4-compatible, IPv4-mapped, SIIT, 6to4, Teredo) is judged by
// that address, so no blocked IPv4 range can be reached through one.
func TestIsBlockedEmbeddedIPv4(t *testing.T) {
	blockedV4 := []string{
		"127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254",
		"100.64.0.1", "0.0.0.0", "224.0.0.251", "240.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.0.8",
	}
	teredo := func(v4 netip.Addr, server string) string {
		b := v4.As4()
		s := netip.MustParseAddr(server).As4()
		var a [16]byte
		a[0], a[1] = 0x20, 0x01
		copy(a[4:8], s[:])
		a[10], a[11] = 0xff, 0xff // obfuscated port
		for i := range b {
			a[12+i] = ^b[i]
		}
		return netip.AddrFrom16(a).String()
	}
	forms := []struct {
		name string
		of   func(v4 netip.Addr) string
	}{
		{"NAT64 64:ff9b::/96", func(v4 netip.Addr) string { return "64:ff9b::" + v4.String() }},
		{"IPv4-compatible ::/96", func(v4 netip.Addr) string { return "::" + v4.String() }},
		{"IPv4-mapped ::ffff:0:0/96", func(v4 netip.Addr) string { return "::ffff:" + v4.String() }},
		{"SIIT ::ffff:0:0:0/96", func(v4 netip.Addr) string { return "::ffff:0:" + v4.String() }},
		{"6to4 2002::/16", func(v4 netip.Addr) string {
			b := v4.As4()
			return fmt.Sprintf("2002:%02x%02x:%02x%02x::1", b[0], b[1], b[2], b[3])
		}},
		{"Teredo 2001::/32 client", func(v4 netip.Addr) string { return teredo(v4, "65.54.227.120") }},
		{"Teredo 2001::/32 server", func(v4 netip.Addr) string {
			b := v4.As4()
			return fmt.Sprintf("2001:0:%02x%02x:%02x%02x::ffff:f7f7:f7f7", b[0], b[1], b[2], b[3]) // client 8.8.8.8
		}},
	}
	for _, f := range forms {
		for _, s := range blockedV4 {
			v4 := netip.MustParseAddr(s)
			addr := netip.MustParseAddr(f.of(v4))
			if !IsBlocked(addr) {
				t.Errorf("%s: IsBlocked(%s) = false; it reaches %s", f.name, addr, v4)
			}
		}
	}
	// The same forms of a public address stay allowed (IPv4-compatible
	// addresses excepted: refused outright).
	for _, f := range forms {
		if strings.HasPrefix(f.name, "IPv4-compatible") || strings.HasSuffix(f.name, "server") {
			continue
		}
		addr := netip.MustParseAddr(f.of(netip.MustParseAddr("8.8.8.8")))
		if IsBlocked(addr) {
			t.Errorf("%s: IsBlocked(%s) = true for public 8.8.8.8", f.name, addr)
		}
	}
	if got := EmbeddedIPv4(netip.MustParseAddr("64:ff9b::a9fe:a9fe")); len(got) != 1 || got[0] != netip.MustParseAddr("169.254.169.254") {
		t.Errorf("EmbeddedIPv4(64:ff9b::a9fe:a9fe) = %v", got)
	}
	if got := EmbeddedIPv4(netip.MustParseAddr("2606:4700:4700::1111")); got != nil {
		t.Errorf("EmbeddedIPv4 of a plain IPv6 address = %v", got)
	}
}

// TestEmbeddedIPv4RefusedAfterResolution: a name resolving to a NAT64 or
// 6to4 form of a blocked address is refused before any dial, and so is the
// literal; the error names the IPv4 address it reaches.
func TestEmbeddedIPv4RefusedAfterResolution(t *testing.T) {
	res := newFakeResolver()
	cases := map[string]string{
		"nat64-metadata.test": "64:ff9b::a9fe:a9fe",
		"compat.test":         "::a9fe:a9fe",
		"sixtofour.test":      "2002:7f00:1::1",
		"teredo.test":         "2001:0:4136:e378:8000:63bf:f5ff:fffe", // client NOT(f5ff:fffe) = 10.0.0.1
	}
	reaches := map[string]string{"nat64-metadata.test": "169.254.169.254", "sixtofour.test": "127.0.0.1", "teredo.test": "10.0.0.1"}
	var targets []Target
	for host, addr := range cases {
		res.set(host, addr)
		targets = append(targets, Target{Lane: host, URL: "http://" + host + "/"})
	}
	p := &Prober{Resolver: res, DialContext: noDial(t)}
	for _, r := range p.Probe(context.Background(), targets) {
		wantFail(t, r, "refusing to probe private address "+cases[r.Lane])
		if v4 := reaches[r.Lane]; v4 != "" && !strings.Contains(r.Error, "which reaches "+v4+" ") {
			t.Errorf("%s: Error = %q, want it to name %s", r.Lane, r.Error, v4)
		}
	}
	r := probeOne(t, p, Target{URL: "http://[64:ff9b::7f00:1]:8080/"})
	wantFail(t, r, "refusing to probe private address 64:ff9b::7f00:1, which reaches 127.0.0.1 ")
}

// TestDialControlRefusesEmbeddedIPv4: the default dialer re-checks the
// address it actually connects to, with the same rules.
func TestDialControlRefusesEmbeddedIPv4(t *testing.T) {
	for addr, blocked := range map[string]bool{
		"[64:ff9b::7f00:1]:80": true, "[::a9fe:a9fe]:80": true, "[2002:a00:1::1]:443": true,
		"[::ffff:169.254.169.254]:80": true, "[64:ff9b::808:808]:80": false, "8.8.8.8:53": false,
	} {
		err := checkDialedAddress("tcp", addr, nil)
		var pe *PrivateAddressError
		if got := errors.As(err, &pe); got != blocked {
			t.Errorf("checkDialedAddress(%s) = %v, want refused %v", addr, err, blocked)
		}
	}
}
