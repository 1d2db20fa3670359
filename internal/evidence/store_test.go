package evidence

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/backend/pg/migrate"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/store"
	"github.com/lanegate/lanegate/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type testStore struct {
	name string
	st   Store
	// count returns how many records are stored.
	count func(t *testing.T) int
}

func newFSStore(t *testing.T) testStore {
	t.Helper()
	dir := t.TempDir()
	st, err := OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	return testStore{name: "filesystem", st: st, count: func(t *testing.T) int {
		n := 0
		filepath.WalkDir(filepath.Join(dir, FSDir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if !strings.HasSuffix(p, ".json") || strings.HasPrefix(d.Name(), ".") {
					t.Errorf("stray file %s", p)
				}
				n++
			}
			return nil
		})
		return n
	}}
}

func migratedDB(t *testing.T) string {
	t.Helper()
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgtest.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ms, err := migrate.Load(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Apply(ctx, conn, ms); err != nil {
		t.Fatal(err)
	}
	return url
}

func newPGStore(t *testing.T) testStore {
	t.Helper()
	url := migratedDB(t)
	ctx := context.Background()
	conn, err := pgtest.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	st, err := OpenPG(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	st.StatementTimeout = 30 * time.Second
	return testStore{name: "postgres", st: st, count: func(t *testing.T) int {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM lanegate_evidence").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}}
}

func bothStores(t *testing.T, fn func(t *testing.T, ts testStore)) {
	t.Run("filesystem", func(t *testing.T) { fn(t, newFSStore(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, newPGStore(t)) })
}

// comparable strips what the store sets itself.
func stripRecorded(recs []Record) []Record {
	out := make([]Record, len(recs))
	for i, r := range recs {
		r.RecordedAt = time.Time{}
		out[i] = r
	}
	return out
}

func TestAppendAndList(t *testing.T) {
	bothStores(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		full := Record{Lane: "a/x", Kind: KindDeploy, Passed: true, ObservedAt: t0.Add(-time.Hour + 123456789),
			Source:  Source{RunURL: "https://github.com/o/r/actions/runs/100/attempts/2", SHA: "ABCDEF0123", Actor: "alice"},
			TraceID: "trace-1", Detail: map[string]string{"image": "web:1.2", "status_code": "200"}}
		in := []Record{
			full,
			rec("a/x", KindDeploy, false, t0.Add(-3*time.Hour), "99"),
			rec("a/x", KindHealth, true, t0.Add(-time.Minute), "7"),
			rec("b/y", KindHealth, false, t0.Add(-2*time.Minute), "7"),
			rec("b/y", KindBackupGate, true, t0.Add(-48*time.Hour), "8"),
			rec("b/y/z", KindAudit, true, t0, "9"),
		}
		res, err := ts.st.Append(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if !r.Created || r.Record.RecordedAt.IsZero() {
				t.Errorf("result %d = %+v, want created with recorded_at", i, r)
			}
		}
		if n := ts.count(t); n != len(in) {
			t.Fatalf("stored %d, want %d", n, len(in))
		}
		// The full record round-trips, normalised.
		got, err := ts.st.List(ctx, Query{Lanes: []string{"a/x"}, Kinds: []string{KindDeploy}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("got %d records", len(got))
		}
		want := full
		want.ObservedAt = t0.Add(-time.Hour + 123456000)
		want.RunID, want.RunAttempt, want.SHA = "100", "2", "abcdef0123"
		if g := stripRecorded(got[:1])[0]; !reflect.DeepEqual(g, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", g, want)
		}
		if got[1].RunID != "99" || got[1].Passed {
			t.Fatalf("second = %+v", got[1])
		}

		all, err := ts.st.List(ctx, Query{})
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, r := range all {
			order = append(order, r.Lane+" "+r.Kind+" "+r.RunID)
		}
		wantOrder := []string{"a/x deploy 100", "a/x deploy 99", "a/x health 7", "b/y health 7", "b/y backup-gate 8", "b/y/z audit 9"}
		if !reflect.DeepEqual(order, wantOrder) {
			t.Fatalf("order = %q, want %q", order, wantOrder)
		}

		limited, err := ts.st.List(ctx, Query{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(limited) != 5 || limited[0].RunID != "100" {
			t.Fatalf("limit 1: %d records, first %+v", len(limited), limited[0])
		}
		since, err := ts.st.List(ctx, Query{Since: t0.Add(-90 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if len(since) != 4 {
			t.Fatalf("since: %d records", len(since))
		}
		none, err := ts.st.List(ctx, Query{Lanes: []string{"nope/x"}})
		if err != nil || len(none) != 0 {
			t.Fatalf("unknown lane: %v %v", none, err)
		}

		ix, err := Latest(ctx, ts.st, Query{Lanes: []string{"a/x", "b/y"}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ix.Lanes(), []string{"a/x", "b/y"}) || !reflect.DeepEqual(ix.Kinds("b/y"), []string{KindHealth, KindBackupGate}) {
			t.Fatalf("index lanes %v kinds %v", ix.Lanes(), ix.Kinds("b/y"))
		}
		if r := ix["a/x"][KindDeploy]; len(r) != 1 || r[0].RunID != "100" {
			t.Fatalf("latest a/x deploy = %+v", r)
		}
	})
}

func TestAppendIdempotent(t *testing.T) {
	bothStores(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		first := rec("a/x", KindDeploy, true, t0, "5")
		first.Detail = map[string]string{"n": "1"}
		res, err := ts.st.Append(ctx, []Record{first})
		if err != nil || !res[0].Created {
			t.Fatalf("first append: %+v %v", res, err)
		}
		stored := res[0].Record

		// Same key, different content: the first record is kept and returned.
		again := rec("a/x", KindDeploy, false, t0.Add(time.Hour), "5")
		again.RunAttempt = "1"
		res, err = ts.st.Append(ctx, []Record{again})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Created || !res[0].Record.Passed || res[0].Record.Detail["n"] != "1" || !res[0].Record.RecordedAt.Equal(stored.RecordedAt) {
			t.Fatalf("duplicate append = %+v", res[0])
		}
		// Another attempt or kind is a different key.
		other := rec("a/x", KindDeploy, true, t0, "5")
		other.RunAttempt = "2"
		res, err = ts.st.Append(ctx, []Record{other, rec("a/x", KindPromotion, true, t0, "5"), other})
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].Created || !res[1].Created || res[2].Created {
			t.Fatalf("batch created = %v %v %v", res[0].Created, res[1].Created, res[2].Created)
		}
		if n := ts.count(t); n != 3 {
			t.Fatalf("stored %d, want 3", n)
		}
	})
}

func TestAppendInvalidWritesNothing(t *testing.T) {
	bothStores(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		bad := []Record{
			rec("a/x", KindDeploy, true, t0, "1"),
			rec("a/x", "bogus", true, t0, "2"),
		}
		if _, err := ts.st.Append(ctx, bad); !IsValidationError(err) {
			t.Fatalf("err = %v, want ValidationError", err)
		}
		noSource := rec("a/x", KindDeploy, true, t0, "")
		if _, err := ts.st.Append(ctx, []Record{noSource}); !IsValidationError(err) {
			t.Fatalf("err = %v, want ValidationError", err)
		}
		if n := ts.count(t); n != 0 {
			t.Fatalf("stored %d, want 0", n)
		}
	})
}

// TestConcurrentAppend races goroutines (separate connections for Postgres)
// on distinct and identical keys.
func TestConcurrentAppend(t *testing.T) {
	t.Run("filesystem", func(t *testing.T) {
		ts := newFSStore(t)
		dir := ts.st.(*FSStore).StateDir
		raceAppend(t, func() Store {
			st, err := OpenFS(dir)
			if err != nil {
				t.Error(err)
			}
			return st
		}, ts)
	})
	t.Run("postgres", func(t *testing.T) {
		url := migratedDB(t)
		ctx := context.Background()
		var mu sync.Mutex
		var conns []func()
		t.Cleanup(func() {
			for _, c := range conns {
				c()
			}
		})
		open := func() Store {
			conn, err := pgtest.Connect(ctx, url)
			if err != nil {
				t.Error(err)
				return nil
			}
			mu.Lock()
			conns = append(conns, func() { conn.Close(context.Background()) })
			mu.Unlock()
			st, err := OpenPG(ctx, conn)
			if err != nil {
				t.Error(err)
			}
			return st
		}
		counter := open()
		raceAppend(t, open, testStore{name: "postgres", st: counter, count: func(t *testing.T) int {
			var n int
			if err := counter.(*PGStore).Conn.QueryRow(ctx, "SELECT count(*) FROM lanegate_evidence").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}})
	})
}

func raceAppend(t *testing.T, open func() Store, ts testStore) {
	const n = 8
	var wg sync.WaitGroup
	created := make(chan bool, 2*n)
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := open()
			if st == nil {
				return
			}
			runID := "same"
			if i < n {
				runID = fmt.Sprintf("distinct-%d", i)
			}
			res, err := st.Append(context.Background(), []Record{rec("a/x", KindDeploy, true, t0, runID)})
			if err != nil {
				t.Error(err)
				return
			}
			if runID == "same" {
				created <- res[0].Created
			}
		}()
	}
	wg.Wait()
	close(created)
	wins := 0
	for c := range created {
		if c {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("%d appends of the same key reported created, want 1", wins)
	}
	if got := ts.count(t); got != n+1 {
		t.Errorf("stored %d records, want %d", got, n+1)
	}
}

func TestOpenPGWithoutMigrations(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgtest.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = OpenPG(ctx, conn)
	var se *store.Error
	if !errors.As(err, &se) || !errors.Is(err, ErrNoTable) || !strings.Contains(err.Error(), "lanegate migrate") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenFSMissingDir(t *testing.T) {
	_, err := OpenFS(filepath.Join(t.TempDir(), "missing"))
	var se *store.Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %v", err)
	}
}

func TestFSCorruptFile(t *testing.T) {
	ts := newFSStore(t)
	ctx := context.Background()
	res, err := ts.st.Append(ctx, []Record{rec("a/x", KindHealth, true, t0, "1")})
	if err != nil {
		t.Fatal(err)
	}
	path := ts.st.(*FSStore).path(res[0].Record.Key())
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.st.List(ctx, Query{}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("err = %v", err)
	}
	// A record copied under another record's name is refused too.
	other, _ := encodeFile(mustNormalize(t, rec("b/y", KindHealth, true, t0, "1")))
	if err := os.WriteFile(path, other, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.st.List(ctx, Query{}); err == nil || !strings.Contains(err.Error(), "not what its path says") {
		t.Fatalf("err = %v", err)
	}
}

func mustNormalize(t *testing.T, r Record) Record {
	t.Helper()
	n, err := r.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSafeNames(t *testing.T) {
	a, b := laneDirName("a/b-c"), laneDirName("a-b/c")
	if a == b || strings.ContainsAny(a+b, "/\\") {
		t.Fatalf("lane dirs %q %q", a, b)
	}
	if n := safeName(80, "../..", "1"); strings.HasPrefix(n, ".") || strings.Contains(n, "/") {
		t.Fatalf("run file %q", n)
	}
	if n := safeName(80, strings.Repeat("x", 500)); len(n) > 80+13 {
		t.Fatalf("long name %d bytes", len(n))
	}
}
