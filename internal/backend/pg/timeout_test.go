package pg_test

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/store"
)

// slowTable replaces table with a view over its rows that sleeps before
// the first row: the statement is prepared at once, and the timeout then
// fires before the server has sent a single row (the case pgx reports
// with no columns and the error only in rows.Err).
func slowTable(t *testing.T, url, table string) {
	t.Helper()
	real := pgx.Identifier{table + "_rows"}.Sanitize()
	name := pgx.Identifier{table}.Sanitize()
	exec(t, url, `CREATE OR REPLACE FUNCTION lanegate_test_slow() RETURNS boolean LANGUAGE plpgsql VOLATILE AS
		$$ BEGIN PERFORM pg_sleep(30); RETURN true; END $$`)
	exec(t, url, "ALTER TABLE "+name+" RENAME TO "+real)
	exec(t, url, "CREATE VIEW "+name+" AS SELECT * FROM "+real+" WHERE (SELECT lanegate_test_slow())")
}

// wantTimeout fails unless err is the store's documented timeout error.
func wantTimeout(t *testing.T, err error, timeout time.Duration) {
	t.Helper()
	var se *store.Error
	want := fmt.Sprintf("statement timed out after %s (raise --statement-timeout)", timeout)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v (%T), want the store's %q", err, err, want)
	}
}

// TestStatementTimeoutBeforeFirstRow: a statement timeout is reported as a
// timeout on every read path — each of the three table reads on the helper
// connections, and the joined query on one connection — even when it fires
// before the first row. It used to read "table read returned 0 columns,
// want 9".
func TestStatementTimeoutBeforeFirstRow(t *testing.T) {
	ctx := context.Background()
	const timeout = 250 * time.Millisecond
	for _, table := range []string{"launchplane_dokploy_targets", "launchplane_dokploy_target_ids", "launchplane_provider_targets"} {
		for _, oneConn := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/one-connection=%v", table, oneConn), func(t *testing.T) {
				url := pgtest.NewLaunchplaneDatabase(t)
				if err := fixture.LoadPostgres(ctx, url, manyRoutes(20)); err != nil {
					t.Fatal(err)
				}
				slowTable(t, url, table)
				if oneConn {
					url = oneConnectionRole(t, url)
				}
				var notices []string
				st, err := pgstore.Open(ctx, url, pgstore.Options{StatementTimeout: timeout,
					Notice: func(m string) { notices = append(notices, m) }})
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				start := time.Now()
				err = st.Scan(ctx, store.Scope{}, &collect{fn: func(*store.RouteRecords) {}})
				wantTimeout(t, err, timeout)
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("the scan took %s: the timeout did not end the sleep", d)
				}
				if oneConn != (len(notices) == 1) {
					t.Errorf("one connection %v, notices %q", oneConn, notices)
				}
			})
		}
	}
}

// TestShortStatementTimeoutsAreTimeouts: many scans under 1-3 ms timeouts
// over a real (not artificially slow) table; each either completes or
// fails with the timeout message, never anything else.
func TestShortStatementTimeoutsAreTimeouts(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewLaunchplaneDatabase(t)
	if err := fixture.LoadPostgres(ctx, url, manyRoutes(3000)); err != nil {
		t.Fatal(err)
	}
	timedOut := 0
	for i := range 24 {
		timeout := time.Duration(1+i%3) * time.Millisecond
		st, err := pgstore.Open(ctx, url, pgstore.Options{StatementTimeout: timeout, Notice: func(string) {}})
		if err != nil {
			wantTimeout(t, err, timeout)
			timedOut++
			continue
		}
		err = st.Scan(ctx, store.Scope{}, &collect{fn: func(*store.RouteRecords) {}})
		st.Close()
		if err != nil {
			wantTimeout(t, err, timeout)
			timedOut++
		}
	}
	if timedOut == 0 {
		t.Log("no scan timed out; the slow-view test above still covers the path")
	}
}

// oneConnectionRole returns url for a new role that may hold only one
// connection, so scans fall back to reading on one connection.
func oneConnectionRole(t *testing.T, url string) string {
	t.Helper()
	role := "lg_to_" + strings.ReplaceAll(strings.TrimPrefix(dbName(t, url), "lgt_"), "-", "")
	exec(t, pgtest.ServerURL(t), "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN CONNECTION LIMIT 1")
	t.Cleanup(func() {
		exec(t, url, "DROP OWNED BY "+pgx.Identifier{role}.Sanitize())
		exec(t, pgtest.ServerURL(t), "DROP ROLE "+pgx.Identifier{role}.Sanitize())
	})
	exec(t, url, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+pgx.Identifier{role}.Sanitize())
	exec(t, url, "GRANT EXECUTE ON FUNCTION lanegate_test_slow() TO "+pgx.Identifier{role}.Sanitize())
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.User(role)
	return u.String()
}
