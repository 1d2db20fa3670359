package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/lanegate/lanegate/internal/fsstore"
	"github.com/lanegate/lanegate/internal/pgstore"
	"github.com/lanegate/lanegate/internal/store"
)

// storeFlags choose the record store.
type storeFlags struct {
	stateDir         string
	databaseURL      string
	statementTimeout time.Duration
	allowEmpty       bool
}

func addStoreFlags(fs *flag.FlagSet, s *storeFlags) {
	fs.StringVar(&s.stateDir, "state-dir", "", "Launchplane filesystem state directory (or LAUNCHPLANE_STATE_DIR)")
	fs.StringVar(&s.databaseURL, "database-url", "", "Launchplane Postgres URL (or LANEGATE_DATABASE_URL, LAUNCHPLANE_DATABASE_URL); wins over a state directory")
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

// resolve applies the documented precedence: flag, then environment; a
// database URL wins over a state directory.
func (s *storeFlags) resolve(env *Env) (dbURL, stateDir string) {
	dbURL = s.databaseURL
	if dbURL == "" {
		dbURL = env.Getenv("LANEGATE_DATABASE_URL")
	}
	if dbURL == "" {
		dbURL = env.Getenv("LAUNCHPLANE_DATABASE_URL")
	}
	stateDir = s.stateDir
	if stateDir == "" {
		stateDir = env.Getenv("LAUNCHPLANE_STATE_DIR")
	}
	return dbURL, stateDir
}

func openStore(ctx context.Context, env *Env, s *storeFlags) (store.Reader, error) {
	dbURL, stateDir := s.resolve(env)
	switch {
	case dbURL != "":
		st, err := openPostgres(ctx, env, dbURL, s.statementTimeout)
		if err != nil {
			return nil, err
		}
		return st, nil
	case stateDir != "":
		st, err := fsstore.OpenWith(env.path(stateDir), fsstore.Options{AllowEmpty: s.allowEmpty})
		if errors.Is(err, fsstore.ErrNotStateDir) {
			return nil, usageErr("%v; pass --allow-empty if an empty state is intended", err)
		}
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	return nil, usageErr("no record store chosen: pass --state-dir DIR or --database-url URL (or set LAUNCHPLANE_STATE_DIR / LANEGATE_DATABASE_URL)")
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
