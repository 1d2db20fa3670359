package cli_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/testkit"
)

// Finding A: a planted journal made `backfill --recover` (and every
// --apply, which recovered first) delete files outside the state directory.
func TestBackfillHostileJournalDeletesNothing(t *testing.T) {
	s := bfNewFS(t, bfManyPairs(2, "hostile"))
	victim := filepath.Join(filepath.Dir(s.dir), "victim")
	if err := os.MkdirAll(filepath.Join(victim, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	known := []byte("known victim content")
	os.WriteFile(filepath.Join(victim, "known.txt"), known, 0o644)
	os.WriteFile(filepath.Join(victim, "precious.txt"), []byte("precious"), 0o644)
	sum := sha256.Sum256(known)
	j, _ := json.Marshal(map[string]any{"run_id": "r1", "record": "../victim/precious.txt",
		"files": []map[string]string{{"path": "../victim/known.txt", "sha256": hex.EncodeToString(sum[:])}},
		"dirs":  []string{"../victim/emptydir"}})
	journal := filepath.Join(s.dir, ".lanegate", "backfill-journal.json")
	os.MkdirAll(filepath.Dir(journal), 0o755)
	if err := os.WriteFile(journal, j, 0o644); err != nil {
		t.Fatal(err)
	}
	intact := func(what string) {
		t.Helper()
		for _, n := range []string{"known.txt", "precious.txt", "emptydir"} {
			if _, err := os.Lstat(filepath.Join(victim, n)); err != nil {
				t.Errorf("%s: victim %s: %v", what, n, err)
			}
		}
		if _, err := os.Stat(journal); err != nil {
			t.Errorf("%s: the journal must stay for inspection: %v", what, err)
		}
	}

	rec := bfBackfill(t, s, "--recover")
	if rec.Code != 3 || !strings.Contains(rec.Stderr, "nothing was removed") {
		t.Errorf("--recover with a hostile journal: want exit 3 saying nothing was removed, got %s", rec)
	}
	intact("--recover")

	// An apply never recovers by itself: it refuses and names --recover.
	digest := "sha256:" + strings.Repeat("0", 64)
	app := bfApply(t, s, digest)
	if app.Code != 3 || !strings.Contains(app.Stderr, "backfill --recover") {
		t.Errorf("--apply with a journal: want exit 3 naming --recover, got %s", app)
	}
	intact("--apply")
	if _, err := os.Stat(s.providerDir()); err == nil {
		t.Errorf("--apply created rows despite the journal")
	}
}

// Finding D: a directory holding none of Launchplane's record directories
// audited as "OK: 0 route(s)".
func TestAuditRefusesADirectoryThatIsNotAState(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "bin"), 0o755)
	out := lanegate.In(t.TempDir(), nil, "audit", "--state-dir", dir, "--no-lanes")
	if out.Code != 2 || !strings.Contains(out.Stderr, "none of Launchplane's record directories") || !strings.Contains(out.Stderr, "--allow-empty") {
		t.Errorf("audit of a non-state directory: want exit 2 naming --allow-empty, got %s", out)
	}
	if strings.Contains(out.Stdout, "OK") {
		t.Errorf("stdout claims OK: %q", out.Stdout)
	}
	if out := lanegate.In(t.TempDir(), nil, "audit", "--state-dir", dir, "--no-lanes", "--allow-empty"); out.Code != 0 {
		t.Errorf("audit --allow-empty of an empty state: want exit 0, got %s", out)
	}
}

// Finding E: --out replaced a device with a regular file. A FIFO stands in
// for /dev/null: written into, still a FIFO afterwards.
func TestAuditOutIntoAFIFO(t *testing.T) {
	s := bfNewFS(t, []fixture.Route{fixture.Complete("syo", "prod")})
	tmp := t.TempDir()
	fifo := filepath.Join(tmp, "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	done := make(chan testkit.Result, 1)
	go func() { done <- lanegate.In(tmp, nil, "audit", "--state-dir", s.dir, "--no-lanes", "--out", fifo) }()
	var out testkit.Result
	select {
	case out = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("audit --out FIFO did not finish")
	}
	if out.Code != 0 {
		t.Fatalf("audit --out FIFO: %s", out)
	}
	var body string
	select {
	case body = <-got:
	case <-time.After(10 * time.Second):
		// The FIFO was replaced before the reader saw a writer; unblock it.
		t.Error("the FIFO reader got nothing: the report did not go into the FIFO")
	}
	var rep map[string]any
	if json.Unmarshal([]byte(body), &rep) != nil || rep["status"] != "ok" {
		t.Errorf("the FIFO reader got %q", body)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v, %v", fi.Mode(), err)
	}

	// A directory and a link to a regular file are refused (exit 2); the
	// link's target is left alone.
	target := filepath.Join(tmp, "target.json")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(tmp, "link.json")
	os.Symlink(target, link)
	for _, p := range []string{tmp, link} {
		if out := lanegate.In(tmp, nil, "audit", "--state-dir", s.dir, "--no-lanes", "--out", p); out.Code != 2 || !strings.Contains(out.Stderr, "cannot write "+p) {
			t.Errorf("--out %s: want exit 2 naming it, got %s", p, out)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("link target rewritten: %q", b)
	}
	// A record file that is a FIFO is an invalid record, not a hang.
	if err := syscall.Mkfifo(filepath.Join(s.dir, record.KindProviderTarget.Dir(), "x.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	go func() { done <- lanegate.In(tmp, nil, "audit", "--state-dir", s.dir, "--no-lanes", "--format", "json") }()
	select {
	case out = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("audit hung on a FIFO record")
	}
	if out.Code != 1 || !strings.Contains(out.Stdout, "invalid_record") || !strings.Contains(out.Stdout, "named pipe") {
		t.Errorf("audit with a FIFO record: want exit 1 with invalid_record, got %s", out)
	}
}
