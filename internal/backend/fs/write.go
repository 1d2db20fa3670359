package fs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/safeio"
)

// Encode returns the exact bytes Launchplane writes for a record payload.
func Encode(payload *record.Object) []byte { return record.EncodePython(payload) }

// recordRel returns the state-relative, slash-separated path of a route's record.
func recordRel(kind record.Kind, context, instance string) string {
	return kind.Dir() + "/" + record.FileName(context, instance)
}

// prepare checks that rel is a plain path inside the state and creates its
// directory without passing through a link, so no write leaves the state
// directory. It returns the absolute path.
func (s *Store) prepare(rel string) (string, error) {
	clean, err := safeio.CleanRel(rel)
	if err != nil {
		return "", err
	}
	// The state directory itself is the operator's (or a fixture's) choice
	// and may be created; only what lies under it is checked.
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return "", err
	}
	if dir := filepath.ToSlash(filepath.Dir(clean)); dir != "." {
		if err := safeio.MkdirAllUnder(s.Dir, dir, 0o755); err != nil {
			return "", err
		}
	}
	return filepath.Join(s.Dir, clean), nil
}

// tempName is the hidden temp file next to path, named the way Launchplane
// names its own: it ends in ".tmp", never ".json", so no record glob (ours
// or Launchplane's) reads a half-written file.
func tempName(path string) (string, error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+hex.EncodeToString(rnd[:])+".tmp"), nil
}

// writeTemp writes data to a new temp file next to path (O_EXCL, so never
// through a planted link) and syncs it.
func writeTemp(path string, data []byte) (string, error) {
	tmp, err := tempName(path)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// writeAtomic replaces the state file rel the way Launchplane does: a hidden
// temp file in the same directory, fsync, rename. rename(2) replaces a link
// at the final name rather than writing through it.
func (s *Store) writeAtomic(rel string, data []byte) error {
	path, err := s.prepare(rel)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteDokployTarget writes (or replaces) a Dokploy target record.
func (s *Store) WriteDokployTarget(t *record.DokployTarget) error {
	return s.writeAtomic(recordRel(record.KindDokployTarget, t.Context, t.Instance), Encode(t.Payload()))
}

// WriteDokployTargetID writes (or replaces) a Dokploy target-id record.
func (s *Store) WriteDokployTargetID(r *record.DokployTargetID) error {
	return s.writeAtomic(recordRel(record.KindDokployTargetID, r.Context, r.Instance), Encode(r.Payload()))
}

// WriteProviderTarget writes (or replaces) a provider-target record.
func (s *Store) WriteProviderTarget(p *record.ProviderTarget) error {
	return s.writeAtomic(recordRel(record.KindProviderTarget, p.Context, p.Instance), Encode(p.Payload()))
}

// ErrExists reports that an exclusive create found the file already there.
var ErrExists = errors.New("record already exists")

// CreateProviderTarget creates the route's provider-target file only if it
// does not exist (Launchplane's exclusive-create, mode "x"). The content is
// written to a temp file first and linked into place, so the final name never
// holds a partial record even if the process dies mid-write.
func (s *Store) CreateProviderTarget(p *record.ProviderTarget) (string, error) {
	final, err := s.prepare(recordRel(record.KindProviderTarget, p.Context, p.Instance))
	if err != nil {
		return "", err
	}
	tmp, err := writeTemp(final, Encode(p.Payload()))
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	// link(2) fails with EEXIST instead of replacing: exclusive create.
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("%s: %w", final, ErrExists)
		}
		return "", err
	}
	return final, nil
}
