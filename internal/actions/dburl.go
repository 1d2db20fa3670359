package actions

import (
	"errors"
	"net/url"
	"strings"
)

// UnparsableDatabaseURL is what RedactURL returns for input it cannot take
// apart reliably: showing it would risk showing the password.
const UnparsableDatabaseURL = "(unparsable database URL)"

// redacted replaces secret values in redacted database URLs.
const redacted = "***"

// secretParams are the connection parameters whose values are secrets, in
// URL queries and in key=value connection strings (compared
// case-insensitively).
var secretParams = map[string]bool{"password": true, "sslpassword": true}

// SecretsFromDatabaseURL returns the values a caller should Mask for the
// database connection string u: the password (decoded, and also as written
// when that differs, e.g. percent-encoded or backslash-escaped), any
// password/sslpassword query parameter, and, when any secret was found, the
// whole connection string. It understands URLs
// (postgres://user:pass@host/db) and libpq key=value strings
// (host=db password=...). For URLs it cannot parse it falls back to a
// best-effort guess, preferring to return too much over too little. It
// returns nil when u holds no secret.
func SecretsFromDatabaseURL(u string) []string {
	u = strings.TrimSpace(u)
	if u == "" {
		return nil
	}
	var found []string
	if hasURLScheme(u) {
		found = urlSecrets(u)
	} else {
		found = dsnSecrets(u)
	}
	if len(found) == 0 {
		return nil
	}
	return dedupe(append(found, u))
}

// RedactURL returns u with its password replaced by "***", keeping
// everything else as written:
//
//	postgres://user:***@host:5432/db?sslmode=require
//	host=db user=app password=*** dbname=app
//
// password and sslpassword query parameters are redacted too. Input that
// cannot be parsed reliably yields UnparsableDatabaseURL.
func RedactURL(u string) string {
	u = strings.TrimSpace(u)
	if u == "" {
		return ""
	}
	if hasURLScheme(u) {
		out, err := redactURLForm(u)
		if err != nil {
			return UnparsableDatabaseURL
		}
		return out
	}
	out, err := redactDSN(u)
	if err != nil {
		return UnparsableDatabaseURL
	}
	return out
}

// hasURLScheme reports whether s starts with "scheme://".
func hasURLScheme(s string) bool {
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

// dbURL is a database URL split the way net/url splits it, keeping the raw
// text of each part so redaction can leave the rest untouched.
type dbURL struct {
	prefix   string // "scheme://"
	userinfo string // raw userinfo, without '@'; "" when absent
	hasUser  bool
	rest     string // from the host up to the end
	password string // decoded password; "" when absent
	rawPass  string // password as written
}

var errUnreliable = errors.New("database URL cannot be parsed reliably")

// parseDBURL validates s with net/url and splits it. It refuses URLs that
// net/url would read differently from what their author most likely meant:
// any '#' (database URLs have no fragment; a raw '#' is usually part of an
// unencoded password) and an '@' that did not end up delimiting userinfo
// (usually an unencoded '/' or '?' in the password).
func parseDBURL(s string) (*dbURL, *url.URL, error) {
	pu, err := url.Parse(s)
	if err != nil {
		return nil, nil, err
	}
	if strings.Contains(s, "#") || pu.Opaque != "" {
		return nil, nil, errUnreliable
	}
	i := strings.Index(s, "://")
	d := &dbURL{prefix: s[:i+3]}
	after := s[i+3:]
	end := strings.IndexAny(after, "/?")
	if end < 0 {
		end = len(after)
	}
	authority := after[:end]
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		if strings.Contains(after, "@") || pu.User != nil {
			return nil, nil, errUnreliable
		}
		d.rest = after
		return d, pu, nil
	}
	if pu.User == nil {
		return nil, nil, errUnreliable
	}
	d.hasUser = true
	d.userinfo = authority[:at]
	d.rest = after[at+1:]
	if c := strings.IndexByte(d.userinfo, ':'); c >= 0 {
		d.rawPass = d.userinfo[c+1:]
		d.password, _ = pu.User.Password()
	}
	return d, pu, nil
}

func redactURLForm(s string) (string, error) {
	d, _, err := parseDBURL(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(d.prefix)
	if d.hasUser {
		if d.password != "" {
			user, _, _ := strings.Cut(d.userinfo, ":")
			b.WriteString(user + ":" + redacted)
		} else {
			b.WriteString(d.userinfo)
		}
		b.WriteByte('@')
	}
	path, query, hasQuery := strings.Cut(d.rest, "?")
	b.WriteString(path)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(redactQuery(query))
	}
	return b.String(), nil
}

// redactQuery replaces the values of secret parameters in a raw query,
// leaving every other byte as written.
func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if ok && v != "" && isSecretParam(queryUnescapeOr(k)) {
			parts[i] = k + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

// querySecrets returns the values (raw and decoded) of secret parameters in
// a raw query.
func querySecrets(q string) []string {
	var out []string
	for _, p := range strings.Split(q, "&") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || v == "" || !isSecretParam(queryUnescapeOr(k)) {
			continue
		}
		if dv, err := url.QueryUnescape(v); err == nil && dv != "" {
			out = append(out, dv)
		}
		out = append(out, v)
	}
	return out
}

func queryUnescapeOr(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

func isSecretParam(k string) bool { return secretParams[strings.ToLower(strings.TrimSpace(k))] }

func urlSecrets(s string) []string {
	var out []string
	d, _, err := parseDBURL(s)
	if err == nil {
		if d.password != "" {
			out = append(out, d.password, d.rawPass)
		}
		if _, q, ok := strings.Cut(d.rest, "?"); ok {
			out = append(out, querySecrets(q)...)
		}
		return out
	}

	// Best effort for URLs net/url rejects or would misread: the password
	// is whatever sits between the first ':' and the last '@' after the
	// scheme.
	after := s[strings.Index(s, "://")+3:]
	if at := strings.LastIndex(after, "@"); at >= 0 {
		if _, p, ok := strings.Cut(after[:at], ":"); ok && p != "" {
			if dp, err := url.PathUnescape(p); err == nil && dp != "" {
				out = append(out, dp)
			}
			out = append(out, p)
		}
	}
	if _, q, ok := strings.Cut(after, "?"); ok {
		q, _, _ = strings.Cut(q, "#")
		out = append(out, querySecrets(q)...)
	}
	return out
}

// dsnPair is one key=value pair of a libpq connection string. start and end
// delimit the value as written, quotes included.
type dsnPair struct {
	key, value string
	start, end int
}

var (
	errDSNMissingEquals = errors.New("connection string: missing '=' after key")
	errDSNUnterminated  = errors.New("connection string: unterminated quoted value")
)

func isDSNSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// parseDSN parses a libpq key=value connection string: pairs separated by
// whitespace, optional whitespace around '=', values either bare (ending at
// whitespace) or single-quoted; a backslash escapes the next byte in both.
func parseDSN(s string) ([]dsnPair, error) {
	var pairs []dsnPair
	i := 0
	for {
		for i < len(s) && isDSNSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return pairs, nil
		}
		keyStart := i
		for i < len(s) && s[i] != '=' && !isDSNSpace(s[i]) {
			i++
		}
		key := s[keyStart:i]
		for i < len(s) && isDSNSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' || key == "" {
			return nil, errDSNMissingEquals
		}
		i++
		for i < len(s) && isDSNSpace(s[i]) {
			i++
		}

		p := dsnPair{key: key, start: i}
		var v strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			for {
				if i >= len(s) {
					return nil, errDSNUnterminated
				}
				c := s[i]
				if c == '\\' {
					i++
					if i < len(s) {
						v.WriteByte(s[i])
						i++
					}
					continue
				}
				i++
				if c == '\'' {
					break
				}
				v.WriteByte(c)
			}
		} else {
			for i < len(s) && !isDSNSpace(s[i]) {
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
		p.end = i
		p.value = v.String()
		pairs = append(pairs, p)
	}
}

func redactDSN(s string) (string, error) {
	pairs, err := parseDSN(s)
	if err != nil {
		return "", err
	}
	if len(pairs) == 0 {
		return "", errDSNMissingEquals
	}
	out := s
	for i := len(pairs) - 1; i >= 0; i-- {
		p := pairs[i]
		if p.value != "" && isSecretParam(p.key) {
			out = out[:p.start] + redacted + out[p.end:]
		}
	}
	return out, nil
}

func dsnSecrets(s string) []string {
	pairs, err := parseDSN(s)
	if err != nil {
		// Best effort: everything after the first "password" key's '='.
		lower := strings.ToLower(s)
		if k := strings.Index(lower, "password"); k >= 0 {
			if _, tail, ok := strings.Cut(s[k:], "="); ok {
				if tail = strings.Trim(tail, " \t\r\n'"); tail != "" {
					return []string{tail}
				}
			}
		}
		return nil
	}
	var out []string
	for _, p := range pairs {
		if p.value == "" || !isSecretParam(p.key) {
			continue
		}
		raw := s[p.start:p.end]
		if strings.HasPrefix(raw, "'") {
			raw = strings.TrimSuffix(raw[1:], "'")
		}
		out = append(out, p.value, raw)
	}
	return out
}

// dedupe drops empty and repeated values, keeping first occurrences in
// order.
func dedupe(vs []string) []string {
	seen := map[string]bool{}
	out := vs[:0]
	for _, v := range vs {
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}
