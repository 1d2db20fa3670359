package fs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/backend/evidencetest"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/store"
)

var t0 = evidencetest.T0

func rec(lane, kind string, passed bool, at time.Time, runID string) evidence.Record {
	return evidencetest.Rec(lane, kind, passed, at, runID)
}

// newFSStore opens the evidence store of a fresh state directory.
func newFSStore(t *testing.T) evidencetest.Opened {
	t.Helper()
	dir := t.TempDir()
	st, err := OpenEvidence(dir)
	if err != nil {
		t.Fatal(err)
	}
	return evidencetest.Opened{Store: st, Count: func(t *testing.T) int {
		n := 0
		filepath.WalkDir(filepath.Join(dir, EvidenceDir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if !strings.HasSuffix(p, ".json") || strings.HasPrefix(d.Name(), ".") {
					t.Errorf("stray file %s", p)
				}
				n++
			}
			return nil
		})
		return n
	}, Open: func() evidence.Store {
		st, err := OpenEvidence(dir)
		if err != nil {
			t.Error(err)
			return nil
		}
		return st
	}}
}

func TestEvidenceContract(t *testing.T) { evidencetest.Run(t, newFSStore) }

func TestOpenEvidenceMissingDir(t *testing.T) {
	_, err := OpenEvidence(filepath.Join(t.TempDir(), "missing"))
	var se *store.Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %v", err)
	}
}

func TestEvidenceCorruptFile(t *testing.T) {
	ts := newFSStore(t)
	ctx := context.Background()
	res, err := ts.Store.Append(ctx, []evidence.Record{rec("a/x", evidence.KindHealth, true, t0, "1")})
	if err != nil {
		t.Fatal(err)
	}
	path := ts.Store.(*EvidenceStore).path(res[0].Record.Key())
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Store.List(ctx, evidence.Query{}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("err = %v", err)
	}
	// A record copied under another record's name is refused too.
	other, _ := encodeFile(mustNormalize(t, rec("b/y", evidence.KindHealth, true, t0, "1")))
	if err := os.WriteFile(path, other, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Store.List(ctx, evidence.Query{}); err == nil || !strings.Contains(err.Error(), "not what its path says") {
		t.Fatalf("err = %v", err)
	}
}

func mustNormalize(t *testing.T, r evidence.Record) evidence.Record {
	t.Helper()
	n, err := r.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEvidenceSafeNames(t *testing.T) {
	a, b := laneDirName("a/b-c"), laneDirName("a-b/c")
	if a == b || strings.ContainsAny(a+b, "/\\") {
		t.Fatalf("lane dirs %q %q", a, b)
	}
	if n := safeName(80, "../..", "1"); strings.HasPrefix(n, ".") || strings.Contains(n, "/") {
		t.Fatalf("run file %q", n)
	}
	if n := safeName(80, strings.Repeat("x", 500)); len(n) > 80+13 {
		t.Fatalf("long name %d bytes", len(n))
	}
}
