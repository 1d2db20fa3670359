// Package evidencetest is the contract every evidence store must keep
// (backend.EvidenceStore): append and list order, idempotency per key,
// all-or-nothing validation and one winner per key under concurrent
// appends. Each backend's tests run it against a store of their own.
package evidencetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/evidence"
)

// T0 is the contract's reference time.
var T0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// Rec is a minimal record observed at at by run runID.
func Rec(lane, kind string, passed bool, at time.Time, runID string) evidence.Record {
	return evidence.Record{Lane: lane, Kind: kind, Passed: passed, ObservedAt: at, Source: evidence.Source{RunID: runID}}
}

// Opened is a fresh, empty store under test.
type Opened struct {
	Store evidence.Store
	// Count returns how many records are stored.
	Count func(t *testing.T) int
	// Open opens another store on the same storage, as another process
	// (or connection) would; it may be called from many goroutines.
	Open func() evidence.Store
}

// Run runs the contract; open makes a fresh, empty store for each case.
func Run(t *testing.T, open func(t *testing.T) Opened) {
	each := func(t *testing.T, fn func(*testing.T, Opened)) { fn(t, open(t)) }
	t.Run("AppendAndList", func(t *testing.T) { appendAndList(t, each) })
	t.Run("AppendIdempotent", func(t *testing.T) { appendIdempotent(t, each) })
	t.Run("AppendInvalidWritesNothing", func(t *testing.T) { appendInvalidWritesNothing(t, each) })
	// Goroutines (separate connections for a database) race on distinct
	// and identical keys.
	t.Run("ConcurrentAppend", func(t *testing.T) {
		ts := open(t)
		raceAppend(t, ts.Open, ts)
	})
}

// comparable strips what the store sets itself.
func stripRecorded(recs []evidence.Record) []evidence.Record {
	out := make([]evidence.Record, len(recs))
	for i, r := range recs {
		r.RecordedAt = time.Time{}
		out[i] = r
	}
	return out
}

func appendAndList(t *testing.T, each func(*testing.T, func(*testing.T, Opened))) {
	each(t, func(t *testing.T, ts Opened) {
		ctx := context.Background()
		full := evidence.Record{Lane: "a/x", Kind: evidence.KindDeploy, Passed: true, ObservedAt: T0.Add(-time.Hour + 123456789),
			Source:  evidence.Source{RunURL: "https://github.com/o/r/actions/runs/100/attempts/2", SHA: "ABCDEF0123", Actor: "alice"},
			TraceID: "trace-1", Detail: map[string]string{"image": "web:1.2", "status_code": "200"}}
		in := []evidence.Record{
			full,
			Rec("a/x", evidence.KindDeploy, false, T0.Add(-3*time.Hour), "99"),
			Rec("a/x", evidence.KindHealth, true, T0.Add(-time.Minute), "7"),
			Rec("b/y", evidence.KindHealth, false, T0.Add(-2*time.Minute), "7"),
			Rec("b/y", evidence.KindBackupGate, true, T0.Add(-48*time.Hour), "8"),
			Rec("b/y/z", evidence.KindAudit, true, T0, "9"),
		}
		res, err := ts.Store.Append(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if !r.Created || r.Record.RecordedAt.IsZero() {
				t.Errorf("result %d = %+v, want created with recorded_at", i, r)
			}
		}
		if n := ts.Count(t); n != len(in) {
			t.Fatalf("stored %d, want %d", n, len(in))
		}
		// The full record round-trips, normalised.
		got, err := ts.Store.List(ctx, evidence.Query{Lanes: []string{"a/x"}, Kinds: []string{evidence.KindDeploy}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("got %d records", len(got))
		}
		want := full
		want.ObservedAt = T0.Add(-time.Hour + 123456000)
		want.RunID, want.RunAttempt, want.SHA = "100", "2", "abcdef0123"
		if g := stripRecorded(got[:1])[0]; !reflect.DeepEqual(g, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", g, want)
		}
		if got[1].RunID != "99" || got[1].Passed {
			t.Fatalf("second = %+v", got[1])
		}

		all, err := ts.Store.List(ctx, evidence.Query{})
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

		limited, err := ts.Store.List(ctx, evidence.Query{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(limited) != 5 || limited[0].RunID != "100" {
			t.Fatalf("limit 1: %d records, first %+v", len(limited), limited[0])
		}
		since, err := ts.Store.List(ctx, evidence.Query{Since: T0.Add(-90 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if len(since) != 4 {
			t.Fatalf("since: %d records", len(since))
		}
		none, err := ts.Store.List(ctx, evidence.Query{Lanes: []string{"nope/x"}})
		if err != nil || len(none) != 0 {
			t.Fatalf("unknown lane: %v %v", none, err)
		}

		ix, err := evidence.Latest(ctx, ts.Store, evidence.Query{Lanes: []string{"a/x", "b/y"}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ix.Lanes(), []string{"a/x", "b/y"}) || !reflect.DeepEqual(ix.Kinds("b/y"), []string{evidence.KindHealth, evidence.KindBackupGate}) {
			t.Fatalf("index lanes %v kinds %v", ix.Lanes(), ix.Kinds("b/y"))
		}
		if r := ix["a/x"][evidence.KindDeploy]; len(r) != 1 || r[0].RunID != "100" {
			t.Fatalf("latest a/x deploy = %+v", r)
		}
	})
}

func appendIdempotent(t *testing.T, each func(*testing.T, func(*testing.T, Opened))) {
	each(t, func(t *testing.T, ts Opened) {
		ctx := context.Background()
		first := Rec("a/x", evidence.KindDeploy, true, T0, "5")
		first.Detail = map[string]string{"n": "1"}
		res, err := ts.Store.Append(ctx, []evidence.Record{first})
		if err != nil || !res[0].Created {
			t.Fatalf("first append: %+v %v", res, err)
		}
		stored := res[0].Record

		// Same key, different content: the first record is kept and returned.
		again := Rec("a/x", evidence.KindDeploy, false, T0.Add(time.Hour), "5")
		again.RunAttempt = "1"
		res, err = ts.Store.Append(ctx, []evidence.Record{again})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Created || !res[0].Record.Passed || res[0].Record.Detail["n"] != "1" || !res[0].Record.RecordedAt.Equal(stored.RecordedAt) {
			t.Fatalf("duplicate append = %+v", res[0])
		}
		// Another attempt or kind is a different key.
		other := Rec("a/x", evidence.KindDeploy, true, T0, "5")
		other.RunAttempt = "2"
		res, err = ts.Store.Append(ctx, []evidence.Record{other, Rec("a/x", evidence.KindPromotion, true, T0, "5"), other})
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].Created || !res[1].Created || res[2].Created {
			t.Fatalf("batch created = %v %v %v", res[0].Created, res[1].Created, res[2].Created)
		}
		if n := ts.Count(t); n != 3 {
			t.Fatalf("stored %d, want 3", n)
		}
	})
}

func appendInvalidWritesNothing(t *testing.T, each func(*testing.T, func(*testing.T, Opened))) {
	each(t, func(t *testing.T, ts Opened) {
		ctx := context.Background()
		bad := []evidence.Record{
			Rec("a/x", evidence.KindDeploy, true, T0, "1"),
			Rec("a/x", "bogus", true, T0, "2"),
		}
		if _, err := ts.Store.Append(ctx, bad); !evidence.IsValidationError(err) {
			t.Fatalf("err = %v, want ValidationError", err)
		}
		noSource := Rec("a/x", evidence.KindDeploy, true, T0, "")
		if _, err := ts.Store.Append(ctx, []evidence.Record{noSource}); !evidence.IsValidationError(err) {
			t.Fatalf("err = %v, want ValidationError", err)
		}
		if n := ts.Count(t); n != 0 {
			t.Fatalf("stored %d, want 0", n)
		}
	})
}

func raceAppend(t *testing.T, open func() evidence.Store, ts Opened) {
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
			res, err := st.Append(context.Background(), []evidence.Record{Rec("a/x", evidence.KindDeploy, true, T0, runID)})
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
	if got := ts.Count(t); got != n+1 {
		t.Errorf("stored %d records, want %d", got, n+1)
	}
}
