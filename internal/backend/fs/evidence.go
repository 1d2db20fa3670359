package fs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/safeio"
	"github.com/lanegate/lanegate/internal/store"
)

// EvidenceDir is where evidence lives inside a Launchplane state directory:
// lanegate's own dot-directory, which Launchplane's record globs never read.
const EvidenceDir = ".lanegate/evidence"

// EvidenceStore keeps evidence as one JSON file per record:
//
//	<state>/.lanegate/evidence/<lane dir>/<kind>/<run file>.json
//
// A lane dir is the lane key with unsafe characters replaced, plus a hash
// of the key; a run file is the run id and attempt, likewise. Files are
// written to a temporary name and then hard-linked into place, which fails
// if the name exists: appends are atomic and the first writer of a key wins,
// across processes, without locks.
type EvidenceStore struct {
	StateDir string
	now      func() time.Time
}

// OpenEvidence opens the evidence store of a Launchplane state directory. The
// state directory must exist (a mistyped path must not silently start a new
// state); the evidence directory is created on first write.
func OpenEvidence(stateDir string) (*EvidenceStore, error) {
	fi, err := os.Stat(stateDir)
	if err != nil {
		return nil, store.Errorf(err, "cannot open state directory %s", stateDir)
	}
	if !fi.IsDir() {
		return nil, store.Errorf(nil, "state directory %s is not a directory", stateDir)
	}
	return &EvidenceStore{StateDir: stateDir, now: time.Now}, nil
}

// Describe names the store for logs.
func (s *EvidenceStore) Describe() string {
	return "filesystem evidence " + filepath.Join(s.StateDir, filepath.FromSlash(EvidenceDir))
}

func (s *EvidenceStore) root() string {
	return filepath.Join(s.StateDir, filepath.FromSlash(EvidenceDir))
}

// safeName keeps [A-Za-z0-9._-], replaces everything else with "_", caps the
// length and appends a hash of the raw parts so distinct inputs never share
// a name.
func safeName(limit int, parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('.')
		}
		for _, r := range p {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
				b.WriteRune(r)
			default:
				b.WriteByte('_')
			}
		}
	}
	name := strings.TrimLeft(b.String(), ".")
	if len(name) > limit {
		name = name[:limit]
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return name + "-" + hex.EncodeToString(sum[:])[:12]
}

func laneDirName(lane string) string { return safeName(80, lane) }

func (s *EvidenceStore) path(k evidence.Key) string {
	return filepath.Join(s.root(), laneDirName(k.Lane), k.Kind, safeName(80, k.RunID, k.RunAttempt)+".json")
}

// fileRecord is the on-disk form. Keys are written in this order.
type fileRecord struct {
	Lane       string            `json:"lane"`
	Kind       string            `json:"kind"`
	Passed     bool              `json:"passed"`
	ObservedAt string            `json:"observed_at"`
	RunURL     string            `json:"run_url"`
	RunID      string            `json:"run_id"`
	RunAttempt string            `json:"run_attempt"`
	SHA        string            `json:"sha"`
	Actor      string            `json:"actor"`
	TraceID    string            `json:"trace_id"`
	Detail     map[string]string `json:"detail"`
	RecordedAt string            `json:"recorded_at"`
}

func encodeFile(r evidence.Record) ([]byte, error) {
	fr := fileRecord{Lane: r.Lane, Kind: r.Kind, Passed: r.Passed, ObservedAt: r.ObservedAt.Format(time.RFC3339Nano),
		RunURL: r.RunURL, RunID: r.RunID, RunAttempt: r.RunAttempt, SHA: r.SHA, Actor: r.Actor,
		TraceID: r.TraceID, Detail: r.Detail, RecordedAt: r.RecordedAt.Format(time.RFC3339Nano)}
	if fr.Detail == nil {
		fr.Detail = map[string]string{}
	}
	data, err := json.MarshalIndent(fr, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

func decodeFile(data []byte) (evidence.Record, error) {
	var fr fileRecord
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fr); err != nil {
		return evidence.Record{}, err
	}
	obs, err := time.Parse(time.RFC3339Nano, fr.ObservedAt)
	if err != nil {
		return evidence.Record{}, fmt.Errorf("observed_at: %w", err)
	}
	rec, err := time.Parse(time.RFC3339Nano, fr.RecordedAt)
	if err != nil {
		return evidence.Record{}, fmt.Errorf("recorded_at: %w", err)
	}
	r := evidence.Record{Lane: fr.Lane, Kind: fr.Kind, Passed: fr.Passed, ObservedAt: obs.UTC(),
		Source:  evidence.Source{RunURL: fr.RunURL, RunID: fr.RunID, RunAttempt: fr.RunAttempt, SHA: fr.SHA, Actor: fr.Actor},
		TraceID: fr.TraceID, Detail: fr.Detail, RecordedAt: rec.UTC()}
	if r.Detail == nil {
		r.Detail = map[string]string{}
	}
	return r, nil
}

// Append implements backend.EvidenceStore.
func (s *EvidenceStore) Append(ctx context.Context, recs []evidence.Record) ([]evidence.AppendResult, error) {
	kept, index, err := evidence.Dedupe(recs)
	if err != nil {
		return nil, err
	}
	stored := make([]evidence.AppendResult, len(kept))
	for i, r := range kept {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r.RecordedAt = s.now().UTC().Truncate(time.Microsecond)
		res, err := s.appendOne(r)
		if err != nil {
			return nil, err
		}
		stored[i] = res
	}
	out := make([]evidence.AppendResult, len(recs))
	first := map[int]bool{}
	for i, j := range index {
		out[i] = stored[j]
		if first[j] {
			out[i].Created = false
		}
		first[j] = true
	}
	return out, nil
}

func (s *EvidenceStore) appendOne(r evidence.Record) (evidence.AppendResult, error) {
	final := s.path(r.Key())
	dir := filepath.Dir(final)
	if existing, err := s.readFile(final, r.Key()); err == nil {
		return evidence.AppendResult{Record: existing}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return evidence.AppendResult{}, err
	}
	// Never through a link: evidence stays inside the state directory.
	if err := safeio.MkdirAllUnder(s.StateDir, EvidenceDir+"/"+laneDirName(r.Lane)+"/"+r.Kind, 0o755); err != nil {
		return evidence.AppendResult{}, store.Errorf(err, "cannot create evidence directory %s", dir)
	}
	data, err := encodeFile(r)
	if err != nil {
		return evidence.AppendResult{}, store.Errorf(err, "cannot encode evidence")
	}
	tmp, err := os.CreateTemp(dir, ".evidence-*.tmp")
	if err != nil {
		return evidence.AppendResult{}, store.Errorf(err, "cannot write evidence in %s", dir)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return evidence.AppendResult{}, store.Errorf(err, "cannot write evidence file %s", tmp.Name())
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return evidence.AppendResult{}, store.Errorf(err, "cannot sync evidence file %s", tmp.Name())
	}
	if err := tmp.Close(); err != nil {
		return evidence.AppendResult{}, store.Errorf(err, "cannot write evidence file %s", tmp.Name())
	}
	// link(2) refuses an existing name: exactly one concurrent writer of a
	// key succeeds, and readers only ever see complete files.
	if err := os.Link(tmp.Name(), final); err != nil {
		if errors.Is(err, os.ErrExist) {
			existing, rerr := s.readFile(final, r.Key())
			if rerr != nil {
				return evidence.AppendResult{}, rerr
			}
			return evidence.AppendResult{Record: existing}, nil
		}
		return evidence.AppendResult{}, store.Errorf(err, "cannot create evidence file %s", final)
	}
	syncEvidenceDir(dir)
	return evidence.AppendResult{Record: r, Created: true}, nil
}

func syncEvidenceDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// readFile reads one evidence file and checks that it belongs where it is.
func (s *EvidenceStore) readFile(path string, want evidence.Key) (evidence.Record, error) {
	if err := safeio.CheckDirsUnder(s.StateDir, EvidenceDir+"/"+laneDirName(want.Lane)+"/"+want.Kind); err != nil {
		return evidence.Record{}, store.Errorf(err, "refusing to read evidence through %s", filepath.Dir(path))
	}
	data, err := safeio.ReadRegularFile(path, safeio.MaxRecordBytes)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return evidence.Record{}, err
		}
		return evidence.Record{}, store.Errorf(err, "cannot read evidence file %s", path)
	}
	r, err := decodeFile(data)
	if err != nil {
		return evidence.Record{}, store.Errorf(err, "evidence file %s is corrupt", path)
	}
	if r.Key() != want {
		return evidence.Record{}, store.Errorf(nil, "evidence file %s holds %s/%s run %s attempt %s, not what its path says", path, r.Lane, r.Kind, r.RunID, r.RunAttempt)
	}
	return r, nil
}

// List implements backend.EvidenceStore.
func (s *EvidenceStore) List(ctx context.Context, q evidence.Query) ([]evidence.Record, error) {
	root := s.root()
	var laneDirs []string
	if len(q.Lanes) > 0 {
		for _, l := range q.Lanes {
			laneDirs = append(laneDirs, laneDirName(l))
		}
	} else {
		if err := safeio.CheckDirsUnder(s.StateDir, EvidenceDir); err != nil {
			return nil, store.Errorf(err, "refusing to read evidence")
		}
		entries, err := os.ReadDir(root)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, store.Errorf(err, "cannot read %s", root)
		}
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				laneDirs = append(laneDirs, e.Name())
			}
		}
	}
	kinds := q.Kinds
	if len(kinds) == 0 {
		kinds = evidence.Kinds
	}
	var out []evidence.Record
	for _, ld := range laneDirs {
		for _, k := range kinds {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			dir := filepath.Join(root, ld, k)
			if err := safeio.CheckDirsUnder(s.StateDir, EvidenceDir+"/"+ld+"/"+k); err != nil {
				return nil, store.Errorf(err, "refusing to read evidence")
			}
			entries, err := os.ReadDir(dir)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, store.Errorf(err, "cannot read %s", dir)
			}
			for _, e := range entries {
				name := e.Name()
				if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
					continue
				}
				path := filepath.Join(dir, name)
				data, err := safeio.ReadRegularFile(path, safeio.MaxRecordBytes)
				if err != nil {
					return nil, store.Errorf(err, "cannot read evidence file %s", path)
				}
				r, err := decodeFile(data)
				if err != nil {
					return nil, store.Errorf(err, "evidence file %s is corrupt", path)
				}
				if r.Kind != k || laneDirName(r.Lane) != ld || s.path(r.Key()) != path {
					return nil, store.Errorf(nil, "evidence file %s holds %s/%s run %s attempt %s, not what its path says", path, r.Lane, r.Kind, r.RunID, r.RunAttempt)
				}
				if q.Matches(&r) {
					out = append(out, r)
				}
			}
		}
	}
	evidence.Sort(out)
	return evidence.LimitPerGroup(out, q.Limit), nil
}
