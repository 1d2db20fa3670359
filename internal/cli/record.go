package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/lanegate/lanegate/internal/actions"
	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/store"
)

// recordAudit stores a finished audit: the run with its full JSON report, and
// one `audit` evidence record per declared lane, through the store's
// backend.AuditRecorder (on Postgres both go in one transaction). A
// read-only audit never gets here (--record is opt-in).
func recordAudit(ctx context.Context, env *Env, st store.Reader, res *auditResult, filter audit.Filter) error {
	rec, ok := st.(backend.AuditRecorder)
	if !ok {
		return runtimeErr("store %s cannot record runs", st.Describe())
	}
	info := env.rt.RunInfo()
	src := sourceFromRunInfo(info)
	if src.RunID == "" && src.RunURL == "" {
		src.RunID = localRunID()
	}
	if src.RunAttempt == "" {
		src.RunAttempt = "1"
	}
	var laneRecs []evidence.AuditLane
	err := res.builder.EachLane(func(e audit.LaneEntry) error {
		if e.Declared {
			laneRecs = append(laneRecs, auditLaneFromEntry(e))
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
	where, err := rec.RecordAudit(ctx, backend.AuditRun{
		Run: backend.RunInfo{Kind: "audit", Scope: scopeText(filter), Actor: actor(env, info), GitSHA: info.SHA,
			RunURL: info.RunURL, RunID: src.RunID, RunAttempt: src.RunAttempt, Version: VersionString()},
		Report: report.Bytes(), Evidence: recs, Status: res.totals.Status()})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "lanegate: recorded %s with evidence for %d lane(s)\n", where, len(recs))
	return nil
}

// sourceFromRunInfo turns the Actions provenance into an evidence Source.
func sourceFromRunInfo(info actions.RunInfo) evidence.Source {
	return evidence.Source{RunURL: info.RunURL, RunID: info.RunID, RunAttempt: info.RunAttempt, SHA: info.SHA, Actor: info.Actor}
}

// auditLaneFromEntry converts an audit lane entry. The entry lists each
// status once, so Counts holds 1 per listed status.
func auditLaneFromEntry(e audit.LaneEntry) evidence.AuditLane {
	counts := map[string]int{}
	for _, s := range e.Statuses {
		counts[s]++
	}
	if len(counts) == 0 && e.WorstStatus != "" {
		counts[e.WorstStatus] = 1
	}
	return evidence.AuditLane{Lane: e.Lane, WorstStatus: e.WorstStatus, Severity: e.Severity, Counts: counts}
}

func localRunID() string {
	var b [4]byte
	rand.Read(b[:])
	return "local-" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
