package pg

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/lanegate/lanegate/internal/backend"
)

// RecordAudit implements backend.AuditRecorder: the run row (with the full
// report) and its evidence go in one transaction, so a recorded audit never
// lacks its evidence nor the other way round.
func (s *Store) RecordAudit(ctx context.Context, a backend.AuditRun) (string, error) {
	tx, err := s.BeginRecord(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(context.Background())
	if err := s.CheckLanegateTables(ctx, tx, "lanegate_runs", EvidenceTable); err != nil {
		return "", err
	}
	id, err := s.InsertRun(ctx, tx, Run{Kind: a.Run.Kind, Status: a.Status, Scope: a.Run.Scope, Reason: a.Run.Reason,
		GitSHA: a.Run.GitSHA, RunURL: a.Run.RunURL, RunID: a.Run.RunID, RunAttempt: a.Run.RunAttempt, Actor: a.Run.Actor,
		Version: a.Run.Version, Report: json.RawMessage(a.Report)})
	if err != nil {
		return "", err
	}
	// %v, not %w: the message is the whole story (exit 3), whatever the
	// cause was.
	if _, err := AppendEvidence(ctx, tx, a.Evidence); err != nil {
		return "", fmt.Errorf("record audit evidence: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("commit the audit record: %v", err)
	}
	return fmt.Sprintf("audit run %d", id), nil
}

// Evidence implements backend.EvidenceBackend. It needs only the evidence
// table: a role with lanegate's evidence grants alone can record and list.
func (s *Store) Evidence(ctx context.Context) (backend.EvidenceStore, error) {
	es, err := OpenEvidence(ctx, s.Conn)
	if err != nil {
		return nil, err
	}
	es.StatementTimeout = s.opt.StatementTimeout
	return es, nil
}
