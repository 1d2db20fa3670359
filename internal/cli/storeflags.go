package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/lanegate/lanegate/internal/actions"
	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/dsn"
	"github.com/lanegate/lanegate/internal/store"
)

// storeFlags choose the record store.
type storeFlags struct {
	stateDir         string
	databaseURL      string
	statementTimeout time.Duration
	allowEmpty       bool

	announced bool // the chosen store was printed on stderr
}

func addStoreFlags(fs *flag.FlagSet, s *storeFlags) {
	fs.StringVar(&s.stateDir, "state-dir", "", "Launchplane filesystem state directory (or LAUNCHPLANE_STATE_DIR); cannot be combined with --database-url")
	fs.StringVar(&s.databaseURL, "database-url", "", "Launchplane Postgres URL (or LANEGATE_DATABASE_URL, LAUNCHPLANE_DATABASE_URL); cannot be combined with --state-dir")
	fs.DurationVar(&s.statementTimeout, "statement-timeout", pgstore.DefaultStatementTimeout, "Postgres statement timeout")
	fs.BoolVar(&s.allowEmpty, "allow-empty", false, "accept a state directory with none of Launchplane's record directories as an empty state")
}

func flagWasSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// Store kinds, as printed.
const (
	storePostgres   = "postgres"
	storeFilesystem = "filesystem"
)

// storeChoice is the record store a command reads, and where that choice
// came from. Kind, Name and Source are safe to print: Name is a directory
// or host:port/database, never a URL with its password.
type storeChoice struct {
	Kind   string // storePostgres or storeFilesystem
	Name   string
	Source string // the flag or environment variable that chose it

	dbURL    string
	stateDir string
}

func (c storeChoice) String() string {
	return fmt.Sprintf("%s %s (from %s)", c.Kind, c.Name, c.Source)
}

// errNoStore is choose's answer when nothing names a store.
var errNoStore = usageErr("no record store chosen: pass --state-dir DIR or --database-url URL (or set LAUNCHPLANE_STATE_DIR / LANEGATE_DATABASE_URL)")

// choose applies the one precedence rule: an explicit flag always wins
// over the environment; two flags naming stores, two environment
// variables naming different stores, and no store at all are usage
// errors. Nothing is guessed: a run reads exactly the store it names.
func (s *storeFlags) choose(env *Env) (storeChoice, error) {
	switch {
	case s.databaseURL != "" && s.stateDir != "":
		return storeChoice{}, usageErr("--state-dir and --database-url name two record stores: pass only one")
	case s.databaseURL != "":
		return postgresChoice(s.databaseURL, "--database-url"), nil
	case s.stateDir != "":
		return filesystemChoice(env, s.stateDir, "--state-dir"), nil
	}
	db, err := databaseURLFromEnv(env)
	if err != nil {
		return storeChoice{}, err
	}
	dir := env.Getenv("LAUNCHPLANE_STATE_DIR")
	switch {
	case db.dbURL != "" && dir != "":
		return storeChoice{}, usageErr("%s and LAUNCHPLANE_STATE_DIR name two record stores: pass --database-url or --state-dir to pick one, or unset one of them", db.Source)
	case db.dbURL != "":
		return db, nil
	case dir != "":
		return filesystemChoice(env, dir, "LAUNCHPLANE_STATE_DIR"), nil
	}
	return storeChoice{}, errNoStore
}

// databaseURLFromEnv reads the two database URL variables. Set to
// different values they are an error, not a priority list: a stale
// variable must not silently pick the wrong database.
func databaseURLFromEnv(env *Env) (storeChoice, error) {
	lg, lp := env.Getenv("LANEGATE_DATABASE_URL"), env.Getenv("LAUNCHPLANE_DATABASE_URL")
	switch {
	case lg != "" && lp != "" && lg != lp:
		return storeChoice{}, usageErr("LANEGATE_DATABASE_URL and LAUNCHPLANE_DATABASE_URL name different databases (%s, %s): unset one, or pass --database-url",
			databaseName(lg), databaseName(lp))
	case lg != "":
		return postgresChoice(lg, "LANEGATE_DATABASE_URL"), nil
	case lp != "":
		return postgresChoice(lp, "LAUNCHPLANE_DATABASE_URL"), nil
	}
	return storeChoice{}, nil
}

func postgresChoice(u, source string) storeChoice {
	return storeChoice{Kind: storePostgres, Name: databaseName(u), Source: source, dbURL: u}
}

func filesystemChoice(env *Env, dir, source string) storeChoice {
	return storeChoice{Kind: storeFilesystem, Name: env.path(dir), Source: source, stateDir: dir}
}

// databaseName is host:port/database for a Postgres URL or libpq
// key=value string, built from those three parts only so no credential can
// leak into it.
func databaseName(u string) string {
	u = strings.TrimSpace(u)
	var host, port, db string
	if strings.Contains(u, "://") {
		p, err := url.Parse(u)
		if err != nil {
			return actions.UnparsableDatabaseURL
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
					return actions.UnparsableDatabaseURL
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
		return actions.UnparsableDatabaseURL
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
			return actions.UnparsableDatabaseURL
		}
	}
	return name
}

// announce prints the chosen store once per command, so a reader of the
// log knows what was read before anything else happens.
func (s *storeFlags) announce(env *Env, c storeChoice) {
	if s.announced {
		return
	}
	s.announced = true
	fmt.Fprintf(env.Stderr, "lanegate: store: %s\n", c)
}

// chooseAndAnnounce is choose followed by announce.
func (s *storeFlags) chooseAndAnnounce(env *Env) (storeChoice, error) {
	c, err := s.choose(env)
	if err != nil {
		return c, err
	}
	s.announce(env, c)
	return c, nil
}

// resolve reports the chosen store's URL or directory, for callers that
// only ask whether a store was named. When the choice itself is an error
// it returns what was given, so the caller goes on to open the store and
// reports that error.
func (s *storeFlags) resolve(env *Env) (dbURL, stateDir string) {
	c, err := s.choose(env)
	switch {
	case err == errNoStore:
		return "", ""
	case err != nil:
		return "(ambiguous)", "(ambiguous)"
	}
	return c.dbURL, c.stateDir
}

func openStore(ctx context.Context, env *Env, s *storeFlags) (store.Reader, error) {
	c, err := s.chooseAndAnnounce(env)
	if err != nil {
		return nil, err
	}
	if c.Kind == storePostgres {
		st, err := openPostgres(ctx, env, c.dbURL, s.statementTimeout)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := fsstore.OpenWith(env.path(c.stateDir), fsstore.Options{AllowEmpty: s.allowEmpty})
	if errors.Is(err, fsstore.ErrNotStateDir) {
		return nil, usageErr("%v; pass --allow-empty if an empty state is intended", err)
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

func openPostgres(ctx context.Context, env *Env, url string, timeout time.Duration) (*pgstore.Store, error) {
	if timeout <= 0 {
		return nil, usageErr("--statement-timeout must be positive")
	}
	st, err := pgstore.Open(ctx, url, pgstore.Options{StatementTimeout: timeout,
		Notice: func(msg string) { fmt.Fprintf(env.Stderr, "lanegate: note: %s\n", msg) }})
	if err != nil {
		return nil, err
	}
	return st, nil
}
