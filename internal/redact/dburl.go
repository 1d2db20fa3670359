package redact

import (
	"errors"
	"net/url"
	"strings"

	"github.com/lanegate/lanegate/internal/dsn"
)

// UnparsableDatabaseURL is what RedactURL returns for input it cannot take
// apart reliably: showing it would risk showing the password.
const UnparsableDatabaseURL = "(unparsable database URL)"

// redacted replaces secret values in redacted database URLs.
const redacted = "***"

// SecretsFromDatabaseURL returns the values a caller should Mask for the
// database connection string u: every candidate password (see
// DatabasePasswords) and, when any was found, the whole connection string.
// It understands URLs (postgres://user:pass@host/db, malformed ones
// included: an unescaped '@' or ':' in the password) and libpq key=value
// strings (host=db password=...), preferring to return too much over too
// little. It returns nil when u holds no secret.
func SecretsFromDatabaseURL(u string) []string {
	found := DatabasePasswords(u)
	if len(found) == 0 {
		return nil
	}
	return dedupe(append(found, strings.TrimSpace(u), u))
}

// DatabasePasswords returns every value that may be a password (or
// sslpassword) in the connection string u, under every plausible reading of
// a malformed URL, each as written, percent-decoded and percent-encoded the
// ways a URL printer would write it. These are the values whose fragments
// the scrubber hunts for (see Scrubber).
func DatabasePasswords(u string) []string {
	var out []string
	for _, p := range dsn.Parse(u).Passwords {
		out = append(out, p.Value, p.Written,
			strings.TrimPrefix(url.UserPassword("", p.Value).String(), ":"),
			url.QueryEscape(p.Value))
	}
	return dedupe(out)
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
	if dsn.HasURLScheme(u) {
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
		if ok && v != "" && dsn.IsSecretKey(queryUnescapeOr(k)) {
			parts[i] = k + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

func queryUnescapeOr(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

func redactDSN(s string) (string, error) {
	pairs, ok := dsn.ParseKeywordValue(s)
	if !ok || len(pairs) == 0 {
		return "", errUnreliable
	}
	out := s
	for i := len(pairs) - 1; i >= 0; i-- {
		p := pairs[i]
		if p.Value != "" && dsn.IsSecretKey(p.Key) {
			out = out[:p.Start] + redacted + out[p.End:]
		}
	}
	return out, nil
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
