// Package dsn takes Postgres connection strings apart without trusting them
// to be well formed, so lanegate can (1) find every value that may be a
// password and (2) say which database a failure is about without ever
// repeating the connection string.
//
// It understands URLs (postgres://user:pass@host:port/db?password=...) and
// libpq keyword/value strings (host=db password='...'). For malformed URLs
// (an unescaped '@', ':', '/', '?' or '%' in the password) the split is
// ambiguous, so Parse returns every password the string may hold under each
// plausible reading: the reading of libpq and pgx (userinfo ends at the first
// '@' before any '/'), that of net/url (the last '@' of the authority), and
// the greedy ones (the last '@' before the query, the last '@' overall).
// Over-reporting a password only makes scrubbing more thorough.
package dsn

import (
	"maps"
	"net/url"
	"slices"
	"strings"
)

// Conn is what lanegate may say about a connection string, plus the
// passwords it must never say.
type Conn struct {
	// URL is true for the URL form, false for keyword/value.
	URL bool
	// Host, Port, Database and User as best understood; "" when absent.
	// For malformed input they may be wrong (and, in adversarial cases,
	// hold a password fragment): print them only through a scrubber that
	// knows Passwords.
	Host, Port, Database, User string
	// Passwords holds every candidate password (and sslpassword), without
	// duplicates.
	Passwords []Password
	// Malformed is true when the string cannot be split unambiguously.
	Malformed bool
	// PasswordNeedsEscaping is true for a URL whose password candidate
	// holds characters that must be percent-encoded.
	PasswordNeedsEscaping bool
}

// Password is one candidate password: its value (what the server would
// see: percent-decoded, unquoted, unescaped) and how it is written in the
// connection string ("" when the same).
type Password struct {
	Value, Written string
}

// secretKeys are the connection parameters whose values are secrets.
var secretKeys = map[string]bool{"password": true, "sslpassword": true}

// IsSecretKey reports whether the connection parameter k (any case,
// surrounding space ignored) carries a secret.
func IsSecretKey(k string) bool { return secretKeys[strings.ToLower(strings.TrimSpace(k))] }

// HasURLScheme reports whether s starts with "scheme://".
func HasURLScheme(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// Parse takes s apart (see the package comment). It never fails: what it
// cannot understand it reports as Malformed, with every candidate password.
func Parse(s string) Conn {
	// Trailing whitespace is kept: pgx reads it as part of the last value.
	if t := strings.TrimLeft(s, " \t\r\n\v\f"); HasURLScheme(t) {
		return parseURL(t)
	}
	// Untrimmed: surrounding whitespace may belong to a malformed value.
	return parseKeywordValue(s)
}

// Looks reports whether s is plausibly a database connection string that
// may carry a password: a URL with userinfo or a query, or keyword/value
// text naming a secret key.
func Looks(s string) bool {
	s = strings.TrimSpace(s)
	if HasURLScheme(s) {
		rest := s[strings.Index(s, "://")+3:]
		return strings.ContainsAny(rest, "@?")
	}
	lower := strings.ToLower(s)
	for k := range secretKeys {
		if i := strings.Index(lower, k); i >= 0 && strings.Contains(lower[i:], "=") {
			return true
		}
	}
	return false
}

func parseURL(s string) Conn {
	c := Conn{URL: true}
	rest := s[strings.Index(s, "://")+3:]
	var pw []Password
	addPassword := func(raw string, unescape func(string) (string, error)) {
		if raw == "" {
			return
		}
		if d, err := unescape(raw); err == nil && d != "" {
			pw = append(pw, Password{d, raw})
		} else {
			pw = append(pw, Password{raw, raw})
		}
	}
	userinfoAt := func(at int) {
		if _, p, ok := strings.Cut(rest[:at], ":"); ok {
			addPassword(p, url.PathUnescape)
			if strings.ContainsAny(p, "@:/?#") || !validEscapes(p) {
				c.PasswordNeedsEscaping = true
			}
		}
	}

	// Every plausible end of the userinfo.
	ends := map[int]bool{}
	if i := strings.IndexAny(rest, "@/"); i >= 0 && rest[i] == '@' {
		ends[i] = true // libpq and pgx
	}
	authEnd := strings.IndexAny(rest, "/?#")
	if authEnd < 0 {
		authEnd = len(rest)
	}
	if i := strings.LastIndex(rest[:authEnd], "@"); i >= 0 {
		ends[i] = true // net/url
	}
	last := strings.LastIndex(rest, "@")
	if last >= 0 {
		ends[last] = true // greedy: everything up to the last '@'
		if q := strings.IndexByte(rest, '?'); q >= 0 && q < last {
			// An '@' in what may be the query: also read the userinfo as
			// ending at the last '@' before the first '?'.
			if i := strings.LastIndex(rest[:q], "@"); i >= 0 {
				ends[i] = true
			}
		}
	}
	for _, at := range slices.Sorted(maps.Keys(ends)) {
		userinfoAt(at)
	}
	c.Malformed = len(ends) > 1 || strings.Contains(s, "#") || !validEscapes(rest)
	if _, err := url.Parse(s); err != nil {
		c.Malformed = true
	}

	// Query parameters, wherever a '?' may start the query. For a reading
	// where the password holds a '?', its tail would look like a query: the
	// passwords above cover it.
	for i := 0; i < len(rest); i++ {
		if rest[i] != '?' {
			continue
		}
		pieces := strings.Split(rest[i+1:], "&")
		for j, p := range pieces {
			k, v, ok := strings.Cut(p, "=")
			if !ok || !(IsSecretKey(k) || IsSecretKey(unescapeOr(k))) {
				continue
			}
			addPassword(v, url.QueryUnescape)
			// An unescaped '&' in the password leaves pieces without '='
			// (malformed, and echoed by pgx): they belong to the value.
			for _, more := range pieces[j+1:] {
				if strings.Contains(more, "=") {
					break
				}
				v += "&" + more
				addPassword(v, url.QueryUnescape)
			}
			_, tail, _ := strings.Cut(strings.Join(pieces[j:], "&"), "=")
			loose := slices.ContainsFunc(pieces[j+1:], func(p string) bool { return strings.Count(p, "=") != 1 })
			if c.Malformed || loose || strings.ContainsAny(tail, " \t\r\n\v\f") {
				// Where such a value ends is anyone's guess: also take
				// the rest of the string.
				addPassword(tail, url.QueryUnescape)
			}
		}
	}
	c.Passwords = dedupe(pw)

	// Describe with the greedy reading: a password with special characters
	// is the usual reason for a malformed URL, and everything after its
	// last '@' is then the host, path and query.
	after := rest
	if last >= 0 {
		c.User, _, _ = strings.Cut(rest[:last], ":")
		c.User = unescapeOr(c.User)
		after = rest[last+1:]
	}
	hostport, path, _ := strings.Cut(after, "/")
	if i := strings.IndexByte(hostport, '?'); i >= 0 {
		hostport, path = hostport[:i], ""
	}
	path, query, _ := strings.Cut(path, "?")
	c.Host, c.Port = splitHostPort(hostport)
	c.Database = unescapeOr(path)
	for _, p := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(p, "=")
		switch strings.ToLower(unescapeOr(k)) {
		case "host":
			if c.Host == "" {
				c.Host = unescapeOr(v)
			}
		case "port":
			if c.Port == "" {
				c.Port = unescapeOr(v)
			}
		case "dbname", "database":
			if c.Database == "" {
				c.Database = unescapeOr(v)
			}
		case "user":
			if c.User == "" {
				c.User = unescapeOr(v)
			}
		}
	}
	return c
}

// splitHostPort splits "host:port" (the first host of a list; IPv6 in
// brackets).
func splitHostPort(hp string) (host, port string) {
	hp, _, _ = strings.Cut(hp, ",")
	if strings.HasPrefix(hp, "[") {
		if end := strings.IndexByte(hp, ']'); end >= 0 {
			host, rest := hp[1:end], hp[end+1:]
			return host, strings.TrimPrefix(rest, ":")
		}
		return hp, ""
	}
	if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		return unescapeOr(hp[:i]), hp[i+1:]
	}
	return unescapeOr(hp), ""
}

// validEscapes reports whether every '%' in s starts a valid escape.
func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unescapeOr(s string) string {
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// Pair is one key=value pair of a keyword/value string. Start and End
// delimit the value as written, quotes included.
type Pair struct {
	Key, Value string
	Start, End int
}

// ParseKeywordValue parses a libpq keyword/value string strictly: pairs
// separated by whitespace, optional whitespace around '=', values bare
// (ending at whitespace) or single-quoted; a backslash escapes the next byte
// in both. ok is false for input libpq would reject.
func ParseKeywordValue(s string) (pairs []Pair, ok bool) {
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return pairs, true
		}
		keyStart := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[keyStart:i]
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' || key == "" {
			return pairs, false
		}
		i++
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		p := Pair{Key: key, Start: i}
		var v strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				ch := s[i]
				i++
				if ch == '\\' {
					if i < len(s) {
						v.WriteByte(s[i])
						i++
					}
					continue
				}
				if ch == '\'' {
					closed = true
					break
				}
				v.WriteByte(ch)
			}
			if !closed {
				p.End, p.Value = len(s), v.String()
				return append(pairs, p), false
			}
		} else {
			for i < len(s) && !isSpace(s[i]) {
				if s[i] == '\\' {
					i++
					if i < len(s) {
						v.WriteByte(s[i])
						i++
					}
					continue
				}
				v.WriteByte(s[i])
				i++
			}
		}
		p.End, p.Value = i, v.String()
		pairs = append(pairs, p)
	}
}

// asciiLower lower-cases ASCII letters and keeps every other byte, so the
// result has the same length and byte offsets as s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

func parseKeywordValue(s string) Conn {
	var c Conn
	pairs, ok := ParseKeywordValue(s)
	c.Malformed = !ok || len(pairs) == 0
	var pw []Password
	for _, p := range pairs {
		raw := s[p.Start:p.End]
		switch strings.ToLower(p.Key) {
		case "host", "hostaddr":
			if c.Host == "" {
				c.Host, _, _ = strings.Cut(p.Value, ",")
			}
		case "port":
			c.Port, _, _ = strings.Cut(p.Value, ",")
		case "dbname":
			c.Database = p.Value
		case "user":
			c.User = p.Value
		}
		if IsSecretKey(p.Key) && p.Value != "" {
			if strings.HasPrefix(raw, "'") {
				raw = strings.TrimSuffix(raw[1:], "'")
			}
			pw = append(pw, Password{p.Value, raw})
		}
	}
	if c.Malformed {
		// Best effort: after every secret key and its '=', the bare word,
		// the quoted value and, for an unterminated quote, the rest of the
		// string.
		// Offsets found in lower index s, so lower-case ASCII only:
		// strings.ToLower would turn each invalid UTF-8 byte into a
		// three-byte U+FFFD and shift every offset after it.
		lower := asciiLower(s)
		for k := range secretKeys {
			for off := 0; ; {
				i := strings.Index(lower[off:], k)
				if i < 0 {
					break
				}
				off += i + len(k)
				tail := strings.TrimLeft(s[off:], " \t\r\n\v\f")
				if !strings.HasPrefix(tail, "=") {
					continue
				}
				add := func(v string) {
					if v != "" {
						pw = append(pw, Password{v, v})
					}
				}
				// Whitespace included too: where libpq splits a
				// malformed string is not certain.
				tail = tail[1:]
				add(tail)
				tail = strings.TrimLeft(tail, " \t\r\n\v\f")
				add(tail)
				add(strings.Trim(tail, " \t\r\n\v\f'"))
				if strings.HasPrefix(tail, "'") {
					q := tail[1:]
					add(strings.TrimRight(q, " \t\r\n\v\f'"))
					if end := strings.IndexByte(q, '\''); end >= 0 {
						add(q[:end])
						add(strings.ReplaceAll(q[:end], `\`, ""))
					}
				} else if end := strings.IndexAny(tail, " \t\r\n\v\f"); end >= 0 {
					add(tail[:end])
				}
			}
		}
	}
	c.Passwords = dedupe(pw)
	return c
}

// dedupe drops empty and repeated passwords, keeping first occurrences in
// order; Written is cleared when it equals Value.
func dedupe(ps []Password) []Password {
	seen := map[Password]bool{}
	var out []Password
	for _, p := range ps {
		if p.Written == p.Value {
			p.Written = ""
		}
		if p.Value == "" || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}
