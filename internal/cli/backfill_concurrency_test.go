package cli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/testkit"
)

// bfConcurrentApplies starts n applies of the same reviewed plan at the same
// moment and returns their results.
func bfConcurrentApplies(t *testing.T, s bfStore, digest string, n int) []testkit.Result {
	t.Helper()
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = t.TempDir()
	}
	outs := make([]testkit.Result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			outs[i] = lanegate.In(dirs[i], bfEnv(), append(append([]string{"backfill"}, s.args()...),
				"--apply", "--plan-digest", digest, "--reason", "concurrent apply", "--format", "table")...)
		}(i)
	}
	close(start)
	wg.Wait()
	return outs
}

// bfCheckConcurrentOutcome: every apply exited 0 or refused clearly, and
// exactly one of them created the rows.
func bfCheckConcurrentOutcome(t *testing.T, outs []testkit.Result, n int) {
	t.Helper()
	creators := 0
	for i, out := range outs {
		switch {
		case out.Code == 0 && strings.Contains(out.Stderr, "nothing to create"):
		case out.Code == 0 && strings.Contains(out.Stderr, "created "+strconv.Itoa(n)+" provider-target"):
			creators++
		case out.Code == 1 && strings.Contains(out.Stderr, "apply refused, nothing written"):
		default:
			t.Errorf("apply %d: want exit 0 (created or nothing to create) or a clear refusal, got %s", i, out)
		}
	}
	if creators != 1 {
		t.Errorf("%d applies created rows, want exactly 1", creators)
	}
}

func TestBackfillConcurrentAppliesPostgres(t *testing.T) {
	t.Parallel()
	const n = 200
	routes := bfManyPairs(n, "fleet")
	s := bfNewPG(t, routes, true)
	plan, _ := bfDryRun(t, s)
	if plan.Counts["would-create"] != n {
		t.Fatalf("plan = %v", plan.Counts)
	}
	outs := bfConcurrentApplies(t, s, plan.PlanDigest, 8)
	bfCheckConcurrentOutcome(t, outs, n)

	if got := s.count(t, "SELECT count(*) FROM launchplane_provider_targets"); got != n {
		t.Errorf("%d provider-target rows, want %d", got, n)
	}
	if got := s.count(t, "SELECT count(*) FROM launchplane_provider_targets WHERE "+bfLanegateLabel); got != n {
		t.Errorf("%d lanegate-created rows, want %d", got, n)
	}
	if got := s.count(t, `SELECT count(*) FROM (SELECT 1 FROM launchplane_provider_targets
		GROUP BY provider_id, target_category, target_id HAVING count(*) > 1) d`); got != 0 {
		t.Errorf("%d provider-target identities are bound to more than one route", got)
	}
	if got := s.count(t, "SELECT count(DISTINCT payload->>'source_label') FROM launchplane_provider_targets"); got != 1 {
		t.Errorf("rows carry %d different source labels, want the one run's", got)
	}
	if got := s.count(t, "SELECT count(*) FROM lanegate_runs"); got != 1 {
		t.Errorf("%d lanegate_runs rows, want 1", got)
	}
	if got := s.count(t, "SELECT count(*) FROM lanegate_backfill_items i JOIN lanegate_runs r ON r.id = i.run_id WHERE i.status = 'created'"); got != n {
		t.Errorf("%d created items recorded, want %d", got, n)
	}
	runs := s.runs(t)
	if len(runs) != 1 {
		t.Fatalf("%d runs recorded, want 1", len(runs))
	}
	bfWantRows(t, s, bfExpectedAll(routes), runs[0].RunID)
}

func TestBackfillConcurrentAppliesFilesystem(t *testing.T) {
	t.Parallel()
	const n = 200
	routes := bfManyPairs(n, "fleet")
	s := bfNewFS(t, routes)
	plan, _ := bfDryRun(t, s)
	if plan.Counts["would-create"] != n {
		t.Fatalf("plan = %v", plan.Counts)
	}
	outs := bfConcurrentApplies(t, s, plan.PlanDigest, 8)
	bfCheckConcurrentOutcome(t, outs, n)

	entries, err := os.ReadDir(s.providerDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Errorf("%d entries in %s, want exactly %d files (no temp files left)", len(entries), s.providerDir(), n)
	}
	runs := s.runs(t)
	if len(runs) != 1 {
		t.Fatalf("%d run records, want 1", len(runs))
	}
	bfWantRows(t, s, bfExpectedAll(routes), runs[0].RunID)
	if _, err := os.Stat(filepath.Join(s.dir, ".lanegate", "backfill-journal.json")); !os.IsNotExist(err) {
		t.Errorf("journal left behind (stat err %v)", err)
	}
	if a := lanegate.In(t.TempDir(), bfEnv(), "audit", "--state-dir", s.dir); a.Code != 0 {
		t.Errorf("audit after the concurrent applies: %s", a)
	}
}

// bfExpectedAll returns every row a backfill of routes creates.
func bfExpectedAll(routes []fixture.Route) map[string]*record.ProviderTarget {
	var keys []string
	for _, r := range routes {
		if r.Target != nil && r.TargetID != nil && r.Provider == nil {
			keys = append(keys, r.Target.Context+"/"+r.Target.Instance)
		}
	}
	return bfExpected(routes, keys...)
}
