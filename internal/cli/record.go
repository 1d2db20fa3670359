package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/store"
)

// recordAudit stores a finished audit: the run with its full JSON report, and
// one `audit` evidence record per declared lane. On Postgres both go in one
// transaction; a read-only audit never gets here (--record is opt-in).
func recordAudit(ctx context.Context, env *Env, st store.Reader, res *auditResult, filter audit.Filter) error {
	info := env.rt.RunInfo()
	src := evidence.SourceFromRunInfo(info)
	if src.RunID == "" && src.RunURL == "" {
		src.RunID = localRunID()
	}
	if src.RunAttempt == "" {
		src.RunAttempt = "1"
	}
	var laneRecs []evidence.AuditLane
	err := res.builder.EachLane(func(e audit.LaneEntry) error {
		if e.Declared {
			laneRecs = append(laneRecs, evidence.AuditLaneFromEntry(e))
		}
		return nil
	})
	if err != nil {
		return runtimeErr("%v", err)
	}
	recs, err := evidence.AuditRecords(laneRecs, src, time.Now())
	if err != nil {
		return usageErr("cannot record the audit: %v", err)
	}
	var report bytes.Buffer
	if err := res.writeJSON(&report); err != nil {
		return runtimeErr("%v", err)
	}
	switch s := st.(type) {
	case *pgstore.Store:
		tx, err := s.BeginRecord(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.Background())
		if err := s.CheckLanegateTables(ctx, tx, "lanegate_runs", "lanegate_evidence"); err != nil {
			return err
		}
		id, err := s.InsertRun(ctx, tx, pgstore.Run{Kind: "audit", Status: res.totals.Status(), Scope: scopeText(filter),
			GitSHA: info.SHA, RunURL: info.RunURL, RunID: src.RunID, RunAttempt: src.RunAttempt, Actor: actor(env, info),
			Version: VersionString(), Report: json.RawMessage(report.Bytes())})
		if err != nil {
			return err
		}
		if _, err := evidence.AppendPG(ctx, tx, recs); err != nil {
			return runtimeErr("record audit evidence: %v", err)
		}
		if err := tx.Commit(ctx); err != nil {
			return runtimeErr("commit the audit record: %v", err)
		}
		fmt.Fprintf(env.Stderr, "lanegate: recorded audit run %d with evidence for %d lane(s)\n", id, len(recs))
	case *fsstore.Store:
		es, err := evidence.OpenFS(s.Dir)
		if err != nil {
			return err
		}
		path := filepath.Join(s.Dir, ".lanegate", "runs", "audit-"+src.RunID+"-"+src.RunAttempt+".json")
		if err := writeFileAtomic(path, func(w io.Writer) error { _, err := w.Write(report.Bytes()); return err }); err != nil {
			return err
		}
		if _, err := es.Append(ctx, recs); err != nil {
			return runtimeErr("record audit evidence: %v", err)
		}
		fmt.Fprintf(env.Stderr, "lanegate: recorded audit in %s with evidence for %d lane(s)\n", path, len(recs))
	default:
		return runtimeErr("store %s cannot record runs", st.Describe())
	}
	return nil
}

func localRunID() string {
	var b [4]byte
	rand.Read(b[:])
	return "local-" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
