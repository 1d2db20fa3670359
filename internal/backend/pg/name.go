package pg

import (
	"net"
	"net/url"
	"strings"

	"github.com/lanegate/lanegate/internal/dsn"
	"github.com/lanegate/lanegate/internal/redact"
)

// DatabaseName is host:port/database for a Postgres URL or libpq
// key=value string, built from those three parts only so no credential can
// leak into it.
func DatabaseName(u string) string {
	u = strings.TrimSpace(u)
	var host, port, db string
	if strings.Contains(u, "://") {
		p, err := url.Parse(u)
		if err != nil {
			return redact.UnparsableDatabaseURL
		}
		host, port, db = p.Hostname(), p.Port(), strings.TrimPrefix(p.Path, "/")
		if h := p.Query().Get("host"); host == "" && h != "" {
			host = h
		}
		if v := p.Query().Get("port"); port == "" && v != "" {
			port = v
		}
		if v := p.Query().Get("dbname"); db == "" && v != "" {
			db = v
		}
	} else {
		for _, field := range strings.Fields(u) {
			k, v, ok := strings.Cut(field, "=")
			if !ok || strings.ContainsAny(v, `'\`) {
				// Quoted values need a real libpq parser; show nothing
				// rather than something wrong.
				if k == "host" || k == "port" || k == "dbname" {
					return redact.UnparsableDatabaseURL
				}
				continue
			}
			switch k {
			case "host":
				host = v
			case "port":
				port = v
			case "dbname":
				db = v
			}
		}
	}
	// A string that is half URL, half keyword/value ("postgres://h/d
	// password=x") puts the rest into the path: never print a part that
	// holds white space or an '@', nor any candidate password (below).
	if strings.ContainsAny(host+port+db, "@ \t\r\n") {
		return redact.UnparsableDatabaseURL
	}
	if host == "" {
		host = "(default host)"
	}
	if port == "" {
		port = "5432"
	}
	if db == "" {
		db = "(default database)"
	}
	var name string
	if strings.HasPrefix(host, "/") {
		// A Unix socket directory: host:port would read as a path.
		name = host + " port " + port + "/" + db
	} else {
		name = net.JoinHostPort(host, port) + "/" + db
	}
	for _, p := range dsn.Parse(u).Passwords {
		if p.Value != "" && (strings.Contains(name, p.Value) || (p.Written != "" && strings.Contains(name, p.Written))) {
			return redact.UnparsableDatabaseURL
		}
	}
	return name
}
