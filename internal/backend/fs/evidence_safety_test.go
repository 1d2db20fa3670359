package fs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/evidence"
)

// Evidence writes never go through a linked directory: a planted
// .lanegate/evidence -> elsewhere link is refused and nothing is written
// outside the state.
func TestFSAppendRefusesLinkedDirectories(t *testing.T) {
	for _, link := range []string{".lanegate", EvidenceDir} {
		t.Run(link, func(t *testing.T) {
			dir := t.TempDir()
			outside := t.TempDir()
			p := filepath.Join(dir, filepath.FromSlash(link))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, p); err != nil {
				t.Fatal(err)
			}
			st, err := OpenEvidence(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Append(context.Background(), []evidence.Record{rec("a/x", evidence.KindDeploy, true, t0, "1")}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("Append through a link: %v", err)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("evidence written outside the state: %v", entries)
			}
			if _, err := st.List(context.Background(), evidence.Query{}); err == nil {
				t.Errorf("List through a link succeeded")
			}
		})
	}
}

// An evidence file that is a link or a FIFO is refused, quickly.
func TestFSListRefusesNonRegularFiles(t *testing.T) {
	for _, kind := range []string{"symlink", "fifo"} {
		t.Run(kind, func(t *testing.T) {
			ts := newFSStore(t)
			st := ts.Store.(*EvidenceStore)
			res, err := st.Append(context.Background(), []evidence.Record{rec("a/x", evidence.KindHealth, true, t0, "1")})
			if err != nil {
				t.Fatal(err)
			}
			path := st.path(res[0].Record.Key())
			data, _ := os.ReadFile(path)
			os.Remove(path)
			if kind == "symlink" {
				real := filepath.Join(t.TempDir(), "real.json")
				os.WriteFile(real, data, 0o644)
				if err := os.Symlink(real, path); err != nil {
					t.Fatal(err)
				}
			} else if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Fatalf("mkfifo: %v", err)
			}
			done := make(chan error, 1)
			go func() { _, err := st.List(context.Background(), evidence.Query{}); done <- err }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "not a regular file") {
					t.Errorf("List = %v, want a refusal", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("List blocked")
			}
		})
	}
}
