package fs

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
	"github.com/lanegate/lanegate/internal/safeio"
	"github.com/lanegate/lanegate/internal/store"
)

// lanegateDir is lanegate's own directory inside a state directory. It is a
// dot-directory, which Launchplane's record globs never look into.
const lanegateDir = ".lanegate"

// journalName lists the files an apply is about to create; while it exists
// the state may hold part of an apply, so readers (an apply's plan too)
// refuse it until Recover rolls it back.
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
	if err := safeio.MkdirAllUnder(s.Dir, ".locks/product_authority_bundles", 0o755); err != nil {
		return nil, store.Errorf(err, "cannot create the lock directory")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return nil, store.Errorf(err, "cannot open Launchplane's bundle lock %s", path)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, store.Errorf(err, "Launchplane's bundle lock %s is not a regular file", path)
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

// removeDirs removes the directories an apply created, when empty. Each is
// one of the fixed names applyDirs lists (checked when the journal is read)
// and is removed only while it is a real directory, never a link.
func (s *Store) removeDirs(dirs []string) {
	for _, d := range dirs {
		p := filepath.Join(s.Dir, filepath.FromSlash(d))
		if safeio.CheckDir(p) == nil {
			os.Remove(p)
		}
	}
}

func (s *Store) journalPath() string { return filepath.Join(s.Dir, lanegateDir, journalName) }

// checkJournal refuses to read a state an interrupted apply may have left
// half-written.
func (s *Store) checkJournal() error {
	if _, err := os.Lstat(s.journalPath()); err == nil {
		return store.Errorf(nil, "an interrupted lanegate backfill left %s: run `lanegate backfill --recover` to roll it back before reading or applying to this state", filepath.Join(lanegateDir, journalName))
	} else if !errors.Is(err, os.ErrNotExist) {
		return store.Errorf(err, "cannot check for an interrupted backfill")
	}
	return nil
}

// recoverLocked rolls back an interrupted apply: it removes the files the
// journal lists whose content is still what the apply wrote (rows and run
// record alike), then the journal. Call it with the lock held (Recover
// takes it). It returns how many row files it removed.
//
// The journal is untrusted input: a hand-edited or planted one must not
// delete anything outside the files an apply could have created. Every path
// is checked against the fixed layout an apply writes (decodeJournal), no
// directory on the way may be a link, and every hash is checked before the
// first file is removed.
func (s *Store) recoverLocked() (int, error) {
	if err := safeio.CheckDir(filepath.Join(s.Dir, lanegateDir)); errors.Is(err, os.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, store.Errorf(err, "refusing to recover through %s", lanegateDir)
	}
	data, err := safeio.ReadRegularFile(s.journalPath(), safeio.MaxJournalBytes)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, store.Errorf(err, "cannot read the backfill journal")
	}
	j, err := decodeJournal(data)
	if err != nil {
		return 0, store.Errorf(err, "backfill journal %s is corrupt or was not written by lanegate; nothing was removed, inspect it by hand", s.journalPath())
	}
	// Check everything first: a refusal part-way must not leave half a
	// recovery behind.
	for _, d := range []string{record.KindProviderTarget.Dir(), lanegateDir + "/backfills"} {
		if err := safeio.CheckDirsUnder(s.Dir, d); err != nil {
			return 0, store.Errorf(err, "refusing to recover: nothing was removed")
		}
	}
	var doomed []string
	for _, e := range j.Files {
		ours, err := s.stillOurs(e.Path, e.SHA256)
		if err != nil {
			return 0, err
		}
		if ours {
			doomed = append(doomed, e.Path)
		}
	}
	rows := len(doomed)
	if j.Record != "" {
		ours, err := s.stillOurs(j.Record, j.RecordSHA256)
		if err != nil {
			return 0, err
		}
		if ours {
			doomed = append(doomed, j.Record)
		}
	}
	for i, rel := range doomed {
		if err := os.Remove(filepath.Join(s.Dir, filepath.FromSlash(rel))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return min(i, rows), store.Errorf(err, "cannot remove %s during recovery", rel)
		}
	}
	paths := make([]string, 0, len(j.Files)+1)
	for _, e := range j.Files {
		paths = append(paths, e.Path)
	}
	if j.Record != "" {
		paths = append(paths, j.Record)
	}
	s.removeTemps(paths)
	if err := os.Remove(s.journalPath()); err != nil {
		return rows, store.Errorf(err, "cannot remove the backfill journal")
	}
	syncDir(filepath.Dir(s.journalPath()))
	s.removeDirs(j.Dirs)
	return rows, nil
}

// stillOurs reports whether the journaled file rel still holds exactly what
// the apply wrote. A missing file, a link or other non-regular file, or
// different content is not ours: Launchplane or an operator put it there,
// and recovery never deletes someone else's file.
func (s *Store) stillOurs(rel, sum string) (bool, error) {
	p := filepath.Join(s.Dir, filepath.FromSlash(rel))
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, store.Errorf(err, "cannot check %s during recovery; nothing was removed", rel)
	}
	if !fi.Mode().IsRegular() {
		return false, nil
	}
	cur, err := safeio.ReadRegularFile(p, safeio.MaxRecordBytes)
	if errors.Is(err, safeio.ErrTooLarge) || errors.Is(err, safeio.ErrNotRegular) {
		return false, nil // not what an apply writes
	}
	if err != nil {
		return false, store.Errorf(err, "cannot read %s during recovery; nothing was removed", rel)
	}
	got := sha256.Sum256(cur)
	return hex.EncodeToString(got[:]) == sum, nil
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
// leaves the state exactly as it was. Call it with the lock held, on a state
// without a journal (the plan's read refuses one). runRecord is the JSON evidence written to .lanegate/backfills/.
func (s *Store) ApplyCreates(runID string, rows []*record.ProviderTarget, runRecord []byte, progress func(done int)) (created int, conflict *store.Route, err error) {
	if err := checkRunID(runID); err != nil {
		return 0, nil, store.Errorf(err, "cannot record the backfill")
	}
	recSum := sha256.Sum256(runRecord)
	j := journal{RunID: runID, Record: runRecordPath(runID), RecordSHA256: hex.EncodeToString(recSum[:])}
	for _, d := range applyDirs {
		p := filepath.Join(s.Dir, filepath.FromSlash(d))
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			j.Dirs = append(j.Dirs, d)
		} else if err := safeio.CheckDir(p); err != nil {
			return 0, nil, store.Errorf(err, "refusing to write the backfill")
		}
	}
	for _, p := range rows {
		data := Encode(p.Payload())
		sum := sha256.Sum256(data)
		j.Files = append(j.Files, journalEntry{
			Path:   recordRel(record.KindProviderTarget, p.Context, p.Instance),
			SHA256: hex.EncodeToString(sum[:]),
		})
	}
	jdata, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return 0, nil, err
	}
	if err := s.writeAtomic(lanegateDir+"/"+journalName, jdata); err != nil {
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
	if err := s.writeAtomic(j.Record, runRecord); err != nil {
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
