package lanes

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/safeio"
)

// Finding F: a huge lanes file cost 832 MB and 25 s; Load refuses anything
// over MaxFileBytes before reading it, naming the file.
func TestLoadRefusesOversizedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lanes.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("schema_version: 1\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileBytes + 1); err != nil { // sparse
		t.Fatal(err)
	}
	f.Close()
	start := time.Now()
	_, err = Load(path)
	var re *ReadError
	if !errors.As(err, &re) || !errors.Is(err, safeio.ErrTooLarge) {
		t.Fatalf("Load = %v, want a *ReadError wrapping ErrTooLarge", err)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "4 MiB") {
		t.Errorf("error %q should name the file and the limit", msg)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing took %v", d)
	}
}

// A lanes file that is a FIFO or a link is not read: a link could point at
// a file full of secrets whose first bytes a YAML error would echo.
func TestLoadReadsOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	if err := os.WriteFile(real, []byte("schema_version: 1\nlanes: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	for _, p := range []string{link, fifo} {
		done := make(chan error, 1)
		go func() { _, err := Load(p); done <- err }()
		select {
		case err := <-done:
			var re *ReadError
			if !errors.As(err, &re) || !errors.Is(err, safeio.ErrNotRegular) || !strings.Contains(err.Error(), p) {
				t.Errorf("Load(%s) = %v, want a ReadError naming it", p, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Load(%s) blocked", p)
		}
	}
}
