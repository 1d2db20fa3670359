// Package fs reads (and, for backfill, writes) a Launchplane filesystem
// state directory: <state>/<record dir>/<record id>.json, written as
// Launchplane writes it.
package fs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/safeio"
	"github.com/lanegate/lanegate/internal/store"
)

// Store is a Launchplane state directory.
type Store struct {
	Dir string
}

// Options tune Open.
type Options struct {
	// AllowEmpty accepts a directory that holds none of Launchplane's record
	// directories, as an empty state. Without it such a directory is
	// refused: an audit of /usr or a mistyped path must not look clean.
	AllowEmpty bool
}

// ErrNotStateDir reports a directory with none of Launchplane's record
// directories in it.
var ErrNotStateDir = errors.New("not a Launchplane state directory")

// Open opens a state directory with the default Options.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith checks that dir is a directory holding at least one of
// Launchplane's record directories (unless opts.AllowEmpty). A missing state
// directory is always an error.
func OpenWith(dir string, opts Options) (*Store, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, store.Errorf(err, "cannot open state directory %s", dir)
	}
	if !fi.IsDir() {
		return nil, store.Errorf(nil, "state directory %s is not a directory", dir)
	}
	if !opts.AllowEmpty {
		var names []string
		found := false
		for _, kind := range record.Kinds {
			names = append(names, kind.Dir())
			if _, err := os.Lstat(filepath.Join(dir, kind.Dir())); err == nil {
				found = true
			} else if !errors.Is(err, os.ErrNotExist) {
				return nil, store.Errorf(err, "cannot open state directory %s", dir)
			}
		}
		if !found {
			return nil, store.Errorf(ErrNotStateDir, "%s holds none of Launchplane's record directories (%s)", dir, strings.Join(names, ", "))
		}
	}
	return &Store{Dir: dir}, nil
}

// Describe names the store for logs.
func (s *Store) Describe() string { return "filesystem state " + s.Dir }

// Close releases nothing; the store holds no handles between calls.
func (s *Store) Close() error { return nil }

// stagesDir is where Launchplane stages atomic bundle writes.
const stagesDir = ".product_authority_bundle_stages"

// checkStages refuses to read a state whose last bundle write stopped half
// published: Launchplane replays such a stage on its next access, so the files
// on disk are not yet the state Launchplane will see.
func (s *Store) checkStages() error {
	entries, err := os.ReadDir(filepath.Join(s.Dir, stagesDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return store.Errorf(err, "cannot read %s", filepath.Join(s.Dir, stagesDir))
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(s.Dir, stagesDir, e.Name(), "manifest.json")
		data, err := safeio.ReadRegularFile(path, safeio.MaxRecordBytes)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return store.Errorf(err, "cannot read bundle stage manifest %s", path)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return store.Errorf(err, "bundle stage manifest %s is not valid JSON", path)
		}
		for _, k := range []string{"state", "status"} {
			if m[k] == "publishing" {
				return store.Errorf(nil, "Launchplane bundle write %s was interrupted while publishing: run any Launchplane command on this state to finish it, then audit again", e.Name())
			}
		}
	}
	return nil
}

// Snapshot is every record in the state, grouped by route and sorted.
type Snapshot struct {
	Routes   []*store.RouteRecords
	Bindings store.Bindings
	Claims   store.Claims
}

// Load reads the whole state in one pass over each record directory.
func (s *Store) Load() (*Snapshot, error) {
	if err := s.checkStages(); err != nil {
		return nil, err
	}
	if err := s.checkJournal(); err != nil {
		return nil, err
	}
	byRoute := map[store.Route]*store.RouteRecords{}
	get := func(r store.Route) *store.RouteRecords {
		rr := byRoute[r]
		if rr == nil {
			rr = &store.RouteRecords{Route: r}
			byRoute[r] = rr
		}
		return rr
	}
	for _, kind := range record.Kinds {
		dir := filepath.Join(s.Dir, kind.Dir())
		if err := safeio.CheckDir(dir); errors.Is(err, os.ErrNotExist) {
			continue // Launchplane's glob over a missing directory finds nothing
		} else if err != nil {
			// A linked record directory would read (and a backfill would
			// write) records outside the state directory.
			return nil, store.Errorf(err, "refusing to read record directory %s", dir)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, store.Errorf(err, "cannot read %s", dir)
		}
		for _, e := range entries {
			name := e.Name()
			// Launchplane reads every name pathlib's glob("*.json") matches,
			// dot-names included (a route whose context is ".env" is stored
			// as ".env-prod-<digest>.json"). Temp files, its and ours, end
			// in ".tmp" and are not records.
			if !strings.HasSuffix(name, ".json") {
				continue
			}
			rel := filepath.ToSlash(filepath.Join(kind.Dir(), name))
			data, err := readRecordFile(filepath.Join(dir, name))
			if err != nil {
				rr := get(unknownRoute(rel))
				rr.Invalid = append(rr.Invalid, store.Invalid{Kind: kind, Source: rel, Err: err})
				continue
			}
			addRecord(get, kind, rel, name, data)
		}
	}
	snap := &Snapshot{Bindings: store.Bindings{}}
	holders := map[record.Identity][]store.Route{}
	for _, rr := range byRoute {
		snap.Routes = append(snap.Routes, rr)
		if rr.Provider != nil {
			id := rr.Provider.Identity()
			holders[id] = append(holders[id], rr.Route)
		}
	}
	sort.Slice(snap.Routes, func(i, j int) bool { return snap.Routes[i].Less(snap.Routes[j].Route) })
	for id, routes := range holders {
		if len(routes) > 1 {
			store.SortRoutes(routes)
			snap.Bindings[id] = routes
		}
	}
	snap.Claims = store.ClaimsOf(snap.Routes, holders)
	return snap, nil
}

// readRecordFile reads one record file: a regular file, not a link, of at
// most safeio.MaxRecordBytes. Its error is the reason alone; the finding
// names the file.
func readRecordFile(path string) ([]byte, error) {
	data, err := safeio.ReadRegularFile(path, safeio.MaxRecordBytes)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, pe.Err
	}
	return data, err
}

// unknownRoute files a record whose route cannot be read under a placeholder
// route named after the file, so it is reported rather than dropped.
func unknownRoute(rel string) store.Route {
	return store.Route{Context: "(unreadable)", Instance: rel}
}

func addRecord(get func(store.Route) *store.RouteRecords, kind record.Kind, rel, name string, data []byte) {
	var (
		route store.Route
		err   error
		set   func(rr *store.RouteRecords) bool
	)
	switch kind {
	case record.KindDokployTarget:
		var t *record.DokployTarget
		if t, err = record.DecodeDokployTarget(data); err == nil {
			route = store.Route{Context: t.Context, Instance: t.Instance}
			set = func(rr *store.RouteRecords) bool {
				if rr.Target != nil {
					return false
				}
				rr.Target = t
				return true
			}
		}
	case record.KindDokployTargetID:
		var t *record.DokployTargetID
		if t, err = record.DecodeDokployTargetID(data); err == nil {
			route = store.Route{Context: t.Context, Instance: t.Instance}
			set = func(rr *store.RouteRecords) bool {
				if rr.TargetID != nil {
					return false
				}
				rr.TargetID = t
				return true
			}
		}
	case record.KindProviderTarget:
		var p *record.ProviderTarget
		if p, err = record.DecodeProviderTarget(data); err == nil {
			route = store.Route{Context: p.Context, Instance: p.Instance}
			set = func(rr *store.RouteRecords) bool {
				if rr.Provider != nil {
					return false
				}
				rr.Provider = p
				return true
			}
		}
	}
	if err != nil {
		rr := get(bestEffortRoute(data, rel))
		rr.Invalid = append(rr.Invalid, store.Invalid{Kind: kind, Source: rel, Err: err})
		return
	}
	rr := get(route)
	if want := record.FileName(route.Context, route.Instance); name != want {
		// Launchplane reads a route's record by this exact name; a record
		// under another name is invisible to it at deploy time.
		rr.Invalid = append(rr.Invalid, store.Invalid{Kind: kind, Source: rel,
			Err: fmt.Errorf("file name does not match the record's route (Launchplane reads it as %s)", want)})
		return
	}
	if !set(rr) {
		rr.Invalid = append(rr.Invalid, store.Invalid{Kind: kind, Source: rel, Err: errors.New("a second record for the same route")})
	}
}

// bestEffortRoute finds the route of a record that failed validation, so the
// finding lands on the right lane whenever the payload names it.
func bestEffortRoute(data []byte, rel string) store.Route {
	tree, err := record.DecodeTree(data)
	if err == nil {
		if obj, ok := tree.(*record.Object); ok {
			c, _ := obj.Values["context"].(string)
			i, _ := obj.Values["instance"].(string)
			c, i = record.PyStrip(c), record.PyStrip(i)
			if c != "" && i != "" {
				return store.Route{Context: c, Instance: i}
			}
		}
	}
	return unknownRoute(rel)
}

// Scan visits the snapshot in route order.
func (s *Store) Scan(ctx context.Context, scope store.Scope, v store.Visitor) error {
	snap, err := s.Load()
	if err != nil {
		return err
	}
	if err := v.Bindings(snap.Bindings); err != nil {
		return err
	}
	if cv, ok := v.(store.ClaimsVisitor); ok {
		if err := cv.Claims(snap.Claims); err != nil {
			return err
		}
	}
	for _, rr := range snap.Routes {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := v.Route(rr); err != nil {
			return err
		}
	}
	return nil
}
