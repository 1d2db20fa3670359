package pg_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backend"
	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/backend/pg/migrate"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/store"
	"github.com/lanegate/lanegate/migrations"
)

// applyFleet has two routes to create and one whose row exists.
func applyFleet() []fixture.Route {
	a, b := fixture.Complete("cm", "prod"), fixture.Complete("opw", "testing")
	a.Provider, b.Provider = nil, nil
	return []fixture.Route{a, b, fixture.Complete("syo", "prod")}
}

// applyDB is a migrated Launchplane database holding routes.
func applyDB(t *testing.T, routes []fixture.Route, migrated bool) (*pgstore.Store, string) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewLaunchplaneDatabase(t)
	if err := fixture.LoadPostgres(ctx, url, routes); err != nil {
		t.Fatal(err)
	}
	if migrated {
		ms, err := migrate.Load(migrations.FS)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := pgtest.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := migrate.Apply(ctx, conn, ms); err != nil {
			t.Fatal(err)
		}
	}
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, url
}

func planner(scan func(store.Visitor) error, stage func(backfill.Create) error) (*backfill.Plan, error) {
	return backfill.Make(audit.Filter{}, nil, scan, stage)
}

// dryDigest is the digest a dry run over st shows.
func dryDigest(t *testing.T, st *pgstore.Store) string {
	t.Helper()
	p, err := planner(func(v store.Visitor) error { return st.Scan(context.Background(), store.Scope{}, v) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	return p.Digest
}

func applyReq(digest string, log *[]string) backend.ApplyRequest {
	return backend.ApplyRequest{Plan: planner, ReviewedDigest: digest,
		Run: backend.RunInfo{Kind: "backfill", Scope: "all", Reason: "test", Actor: "me", RunID: "r1", RunAttempt: "1", Version: "test"},
		Log: func(line string) { *log = append(*log, line) }}
}

// count runs a one-number query.
func count(t *testing.T, url, sql string) int {
	t.Helper()
	conn, err := pgtest.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestApplyBackfillWritesThePlanAndItsRun(t *testing.T) {
	st, url := applyDB(t, applyFleet(), true)
	var log []string
	res, err := st.ApplyBackfill(context.Background(), applyReq(dryDigest(t, st), &log))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Plan.Close()
	if res.Created != 2 || res.Recorded == "" || !res.Plan.Outcome.Applied || !res.Plan.Outcome.Created || res.Plan.Outcome.Refusal != "" {
		t.Fatalf("result %+v, outcome %+v", res, res.Plan.Outcome)
	}
	var id int
	if _, err := fmt.Sscanf(res.Recorded, "lanegate run %d", &id); err != nil {
		t.Fatalf("Recorded = %q", res.Recorded)
	}
	want := fmt.Sprintf("lanegate: created 2 provider-target row(s); recorded as lanegate run %d (run id r1, source_label lanegate:backfill)", id)
	if len(log) == 0 || log[len(log)-1] != want {
		t.Errorf("log %q, want it to end with %q", log, want)
	}
	if !strings.Contains(strings.Join(log, "\n"), "lanegate: staged 2/2 provider-target row(s)") {
		t.Errorf("log %q lacks the staging progress", log)
	}
	if n := count(t, url, "SELECT count(*) FROM launchplane_provider_targets WHERE payload->>'source_label' = 'lanegate:backfill'"); n != 2 {
		t.Errorf("%d rows written, want 2", n)
	}
	if n := count(t, url, "SELECT count(*) FROM lanegate_runs WHERE kind = 'backfill' AND status = 'ok' AND run_id = 'r1' AND reason = 'test'"); n != 1 {
		t.Errorf("%d run(s) recorded, want 1", n)
	}
	if n := count(t, url, fmt.Sprintf("SELECT count(*) FROM lanegate_backfill_items WHERE run_id = %d", id)); n != 3 {
		t.Errorf("%d item(s) recorded, want 3", n)
	}
	if n := count(t, url, "SELECT count(*) FROM lanegate_backfill_items WHERE status = 'created'"); n != 2 {
		t.Errorf("%d created item(s) recorded, want 2", n)
	}

	// Applying again creates nothing and succeeds.
	log = nil
	again, err := st.ApplyBackfill(context.Background(), applyReq(dryDigest(t, st), &log))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Plan.Close()
	if again.Created != 0 || again.Plan.Outcome.Refusal != "" || len(log) != 1 || log[0] != backend.NothingToCreate {
		t.Errorf("second apply: %+v, log %q", again, log)
	}
	if n := count(t, url, "SELECT count(*) FROM lanegate_runs"); n != 1 {
		t.Errorf("a no-op apply recorded a run (%d runs)", n)
	}
}

func TestApplyBackfillRefusesAChangedPlan(t *testing.T) {
	st, url := applyDB(t, applyFleet(), true)
	var log []string
	res, err := st.ApplyBackfill(context.Background(), applyReq("sha256:"+strings.Repeat("0", 64), &log))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Plan.Close()
	if res.Created != 0 || !strings.Contains(res.Plan.Outcome.Refusal, "the data changed since the reviewed plan") || res.Plan.Outcome.Created {
		t.Errorf("result %+v, outcome %+v", res, res.Plan.Outcome)
	}
	if v, _ := res.Plan.Verdict(); v != "refused" {
		t.Errorf("verdict %q, want refused", v)
	}
	if n := count(t, url, "SELECT count(*) FROM launchplane_provider_targets"); n != 1 {
		t.Errorf("a refused apply left %d provider rows, want the 1 there was", n)
	}
	if n := count(t, url, "SELECT count(*) FROM lanegate_runs"); n != 0 {
		t.Errorf("a refused apply recorded %d run(s)", n)
	}
}

func TestApplyBackfillNeedsLanegateTables(t *testing.T) {
	st, _ := applyDB(t, applyFleet(), false)
	var log []string
	res, err := st.ApplyBackfill(context.Background(), applyReq(dryDigest(t, st), &log))
	if !errors.Is(err, pgstore.ErrLanegateTables) && (err == nil || !strings.Contains(err.Error(), pgstore.ErrLanegateTables.Error())) {
		t.Errorf("apply without lanegate's tables: %v", err)
	}
	if res.Plan != nil {
		t.Error("a failed apply returned a plan")
	}
}

// TestApplyBackfillRollsBackAConflict: a row appears between the re-check
// and the insert (a trigger plays a writer that ignores the lock): the whole
// apply is rolled back and the outcome names the route.
func TestApplyBackfillRollsBackAConflict(t *testing.T) {
	st, url := applyDB(t, applyFleet(), true)
	for _, sql := range []string{`CREATE FUNCTION sneak_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.context = 'opw' THEN
    INSERT INTO launchplane_provider_targets
      (context, instance, provider_id, target_category, target_id, display_name, provider_target_type, updated_at, payload)
    VALUES (NEW.context, NEW.instance, NEW.provider_id, NEW.target_category, NEW.target_id, NEW.display_name,
            NEW.provider_target_type, NEW.updated_at, jsonb_set(NEW.payload, '{source_label}', '"sneaky"'))
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NEW;
END $$`, `CREATE TRIGGER sneak_in BEFORE INSERT ON launchplane_provider_targets
		FOR EACH ROW WHEN ((NEW.payload->>'source_label') <> 'sneaky') EXECUTE FUNCTION sneak_in()`} {
		exec(t, url, sql)
	}
	var log []string
	res, err := st.ApplyBackfill(context.Background(), applyReq(dryDigest(t, st), &log))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Plan.Close()
	o := res.Plan.Outcome
	if o.Created || !o.Conflicts[store.Route{Context: "opw", Instance: "testing"}] ||
		o.Refusal != "1 planned row(s) already existed at write time; the whole apply was rolled back" {
		t.Fatalf("outcome %+v", o)
	}
	if n := count(t, url, "SELECT count(*) FROM launchplane_provider_targets"); n != 1 {
		t.Errorf("a rolled-back apply left %d provider rows, want the 1 there was", n)
	}
	final, created, err := res.Plan.FinalTotals()
	if err != nil {
		t.Fatal(err)
	}
	if created != 0 || final.Counts[backfill.StatusSkippedConflict] != 1 {
		t.Errorf("final totals %+v, %d created", final, created)
	}
}
