package fsstore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// lanegateDir is lanegate's own directory inside a state directory. It is a
// dot-directory, which Launchplane's record globs never look into.
const lanegateDir = ".lanegate"

// journalName lists the files an apply is about to create; while it exists
// the state may hold part of an apply, so readers refuse it and the next
// apply rolls it back first.
const journalName = "backfill-journal.json"

// bundleLockPath is Launchplane's global bundle lock: the SHA-256 of
// "global" under .locks/product_authority_bundles/.
func bundleLockPath(dir string) string {
	sum := sha256.Sum256([]byte("global"))
	return filepath.Join(dir, ".locks", "product_authority_bundles", hex.EncodeToString(sum[:])+".lock")
}

// Lock takes Launchplane's global bundle lock exclusively (flock), the lock
// every Launchplane read and write takes, and returns its release.
func (s *Store) Lock() (func(), error) {
	path := bundleLockPath(s.Dir)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, store.Errorf(err, "cannot create the lock directory")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, store.Errorf(err, "cannot open Launchplane's bundle lock %s", path)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, store.Errorf(err, "cannot take Launchplane's bundle lock %s", path)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

type journalEntry struct {
	Path   string `json:"path"` // relative to the state dir
	SHA256 string `json:"sha256"`
}

type journal struct {
	RunID  string         `json:"run_id"`
	Files  []journalEntry `json:"files"`
	Record string         `json:"record"`
	// Dirs the apply creates (relative, deepest first); a rollback removes
	// them again when they are empty.
	Dirs []string `json:"dirs,omitempty"`
}

// removeDirs removes the directories an apply created, when empty.
func (s *Store) removeDirs(dirs []string) {
	for _, d := range dirs {
		os.Remove(filepath.Join(s.Dir, filepath.FromSlash(d)))
	}
}

func (s *Store) journalPath() string { return filepath.Join(s.Dir, lanegateDir, journalName) }

// checkJournal refuses to read a state an interrupted apply may have left
// half-written.
func (s *Store) checkJournal() error {
	if _, err := os.Stat(s.journalPath()); err == nil {
		return store.Errorf(nil, "an interrupted lanegate backfill left %s: run `lanegate backfill --recover` (or apply again) to roll it back before reading this state", filepath.Join(lanegateDir, journalName))
	} else if !errors.Is(err, os.ErrNotExist) {
		return store.Errorf(err, "cannot check for an interrupted backfill")
	}
	return nil
}

// Recover rolls back an interrupted apply: it removes the files the journal
// lists whose content is still what the apply wrote, then the journal. Call
// it with the lock held. It returns how many files it removed.
func (s *Store) Recover() (int, error) {
	data, err := os.ReadFile(s.journalPath())
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, store.Errorf(err, "cannot read the backfill journal")
	}
	var j journal
	if err := json.Unmarshal(data, &j); err != nil {
		return 0, store.Errorf(err, "backfill journal %s is corrupt; inspect it by hand", s.journalPath())
	}
	removed := 0
	for _, e := range j.Files {
		p := filepath.Join(s.Dir, filepath.FromSlash(e.Path))
		cur, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return removed, store.Errorf(err, "cannot read %s during recovery", e.Path)
		}
		sum := sha256.Sum256(cur)
		if hex.EncodeToString(sum[:]) != e.SHA256 {
			continue // not ours any more; never delete someone else's record
		}
		if err := os.Remove(p); err != nil {
			return removed, store.Errorf(err, "cannot remove %s during recovery", e.Path)
		}
		removed++
	}
	paths := make([]string, 0, len(j.Files)+1)
	for _, e := range j.Files {
		paths = append(paths, e.Path)
	}
	if j.Record != "" {
		os.Remove(filepath.Join(s.Dir, filepath.FromSlash(j.Record)))
		paths = append(paths, j.Record)
	}
	s.removeTemps(paths)
	if err := os.Remove(s.journalPath()); err != nil {
		return removed, store.Errorf(err, "cannot remove the backfill journal")
	}
	syncDir(filepath.Dir(s.journalPath()))
	s.removeDirs(j.Dirs)
	return removed, nil
}

// removeTemps removes the ".<name>.<random>.tmp" files an apply killed
// between writing a temp file and linking (or renaming) it into place left
// next to the given paths. With the bundle lock held no live writer owns one.
func (s *Store) removeTemps(paths []string) {
	byDir := map[string]map[string]bool{}
	for _, p := range paths {
		dir, name := filepath.Split(filepath.Join(s.Dir, filepath.FromSlash(p)))
		if byDir[dir] == nil {
			byDir[dir] = map[string]bool{}
		}
		byDir[dir][name] = true
	}
	for dir, names := range byDir {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			n := e.Name()
			if !strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".tmp") {
				continue
			}
			base := strings.TrimSuffix(n[1:], ".tmp")
			if i := strings.LastIndexByte(base, '.'); i > 0 && names[base[:i]] {
				os.Remove(filepath.Join(dir, n))
			}
		}
	}
}

// failCreateAt, when > 0, makes the n-th create fail: a test hook for the
// all-or-nothing guarantee.
var failCreateAt int

// ApplyCreates creates every row exclusively and writes the run record, or
// leaves the state exactly as it was. Call it with the lock held, after
// Recover. runRecord is the JSON evidence written to .lanegate/backfills/.
func (s *Store) ApplyCreates(runID string, rows []*record.ProviderTarget, runRecord []byte, progress func(done int)) (created int, conflict *store.Route, err error) {
	recRel := filepath.ToSlash(filepath.Join(lanegateDir, "backfills", runID+".json"))
	j := journal{RunID: runID, Record: recRel}
	for _, d := range []string{lanegateDir + "/backfills", record.KindProviderTarget.Dir(), lanegateDir} {
		if _, err := os.Stat(filepath.Join(s.Dir, filepath.FromSlash(d))); errors.Is(err, os.ErrNotExist) {
			j.Dirs = append(j.Dirs, d)
		}
	}
	for _, p := range rows {
		data := Encode(p.Payload())
		sum := sha256.Sum256(data)
		j.Files = append(j.Files, journalEntry{
			Path:   filepath.ToSlash(filepath.Join(record.KindProviderTarget.Dir(), record.FileName(p.Context, p.Instance))),
			SHA256: hex.EncodeToString(sum[:]),
		})
	}
	jdata, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return 0, nil, err
	}
	if err := writeAtomic(s.journalPath(), jdata); err != nil {
		return 0, nil, store.Errorf(err, "cannot write the backfill journal")
	}
	syncDir(filepath.Dir(s.journalPath()))
	var made []string
	undo := func() {
		for i := len(made) - 1; i >= 0; i-- {
			os.Remove(made[i])
		}
		os.Remove(s.journalPath())
		if len(made) > 0 {
			syncDir(filepath.Dir(made[0]))
		}
		// Leave no directory behind that the apply created.
		s.removeDirs(j.Dirs)
	}
	for i, p := range rows {
		if failCreateAt > 0 && i+1 == failCreateAt {
			undo()
			return 0, nil, errors.New("injected failure")
		}
		path, err := s.CreateProviderTarget(p)
		if err != nil {
			undo()
			if errors.Is(err, ErrExists) {
				r := store.Route{Context: p.Context, Instance: p.Instance}
				return 0, &r, nil
			}
			return 0, nil, store.Errorf(err, "cannot create the provider-target row for %s/%s", p.Context, p.Instance)
		}
		made = append(made, path)
		if progress != nil {
			progress(i + 1)
		}
	}
	if len(made) > 0 {
		syncDir(filepath.Dir(made[0]))
	}
	if err := writeAtomic(filepath.Join(s.Dir, filepath.FromSlash(recRel)), runRecord); err != nil {
		undo()
		return 0, nil, store.Errorf(err, "cannot write the backfill record")
	}
	if err := os.Remove(s.journalPath()); err != nil {
		return len(made), nil, store.Errorf(err, "created every row but cannot remove the journal")
	}
	syncDir(filepath.Dir(s.journalPath()))
	return len(made), nil, nil
}

// syncDir makes renames and removals in dir durable.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}
