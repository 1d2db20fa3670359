package migrate_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lanegate/lanegate/internal/backend/pg/migrate"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func connect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgtest.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func embedded(t *testing.T) []migrate.Migration {
	t.Helper()
	ms, err := migrate.Load(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func versions(ms []migrate.Migration) []int {
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.Version)
	}
	return vs
}

func regclassExists(t *testing.T, conn *pgx.Conn, name string) bool {
	t.Helper()
	var ok bool
	if err := conn.QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func wantSQLState(t *testing.T, err error, code, what string) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != code {
		t.Errorf("%s: err = %v, want SQLSTATE %s", what, err, code)
	}
}

func TestLoadEmbedded(t *testing.T) {
	ms := embedded(t)
	var names []string
	for i, m := range ms {
		names = append(names, m.Name)
		sum := sha256.Sum256([]byte(m.SQL))
		if m.Version != i+1 || m.Checksum != hex.EncodeToString(sum[:]) || m.SQL == "" {
			t.Errorf("migration %d: %+v", i, m)
		}
	}
	if want := []string{"runs", "evidence", "items_run_check", "evidence_authority"}; !slices.Equal(names, want) {
		t.Errorf("names = %v, want %v", names, want)
	}
}

func TestLoadSortsAndIgnoresOtherFiles(t *testing.T) {
	ms, err := migrate.Load(fstest.MapFS{
		"0002_second.sql":   {Data: []byte("SELECT 2")},
		"0001_first.sql":    {Data: []byte("SELECT 1")},
		"README.md":         {Data: []byte("docs")},
		"old/0003_x.sql":    {Data: []byte("SELECT 3")},
		"migrations.go":     {Data: []byte("package migrations")},
		"0003_third_v2.sql": {Data: []byte("SELECT 3")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := versions(ms); !slices.Equal(got, []int{1, 2, 3}) || ms[0].Name != "first" || ms[2].Name != "third_v2" {
		t.Errorf("Load = %+v", ms)
	}
}

func TestLoadRejects(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte("SELECT 1")}
	for _, tc := range []struct {
		name  string
		fs    fstest.MapFS
		error string
	}{
		{"gap", fstest.MapFS{"0001_a.sql": sql, "0003_c.sql": sql}, "expected 0002, found 0003_c"},
		{"not from 1", fstest.MapFS{"0002_b.sql": sql}, "expected 0001, found 0002_b"},
		{"zero", fstest.MapFS{"0000_a.sql": sql, "0001_b.sql": sql}, "expected 0001, found 0000_a"},
		{"duplicate", fstest.MapFS{"0001_a.sql": sql, "0001_b.sql": sql, "0002_c.sql": sql}, "duplicate migration version 0001"},
		{"short version", fstest.MapFS{"1_a.sql": sql}, `bad migration file name "1_a.sql"`},
		{"long version", fstest.MapFS{"00001_a.sql": sql}, "bad migration file name"},
		{"dash", fstest.MapFS{"0001-a.sql": sql}, "bad migration file name"},
		{"no name", fstest.MapFS{"0001_.sql": sql}, "bad migration file name"},
		{"no underscore", fstest.MapFS{"0001.sql": sql}, "bad migration file name"},
		{"upper case", fstest.MapFS{"0001_Runs.sql": sql}, "bad migration file name"},
		{"space", fstest.MapFS{"0001_a b.sql": sql}, "bad migration file name"},
		{"empty", fstest.MapFS{"0001_a.sql": {Data: []byte(" \n")}}, "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := migrate.Load(tc.fs)
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Errorf("Load = %v, %v; want error containing %q", ms, err, tc.error)
			}
		})
	}
}

func TestApplyFreshAndReapply(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	ms := embedded(t)

	pending, err := migrate.Pending(ctx, conn, ms)
	if err != nil || !slices.Equal(versions(pending), []int{1, 2, 3, 4}) {
		t.Fatalf("Pending on empty database = %v, %v", versions(pending), err)
	}
	if regclassExists(t, conn, "lanegate_schema_migrations") {
		t.Error("Pending created lanegate_schema_migrations")
	}

	res, err := migrate.Apply(ctx, conn, ms)
	if err != nil || !slices.Equal(versions(res.Applied), []int{1, 2, 3, 4}) || res.AlreadyApplied != 0 {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	for _, table := range []string{"lanegate_schema_migrations", "lanegate_runs", "lanegate_backfill_items", "lanegate_evidence",
		"lanegate_runs_kind_created_idx", "lanegate_evidence_lane_kind_observed_idx"} {
		if !regclassExists(t, conn, table) {
			t.Errorf("%s missing after Apply", table)
		}
	}
	rows, _ := conn.Query(ctx, `SELECT version, name, checksum FROM lanegate_schema_migrations ORDER BY version`)
	recorded, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		Version        int
		Name, Checksum string
	}])
	if err != nil || len(recorded) != len(ms) {
		t.Fatalf("recorded = %+v, %v", recorded, err)
	}
	for i, r := range recorded {
		if r.Version != ms[i].Version || r.Name != ms[i].Name || r.Checksum != ms[i].Checksum {
			t.Errorf("recorded %+v, want %+v", r, ms[i])
		}
	}

	res, err = migrate.Apply(ctx, conn, ms)
	if err != nil || len(res.Applied) != 0 || res.AlreadyApplied != len(ms) {
		t.Errorf("re-Apply = %+v, %v; want no-op", res, err)
	}
	if pending, err := migrate.Pending(ctx, conn, ms); err != nil || len(pending) != 0 {
		t.Errorf("Pending after Apply = %v, %v", versions(pending), err)
	}
	var locks int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'`).Scan(&locks); err != nil || locks != 0 {
		t.Errorf("advisory locks left after Apply: %d, %v", locks, err)
	}
}

func TestSchemaConstraints(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	if _, err := migrate.Apply(ctx, conn, embedded(t)); err != nil {
		t.Fatal(err)
	}
	_, err := conn.Exec(ctx, `INSERT INTO lanegate_runs (kind, status, report) VALUES ('deploy', 'ok', '{}')`)
	wantSQLState(t, err, "23514", "lanegate_runs kind 'deploy'")

	var runID int64
	if err := conn.QueryRow(ctx, `INSERT INTO lanegate_runs (kind, status, report) VALUES ('backfill', 'ok', '{}') RETURNING id`).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	item := `INSERT INTO lanegate_backfill_items (run_id, context, instance, status, severity, detail) VALUES ($1, 'c', 'i', 's', 'info', 'd')`
	if _, err := conn.Exec(ctx, item, runID); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, item, runID)
	wantSQLState(t, err, "23505", "duplicate backfill item")
	_, err = conn.Exec(ctx, item, runID+1000)
	wantSQLState(t, err, "23503", "backfill item of unknown run")
	if _, err := conn.Exec(ctx, `DELETE FROM lanegate_runs WHERE id = $1`, runID); err != nil {
		t.Fatal(err)
	}
	var items int
	conn.QueryRow(ctx, `SELECT count(*) FROM lanegate_backfill_items`).Scan(&items)
	if items != 0 {
		t.Errorf("backfill items not deleted with their run: %d left", items)
	}
	// Truncating the runs truncates their items too (as CASCADE did), and
	// an UPDATE cannot point an item at a missing run either.
	if err := conn.QueryRow(ctx, `INSERT INTO lanegate_runs (kind, status, report) VALUES ('backfill', 'ok', '{}') RETURNING id`).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, item, runID); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `UPDATE lanegate_backfill_items SET run_id = run_id + 1000`)
	wantSQLState(t, err, "23503", "backfill item moved to an unknown run")
	if _, err := conn.Exec(ctx, `TRUNCATE lanegate_runs`); err != nil {
		t.Fatal(err)
	}
	conn.QueryRow(ctx, `SELECT count(*) FROM lanegate_backfill_items`).Scan(&items)
	if items != 0 {
		t.Errorf("backfill items not truncated with the runs: %d left", items)
	}

	ev := `INSERT INTO lanegate_evidence (lane, kind, passed, observed_at, run_id) VALUES ('prod', $1, true, now(), '42')`
	if _, err := conn.Exec(ctx, ev, "backup-gate"); err != nil {
		t.Fatal(err)
	}
	var attempt, detail string
	if err := conn.QueryRow(ctx, `SELECT run_attempt, detail::text FROM lanegate_evidence`).Scan(&attempt, &detail); err != nil || attempt != "1" || detail != "{}" {
		t.Errorf("evidence defaults: run_attempt=%q detail=%q err=%v", attempt, detail, err)
	}
	_, err = conn.Exec(ctx, ev, "backup-gate")
	wantSQLState(t, err, "23505", "duplicate evidence")
	_, err = conn.Exec(ctx, ev, "gate")
	wantSQLState(t, err, "23514", "evidence kind 'gate'")
	// Migration 0004 allows the authority kind.
	if _, err := conn.Exec(ctx, ev, "authority"); err != nil {
		t.Errorf("authority evidence refused: %v", err)
	}
}

func TestApplyIncremental(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	ms := embedded(t)
	if res, err := migrate.Apply(ctx, conn, ms[:1]); err != nil || len(res.Applied) != 1 {
		t.Fatalf("Apply(first) = %+v, %v", res, err)
	}
	if pending, err := migrate.Pending(ctx, conn, ms); err != nil || !slices.Equal(versions(pending), []int{2, 3, 4}) {
		t.Errorf("Pending = %v, %v; want [2 3 4]", versions(pending), err)
	}
	res, err := migrate.Apply(ctx, conn, ms)
	if err != nil || !slices.Equal(versions(res.Applied), []int{2, 3, 4}) || res.AlreadyApplied != 1 {
		t.Errorf("Apply(all) = %+v, %v", res, err)
	}
}

func TestApplyRefusesChecksumDrift(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	ms := embedded(t)
	if _, err := migrate.Apply(ctx, conn, ms[:1]); err != nil {
		t.Fatal(err)
	}
	edited := slices.Clone(ms)
	edited[0].SQL += "\n-- edited after release\n"
	sum := sha256.Sum256([]byte(edited[0].SQL))
	edited[0].Checksum = hex.EncodeToString(sum[:])

	res, err := migrate.Apply(ctx, conn, edited)
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch for applied migration 0001_runs") || len(res.Applied) != 0 {
		t.Errorf("Apply with edited migration = %+v, %v; want checksum error", res, err)
	}
	if regclassExists(t, conn, "lanegate_evidence") {
		t.Error("Apply applied later migrations despite checksum drift")
	}
	if _, err := migrate.Pending(ctx, conn, edited); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("Pending with edited migration: err = %v", err)
	}
}

func TestApplyRefusesUnknownAppliedVersion(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	ms := embedded(t)
	if _, err := migrate.Apply(ctx, conn, ms); err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Apply(ctx, conn, ms[:1]); err == nil || !strings.Contains(err.Error(), "0002 which this lanegate does not know") {
		t.Errorf("Apply by an older lanegate: err = %v", err)
	}
}

func TestApplyFailureRollsBackThatMigration(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	bad, err := migrate.Load(fstest.MapFS{
		"0001_ok.sql":  {Data: []byte("CREATE TABLE a (x int);")},
		"0002_bad.sql": {Data: []byte("CREATE TABLE b (x int);\nSELECT no_such_column FROM a;")},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := migrate.Apply(ctx, conn, bad)
	if err == nil || !strings.Contains(err.Error(), "apply 0002_bad") || !slices.Equal(versions(res.Applied), []int{1}) {
		t.Errorf("Apply = %+v, %v; want 0001 applied and 0002 failing", res, err)
	}
	if !regclassExists(t, conn, "a") || regclassExists(t, conn, "b") {
		t.Error("want table a committed and table b rolled back")
	}
	// The connection is usable and the lock was released: a fixed 0002 applies.
	fixed := slices.Clone(bad)
	fixed[1].SQL = "CREATE TABLE b (x int);"
	sum := sha256.Sum256([]byte(fixed[1].SQL))
	fixed[1].Checksum = hex.EncodeToString(sum[:])
	other := connect(t, conn.Config().ConnString())
	lockCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if res, err := migrate.Apply(lockCtx, other, fixed); err != nil || !slices.Equal(versions(res.Applied), []int{2}) {
		t.Errorf("Apply(fixed) = %+v, %v", res, err)
	}
}

func TestApplyWaitsForAdvisoryLock(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	holder := connect(t, dbURL)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended('lanegate:migrate', 0))`); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := migrate.Apply(short, connect(t, dbURL), embedded(t)); err == nil {
		t.Fatal("Apply did not wait for the advisory lock")
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended('lanegate:migrate', 0))`); err != nil {
		t.Fatal(err)
	}
	if res, err := migrate.Apply(ctx, connect(t, dbURL), embedded(t)); err != nil || len(res.Applied) != len(embedded(t)) {
		t.Errorf("Apply after unlock = %+v, %v", res, err)
	}
}

func TestApplyConcurrent(t *testing.T) {
	const workers = 4
	dbURL := pgtest.NewDatabase(t)
	ms := embedded(t)
	conns := make([]*pgx.Conn, workers)
	for i := range conns {
		conns[i] = connect(t, dbURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	results := make([]migrate.Result, workers)
	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			results[i], errs[i] = migrate.Apply(ctx, conns[i], ms)
		})
	}
	close(start)
	wg.Wait()

	applied := 0
	for i := range workers {
		if errs[i] != nil {
			t.Errorf("worker %d: %v", i, errs[i])
			continue
		}
		if len(results[i].Applied)+results[i].AlreadyApplied != len(ms) {
			t.Errorf("worker %d: %+v", i, results[i])
		}
		applied += len(results[i].Applied)
	}
	if applied != len(ms) {
		t.Errorf("workers applied %d migrations in total, want %d", applied, len(ms))
	}
	rows, _ := conns[0].Query(ctx, `SELECT version FROM lanegate_schema_migrations ORDER BY version`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil || !slices.Equal(got, []int{1, 2, 3, 4}) {
		t.Errorf("lanegate_schema_migrations versions = %v, %v; want each exactly once", got, err)
	}
}
