package cli

import (
	"net"
	"net/url"
	"strings"

	"github.com/lanegate/lanegate/internal/report"
)

// storeLabel names the store a command reads, for the "store" key of its
// JSON report. It is the store choose picked (the one precedence rule) and
// never includes credentials: a Postgres store is named host:port/database
// only. A command reaches it only after the store was opened, so choose has
// already succeeded; an error here still names no store rather than guess.
func storeLabel(env *Env, sf *storeFlags) report.Store {
	c, err := sf.choose(env)
	if err != nil {
		return report.Store{Kind: "unknown", Name: "(no store chosen)"}
	}
	if c.Kind == storePostgres {
		return report.Store{Kind: storePostgres, Name: postgresName(c.dbURL)}
	}
	return report.Store{Kind: storeFilesystem, Name: c.stateDir}
}

// postgresName is host:port/database of a postgres:// URL or a key=value
// connection string; anything it cannot read is "(unparsed URL)", so a
// malformed URL holding a password is never echoed.
func postgresName(raw string) string {
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "(unparsed URL)"
		}
		host := u.Hostname()
		port := u.Port()
		if port == "" {
			port = "5432"
		}
		db := strings.TrimPrefix(u.Path, "/")
		if db == "" {
			db = u.Query().Get("dbname")
		}
		if host == "" {
			host = u.Query().Get("host")
		}
		return joinName(host, port, db)
	}
	// libpq key=value form: read host, port and dbname only.
	kv := map[string]string{}
	for _, f := range strings.Fields(raw) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return "(unparsed URL)"
		}
		kv[k] = strings.Trim(v, "'")
	}
	port := kv["port"]
	if port == "" {
		port = "5432"
	}
	return joinName(kv["host"], port, kv["dbname"])
}

func joinName(host, port, db string) string {
	if host == "" {
		host = "localhost"
	}
	if strings.ContainsAny(host+port+db, "@ \t\n") {
		return "(unparsed URL)"
	}
	return net.JoinHostPort(host, port) + "/" + db
}
