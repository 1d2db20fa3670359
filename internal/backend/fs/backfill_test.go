package fs

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// bfEntry is one path of a state tree: a directory or a file's bytes.
type bfEntry struct {
	dir  bool
	data string
}

// bfTree reads every path under dir except Launchplane's own .locks/.
func bfTree(t *testing.T, dir string) map[string]bfEntry {
	t.Helper()
	out := map[string]bfEntry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if rel == ".locks" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			out[rel] = bfEntry{dir: true}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = bfEntry{data: string(b)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func bfDiffTrees(t *testing.T, what string, before, after map[string]bfEntry) {
	t.Helper()
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, inB := before[k]
		a, inA := after[k]
		switch {
		case !inA:
			t.Errorf("%s: %s was removed", what, k)
		case !inB:
			t.Errorf("%s: %s appeared", what, k)
		case a != b:
			t.Errorf("%s: %s changed", what, k)
		}
	}
}

// bfPairRecords is a compose route's Dokploy pair and its projection.
func bfPairRecords(t *testing.T, ctx, inst string) (*record.DokployTarget, *record.DokployTargetID, *record.ProviderTarget) {
	t.Helper()
	p := record.NewDokployTargetPayload(ctx, inst, "2026-04-21T18:30:00Z")
	p.Set("target_type", "compose")
	p.Set("target_name", ctx+"-"+inst)
	p.Set("project_name", "odoo-"+ctx)
	p.Set("source_label", "test:dokploy-target")
	tr, err := record.DokployTargetFromObject(p)
	if err != nil {
		t.Fatal(err)
	}
	id := &record.DokployTargetID{SchemaVersion: 1, Context: ctx, Instance: inst, TargetID: "cmp-" + ctx + "-" + inst,
		UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test:dokploy-target-id"}
	x, err := record.Project(tr, id)
	if err != nil {
		t.Fatal(err)
	}
	return tr, id, x
}

// bfState writes `existing` complete routes and `missing` routes that lack
// their explicit row, and returns the rows a backfill would create (in route
// order) labelled for run "test-run".
func bfState(t *testing.T, existing, missing int) (*Store, []*record.ProviderTarget) {
	t.Helper()
	s := &Store{Dir: t.TempDir()}
	for i := 0; i < existing; i++ {
		tr, id, x := bfPairRecords(t, "done", string(rune('a'+i)))
		for _, err := range []error{s.WriteDokployTarget(tr), s.WriteDokployTargetID(id), s.WriteProviderTarget(x)} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	var rows []*record.ProviderTarget
	for i := 0; i < missing; i++ {
		tr, id, x := bfPairRecords(t, "todo", "lane-"+string(rune('a'+i)))
		for _, err := range []error{s.WriteDokployTarget(tr), s.WriteDokployTargetID(id)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		x.SourceLabel = "lanegate:backfill:test-run"
		rows = append(rows, x)
	}
	return s, rows
}

func bfRowPath(s *Store, p *record.ProviderTarget) string {
	return filepath.Join(s.Dir, record.KindProviderTarget.Dir(), record.FileName(p.Context, p.Instance))
}

func bfSetFailCreateAt(t *testing.T, n int) {
	t.Helper()
	failCreateAt = n
	t.Cleanup(func() { failCreateAt = 0 })
}

func TestApplyCreatesWritesEveryRowAndTheRecord(t *testing.T) {
	s, rows := bfState(t, 2, 10)
	before := bfTree(t, s.Dir)
	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	var ticks []int
	rec := []byte(`{"run_id": "test-run"}`)
	n, conflict, err := s.ApplyCreates("test-run", rows, rec, func(done int) { ticks = append(ticks, done) })
	unlock()
	if err != nil || conflict != nil || n != len(rows) {
		t.Fatalf("ApplyCreates = %d, %v, %v; want %d, nil, nil", n, conflict, err, len(rows))
	}
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !reflect.DeepEqual(ticks, want) {
		t.Errorf("progress = %v, want %v", ticks, want)
	}
	after := bfTree(t, s.Dir)
	for _, p := range rows {
		rel := record.KindProviderTarget.Dir() + "/" + record.FileName(p.Context, p.Instance)
		got, ok := after[rel]
		if !ok {
			t.Errorf("%s was not created", rel)
			continue
		}
		if want := string(Encode(p.Payload())); got.data != want {
			t.Errorf("%s =\n%s\nwant Launchplane's encoding\n%s", rel, got.data, want)
		}
		back, err := record.DecodeProviderTarget([]byte(got.data))
		if err != nil || !reflect.DeepEqual(back, p) {
			t.Errorf("%s reads back as %+v (%v), want %+v", rel, back, err, p)
		}
		delete(after, rel)
	}
	if got := after[".lanegate/backfills/test-run.json"]; got.data != string(rec) {
		t.Errorf("run record = %q, want %q", got.data, rec)
	}
	delete(after, ".lanegate/backfills/test-run.json")
	delete(after, ".lanegate/backfills")
	delete(after, ".lanegate")
	bfDiffTrees(t, "besides the created rows and the run record", before, after)
	if _, err := os.Stat(s.journalPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal left after a complete apply (stat err %v)", err)
	}
	if _, err := s.Load(); err != nil {
		t.Errorf("Load after apply: %v", err)
	}
}

func TestApplyCreatesInjectedFailureLeavesStateUnchanged(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing int
	}{
		{"provider-target directory already exists", 3},
		{"first provider-target rows of the state", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, rows := bfState(t, tc.existing, 10)
			before := bfTree(t, s.Dir)
			bfSetFailCreateAt(t, 5)
			unlock, err := s.Lock()
			if err != nil {
				t.Fatal(err)
			}
			calls := 0
			n, conflict, err := s.ApplyCreates("test-run", rows, []byte("{}"), func(int) { calls++ })
			unlock()
			if err == nil || !strings.Contains(err.Error(), "injected failure") || n != 0 || conflict != nil {
				t.Fatalf("ApplyCreates = %d, %v, %v; want 0, nil, the injected failure", n, conflict, err)
			}
			if calls != 4 {
				t.Errorf("%d rows were created before the failure, want 4 (the failure is at the 5th)", calls)
			}
			bfDiffTrees(t, "after a failed apply", before, bfTree(t, s.Dir))
		})
	}
}

func TestApplyCreatesConflictAtWriteTime(t *testing.T) {
	s, rows := bfState(t, 1, 10)
	// Between plan and apply, Launchplane writes the 7th planned row itself.
	theirs := *rows[6]
	theirs.SourceLabel = "launchplane:dual-write"
	theirs.UpdatedAt = "2026-05-01T00:00:00Z"
	if err := s.WriteProviderTarget(&theirs); err != nil {
		t.Fatal(err)
	}
	before := bfTree(t, s.Dir)
	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	n, conflict, err := s.ApplyCreates("test-run", rows, []byte("{}"), nil)
	unlock()
	if err != nil || n != 0 {
		t.Fatalf("ApplyCreates = %d, %v, %v; want 0 created and a conflict", n, conflict, err)
	}
	if want := (store.Route{Context: rows[6].Context, Instance: rows[6].Instance}); conflict == nil || *conflict != want {
		t.Fatalf("conflict = %v, want %v", conflict, want)
	}
	bfDiffTrees(t, "after a conflicting apply", before, bfTree(t, s.Dir))
	got, err := os.ReadFile(bfRowPath(s, &theirs))
	if err != nil || !bytes.Equal(got, Encode(theirs.Payload())) {
		t.Errorf("Launchplane's row was touched: %q, %v", got, err)
	}
	if _, err := os.Stat(s.journalPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal left after a conflict (stat err %v)", err)
	}
}

// bfCrash runs ApplyCreates and stops it dead (a panic out of the progress
// callback, so no undo runs) after `after` rows, as a killed process would.
func bfCrash(t *testing.T, s *Store, rows []*record.ProviderTarget, after int) {
	t.Helper()
	type crash struct{}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crash); !ok {
				panic(r)
			}
		}
	}()
	s.ApplyCreates("crashed-run", rows, []byte("{}"), func(done int) {
		if done == after {
			panic(crash{})
		}
	})
	t.Fatalf("ApplyCreates finished; the simulated crash did not happen")
}

func TestRecoverRemovesOnlyFilesStillMatchingTheJournal(t *testing.T) {
	s, rows := bfState(t, 2, 10)
	before := bfTree(t, s.Dir)
	bfCrash(t, s, rows, 6)
	for i, p := range rows {
		_, err := os.Stat(bfRowPath(s, p))
		if exists := err == nil; exists != (i < 6) {
			t.Fatalf("after the crash row %d exists=%v", i, exists)
		}
	}
	// The journal makes every reader refuse the state.
	_, err := s.Load()
	if err == nil || !strings.Contains(err.Error(), "interrupted lanegate backfill") || !strings.Contains(err.Error(), "--recover") {
		t.Fatalf("Load with a journal: err = %v, want the interrupted-backfill refusal", err)
	}
	// Meanwhile someone rewrote row 1 (ours no more) and deleted row 2.
	rewritten := *rows[1]
	rewritten.DisplayName = "rewritten-by-launchplane"
	if err := s.WriteProviderTarget(&rewritten); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(bfRowPath(s, rows[2])); err != nil {
		t.Fatal(err)
	}

	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.recoverLocked()
	unlock()
	if err != nil || n != 4 {
		t.Fatalf("Recover = %d, %v; want 4 removed (rows 0, 3, 4, 5)", n, err)
	}
	got, err := os.ReadFile(bfRowPath(s, &rewritten))
	if err != nil || !bytes.Equal(got, Encode(rewritten.Payload())) {
		t.Errorf("Recover touched a row whose content no longer matches the journal: %q, %v", got, err)
	}
	want := bfTree(t, s.Dir)
	rel := record.KindProviderTarget.Dir() + "/" + record.FileName(rewritten.Context, rewritten.Instance)
	delete(want, rel)
	bfDiffTrees(t, "after recovery (besides the rewritten row)", before, want)
	if _, err := os.Stat(s.journalPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal still there after Recover (stat err %v)", err)
	}
	if _, err := s.Load(); err != nil {
		t.Errorf("Load after Recover: %v", err)
	}
	if n, err := s.recoverLocked(); n != 0 || err != nil {
		t.Errorf("Recover without a journal = %d, %v; want 0, nil", n, err)
	}
}

func TestRecoverThenApplyAgain(t *testing.T) {
	s, rows := bfState(t, 0, 10)
	// A temp file of some other record (not the apply's) stays untouched.
	other := filepath.Join(s.Dir, record.KindDokployTarget.Dir(), ".unrelated.json.0123456789ab.tmp")
	if err := os.WriteFile(other, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := bfTree(t, s.Dir)
	bfCrash(t, s, rows, 3)
	// A create killed between its temp file and the link leaves the temp
	// file of a journaled row behind; so does a killed run-record write.
	orphans := []string{
		filepath.Join(filepath.Dir(bfRowPath(s, rows[3])), "."+filepath.Base(bfRowPath(s, rows[3]))+".a1b2c3d4e5f6.tmp"),
		filepath.Join(s.Dir, ".lanegate", "backfills", ".crashed-run.json.a1b2c3d4e5f6.tmp"),
	}
	for _, o := range orphans {
		if err := os.MkdirAll(filepath.Dir(o), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(o, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.recoverLocked(); err != nil || n != 3 {
		t.Fatalf("Recover = %d, %v; want 3", n, err)
	}
	bfDiffTrees(t, "after recovery", before, bfTree(t, s.Dir))
	if n, conflict, err := s.ApplyCreates("second", rows, []byte("{}"), nil); err != nil || conflict != nil || n != 10 {
		t.Fatalf("apply after recovery = %d, %v, %v", n, conflict, err)
	}
}

func TestRecoverRefusesACorruptJournal(t *testing.T) {
	s, _ := bfState(t, 0, 1)
	if err := os.MkdirAll(filepath.Dir(s.journalPath()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.journalPath(), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.recoverLocked(); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Recover with a corrupt journal: err = %v", err)
	}
	if _, err := os.Stat(s.journalPath()); err != nil {
		t.Errorf("a corrupt journal must be kept for inspection: %v", err)
	}
}

func TestLockIsLaunchplanesExclusiveBundleLock(t *testing.T) {
	s, _ := bfState(t, 0, 1)
	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	const want = ".locks/product_authority_bundles/8001c27439650c5c5a6b4ed94163b5ddeb4476362c71380e613fa20dfffcef50.lock"
	if _, err := os.Stat(filepath.Join(s.Dir, filepath.FromSlash(want))); err != nil {
		t.Fatalf("bundle lock file: %v", err)
	}
	got := make(chan struct{})
	go func() {
		u, err := s.Lock()
		if err != nil {
			t.Error(err)
			close(got)
			return
		}
		close(got)
		u()
	}()
	select {
	case <-got:
		t.Fatal("a second Lock succeeded while the first was held")
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the second Lock did not get the lock after release")
	}
}

func TestJournalNamesOnlyProviderTargetFiles(t *testing.T) {
	s, rows := bfState(t, 0, 3)
	bfCrash(t, s, rows, 1)
	data, err := os.ReadFile(s.journalPath())
	if err != nil {
		t.Fatal(err)
	}
	var j journal
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	if j.RunID != "crashed-run" || j.Record != ".lanegate/backfills/crashed-run.json" || len(j.Files) != 3 {
		t.Fatalf("journal = %+v", j)
	}
	for i, e := range j.Files {
		if want := "launchplane_provider_targets/" + record.FileName(rows[i].Context, rows[i].Instance); e.Path != want {
			t.Errorf("journal entry %d path %q, want %q", i, e.Path, want)
		}
	}
}
