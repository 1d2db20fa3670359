package fs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/safeio"
)

type journalEntry struct {
	Path   string `json:"path"` // relative to the state dir
	SHA256 string `json:"sha256"`
}

type journal struct {
	RunID  string         `json:"run_id"`
	Files  []journalEntry `json:"files"`
	Record string         `json:"record"`
	// RecordSHA256 is the hash of the run record, so recovery removes the
	// record only while it is still the one this apply wrote.
	RecordSHA256 string `json:"record_sha256"`
	// Dirs the apply creates (relative, deepest first); a rollback removes
	// them again when they are empty.
	Dirs []string `json:"dirs,omitempty"`
}

// applyDirs are the only directories an apply may create, deepest first.
var applyDirs = []string{lanegateDir + "/backfills", record.KindProviderTarget.Dir(), lanegateDir}

// runRecordPath is where the run record of runID lives.
func runRecordPath(runID string) string { return lanegateDir + "/backfills/" + runID + ".json" }

// checkRunID accepts a run id that is one plain file-name component, so the
// run record stays in .lanegate/backfills/.
func checkRunID(id string) error {
	if _, err := safeio.CleanRel(id); err != nil || strings.Contains(id, "/") || strings.HasPrefix(id, ".") {
		return fmt.Errorf("run id %q is not a plain file name", id)
	}
	return nil
}

func isSHA256Hex(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// decodeJournal parses a backfill journal and checks that it describes only
// what an apply could have written: provider-target files directly in their
// record directory, the run's record under .lanegate/backfills/, and the
// fixed directories of applyDirs. Anything else (unknown keys, "..",
// absolute paths, other directories, malformed hashes) is refused whole.
func decodeJournal(data []byte) (*journal, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var j journal
	if err := dec.Decode(&j); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the journal object")
	}
	if err := checkRunID(j.RunID); err != nil {
		return nil, err
	}
	if j.Record != runRecordPath(j.RunID) {
		return nil, fmt.Errorf("record %q is not the run record of run %q", j.Record, j.RunID)
	}
	if !isSHA256Hex(j.RecordSHA256) {
		return nil, errors.New("record_sha256 is missing or not a SHA-256")
	}
	prefix := record.KindProviderTarget.Dir() + "/"
	seen := map[string]bool{}
	for i, e := range j.Files {
		name, ok := strings.CutPrefix(e.Path, prefix)
		if _, err := safeio.CleanRel(e.Path); err != nil || !ok || strings.Contains(name, "/") || !strings.HasSuffix(name, ".json") {
			return nil, fmt.Errorf("files[%d]: %q is not a provider-target file of the state", i, e.Path)
		}
		if !isSHA256Hex(e.SHA256) {
			return nil, fmt.Errorf("files[%d]: sha256 is not a SHA-256", i)
		}
		if seen[e.Path] {
			return nil, fmt.Errorf("files[%d]: %q is listed twice", i, e.Path)
		}
		seen[e.Path] = true
	}
	for i, d := range j.Dirs {
		known := false
		for _, a := range applyDirs {
			known = known || d == a
		}
		if !known {
			return nil, fmt.Errorf("dirs[%d]: %q is not a directory an apply creates", i, d)
		}
	}
	return &j, nil
}
