package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func connect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryStrings(t *testing.T, conn *pgx.Conn, sql string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNewDatabaseIsFreshAndDropped(t *testing.T) {
	var names []string
	t.Run("create", func(t *testing.T) {
		for range 2 {
			conn := connect(t, NewDatabase(t))
			var name string
			if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^lgt_[0-9a-f]{16}$`).MatchString(name) {
				t.Errorf("database name %q, want lgt_<16 hex>", name)
			}
			tables := queryStrings(t, conn, `SELECT table_schema || '.' || table_name FROM information_schema.tables
				WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`)
			if len(tables) != 0 {
				t.Errorf("new database %s is not empty: %v", name, tables)
			}
			names = append(names, name)
			// conn stays open until after the database is dropped: DROP ... WITH (FORCE) must cope.
		}
	})
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("want two distinct databases, got %v", names)
	}
	left := queryStrings(t, connect(t, ServerURL(t)), `SELECT datname FROM pg_database WHERE datname = ANY($1)`, names)
	if len(left) != 0 {
		t.Errorf("databases not dropped at cleanup: %v", left)
	}
}

func TestNewLaunchplaneDatabaseSchema(t *testing.T) {
	conn := connect(t, NewLaunchplaneDatabase(t))

	wantColumns := map[string][]string{
		"launchplane_dokploy_target_ids": {"context", "instance", "target_id", "updated_at", "payload"},
		"launchplane_dokploy_targets":    {"context", "instance", "updated_at", "payload"},
		"launchplane_provider_targets": {"context", "instance", "provider_id", "target_category", "target_id",
			"display_name", "provider_target_type", "updated_at", "payload"},
	}
	tables := queryStrings(t, conn, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' ORDER BY table_name`)
	if want := []string{"launchplane_dokploy_target_ids", "launchplane_dokploy_targets", "launchplane_provider_targets"}; !slices.Equal(tables, want) {
		t.Errorf("tables = %v, want %v", tables, want)
	}
	for table, cols := range wantColumns {
		var want []string
		for _, c := range cols {
			typ := "character varying"
			if c == "payload" {
				typ = "jsonb"
			}
			want = append(want, c+" "+typ+" NO")
		}
		got := queryStrings(t, conn, `SELECT column_name || ' ' || data_type || ' ' || is_nullable
			FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1
			ORDER BY ordinal_position`, table)
		if !slices.Equal(got, want) {
			t.Errorf("%s columns:\n got %q\nwant %q", table, got, want)
		}
		pk := queryStrings(t, conn, `SELECT tc.constraint_name || ': ' || string_agg(k.column_name, ', ' ORDER BY k.ordinal_position)
			FROM information_schema.table_constraints tc
			JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
			WHERE tc.table_schema = 'public' AND tc.table_name = $1 AND tc.constraint_type = 'PRIMARY KEY'
			GROUP BY tc.constraint_name`, table)
		if want := []string{table + "_pkey: context, instance"}; !slices.Equal(pk, want) {
			t.Errorf("%s primary key = %q, want %q", table, pk, want)
		}
	}

	gotIdx := queryStrings(t, conn, `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`)
	wantIdx := []string{
		"CREATE UNIQUE INDEX launchplane_dokploy_target_ids_pkey ON public.launchplane_dokploy_target_ids USING btree (context, instance)",
		"CREATE INDEX launchplane_dokploy_target_ids_updated_idx ON public.launchplane_dokploy_target_ids USING btree (updated_at DESC)",
		"CREATE UNIQUE INDEX launchplane_dokploy_targets_pkey ON public.launchplane_dokploy_targets USING btree (context, instance)",
		"CREATE INDEX launchplane_dokploy_targets_updated_idx ON public.launchplane_dokploy_targets USING btree (updated_at DESC)",
		"CREATE UNIQUE INDEX launchplane_provider_targets_pkey ON public.launchplane_provider_targets USING btree (context, instance)",
		"CREATE INDEX launchplane_provider_targets_provider_idx ON public.launchplane_provider_targets USING btree (provider_id, updated_at DESC)",
		"CREATE INDEX launchplane_provider_targets_updated_idx ON public.launchplane_provider_targets USING btree (updated_at DESC)",
	}
	if !slices.Equal(gotIdx, wantIdx) {
		t.Errorf("indexes:\n got %q\nwant %q", gotIdx, wantIdx)
	}
}

func TestServerURLIsAdmin(t *testing.T) {
	conn := connect(t, ServerURL(t))
	var b [6]byte
	rand.Read(b[:])
	role := pgx.Identifier{"lgt_role_" + hex.EncodeToString(b[:])}.Sanitize()
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "CREATE ROLE "+role+" LOGIN"); err != nil {
		t.Fatalf("ServerURL cannot create roles: %v", err)
	}
	if _, err := conn.Exec(ctx, "DROP ROLE "+role); err != nil {
		t.Fatal(err)
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db":                             "postgres://u@h/db",
		"postgres://u@h/db?password=secret":             "postgres://u@h/db?password=xxxxx",
		"postgres://u:secret@h/db\x7f":                  "<unparseable database URL>",
	} {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(MaskURL(in), "secret") {
			t.Errorf("MaskURL(%q) leaks the password", in)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	got, err := withDatabase("postgres://u:p@h:1/postgres?sslmode=disable&dbname=x", "lgt_1")
	if want := "postgres://u:p@h:1/lgt_1?sslmode=disable"; err != nil || got != want {
		t.Errorf("withDatabase = %q, %v; want %q", got, err, want)
	}
	if _, err := withDatabase("host=h dbname=postgres", "lgt_1"); err == nil {
		t.Error("withDatabase accepted a keyword/value DSN")
	}
}
