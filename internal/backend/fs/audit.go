package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"path/filepath"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/safeio"
)

// RecordAudit implements backend.AuditRecorder: the report goes to
// .lanegate/runs/audit-RUNID-ATTEMPT.json, then the evidence is appended.
// The two are not one transaction; evidence appends are idempotent, so a
// rerun completes an interrupted record.
func (s *Store) RecordAudit(ctx context.Context, a backend.AuditRun) (string, error) {
	es, err := OpenEvidence(s.Dir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(s.Dir, ".lanegate", "runs", "audit-"+a.Run.RunID+"-"+a.Run.RunAttempt+".json")
	if err := writeReport(path, a.Report); err != nil {
		return "", err
	}
	// %v, not %w: the message is the whole story (exit 3).
	if _, err := es.Append(ctx, a.Evidence); err != nil {
		return "", fmt.Errorf("record audit evidence: %v", err)
	}
	return "audit in " + path, nil
}

// writeReport writes a run report atomically. A write safeio refuses (a
// link, a non-directory in the way) is a configuration error.
func writeReport(path string, data []byte) error {
	err := safeio.WriteFile(path, func(w io.Writer) error { _, err := w.Write(data); return err }, safeio.WriteOptions{})
	if err == nil {
		return nil
	}
	why := err
	var pe *iofs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		why = pe.Err // the message names the path once
	}
	if errors.Is(err, safeio.ErrRefused) {
		return &backend.ConfigError{Err: fmt.Errorf("cannot write %s: %v", path, why)}
	}
	return fmt.Errorf("cannot write %s: %v", path, why)
}

// Evidence implements backend.EvidenceBackend: evidence lives under the
// state's .lanegate/evidence.
func (s *Store) Evidence(ctx context.Context) (backend.EvidenceStore, error) {
	return OpenEvidence(s.Dir)
}
