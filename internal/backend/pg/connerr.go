package pg

import (
	"errors"
	"fmt"
	"github.com/lanegate/lanegate/internal/backend"
	"net"
	neturl "net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lanegate/lanegate/internal/dsn"
	"github.com/lanegate/lanegate/internal/redact"
	"github.com/lanegate/lanegate/internal/store"
)

// Connection failures are described structurally: lanegate builds the
// sentence from host, port, database and user, and takes from the driver
// only its reason with quoted input removed. pgx's own messages quote the
// connection string with a best-effort redaction that leaves pieces of a
// malformed password behind (postgres://ro:xxxxx@ssw0rd:xxxxxx@...), so they
// are never shown. Every sentence still goes through the scrubber, exactly
// and for password fragments, as a backstop.

// escapeHint is added when a URL's password holds characters that must be
// percent-encoded: the usual reason such a URL fails to parse.
const escapeHint = "; percent-encode special characters in the password (@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25)"

// A connection string that cannot be parsed is a configuration mistake: a
// *backend.ConfigError (exit 2), unlike a database that cannot be reached (a
// plain store.Error, exit 3). It wraps a store.Error for callers that only
// ask whether the store failed.

// parseError describes a connection string pgx could not parse.
func parseError(url string, err error) error {
	c := dsn.Parse(url)
	what := "invalid database URL"
	if !c.URL {
		what = "invalid database connection string"
	}
	if t := target(c.Host, c.Port, c.Database, c.User); t != "" {
		what += " for postgres " + t
	}
	msg := what + ": " + parseReason(err)
	if c.URL && c.PasswordNeedsEscaping {
		msg += escapeHint
	}
	return &backend.ConfigError{Err: store.Errorf(nil, "%s", redact.ScrubDatabaseSecrets(msg, url))}
}

// parseReason is pgx's reason for refusing a connection string, without
// the connection string and without any quoted piece of input.
func parseReason(err error) string {
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		return "cannot be parsed"
	}
	// ParseConfigError's text is "cannot parse `<conn>`: <msg> (<inner>)";
	// with the connection string blanked only pgx's own words remain.
	blank := *pce
	blank.ConnString = ""
	reason := strings.TrimPrefix(blank.Error(), "cannot parse ``: ")
	if inner := pce.Unwrap(); inner != nil {
		reason = strings.TrimSuffix(reason, " ("+inner.Error()+")")
		var ue *neturl.Error
		if errors.As(inner, &ue) {
			inner = ue.Err // url.Error quotes the whole URL
		}
		if r := withoutQuoted(inner.Error()); r != "" {
			reason += " (" + r + ")"
		}
	}
	if reason = withoutQuoted(reason); reason == "" {
		return "cannot be parsed"
	}
	return reason
}

// withoutQuoted drops every "double-quoted" (Go syntax) and `backquoted`
// piece of s, which in driver messages is echoed input, and tidies the
// spaces left behind.
func withoutQuoted(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
		case '`':
			i++
			for i < len(s) && s[i] != '`' {
				i++
			}
		default:
			b.WriteByte(s[i])
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// target names a database as "host:port database name as user", leaving
// out what is unknown.
func target(host, port, database, user string) string {
	var parts []string
	if host = safeField(host); host != "" {
		if port = safeField(port); port != "" {
			host += ":" + port
		}
		parts = append(parts, host)
	}
	if database = safeField(database); database != "" {
		parts = append(parts, "database "+database)
	}
	if user = safeField(user); user != "" {
		parts = append(parts, "as "+user)
	}
	return strings.Join(parts, " ")
}

// safeField returns s when it is short printable text without spaces or
// quotes, "(unreadable)" otherwise ("" stays ""). Fields of a malformed
// connection string can be anything.
func safeField(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > 128 {
		return "(unreadable)"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '`' || c == '\\' {
			return "(unreadable)"
		}
	}
	return s
}

// connectError describes a failed connection to a parsed configuration.
func connectError(url string, cfg *pgx.ConnConfig, err error) error {
	port := ""
	if cfg.Port != 0 {
		port = strconv.Itoa(int(cfg.Port))
	}
	where := target(cfg.Host, port, "", "")
	full := target(cfg.Host, port, cfg.Database, cfg.User)
	var msg string
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000":
			msg = fmt.Sprintf("Postgres at %s rejected user %q: %s", where, cfg.User, pgErr.Message)
		case "3D000":
			msg = fmt.Sprintf("Postgres at %s has no database %q", where, cfg.Database)
		default:
			msg = fmt.Sprintf("cannot connect to Postgres at %s: %s (SQLSTATE %s)", full, pgErr.Message, pgErr.Code)
		}
		return store.Errorf(nil, "%s", redact.ScrubDatabaseSecrets(msg, url))
	}
	var netErr net.Error
	reason := connectReason(err)
	if errors.As(err, &netErr) && netErr.Timeout() {
		reason = "connection timed out"
	} else if strings.Contains(reason, "connection refused") {
		reason = "connection refused (is the server running?)"
	}
	msg = fmt.Sprintf("cannot connect to Postgres at %s: %s", full, reason)
	return store.Errorf(nil, "%s", redact.ScrubDatabaseSecrets(msg, url))
}

// connectReason is the driver's reason without its "failed to connect to
// `user=... database=...`:" preamble, which the sentence already says.
func connectReason(err error) string {
	s := err.Error()
	if rest, ok := strings.CutPrefix(s, "failed to connect to `"); ok {
		if _, after, ok := strings.Cut(rest, "`: "); ok {
			s = after
		}
	}
	return s
}
