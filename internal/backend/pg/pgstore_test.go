package pg_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/lanegate/lanegate/internal/testkit"
	"net"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/lanegate/lanegate/internal/audit"
	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// auditJSON runs a full audit of st and returns the JSON report.
func auditJSON(t *testing.T, st store.Reader, filter audit.Filter, plan *lanes.File) []byte {
	return testkit.AuditJSON(t, st, filter, plan)
}

func mutate(r fixture.Route, fn func(p *record.ProviderTarget)) fixture.Route {
	cp := *r.Provider
	cp.ProviderEvidence = map[string]string{}
	for k, v := range r.Provider.ProviderEvidence {
		cp.ProviderEvidence[k] = v
	}
	fn(&cp)
	r.Provider = &cp
	return r
}

// parityRoutes covers every status the stores must agree on.
func parityRoutes() []fixture.Route {
	complete := fixture.Complete("syo", "prod")
	noProvider := fixture.Complete("syo", "testing")
	noProvider.Provider = nil
	pairless := fixture.Complete("orphan", "prod")
	pairless.Target, pairless.TargetID = nil, nil
	noTarget := fixture.Complete("cm", "prod")
	noTarget.Target = nil
	noID := fixture.Complete("cm", "testing")
	noID.TargetID = nil
	odd := fixture.Complete("café/ü", `in st\ance`)
	return []fixture.Route{
		complete, noProvider, pairless, noTarget, noID, odd,
		mutate(fixture.Complete("opw", "prod"), func(p *record.ProviderTarget) {
			p.DisplayName = "renamed"
			p.TargetCategory = "compose"
			p.ProviderTargetType = "compose"
			p.ProviderEvidence = map[string]string{"project_name": "other"}
		}),
		mutate(fixture.Complete("opw", "testing"), func(p *record.ProviderTarget) { p.TargetID = "app-syo-prod" }),
		mutate(fixture.Complete("zz", "static"), func(p *record.ProviderTarget) { p.ProviderID = "netlify" }),
	}
}

const parityLanes = `schema_version: 1
lanes:
  - {route: syo/prod, product: syo, driver: generic-web, wave: 1}
  - {route: declared/only, product: d, driver: odoo, wave: 1}
  - {route: cm/prod, product: cm, driver: odoo, wave: 2}
`

// TestParity requires byte-identical reports from both stores on the same data.
func TestParity(t *testing.T) {
	routes := parityRoutes()
	dir := t.TempDir()
	if err := fixture.WriteState(dir, routes); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewLaunchplaneDatabase(t)
	ctx := context.Background()
	if err := fixture.LoadPostgres(ctx, url, routes); err != nil {
		t.Fatal(err)
	}
	fs, err := fsstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	plan, err := lanes.Parse("lanes.yaml", []byte(parityLanes))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		filter audit.Filter
		plan   *lanes.File
	}{
		{"all", audit.Filter{}, nil},
		{"with lanes", audit.Filter{}, plan},
		{"context", audit.Filter{Context: "opw"}, plan},
		{"instance", audit.Filter{Instance: "prod"}, nil},
		{"provider dokploy", audit.Filter{ProviderID: "Dokploy"}, nil},
		{"provider netlify", audit.Filter{ProviderID: "netlify"}, nil},
		{"no match", audit.Filter{Context: "nope"}, nil},
		{"lane", audit.Filter{Lanes: []store.Route{{Context: "cm", Instance: "prod"}, {Context: "x", Instance: "y"}}}, plan},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := auditJSON(t, fs, c.filter, c.plan)
			b := auditJSON(t, pg, c.filter, c.plan)
			if !bytes.Equal(a, b) {
				t.Fatalf("reports differ\nfilesystem:\n%s\npostgres:\n%s", a, b)
			}
		})
	}
	// The full run must actually contain the interesting statuses, or parity
	// would be trivially true.
	rep, err := report.ReadAuditReport(bytes.NewReader(auditJSON(t, pg, audit.Filter{}, plan)))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"complete", "missing_provider_target", "missing_dokploy_pair", "missing_dokploy_target",
		"missing_target_id", "display_name_mismatch", "category_mismatch", "provider_target_type_mismatch",
		"provider_evidence_mismatch", "identity_mismatch", "duplicate_target_identity", "future_provider", "missing_route"} {
		if rep.Counts[s] == 0 {
			t.Errorf("status %s missing from the parity data set: %v", s, rep.Counts)
		}
	}
}

func exec(t *testing.T, url, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func scanOne(t *testing.T, url string) *store.RouteRecords {
	t.Helper()
	st, err := pgstore.Open(context.Background(), url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got []*store.RouteRecords
	v := &collect{fn: func(rr *store.RouteRecords) { got = append(got, rr) }}
	if err := st.Scan(context.Background(), store.Scope{}, v); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d routes, want 1", len(got))
	}
	return got[0]
}

type collect struct {
	fn       func(*store.RouteRecords)
	bindings store.Bindings
}

func (c *collect) Bindings(b store.Bindings) error    { c.bindings = b; return nil }
func (c *collect) Route(rr *store.RouteRecords) error { c.fn(rr); return nil }

// TestInvalidRows: bad payloads and columns that disagree with the payload
// become Invalid entries naming the table, route and field.
func TestInvalidRows(t *testing.T) {
	cases := []struct {
		name, setup, wantKind, wantErr string
	}{
		{"extra key", `UPDATE launchplane_provider_targets SET payload = payload || '{"extra": 1}'`, "provider_target", "field extra: unknown key"},
		{"column disagrees", `UPDATE launchplane_provider_targets SET target_id = 'other'`, "provider_target", "promoted column target_id='other' disagrees with the payload's 'app-syo-prod'"},
		{"wrong type", `UPDATE launchplane_dokploy_target_ids SET payload = jsonb_set(payload, '{target_id}', '5')`, "dokploy_target_id", "field target_id: expected a string, got number"},
		{"null payload", `UPDATE launchplane_dokploy_targets SET payload = 'null'::jsonb`, "dokploy_target", "payload must be a JSON object, got null"},
		{"empty context", `UPDATE launchplane_dokploy_targets SET payload = jsonb_set(payload, '{context}', '"  "')`, "dokploy_target", "field context"},
		{"updated_at column", `UPDATE launchplane_dokploy_targets SET updated_at = 'x'`, "dokploy_target", "promoted column updated_at='x'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := pgtest.NewLaunchplaneDatabase(t)
			if err := fixture.LoadPostgres(context.Background(), url, []fixture.Route{fixture.Complete("syo", "prod")}); err != nil {
				t.Fatal(err)
			}
			exec(t, url, c.setup)
			rr := scanOne(t, url)
			if len(rr.Invalid) != 1 {
				t.Fatalf("want one invalid record, got %+v", rr.Invalid)
			}
			inv := rr.Invalid[0]
			if string(inv.Kind) != c.wantKind || !strings.Contains(inv.Err.Error(), c.wantErr) {
				t.Fatalf("invalid = %s %v, want %s containing %q", inv.Kind, inv.Err, c.wantKind, c.wantErr)
			}
			if !strings.Contains(inv.Source, "(syo, prod)") && !strings.Contains(inv.Source, "('syo', 'prod')") {
				t.Fatalf("source %q does not name the row", inv.Source)
			}
		})
	}
}

// TestStoreErrors: every failure is a *store.Error with a clear message.
func TestStoreErrors(t *testing.T) {
	ctx := context.Background()
	wantErr := func(t *testing.T, err error, substr string) {
		t.Helper()
		var se *store.Error
		if !errors.As(err, &se) {
			t.Fatalf("error %v (%T) is not a *store.Error", err, err)
		}
		if !strings.Contains(err.Error(), substr) {
			t.Fatalf("error %q does not contain %q", err, substr)
		}
	}
	t.Run("server down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = pgstore.Open(ctx, "postgres://lanegate:s3cret-pw@"+addr+"/x?sslmode=disable", pgstore.Options{ConnectTimeout: 2 * time.Second})
		wantErr(t, err, "cannot connect to Postgres at 127.0.0.1:")
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Fatalf("password leaked: %v", err)
		}
	})
	t.Run("bad password", func(t *testing.T) {
		// A stand-in server that speaks the Postgres wire protocol and
		// answers every login the way a server with password auth does.
		addr := fakeAuthFailServer(t)
		_, err := pgstore.Open(ctx, "postgres://lanegate:wr0ng-pw@"+addr+"/launchplane?sslmode=disable", pgstore.Options{ConnectTimeout: 5 * time.Second})
		wantErr(t, err, `rejected user "lanegate": password authentication failed for user "lanegate"`)
		if strings.Contains(err.Error(), "wr0ng-pw") {
			t.Fatalf("password leaked: %v", err)
		}
	})
	t.Run("no such database", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		bad := strings.Replace(url, "/lgt_", "/nope_lgt_", 1)
		_, err := pgstore.Open(ctx, bad, pgstore.Options{})
		wantErr(t, err, "has no database")
	})
	t.Run("unknown role", func(t *testing.T) {
		parsed, err := neturl.Parse(pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		parsed.User = neturl.UserPassword("no_such_role_lg", "pw")
		_, err = pgstore.Open(ctx, parsed.String(), pgstore.Options{})
		wantErr(t, err, `rejected user "no_such_role_lg"`)
	})
	t.Run("missing table", func(t *testing.T) {
		url := pgtest.NewLaunchplaneDatabase(t)
		exec(t, url, "DROP TABLE launchplane_provider_targets")
		_, err := pgstore.Open(ctx, url, pgstore.Options{})
		wantErr(t, err, "table launchplane_provider_targets not found: run Launchplane's migrations first")
	})
	t.Run("missing column", func(t *testing.T) {
		url := pgtest.NewLaunchplaneDatabase(t)
		exec(t, url, "ALTER TABLE launchplane_dokploy_target_ids DROP COLUMN target_id")
		_, err := pgstore.Open(ctx, url, pgstore.Options{})
		wantErr(t, err, "column launchplane_dokploy_target_ids.target_id not found")
	})
	t.Run("statement timeout", func(t *testing.T) {
		url := pgtest.NewLaunchplaneDatabase(t)
		// Hold Launchplane's bundle lock exclusively, as a dual-write would;
		// the audit's shared lock then waits until its statement timeout.
		holder, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Close(ctx)
		if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", pgstore.BundleLockName); err != nil {
			t.Fatal(err)
		}
		st, err := pgstore.Open(ctx, url, pgstore.Options{StatementTimeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		err = st.Scan(ctx, store.Scope{}, &collect{fn: func(*store.RouteRecords) {}})
		wantErr(t, err, "statement timed out after 200ms")
	})
}

// TestReadOnly: an audit leaves the database untouched and runs in a
// read-only transaction.
func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewLaunchplaneDatabase(t)
	if err := fixture.LoadPostgres(ctx, url, []fixture.Route{fixture.Complete("syo", "prod")}); err != nil {
		t.Fatal(err)
	}
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tx, err := st.BeginRead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var iso, ro string
	if err := tx.QueryRow(ctx, "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')").Scan(&iso, &ro); err != nil {
		t.Fatal(err)
	}
	if iso != "repeatable read" || ro != "on" {
		t.Fatalf("isolation %q read_only %q, want repeatable read / on", iso, ro)
	}
	var locks int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ShareLock' AND pid = pg_backend_pid()").Scan(&locks); err != nil {
		t.Fatal(err)
	}
	if locks != 1 {
		t.Fatalf("shared advisory locks held = %d, want 1", locks)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM launchplane_provider_targets"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("write inside the audit transaction: err = %v, want read-only refusal", err)
	}
}

// TestBindingsSpanScope: a scoped scan still sees identities bound on routes
// outside the scope.
func TestBindingsSpanScope(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewLaunchplaneDatabase(t)
	a := fixture.Complete("a", "prod")
	b := mutate(fixture.Complete("b", "prod"), func(p *record.ProviderTarget) { p.TargetID = a.Provider.TargetID })
	if err := fixture.LoadPostgres(ctx, url, []fixture.Route{a, b}); err != nil {
		t.Fatal(err)
	}
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := auditJSON(t, st, audit.Filter{Context: "a"}, nil)
	if !bytes.Contains(got, []byte("is also bound to b/prod")) {
		t.Fatalf("scoped audit missed the binding on b/prod:\n%s", got)
	}
	if bytes.Contains(got, []byte(`"context": "b"`)) {
		t.Fatalf("scoped audit reported the out-of-scope route:\n%s", got)
	}
}

// fakeAuthFailServer accepts Postgres connections, asks for a cleartext
// password and rejects it with SQLSTATE 28P01, as a real server does.
func fakeAuthFailServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				be := pgproto3.NewBackend(c, c)
				msg, err := be.ReceiveStartupMessage()
				if err != nil {
					return
				}
				sm, ok := msg.(*pgproto3.StartupMessage)
				if !ok {
					return
				}
				be.Send(&pgproto3.AuthenticationCleartextPassword{})
				if err := be.Flush(); err != nil {
					return
				}
				be.SetAuthType(pgproto3.AuthTypeCleartextPassword)
				if _, err := be.Receive(); err != nil {
					return
				}
				be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01",
					Message: fmt.Sprintf("password authentication failed for user %q", sm.Parameters["user"])})
				be.Flush()
			}(c)
		}
	}()
	return l.Addr().String()
}
