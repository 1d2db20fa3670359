// Package pgtest gives tests a real PostgreSQL database.
//
// Call pgtest.Main(m) from the package's TestMain, then NewDatabase or
// NewLaunchplaneDatabase from tests.
//
// Server selection (once per test binary, on the first call that needs it):
//
//   - If LANEGATE_TEST_DATABASE_URL is set (postgres://user:pass@host:port/db),
//     that server is used. Every NewDatabase call creates a database named
//     lgt_<random hex> through it and drops it WITH (FORCE) at cleanup
//     (PostgreSQL 13 or newer).
//   - Otherwise a throwaway cluster is created with initdb and started with
//     pg_ctl in a temporary directory, listening on 127.0.0.1 and a free port
//     with trust authentication. The binaries are looked up in PATH, then in
//     /usr/lib/postgresql/<version>/bin (newest first). When running as root
//     (CI), initdb and the server run as the "postgres" system user (or
//     "nobody"). Main stops the cluster and removes the directory after the
//     tests. See cluster.go for how a crashed test binary is cleaned up.
//
// Each test binary (so each Go package) uses its own cluster; tests never need
// a server that is already running.
package pgtest

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDatabaseURL names the environment variable selecting an existing server.
const EnvDatabaseURL = "LANEGATE_TEST_DATABASE_URL"

// LaunchplaneSchemaSQL is the checked-in fixture DDL of Launchplane's tables.
//
//go:embed launchplane_schema.sql
var LaunchplaneSchemaSQL string

// opTimeout bounds every administrative connection and statement.
const opTimeout = 30 * time.Second

type server struct {
	adminURL string   // superuser URL of the "postgres" (or given) database
	cluster  *cluster // nil when using LANEGATE_TEST_DATABASE_URL
}

var (
	startOnce sync.Once
	srv       *server
	srvErr    error
)

// Main runs the tests and then stops the throwaway cluster, if one was
// started, and exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit: it returns the tests' status (1 when
// stopping the cluster failed), for a TestMain with more to clean up.
func Run(m *testing.M) int {
	code := m.Run()
	if srv != nil && srv.cluster != nil {
		if err := srv.cluster.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping throwaway cluster: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// ServerURL returns a superuser URL of the server in use (for tests that must
// create roles and the like). Starts the server if needed.
func ServerURL(t testing.TB) string {
	t.Helper()
	return getServer(t).adminURL
}

// NewDatabase creates a fresh, empty database and returns its URL. The
// database is dropped (terminating leftover connections) at t.Cleanup.
func NewDatabase(t testing.TB) string {
	t.Helper()
	s := getServer(t)
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("pgtest: random database name: %v", err)
	}
	name := "lgt_" + hex.EncodeToString(b[:])
	dbURL, err := withDatabase(s.adminURL, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ident := pgx.Identifier{name}.Sanitize()
	if err := adminExec(s.adminURL, "CREATE DATABASE "+ident+" TEMPLATE template0"); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := adminExec(s.adminURL, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return dbURL
}

// NewLaunchplaneDatabase is NewDatabase with LaunchplaneSchemaSQL applied.
func NewLaunchplaneDatabase(t testing.TB) string {
	t.Helper()
	dbURL := NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	conn, err := Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, LaunchplaneSchemaSQL); err != nil {
		t.Fatalf("pgtest: apply Launchplane fixture schema: %v", err)
	}
	return dbURL
}

// Connect opens a pgx connection with a short connect timeout.
func Connect(ctx context.Context, dbURL string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL %s: %w", MaskURL(dbURL), err)
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 5*time.Second {
		cfg.ConnectTimeout = 5 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", MaskURL(dbURL), err)
	}
	return conn, nil
}

// MaskURL returns u with any password replaced by "xxxxx", for printing.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable database URL>"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

func getServer(t testing.TB) *server {
	t.Helper()
	startOnce.Do(func() { srv, srvErr = startServer() })
	if srvErr != nil {
		t.Fatalf("pgtest: %v", srvErr)
	}
	return srv
}

func startServer() (*server, error) {
	if raw := os.Getenv(EnvDatabaseURL); raw != "" {
		if _, err := withDatabase(raw, "x"); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvDatabaseURL, err)
		}
		if err := adminExec(raw, "SELECT 1"); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvDatabaseURL, err)
		}
		fmt.Fprintf(os.Stderr, "pgtest: using PostgreSQL server from %s: %s\n", EnvDatabaseURL, MaskURL(raw))
		return &server{adminURL: raw}, nil
	}
	c, err := startCluster()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "pgtest: using throwaway PostgreSQL cluster %s (binaries %s, run as %s, data in %s)\n",
		c.url, c.binDir, c.ownerName, c.root)
	return &server{adminURL: c.url, cluster: c}, nil
}

// withDatabase returns raw with its database name replaced by name.
func withDatabase(raw, name string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("want a postgres:// URL, got %s", MaskURL(raw))
	}
	u.Path, u.RawPath = "/"+name, ""
	if q := u.Query(); q.Has("dbname") {
		q.Del("dbname")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

func adminExec(adminURL, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	conn, err := Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}
