package fs

import (
	"context"
	"errors"
	"fmt"

	"github.com/lanegate/lanegate/internal/backend"
)

// Driver is the filesystem backend's registry entry: --state-dir, or
// LAUNCHPLANE_STATE_DIR.
var Driver = backend.Driver{
	Kind:    "filesystem",
	Flag:    "state-dir",
	Metavar: "DIR",
	Usage:   "Launchplane filesystem state directory",
	Env:     []string{"LAUNCHPLANE_STATE_DIR"},
	Differ:  "directories",
	Path:    true,
	Name:    func(dir string) string { return dir },
	Open:    openSpec,
}

// openSpec opens a chosen state directory. A directory holding none of
// Launchplane's record directories is a configuration error unless
// spec.AllowEmpty (or spec.SkipRecordCheck, for evidence, which lives in
// lanegate's own dot-directory).
func openSpec(ctx context.Context, spec backend.Spec) (backend.Backend, error) {
	st, err := OpenWith(spec.Location(), Options{AllowEmpty: spec.AllowEmpty || spec.SkipRecordCheck})
	if errors.Is(err, ErrNotStateDir) {
		return nil, &backend.ConfigError{Err: fmt.Errorf("%v; pass --allow-empty if an empty state is intended", err)}
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Kind implements backend.Backend.
func (s *Store) Kind() string { return Driver.Kind }

// StoredRecords implements backend.StoredRecords: Scan hands out the
// records as stored.
func (s *Store) StoredRecords() {}
