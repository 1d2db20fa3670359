package pg_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/audit"
	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/store"
)

// manyRoutes makes n complete routes, enough to span many decode batches.
func manyRoutes(n int) []fixture.Route {
	out := make([]fixture.Route, n)
	for i := range out {
		out[i] = fixture.Complete(fmt.Sprintf("ctx-%05d", (i*7919)%n), "prod")
	}
	return out
}

// TestScanStreamsEveryRouteInOrder: routes decoded by the worker pool reach
// the visitor complete and in order across batch boundaries.
func TestScanStreamsEveryRouteInOrder(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewLaunchplaneDatabase(t)
	const n = 2500
	if err := fixture.LoadPostgres(ctx, url, manyRoutes(n)); err != nil {
		t.Fatal(err)
	}
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got []*store.RouteRecords
	if err := st.Scan(ctx, store.Scope{}, &collect{fn: func(rr *store.RouteRecords) { got = append(got, rr) }}); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("visited %d routes, want %d", len(got), n)
	}
	for i, rr := range got {
		if want := fmt.Sprintf("ctx-%05d", i); rr.Context != want {
			t.Fatalf("route %d is %s, want %s/prod", i, rr.Key(), want)
		}
		if rr.Target == nil || rr.TargetID == nil || rr.Provider == nil || len(rr.Invalid) != 0 {
			t.Fatalf("route %s decoded incompletely: %+v", rr.Key(), rr)
		}
		if rr.Provider.Context != rr.Context || rr.TargetID.Instance != rr.Instance {
			t.Fatalf("route %s carries another route's records: %+v", rr.Key(), rr.Provider)
		}
	}
}

type failAt struct {
	n, at int
	err   error
}

func (f *failAt) Bindings(store.Bindings) error { return nil }
func (f *failAt) Route(*store.RouteRecords) error {
	f.n++
	if f.n == f.at {
		return f.err
	}
	if f.n > f.at {
		return errors.New("visited a route after failing")
	}
	return nil
}

// TestScanStopsAtVisitorError: a visitor's error ends the scan with that
// error, without visiting another route.
func TestScanStopsAtVisitorError(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewLaunchplaneDatabase(t)
	if err := fixture.LoadPostgres(ctx, url, manyRoutes(2000)); err != nil {
		t.Fatal(err)
	}
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stop := errors.New("visitor says stop")
	v := &failAt{at: 100, err: stop}
	if err := st.Scan(ctx, store.Scope{}, v); !errors.Is(err, stop) {
		t.Fatalf("Scan error = %v, want the visitor's", err)
	}
	if v.n != 100 {
		t.Fatalf("visited %d routes, want exactly 100", v.n)
	}
}

// TestScanReadsBindingsInTheSnapshot: the identities are read on a second
// connection, and that connection sees the scan's snapshot, not rows
// committed after it began.
func TestScanReadsBindingsInTheSnapshot(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewLaunchplaneDatabase(t)
	a, b := fixture.Complete("a", "prod"), fixture.Complete("b", "prod")
	if err := fixture.LoadPostgres(ctx, url, []fixture.Route{a, b}); err != nil {
		t.Fatal(err)
	}
	var notices []string
	st, err := pgstore.Open(ctx, url, pgstore.Options{Notice: func(m string) { notices = append(notices, m) }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Between the snapshot and the second connection's reads, another
	// session commits a row that binds a's identity to c/prod as well.
	hooked := 0
	defer pgstore.SetAfterSnapshotJoined(func() {
		hooked++
		exec(t, url, `INSERT INTO launchplane_provider_targets
			SELECT 'c', instance, provider_id, target_category, target_id, display_name, provider_target_type,
			       updated_at, jsonb_set(payload, '{context}', '"c"')
			FROM launchplane_provider_targets WHERE context = 'a'`)
	})()
	var routes []string
	v := &collect{fn: func(rr *store.RouteRecords) { routes = append(routes, rr.Key()) }}
	if err := st.Scan(ctx, store.Scope{}, v); err != nil {
		t.Fatal(err)
	}
	if hooked != 1 || len(notices) != 0 {
		t.Fatalf("second connection not used: hook ran %d times, notices %q", hooked, notices)
	}
	if len(v.bindings) != 0 || strings.Join(routes, " ") != "a/prod b/prod" {
		t.Fatalf("scan saw a row committed after its snapshot: bindings %v, routes %v", v.bindings, routes)
	}
	// The row was really committed: the next scan sees it.
	pgstore.SetAfterSnapshotJoined(nil)
	v = &collect{fn: func(*store.RouteRecords) {}}
	if err := st.Scan(ctx, store.Scope{}, v); err != nil {
		t.Fatal(err)
	}
	if got := v.bindings[a.Provider.Identity()]; len(got) != 2 {
		t.Fatalf("next scan bindings = %v, want a/prod and c/prod", v.bindings)
	}
}

// orderingRoutes are routes whose byte order differs from most collations'
// order, each present in a different mix of the three tables.
func orderingRoutes() []fixture.Route {
	var out []fixture.Route
	for i, c := range []string{"B", "a", "a b", "a-b", "ab", "Ab", "é", "e", "z", "Z", "_x", "~y", "日本"} {
		for j, inst := range []string{"prod", "Prod", "p rod"} {
			r := fixture.Complete("ord-"+c, inst)
			switch (i + j) % 5 {
			case 1:
				r.Provider = nil
			case 2:
				r.Target = nil
			case 3:
				r.TargetID, r.Provider = nil, nil
			case 4:
				r.Target, r.TargetID = nil, nil
			}
			out = append(out, r)
		}
	}
	return out
}

// TestScanOnOneConnection: when the helper connections cannot join (here
// the role may hold only one connection), the scan reads everything on its
// own connection with the joined route query, says so, and reports exactly
// what the merged table reads report, scoped or not.
func TestScanOnOneConnection(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewLaunchplaneDatabase(t)
	if err := fixture.LoadPostgres(ctx, url, append(parityRoutes(), orderingRoutes()...)); err != nil {
		t.Fatal(err)
	}
	role := "lg_one_" + strings.ReplaceAll(strings.TrimPrefix(dbName(t, url), "lgt_"), "-", "")
	exec(t, pgtest.ServerURL(t), "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN CONNECTION LIMIT 1")
	t.Cleanup(func() {
		exec(t, url, "DROP OWNED BY "+pgx.Identifier{role}.Sanitize())
		exec(t, pgtest.ServerURL(t), "DROP ROLE "+pgx.Identifier{role}.Sanitize())
	})
	exec(t, url, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+pgx.Identifier{role}.Sanitize())
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.User(role)

	var notices []string
	one, err := pgstore.Open(ctx, u.String(), pgstore.Options{Notice: func(m string) { notices = append(notices, m) }})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	two, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer two.Close()
	for _, f := range []audit.Filter{{}, {Context: "ord-a"}, {Instance: "Prod"}, {Context: "ord-é", Instance: "p rod"}, {Context: "none"}} {
		got, want := auditJSON(t, one, f, nil), auditJSON(t, two, f, nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("filter %+v: one-connection report differs:\n%s\nwant:\n%s", f, got, want)
		}
	}
	if len(notices) != 5 {
		t.Fatalf("notices = %q, want one per scan", notices)
	}
	for _, n := range notices {
		if !strings.Contains(n, "reading on one connection") || !strings.Contains(n, "too many connections") {
			t.Fatalf("notice %q does not say the scan ran on one connection and why", n)
		}
	}
}

func dbName(t *testing.T, url string) string {
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// TestHelperReadTimesOut: the helper connections run under the statement
// timeout too, and a helper's failure ends the scan with the store's error.
func TestHelperReadTimesOut(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewLaunchplaneDatabase(t)
	if err := fixture.LoadPostgres(ctx, url, manyRoutes(50)); err != nil {
		t.Fatal(err)
	}
	// Another session holds the targets table; the helper reading it waits.
	holder, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE launchplane_dokploy_targets IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var notices []string
	st, err := pgstore.Open(ctx, url, pgstore.Options{StatementTimeout: 300 * time.Millisecond,
		Notice: func(m string) { notices = append(notices, m) }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Scan(ctx, store.Scope{}, &collect{fn: func(*store.RouteRecords) {}})
	var se *store.Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "read Launchplane's records: statement timed out after 300ms") {
		t.Fatalf("Scan error = %v, want the store's statement-timeout error", err)
	}
	if len(notices) != 0 {
		t.Fatalf("the scan fell back to one connection: %q", notices)
	}
}
