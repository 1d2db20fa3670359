package cli_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	neturl "net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"

	"github.com/lanegate/lanegate/internal/backfill"
)

// TestBackfillApplyShortfallRollsBack: a row for a planned route appears
// between the re-check under the lock and the insert (here a trigger plays a
// writer that ignores Launchplane's lock). ON CONFLICT keeps that row, the
// shortfall rolls the whole apply back, and the report names the route as
// skipped-conflict.
func TestBackfillApplyShortfallRollsBack(t *testing.T) {
	t.Parallel()
	s := bfNewPG(t, bfBaseFleet(), true)
	plan, _ := bfDryRun(t, s)
	if plan.Counts[backfill.StatusWouldCreate] != 3 {
		t.Fatalf("plan = %+v", plan)
	}
	s.exec(t, `CREATE FUNCTION sneak_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.context = 'opw' AND (NEW.payload->>'source_label') <> 'sneaky' THEN
    INSERT INTO launchplane_provider_targets
      (context, instance, provider_id, target_category, target_id, display_name, provider_target_type, updated_at, payload)
    VALUES (NEW.context, NEW.instance, NEW.provider_id, NEW.target_category, NEW.target_id, NEW.display_name,
            NEW.provider_target_type, NEW.updated_at, jsonb_set(NEW.payload, '{source_label}', '"sneaky"'))
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NEW;
END $$`)
	s.exec(t, `CREATE TRIGGER sneak_in BEFORE INSERT ON launchplane_provider_targets
		FOR EACH ROW WHEN ((NEW.payload->>'source_label') <> 'sneaky') EXECUTE FUNCTION sneak_in()`)
	before := s.state(t)

	out := bfApply(t, s, plan.PlanDigest)
	if out.Code != 1 {
		t.Fatalf("apply with a shortfall: want exit 1, got %s", out)
	}
	r := bfDecodeReport(t, out)
	if it, _ := r.item("opw/prod"); it.Status != backfill.StatusSkippedConflict {
		t.Errorf("opw/prod = %+v, want skipped-conflict", it)
	}
	if r.CreatedCount != 0 || !strings.Contains(r.Refusal, "already existed at write time") {
		t.Errorf("report = %+v, want nothing created and the shortfall named", *r)
	}
	if after := s.state(t); after != before {
		t.Errorf("a failed apply changed the database:\nbefore %s\nafter  %s", before, after)
	}
	if runs := s.runs(t); len(runs) != 0 {
		t.Errorf("a rolled-back apply left recorded runs: %+v", runs)
	}
}

// TestBackfillApplyOnOneConnection: when the helper connections cannot join
// (the role may hold one connection), the apply plans and stages on its own
// connection, says so, and writes exactly the reviewed plan.
func TestBackfillApplyOnOneConnection(t *testing.T) {
	t.Parallel()
	s := bfNewPG(t, bfBaseFleet(), true)
	plan, _ := bfDryRun(t, s)

	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	role := pgx.Identifier{"lg_bf_one_" + hex.EncodeToString(b[:])}.Sanitize()
	admin := pgtest.ServerURL(t)
	bfAdminExec(t, admin, "CREATE ROLE "+role+" LOGIN CONNECTION LIMIT 1")
	t.Cleanup(func() {
		s.exec(t, "DROP OWNED BY "+role)
		bfAdminExec(t, admin, "DROP ROLE "+role)
	})
	s.exec(t, "GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO "+role)
	s.exec(t, "GRANT UPDATE ON lanegate_runs TO "+role)
	s.exec(t, "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "+role)
	u, err := neturl.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.User(strings.Trim(role, `"`))
	one := &bfPG{url: u.String(), conn: s.conn}

	out := bfApply(t, one, plan.PlanDigest)
	if out.Code != 0 {
		t.Fatalf("apply on one connection: %s", out)
	}
	if !strings.Contains(out.Stderr, "reading on one connection") {
		t.Errorf("stderr does not say the apply read on one connection:\n%s", out.Stderr)
	}
	r := bfDecodeReport(t, out)
	if r.CreatedCount != 3 {
		t.Fatalf("created %d rows, want 3: %+v", r.CreatedCount, *r)
	}
	runs := s.runs(t)
	if len(runs) != 1 {
		t.Fatalf("%d runs recorded, want 1", len(runs))
	}
	bfWantRows(t, s, bfExpected(bfBaseFleet(), bfBaseCreates...), runs[0].RunID)
}

func bfAdminExec(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgtest.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
