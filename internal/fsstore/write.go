package fsstore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lanegate/lanegate/internal/record"
)

// Encode returns the exact bytes Launchplane writes for a record payload.
func Encode(payload *record.Object) []byte { return record.EncodePython(payload) }

// path returns the state file of a route's record.
func (s *Store) path(kind record.Kind, context, instance string) string {
	return filepath.Join(s.Dir, kind.Dir(), record.FileName(context, instance))
}

// writeAtomic replaces path the way Launchplane does: a hidden temp file in
// the same directory, fsync, rename.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+hex.EncodeToString(rnd[:])+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
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
	return writeAtomic(s.path(record.KindDokployTarget, t.Context, t.Instance), Encode(t.Payload()))
}

// WriteDokployTargetID writes (or replaces) a Dokploy target-id record.
func (s *Store) WriteDokployTargetID(r *record.DokployTargetID) error {
	return writeAtomic(s.path(record.KindDokployTargetID, r.Context, r.Instance), Encode(r.Payload()))
}

// WriteProviderTarget writes (or replaces) a provider-target record.
func (s *Store) WriteProviderTarget(p *record.ProviderTarget) error {
	return writeAtomic(s.path(record.KindProviderTarget, p.Context, p.Instance), Encode(p.Payload()))
}

// ErrExists reports that an exclusive create found the file already there.
var ErrExists = errors.New("record already exists")

// CreateProviderTarget creates the route's provider-target file only if it
// does not exist (Launchplane's exclusive-create, mode "x"). The content is
// written to a temp file first and linked into place, so the final name never
// holds a partial record even if the process dies mid-write.
func (s *Store) CreateProviderTarget(p *record.ProviderTarget) (string, error) {
	final := s.path(record.KindProviderTarget, p.Context, p.Instance)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", err
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	tmp := filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+"."+hex.EncodeToString(rnd[:])+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	if _, err := f.Write(Encode(p.Payload())); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	// link(2) fails with EEXIST instead of replacing: exclusive create.
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("%s: %w", final, ErrExists)
		}
		return "", err
	}
	return final, nil
}
