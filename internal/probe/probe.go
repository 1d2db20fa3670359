// Package probe runs HTTP health probes against lane URLs.
//
// A probe is a single GET request. Only the status line and headers are
// read; the body is closed unread as soon as headers arrive, so a slow or
// endless body never delays a result. Redirects are followed up to a bound
// but must stay on the lane's host. Connections to loopback, private,
// link-local, CGNAT, multicast and unspecified addresses are refused unless
// the target opts in; the check runs when the connection is dialed, on the
// resolved address, so it also covers redirects and DNS rebinding.
package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
)

// Defaults applied when the corresponding field is zero.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultConcurrency  = 4
	DefaultMaxRedirects = 5
)

// UserAgent is sent with every probe request.
const UserAgent = "lanegate-probe"

const maxReasonLen = 200

// Target is one URL to probe.
type Target struct {
	Lane string
	URL  string
	// ExpectStatus lists acceptable final status codes; empty means any
	// 2xx. A redirect status listed here is accepted as is, not followed.
	ExpectStatus []int
	// AllowPrivate permits connecting to loopback, private, link-local,
	// CGNAT and similar addresses.
	AllowPrivate bool
	// Timeout bounds the whole probe, redirects included. Zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// Result is the outcome of probing one Target.
type Result struct {
	Lane       string
	URL        string // the target URL, with any password redacted
	Passed     bool
	StatusCode int           // last status received, 0 if none
	Latency    time.Duration // time until the last response's headers
	Redirects  int           // redirects followed
	Error      string        // short sanitized reason; "" when Passed
}

// Resolver looks up the IP addresses of a host. *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Prober probes targets concurrently. The zero value is ready to use.
type Prober struct {
	// Concurrency is the maximum number of probes in flight; zero means
	// DefaultConcurrency.
	Concurrency int
	// MaxRedirects bounds the redirects followed per probe; zero means
	// DefaultMaxRedirects and a negative value follows none.
	MaxRedirects int

	// Resolver resolves host names. Nil means net.DefaultResolver.
	Resolver Resolver
	// DialContext connects to an already resolved and vetted "ip:port".
	// Nil means a plain net.Dialer.
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
	// TLSConfig is cloned for HTTPS probes (e.g. to trust a test CA). Nil
	// means the system roots.
	TLSConfig *tls.Config
	// Now is the clock used for latency. Nil means time.Now.
	Now func() time.Time
}

// Probe probes every target, at most Concurrency at a time, and returns the
// results in input order. It returns when all probes are done; if ctx ends
// first, pending probes fail with "canceled".
func (p *Prober) Probe(ctx context.Context, targets []Target) []Result {
	results := make([]Result, len(targets))
	limit := p.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, t := range targets {
		if ctx.Err() != nil {
			results[i] = Result{Lane: t.Lane, URL: displayURL(t.URL), Error: "canceled"}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			results[i] = Result{Lane: t.Lane, URL: displayURL(t.URL), Error: "canceled"}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = p.probeOne(ctx, t)
		}()
	}
	wg.Wait()
	return results
}

func (p *Prober) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Prober) maxRedirects() int {
	switch {
	case p.MaxRedirects < 0:
		return 0
	case p.MaxRedirects == 0:
		return DefaultMaxRedirects
	}
	return p.MaxRedirects
}

// RedirectHostError reports a redirect that leaves the lane's host.
type RedirectHostError struct {
	From, To string
}

func (e *RedirectHostError) Error() string {
	return fmt.Sprintf("redirect leaves lane host %s for %s", e.From, e.To)
}

// TooManyRedirectsError reports that the redirect bound was reached.
type TooManyRedirectsError struct {
	Max int
}

func (e *TooManyRedirectsError) Error() string {
	return fmt.Sprintf("stopped after %d redirects", e.Max)
}

// RedirectSchemeError reports a redirect to a scheme other than http(s).
type RedirectSchemeError struct {
	Scheme string
}

func (e *RedirectSchemeError) Error() string {
	return fmt.Sprintf("redirect to unsupported scheme %q", e.Scheme)
}

// PrivateAddressError reports a refused connection to a non-public address.
type PrivateAddressError struct {
	Addr netip.Addr
}

func (e *PrivateAddressError) Error() string {
	via := ""
	for _, v4 := range EmbeddedIPv4(e.Addr.Unmap()) {
		if blockedDirectly(v4) {
			via = fmt.Sprintf(", which reaches %s", v4)
			break
		}
	}
	return fmt.Sprintf("refusing to probe private address %s%s (set health.allow_private for this lane)", e.Addr, via)
}

func (p *Prober) probeOne(parent context.Context, t Target) Result {
	res := Result{Lane: t.Lane, URL: displayURL(t.URL)}

	u, err := url.Parse(strings.TrimSpace(t.URL))
	if err != nil {
		res.Error = "invalid URL"
		return res
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		res.Error = fmt.Sprintf("unsupported URL scheme %q (want http or https)", u.Scheme)
		return res
	}
	if u.Hostname() == "" {
		res.Error = "invalid URL: no host"
		return res
	}

	if parent.Err() != nil {
		res.Error = "canceled"
		return res
	}

	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()

	transport := p.transport(t.AllowPrivate)
	defer transport.CloseIdleConnections()

	maxRedirects := p.maxRedirects()
	client := &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.Response != nil && len(t.ExpectStatus) > 0 && containsInt(t.ExpectStatus, req.Response.StatusCode) {
				return http.ErrUseLastResponse
			}
			if len(via) > maxRedirects {
				return &TooManyRedirectsError{Max: maxRedirects}
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return &RedirectSchemeError{Scheme: req.URL.Scheme}
			}
			if !sameHost(u, req.URL) {
				return &RedirectHostError{From: hostLabel(u), To: hostLabel(req.URL)}
			}
			res.Redirects = len(via)
			return nil
		},
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		res.Error = "invalid URL"
		return res
	}
	req.Header.Set("User-Agent", UserAgent)

	start := p.now()
	resp, err := client.Do(req)
	res.Latency = p.now().Sub(start)
	if resp != nil {
		// Never read the body: close it at once. For HTTP/1 this drops
		// the connection instead of draining it.
		resp.Body.Close()
		res.StatusCode = resp.StatusCode
	}
	if err != nil {
		res.Error = reason(ctx, parent, err, timeout)
		return res
	}

	if !statusOK(resp.StatusCode, t.ExpectStatus) {
		res.Error = fmt.Sprintf("unexpected status %d (want %s)", resp.StatusCode, describeExpect(t.ExpectStatus))
		return res
	}
	res.Passed = true
	return res
}

func (p *Prober) transport(allowPrivate bool) *http.Transport {
	resolver := p.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	dial := p.DialContext
	if dial == nil {
		d := &net.Dialer{}
		if !allowPrivate {
			// Belt and braces: re-check the address actually dialed.
			d.Control = checkDialedAddress
		}
		dial = d.DialContext
	}

	guarded := func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		var addrs []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{ip}
		} else {
			addrs, err = resolver.LookupNetIP(ctx, "ip", host)
			if err != nil {
				return nil, err
			}
			if len(addrs) == 0 {
				return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
			}
		}
		var firstErr error
		for _, ip := range addrs {
			ip = ip.Unmap()
			if !allowPrivate && IsBlocked(ip) {
				if firstErr == nil {
					firstErr = &PrivateAddressError{Addr: ip}
				}
				continue
			}
			conn, err := dial(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return conn, nil
			}
			// Prefer a real dial error over a refusal of another address.
			var pe *PrivateAddressError
			if firstErr == nil || errors.As(firstErr, &pe) {
				firstErr = err
			}
			if ctx.Err() != nil {
				break
			}
		}
		return nil, firstErr
	}

	var tlsConf *tls.Config
	if p.TLSConfig != nil {
		tlsConf = p.TLSConfig.Clone()
	} else {
		tlsConf = &tls.Config{}
	}
	if tlsConf.MinVersion == 0 {
		tlsConf.MinVersion = tls.VersionTLS12
	}

	return &http.Transport{
		Proxy:              nil, // a proxy would defeat the address check
		DialContext:        guarded,
		TLSClientConfig:    tlsConf,
		ForceAttemptHTTP2:  true,
		DisableKeepAlives:  true, // every dial re-resolves and re-checks
		DisableCompression: true,
		// No separate handshake/header timeouts: the per-probe context
		// bounds the whole exchange.
	}
}

// checkDialedAddress is the dialer's Control hook: it refuses the address
// the socket is about to connect to when IsBlocked says so, whatever the
// resolver returned before.
func checkDialedAddress(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("cannot check address %q: %w", address, err)
	}
	if ip := ap.Addr().Unmap(); IsBlocked(ip) {
		return &PrivateAddressError{Addr: ip}
	}
	return nil
}

var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // CGNAT shared address space
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, incl. broadcast
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64 (RFC 8215)
	// IPv4-compatible addresses (::a.b.c.d, deprecated by RFC 4291): no
	// public use, and some stacks still send them over IPv4.
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("100::/64"), // discard-only (RFC 6666)
}

// Prefixes that carry an IPv4 address inside an IPv6 one: a connection to
// them reaches (through a translator, relay or tunnel) the embedded IPv4
// address, which must pass the IPv4 rules.
var (
	nat64Prefix      = netip.MustParsePrefix("64:ff9b::/96")    // RFC 6052: last 32 bits
	translatedPrefix = netip.MustParsePrefix("::ffff:0:0:0/96") // SIIT (RFC 2765): last 32 bits
	sixToFourPrefix  = netip.MustParsePrefix("2002::/16")       // RFC 3056: bits 16-47
	teredoPrefix     = netip.MustParsePrefix("2001::/32")       // RFC 4380: server bits 32-63, client = NOT last 32
)

// IsBlocked reports whether ip is an address probes refuse by default:
// loopback, private (RFC 1918, fc00::/7), link-local, unspecified,
// multicast, CGNAT (100.64.0.0/10) and a few other non-public ranges.
// IPv4-mapped IPv6 addresses are judged by their IPv4 address, and so are
// the IPv6 forms that embed one (NAT64 64:ff9b::/96, SIIT ::ffff:0:0:0/96,
// 6to4 2002::/16, Teredo 2001::/32): 64:ff9b::a9fe:a9fe is 169.254.169.254.
// IPv4-compatible addresses (::/96) are refused outright.
func IsBlocked(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.Unmap().WithZone("")
	if blockedDirectly(ip) {
		return true
	}
	for _, v4 := range EmbeddedIPv4(ip) {
		if blockedDirectly(v4) {
			return true
		}
	}
	return false
}

// EmbeddedIPv4 returns the IPv4 addresses an IPv6 address reaches through
// a translation or tunnelling prefix (NAT64, SIIT, 6to4, Teredo's server
// and client); none for any other address.
func EmbeddedIPv4(ip netip.Addr) []netip.Addr {
	if !ip.Is6() || ip.Is4In6() {
		return nil
	}
	b := ip.As16()
	v4 := func(off int) netip.Addr { return netip.AddrFrom4([4]byte{b[off], b[off+1], b[off+2], b[off+3]}) }
	switch {
	case nat64Prefix.Contains(ip), translatedPrefix.Contains(ip):
		return []netip.Addr{v4(12)}
	case sixToFourPrefix.Contains(ip):
		return []netip.Addr{v4(2)}
	case teredoPrefix.Contains(ip):
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		return []netip.Addr{v4(4), client}
	}
	return nil
}

// blockedDirectly applies the rules to ip itself, without looking inside.
func blockedDirectly(ip netip.Addr) bool {
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// sameHost reports whether b is on the same host as a: equal host names
// (case-insensitively) and equal ports. A scheme change between the default
// ports (http :80 <-> https :443) keeps the host.
func sameHost(a, b *url.URL) bool {
	if !strings.EqualFold(strings.TrimSuffix(a.Hostname(), "."), strings.TrimSuffix(b.Hostname(), ".")) {
		return false
	}
	pa, pb := effectivePort(a), effectivePort(b)
	if pa == pb {
		return true
	}
	return pa == defaultPort(a.Scheme) && pb == defaultPort(b.Scheme)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err == nil {
			return strconv.Itoa(n)
		}
		return p
	}
	return defaultPort(u.Scheme)
}

func defaultPort(scheme string) string {
	switch strings.ToLower(scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

func hostLabel(u *url.URL) string {
	return strings.ToLower(u.Host)
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func statusOK(code int, expect []int) bool {
	if len(expect) == 0 {
		return code >= 200 && code <= 299
	}
	return containsInt(expect, code)
}

func describeExpect(expect []int) string {
	if len(expect) == 0 {
		return "2xx"
	}
	parts := make([]string, len(expect))
	for i, c := range expect {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ", ")
}

// displayURL returns raw with any password redacted.
func displayURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// reason turns a request error into a short, sanitized explanation.
func reason(ctx, parent context.Context, err error, timeout time.Duration) string {
	var (
		rh  *RedirectHostError
		rs  *RedirectSchemeError
		tm  *TooManyRedirectsError
		pa  *PrivateAddressError
		cve *tls.CertificateVerificationError
		uae x509.UnknownAuthorityError
		hne x509.HostnameError
		cie x509.CertificateInvalidError
		rhe tls.RecordHeaderError
		ae  tls.AlertError
		dns *net.DNSError
	)
	switch {
	case errors.As(err, &rh):
		return rh.Error()
	case errors.As(err, &rs):
		return rs.Error()
	case errors.As(err, &tm):
		return tm.Error()
	case errors.As(err, &pa):
		return pa.Error()
	case parent.Err() != nil && errors.Is(parent.Err(), context.Canceled):
		return "canceled"
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "timeout after " + timeout.String()
	case errors.As(err, &cve):
		return "tls: " + trimX509(cve.Err.Error())
	case errors.As(err, &uae):
		return "tls: " + trimX509(uae.Error())
	case errors.As(err, &hne):
		return "tls: " + trimX509(hne.Error())
	case errors.As(err, &cie):
		return "tls: " + trimX509(cie.Error())
	case errors.As(err, &rhe), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "tls: server did not answer with TLS"
	case errors.As(err, &ae):
		return "tls: " + shorten(ae.Error())
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "dns: no such host " + dns.Name
		}
		return shorten("dns: " + dns.Err + " for " + dns.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
	}
	if i := strings.Index(msg, "tls: "); i >= 0 {
		return shorten(msg[i:])
	}
	return shorten(msg)
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

func trimX509(s string) string {
	return shorten(strings.TrimPrefix(s, "x509: "))
}

func shorten(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxReasonLen {
		cut := maxReasonLen
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
