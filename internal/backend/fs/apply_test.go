package fs

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/store"
)

func applyPlanner(scan func(store.Visitor) error, stage func(backfill.Create) error) (*backfill.Plan, error) {
	return backfill.Make(audit.Filter{}, nil, scan, stage)
}

// applyDigest is the digest a dry run over s shows.
func applyDigest(t *testing.T, s *Store) string {
	t.Helper()
	p, err := applyPlanner(func(v store.Visitor) error { return s.Scan(context.Background(), store.Scope{}, v) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	return p.Digest
}

func applyRequest(digest string, log *[]string) backend.ApplyRequest {
	return backend.ApplyRequest{Plan: applyPlanner, ReviewedDigest: digest,
		Run: backend.RunInfo{Kind: "backfill", Scope: "all", Reason: "test", Actor: "me", RunID: "r1", RunAttempt: "1", Version: "test"},
		Log: func(line string) { *log = append(*log, line) }}
}

func TestApplyBackfillCreatesTheRowsAndTheRunRecord(t *testing.T) {
	s, rows := bfState(t, 2, 3)
	var log []string
	res, err := s.ApplyBackfill(context.Background(), applyRequest(applyDigest(t, s), &log))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Plan.Close()
	if res.Created != 3 || res.Recorded != ".lanegate/backfills/r1.json" || !res.Plan.Outcome.Created || res.Plan.Outcome.Refusal != "" {
		t.Fatalf("result %+v, outcome %+v", res, res.Plan.Outcome)
	}
	want := []string{"lanegate: created 3/3 provider-target row(s)", "lanegate: created 3 provider-target file(s); recorded in .lanegate/backfills/r1.json"}
	if strings.Join(log, "\n") != strings.Join(want, "\n") {
		t.Errorf("log %q, want %q", log, want)
	}
	for _, p := range rows {
		if _, err := os.Stat(bfRowPath(s, p)); err != nil {
			t.Errorf("row %s/%s: %v", p.Context, p.Instance, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(s.Dir, ".lanegate", "backfills", "r1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Run     string          `json:"run_id"`
		Why     string          `json:"reason"`
		Created int             `json:"created_count"`
		Items   []backfill.Item `json:"items"`
		Counts  map[string]int  `json:"counts"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Run != "r1" || rec.Why != "test" || rec.Created != 3 || len(rec.Items) != 5 || rec.Counts[backfill.StatusCreated] != 3 {
		t.Errorf("run record %s", data)
	}
	if _, err := os.Lstat(s.journalPath()); !os.IsNotExist(err) {
		t.Errorf("the journal is still there: %v", err)
	}

	log = nil
	again, err := s.ApplyBackfill(context.Background(), applyRequest(applyDigest(t, s), &log))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Plan.Close()
	if again.Created != 0 || again.Plan.Outcome.Refusal != "" || len(log) != 1 || log[0] != backend.NothingToCreate {
		t.Errorf("second apply: %+v, log %q", again, log)
	}
}

func TestApplyBackfillRefusesAChangedPlan(t *testing.T) {
	s, _ := bfState(t, 1, 2)
	before := bfTree(t, s.Dir)
	var log []string
	res, err := s.ApplyBackfill(context.Background(), applyRequest("sha256:"+strings.Repeat("0", 64), &log))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Plan.Close()
	if !strings.Contains(res.Plan.Outcome.Refusal, "the data changed since the reviewed plan") || res.Created != 0 || len(log) != 0 {
		t.Errorf("result %+v, outcome %+v, log %q", res, res.Plan.Outcome, log)
	}
	bfDiffTrees(t, "after a refused apply", before, bfTree(t, s.Dir))
}

// TestApplyBackfillRemovesEverythingOnAConflict: a row that appears between
// the plan and the write (a writer ignoring the lock) undoes the apply.
func TestApplyBackfillRemovesEverythingOnAConflict(t *testing.T) {
	s, rows := bfState(t, 0, 3)
	digest := applyDigest(t, s)
	sneaky := *rows[2]
	sneaky.SourceLabel = "sneaky"
	req := applyRequest(digest, new([]string))
	var before map[string]bfEntry
	req.Plan = func(scan func(store.Visitor) error, stage func(backfill.Create) error) (*backfill.Plan, error) {
		p, err := applyPlanner(scan, stage)
		if err == nil {
			err = s.WriteProviderTarget(&sneaky)
			before = bfTree(t, s.Dir)
		}
		return p, err
	}
	res, err := s.ApplyBackfill(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Plan.Close()
	r := store.Route{Context: sneaky.Context, Instance: sneaky.Instance}
	o := res.Plan.Outcome
	if o.Created || !o.Conflicts[r] || o.Refusal != "the provider-target row for "+r.Key()+" appeared at write time; every file this apply created was removed" {
		t.Fatalf("outcome %+v", o)
	}
	bfDiffTrees(t, "after a conflict", before, bfTree(t, s.Dir))
}

// TestApplyBackfillRefusesAnInterruptedState: a journal makes the apply
// name --recover; Recover rolls it back and the apply then goes through.
func TestApplyBackfillRefusesAnInterruptedState(t *testing.T) {
	s, rows := bfState(t, 0, 4)
	digest := applyDigest(t, s)
	bfCrash(t, s, rows, 2)
	_, err := s.ApplyBackfill(context.Background(), applyRequest(digest, new([]string)))
	if err == nil || !strings.Contains(err.Error(), "lanegate backfill --recover") {
		t.Fatalf("apply over an interrupted apply: %v", err)
	}
	n, err := s.Recover(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("Recover = %d, %v; want the 2 rows the crash left", n, err)
	}
	if n, err := s.Recover(context.Background()); err != nil || n != 0 {
		t.Errorf("Recover with nothing to do = %d, %v", n, err)
	}
	res, err := s.ApplyBackfill(context.Background(), applyRequest(digest, new([]string)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Plan.Close()
	if res.Created != 4 {
		t.Errorf("apply after recovery created %d, want 4", res.Created)
	}
}
