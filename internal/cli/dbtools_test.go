package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
)

// dbRecordFiles maps every record file below dir (the three record
// directories only) to its bytes.
func dbRecordFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, k := range record.Kinds {
		entries, err := os.ReadDir(filepath.Join(dir, k.Dir()))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, k.Dir(), e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[k.Dir()+"/"+e.Name()] = data
		}
	}
	return out
}

// TestExportImportRoundTrip: state files → import → export give back the
// same files byte for byte, odd route names included.
func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	odd := []fixture.Route{fixture.Complete("café/ü", `in st\ance`), fixture.Complete("a b", "ü-prod")}
	noID := fixture.Complete("zz", "prod")
	noID.TargetID = nil
	if err := fixture.WriteState(src, append(odd, noID)); err != nil {
		t.Fatal(err)
	}
	// Add the example fleet's exact files too.
	for name, data := range dbRecordFiles(t, filepath.Join("..", "..", "examples", "state")) {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	url := pgtest.NewLaunchplaneDatabase(t)
	if r := lanegate.In("", nil, "import", "--state-dir", src, "--database-url", url); r.Code != 0 {
		t.Fatalf("import: %s", r)
	}
	out := filepath.Join(t.TempDir(), "exported")
	if r := lanegate.In("", nil, "export", "--database-url", url, "--state-dir", out); r.Code != 0 {
		t.Fatalf("export: %s", r)
	}
	want, got := dbRecordFiles(t, src), dbRecordFiles(t, out)
	if len(want) < 25 || len(got) != len(want) {
		t.Fatalf("exported %d files, want %d", len(got), len(want))
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !bytes.Equal(want[n], got[n]) {
			t.Errorf("%s differs after export:\nwant %s\ngot  %s", n, want[n], got[n])
		}
	}

	// The database now has records: a second import is refused, and
	// --replace needs the database's name repeated.
	r := lanegate.In("", nil, "import", "--state-dir", src, "--database-url", url)
	if r.Code != 2 || !strings.Contains(r.Stderr, "import loads only an empty database") {
		t.Fatalf("import into a non-empty database: %s", r)
	}
	r = lanegate.In("", nil, "import", "--state-dir", src, "--database-url", url, "--replace")
	if r.Code != 2 || !strings.Contains(r.Stderr, "--confirm-database") {
		t.Fatalf("--replace without --confirm-database: %s", r)
	}
	r = lanegate.In("", nil, "import", "--state-dir", src, "--database-url", url, "--replace", "--confirm-database", "wrong")
	if r.Code != 2 {
		t.Fatalf("--replace with the wrong name: %s", r)
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var name string
	if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if r = lanegate.In("", nil, "import", "--state-dir", src, "--database-url", url, "--replace", "--confirm-database", name); r.Code != 0 {
		t.Fatalf("--replace with the right name: %s", r)
	}
	// Export refuses a non-empty directory.
	if r = lanegate.In("", nil, "export", "--database-url", url, "--state-dir", out); r.Code != 2 {
		t.Fatalf("export into a non-empty directory: %s", r)
	}
}

// TestImportRefusesInvalidState: nothing is written when the state has an
// invalid record.
func TestImportRefusesInvalidState(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	if err := fixture.WriteState(src, []fixture.Route{fixture.Complete("syo", "prod")}); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(src, "launchplane_provider_targets", record.FileName("x", "y"))
	if err := os.WriteFile(bad, []byte(`{"context": "x"`), 0o644); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewLaunchplaneDatabase(t)
	r := lanegate.In("", nil, "import", "--state-dir", src, "--database-url", url)
	if r.Code != 2 || !strings.Contains(r.Stderr, "invalid records (nothing was written)") {
		t.Fatalf("import of an invalid state: %s", r)
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM launchplane_dokploy_targets) + (SELECT count(*) FROM launchplane_provider_targets)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d rows written by a refused import", n)
	}
}

// TestMigrateCommand: --dry-run prints the pending SQL and applies nothing;
// migrate applies; a second migrate is a no-op.
func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	r := lanegate.In("", nil, "migrate", "--database-url", url, "--dry-run")
	if r.Code != 0 || !strings.Contains(r.Stdout, "-- 0001_runs.sql") || !strings.Contains(r.Stdout, "CREATE TABLE lanegate_runs") {
		t.Fatalf("migrate --dry-run: %s", r)
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(context.Background(), "SELECT to_regclass('lanegate_runs') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Fatalf("dry run created tables (exists=%v, err=%v)", exists, err)
	}
	if r = lanegate.In("", nil, "migrate", "--database-url", url); r.Code != 0 || !strings.Contains(r.Stdout, "applied 0001_runs") {
		t.Fatalf("migrate: %s", r)
	}
	if r = lanegate.In("", nil, "migrate", "--database-url", url); r.Code != 0 || !strings.Contains(r.Stdout, "0 applied now") {
		t.Fatalf("second migrate: %s", r)
	}
	if r = lanegate.In("", nil, "migrate"); r.Code != 2 {
		t.Fatalf("migrate without a database: %s", r)
	}
}
