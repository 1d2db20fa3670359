package fs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/safeio"
	"github.com/lanegate/lanegate/internal/store"
)

func sfSum(data string) string {
	s := sha256.Sum256([]byte(data))
	return hex.EncodeToString(s[:])
}

// sfVictim makes a directory next to the state holding files a hostile
// journal aims at, and returns a check that they all survived.
func sfVictim(t *testing.T, s *Store) (dir string, intact func()) {
	t.Helper()
	dir = filepath.Join(filepath.Dir(s.Dir), "victim")
	if err := os.MkdirAll(filepath.Join(dir, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"known.txt", "precious.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("victim "+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, func() {
		t.Helper()
		for _, n := range []string{"known.txt", "precious.txt", "emptydir"} {
			if _, err := os.Lstat(filepath.Join(dir, n)); err != nil {
				t.Errorf("victim %s: %v", n, err)
			}
		}
	}
}

func sfWriteJournal(t *testing.T, s *Store, j any) {
	t.Helper()
	data, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(s.journalPath()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.journalPath(), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Finding A: a crafted journal deleted files outside the state directory.
func TestRecoverRefusesHostileJournal(t *testing.T) {
	known := sfSum("victim known.txt")
	okRecord := runRecordPath("r1")
	okSum := sfSum("{}")
	tests := []struct {
		name string
		j    map[string]any
	}{
		{"the reported journal", map[string]any{"run_id": "r1", "record": "../victim/precious.txt", "record_sha256": sfSum("victim precious.txt"),
			"files": []map[string]string{{"path": "../victim/known.txt", "sha256": known}}, "dirs": []string{"../victim/emptydir"}}},
		{"file escapes with ..", map[string]any{"run_id": "r1", "record": okRecord, "record_sha256": okSum,
			"files": []map[string]string{{"path": "launchplane_provider_targets/../../victim/known.txt", "sha256": known}}}},
		{"absolute file", map[string]any{"run_id": "r1", "record": okRecord, "record_sha256": okSum,
			"files": []map[string]string{{"path": "/victim/known.txt", "sha256": known}}}},
		{"file outside the provider directory", map[string]any{"run_id": "r1", "record": okRecord, "record_sha256": okSum,
			"files": []map[string]string{{"path": "dokploy_targets/x.json", "sha256": known}}}},
		{"record escapes", map[string]any{"run_id": "r1", "record": ".lanegate/backfills/../../../victim/precious.txt", "record_sha256": okSum}},
		{"run id escapes", map[string]any{"run_id": "../../victim/precious", "record": ".lanegate/backfills/../../victim/precious.json", "record_sha256": okSum}},
		{"record without a hash (older journal)", map[string]any{"run_id": "r1", "record": okRecord}},
		{"dir outside", map[string]any{"run_id": "r1", "record": okRecord, "record_sha256": okSum, "dirs": []string{"../victim/emptydir"}}},
		{"unknown key", map[string]any{"run_id": "r1", "record": okRecord, "record_sha256": okSum, "delete": "../victim"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := bfState(t, 1, 0)
			_, intact := sfVictim(t, s)
			sfWriteJournal(t, s, tt.j)
			n, err := s.recoverLocked()
			if err == nil || n != 0 || !strings.Contains(err.Error(), "nothing was removed") {
				t.Errorf("Recover = %d, %v; want a refusal that removed nothing", n, err)
			}
			intact()
			if _, err := os.Stat(s.journalPath()); err != nil {
				t.Errorf("the journal must be kept for inspection: %v", err)
			}
		})
	}
}

// A journaled path whose directory is a link out of the state is refused
// before anything is removed, even with a matching hash.
func TestRecoverRefusesLinkedDirectories(t *testing.T) {
	s, _ := bfState(t, 0, 0)
	victim, intact := sfVictim(t, s)
	if err := os.WriteFile(filepath.Join(victim, "x.json"), []byte("victim x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(s.Dir, record.KindProviderTarget.Dir())); err != nil {
		t.Fatal(err)
	}
	sfWriteJournal(t, s, journal{RunID: "r1", Record: runRecordPath("r1"), RecordSHA256: sfSum("{}"),
		Files: []journalEntry{{Path: record.KindProviderTarget.Dir() + "/x.json", SHA256: sfSum("victim x")}}})
	if n, err := s.recoverLocked(); err == nil || n != 0 {
		t.Errorf("Recover through a linked directory = %d, %v", n, err)
	}
	intact()
	if _, err := os.Stat(filepath.Join(victim, "x.json")); err != nil {
		t.Errorf("file behind the link removed: %v", err)
	}
}

// The run record is removed only while it is the one the apply wrote.
func TestRecoverChecksTheRunRecordHash(t *testing.T) {
	s, rows := bfState(t, 0, 2)
	recRel := runRecordPath("r1")
	ours := Encode(rows[0].Payload())
	if _, err := s.CreateProviderTarget(rows[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.writeAtomic(recRel, []byte(`{"someone": "else"}`)); err != nil {
		t.Fatal(err)
	}
	sfWriteJournal(t, s, journal{RunID: "r1", Record: recRel, RecordSHA256: sfSum("{}"),
		Files: []journalEntry{{Path: recordRel(record.KindProviderTarget, rows[0].Context, rows[0].Instance), SHA256: sfSum(string(ours))}}})
	n, err := s.recoverLocked()
	if err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want the one matching row removed", n, err)
	}
	if got, err := os.ReadFile(filepath.Join(s.Dir, recRel)); err != nil || string(got) != `{"someone": "else"}` {
		t.Errorf("a run record that is not the apply's was touched: %q, %v", got, err)
	}
}

func FuzzDecodeJournal(f *testing.F) {
	f.Add([]byte(`{"run_id":"r1","files":[{"path":"launchplane_provider_targets/a-b-0123456789ab.json","sha256":"` + sfSum("x") + `"}],"record":".lanegate/backfills/r1.json","record_sha256":"` + sfSum("y") + `","dirs":[".lanegate/backfills"]}`))
	f.Add([]byte(`{"run_id":"r1","files":[{"path":"../victim/known.txt","sha256":"00"}],"record":"../victim/precious.txt"}`))
	f.Add([]byte(`{"run_id":"..","record":".lanegate/backfills/...json"}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := decodeJournal(data)
		if err != nil {
			return
		}
		root := "/state"
		inside := func(rel, under string) {
			clean, err := safeio.CleanRel(rel)
			if err != nil {
				t.Fatalf("accepted unsafe path %q", rel)
			}
			p := filepath.Join(root, clean)
			if filepath.Dir(p) != filepath.Join(root, filepath.FromSlash(under)) {
				t.Fatalf("accepted %q outside %s", rel, under)
			}
		}
		for _, e := range j.Files {
			inside(e.Path, record.KindProviderTarget.Dir())
			if !strings.HasSuffix(e.Path, ".json") || len(e.SHA256) != 64 {
				t.Fatalf("accepted entry %+v", e)
			}
		}
		inside(j.Record, ".lanegate/backfills")
		for _, d := range j.Dirs {
			ok := false
			for _, a := range applyDirs {
				ok = ok || a == d
			}
			if !ok {
				t.Fatalf("accepted dir %q", d)
			}
		}
	})
}

// sfMkfifo makes a FIFO or skips.
func sfMkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
}

// sfInvalid loads s and returns the invalid record filed for rel.
func sfInvalid(t *testing.T, s *Store, rel string) store.Invalid {
	t.Helper()
	var snap *Snapshot
	var err error
	done := make(chan struct{})
	go func() { defer close(done); snap, err = s.Load() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("Load blocked on %s", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range snap.Routes {
		for _, inv := range rr.Invalid {
			if inv.Source == rel {
				return inv
			}
		}
	}
	t.Fatalf("no invalid record for %s", rel)
	return store.Invalid{}
}

// Finding B: record files are read only when they are regular files, not
// links, and of bounded size.
func TestLoadReadsOnlyRegularBoundedRecordFiles(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(secret, []byte("root:$6$secrethash:19000:0:99999:7:::\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := record.KindProviderTarget.Dir()
	tests := []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{"symlink to a secret", func(t *testing.T, p string) {
			if err := os.Symlink(secret, p); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link"},
		{"FIFO", func(t *testing.T, p string) { sfMkfifo(t, p) }, "named pipe"},
		{"symlink to a FIFO", func(t *testing.T, p string) {
			fifo := filepath.Join(filepath.Dir(p), "..", "pipe")
			sfMkfifo(t, fifo)
			if err := os.Symlink(fifo, p); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link"},
		{"over the size cap", func(t *testing.T, p string) {
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(safeio.MaxRecordBytes + 1); err != nil { // sparse: no disk used
				t.Fatal(err)
			}
		}, "larger than the 16 MiB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := bfState(t, 1, 0)
			tt.make(t, filepath.Join(s.Dir, dir, "x.json"))
			inv := sfInvalid(t, s, dir+"/x.json")
			msg := inv.Err.Error()
			if !strings.Contains(msg, tt.want) || inv.Kind != record.KindProviderTarget {
				t.Errorf("invalid record %q (%s), want it to say %q", msg, inv.Kind, tt.want)
			}
			if strings.Contains(inv.Detail(), "root") || strings.Contains(inv.Detail(), "'r'") {
				t.Errorf("the link target's content leaked: %q", inv.Detail())
			}
		})
	}
}

// A record directory that is a link is refused, for reading and writing.
func TestLinkedRecordDirectoriesAreRefused(t *testing.T) {
	s, rows := bfState(t, 0, 1)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(s.Dir, record.KindProviderTarget.Dir())); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Load through a linked record directory: %v", err)
	}
	if _, err := s.CreateProviderTarget(rows[0]); !errors.Is(err, safeio.ErrUnsafePath) {
		t.Errorf("CreateProviderTarget through a link: %v", err)
	}
	if n, _, err := s.ApplyCreates("r1", rows, []byte("{}"), nil); err == nil || n != 0 {
		t.Errorf("ApplyCreates through a link = %d, %v", n, err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside the state: %v", entries)
	}
}

// Apply never writes its journal or run record through a linked .lanegate
// or .lanegate/backfills.
func TestApplyRefusesLinkedLanegateDirectories(t *testing.T) {
	for _, link := range []string{".lanegate", ".lanegate/backfills"} {
		t.Run(link, func(t *testing.T) {
			s, rows := bfState(t, 0, 2)
			outside := t.TempDir()
			p := filepath.Join(s.Dir, filepath.FromSlash(link))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, p); err != nil {
				t.Fatal(err)
			}
			if n, _, err := s.ApplyCreates("r1", rows, []byte("{}"), nil); err == nil || n != 0 {
				t.Errorf("ApplyCreates = %d, %v; want a refusal", n, err)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("written outside the state: %v", entries)
			}
			if _, err := os.Stat(filepath.Join(s.Dir, record.KindProviderTarget.Dir())); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("rows were created despite the refusal (stat %v)", err)
			}
		})
	}
}

// The bundle lock is never opened through a link.
func TestLockRefusesALinkedLockFile(t *testing.T) {
	s, _ := bfState(t, 0, 1)
	target := filepath.Join(t.TempDir(), "elsewhere")
	lock := bundleLockPath(s.Dir)
	if err := os.MkdirAll(filepath.Dir(lock), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, lock); err != nil {
		t.Fatal(err)
	}
	if unlock, err := s.Lock(); err == nil {
		unlock()
		t.Fatal("Lock followed a link")
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the link target was created")
	}
}

// Finding C: a route whose record file name begins with "." (context
// ".env") is read, as Launchplane reads it.
func TestLoadReadsDotNamedRoutes(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	tr, id, x := bfPairRecords(t, ".env", "prod")
	for _, err := range []error{s.WriteDokployTarget(tr), s.WriteDokployTargetID(id), s.WriteProviderTarget(x)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if name := record.FileName(".env", "prod"); !strings.HasPrefix(name, ".env-prod-") {
		t.Fatalf("file name %q", name)
	}
	snap, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Routes) != 1 {
		t.Fatalf("routes %+v, want the .env route", snap.Routes)
	}
	rr := snap.Routes[0]
	if rr.Context != ".env" || rr.Target == nil || rr.TargetID == nil || rr.Provider == nil || len(rr.Invalid) != 0 {
		t.Errorf("route %+v", rr)
	}
	// A lone Dokploy pair under a dot-name is seen too (Launchplane would
	// call it missing_provider_target).
	if err := os.Remove(filepath.Join(s.Dir, filepath.FromSlash(recordRel(record.KindProviderTarget, ".env", "prod")))); err != nil {
		t.Fatal(err)
	}
	if snap, err := s.Load(); err != nil || len(snap.Routes) != 1 || snap.Routes[0].Provider != nil || snap.Routes[0].Target == nil {
		t.Errorf("after removing the row: %+v, %v", snap, err)
	}
}

// Finding D: a directory with none of the record directories is not a
// state directory unless the caller allows an empty one.
func TestOpenRefusesADirectoryWithoutRecordDirectories(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	if !errors.Is(err, ErrNotStateDir) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "launchplane_provider_targets") {
		t.Errorf("Open = %v, want ErrNotStateDir naming the directory", err)
	}
	if _, err := OpenWith(dir, Options{AllowEmpty: true}); err != nil {
		t.Errorf("OpenWith AllowEmpty: %v", err)
	}
	for _, kind := range record.Kinds {
		d := t.TempDir()
		if err := os.Mkdir(filepath.Join(d, kind.Dir()), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(d); err != nil {
			t.Errorf("Open with only %s: %v", kind.Dir(), err)
		}
	}
}

// Temp files lanegate writes into record directories never end in ".json",
// so neither its own reader nor Launchplane's picks one up.
func TestTempNamesAreNotJSON(t *testing.T) {
	name, err := tempName("/state/launchplane_provider_targets/.env-prod-abc.json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".json") || !strings.HasSuffix(name, ".tmp") {
		t.Errorf("temp name %q", name)
	}
}
