package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/record"
)

// This file decides what the evidence comment shows: each lane's evidence
// cells (freshness), each lane's readiness, the comment's state block and
// its result digest, and whether a previous comment still shows the same
// result. internal/report renders what it is given.

// Cell is one lane's latest evidence of one kind, as the comment shows it.
type Cell struct {
	Present bool
	Passed  bool
	Fresh   bool // passed and within the lane's maximum age (and after the row changed)
	Age     time.Duration
	RunURL  string
	// ObservedAt is when the evidence was observed. It feeds CommentDigest
	// (Age does not: it changes on every run); zero when unknown.
	ObservedAt time.Time
}

// LatestCells judges a lane's newest record of each kind (byKind as
// Latest returns it with Limit 1: newest first). A kind the lane requires is
// fresh only as Evaluate says (passed, within its max age, after the
// provider-target row changed); a kind it does not require, or a lane the
// plan does not declare (lane nil), counts as fresh when it passed. Kinds
// without a record have no cell.
func LatestCells(lane *lanes.Lane, byKind map[string][]Record, providerUpdatedAt string, now time.Time) map[string]Cell {
	cells := map[string]Cell{}
	for _, kind := range lanes.EvidenceKinds {
		recs := byKind[kind]
		if len(recs) == 0 {
			continue
		}
		r := recs[0]
		c := Cell{Present: true, Passed: r.Passed, Age: now.Sub(r.ObservedAt), RunURL: r.Source.RunURL, Fresh: r.Passed,
			ObservedAt: r.ObservedAt}
		if lane != nil {
			for _, req := range lane.Evidence {
				if req.Kind == kind {
					c.Fresh = Evaluate(req, recs, providerUpdatedAt, now).Fresh
				}
			}
		}
		cells[kind] = c
	}
	return cells
}

// CommentLane is one declared lane's row of the evidence comment.
type CommentLane struct {
	Lane     string
	Wave     int
	Driver   string
	Stage    string
	Status   string // worst audit status
	Severity string
	Detail   string
	Evidence map[string]Cell // by kind: deploy, promotion, health, authority
	// Readiness is decided by DecideCommentReadiness; the comment renders
	// it and never judges a lane itself. A zero value renders as blocked.
	Readiness Readiness
	// Physical and Projected are the lane's worst finding's records, shown
	// field by field in the finding details.
	Physical, Projected *record.ProviderTarget
}

// CommentRows is one row per declared lane of an audit report, in report
// order: the lane's worst audit status, its stage (from the plan, "" for a
// lane the plan does not declare), its evidence cells judged by LatestCells
// against its provider-target row's updated_at, and its worst finding's
// records. idx is nil when no store was read. Readiness is left for
// DecideCommentReadiness.
func CommentRows(plan *lanes.File, entries []audit.LaneEntry, findings []audit.Finding, idx Index, now time.Time) []CommentLane {
	updated := map[string]string{}
	for _, f := range findings {
		if f.Physical != nil {
			updated[f.Context+"/"+f.Instance] = f.Physical.UpdatedAt
		}
	}
	var rows []CommentLane
	for _, e := range entries {
		if !e.Declared {
			continue
		}
		row := CommentLane{Lane: e.Lane, Wave: e.Wave, Driver: e.Driver, Status: e.WorstStatus, Severity: e.Severity, Detail: e.Detail}
		var lane *lanes.Lane
		if plan != nil {
			lane, _ = plan.Lane(e.Lane)
		}
		if lane != nil {
			row.Stage = lane.Stage
		}
		row.Evidence = LatestCells(lane, idx[e.Lane], updated[e.Lane], now)
		rows = append(rows, row)
	}
	// Each lane's worst finding's records, for the finding details.
	for i := range rows {
		for _, f := range findings {
			if f.Context+"/"+f.Instance == rows[i].Lane && f.Status == rows[i].Status {
				rows[i].Physical, rows[i].Projected = f.Physical, f.Projected
				break
			}
		}
	}
	return rows
}

// RequiredKinds is the set of evidence kinds the plan requires of a lane;
// empty without a plan or for an undeclared lane.
func RequiredKinds(plan *lanes.File, lane string) map[string]bool {
	out := map[string]bool{}
	if plan == nil {
		return out
	}
	if l, ok := plan.Lane(lane); ok {
		for _, e := range l.Evidence {
			out[e.Kind] = true
		}
	}
	return out
}

// DecideCommentReadiness fills every row's Readiness from Decide over the
// row's audit status, its required evidence (per the plan) and its stage.
// evidenceRead is false when no store was read: required evidence is then
// unknown, never missing.
func DecideCommentReadiness(plan *lanes.File, rows []CommentLane, evidenceRead bool) {
	facts := make([]LaneFacts, len(rows))
	for i, l := range rows {
		f := LaneFacts{Lane: l.Lane, Wave: l.Wave, Stage: l.Stage, AuditStatus: l.Status, AuditSeverity: l.Severity,
			EvidenceRead: evidenceRead}
		if plan != nil {
			if pl, ok := plan.Lane(l.Lane); ok {
				f.Requires = pl.Requires
			}
		}
		req := RequiredKinds(plan, l.Lane)
		for _, k := range lanes.EvidenceKinds {
			if req[k] {
				c := l.Evidence[k]
				f.Required = append(f.Required, KindState{Kind: k, Present: c.Present, Passed: c.Passed, Fresh: c.Fresh})
			}
		}
		facts[i] = f
	}
	got := Decide(facts)
	for i := range rows {
		rows[i].Readiness = got[rows[i].Lane]
	}
}

// CommentState is the machine-readable block a later run reads back.
type CommentState struct {
	Schema       string            `json:"schema"`
	Lanes        map[string]string `json:"lanes"` // lane -> worst audit status
	ReportDigest string            `json:"report_digest"`
	ConfigDigest string            `json:"config_digest"`
	HeadSHA      string            `json:"head_sha"`
	RunURL       string            `json:"run_url"`
	Time         string            `json:"time"`
	Version      string            `json:"lanegate_version"`
	// ResultDigest is CommentDigest of the input the comment shows: equal
	// digests mean an unchanged result, so the previous comment (its time,
	// run link and evidence ages included) can be kept as it is.
	ResultDigest string `json:"result_digest,omitempty"`
	// LanesOmitted counts lanes left out of Lanes so that the state block
	// fits in the comment; their previous status is unknown.
	LanesOmitted int `json:"lanes_omitted,omitempty"`
}

// CommentSchema identifies the hidden state block.
const CommentSchema = "lanegate.evidence-comment/v1"

// NewCommentState is the state block of a comment rendered from report
// (the audit report's bytes) under plan (nil without a lanes file): every
// row's worst audit status, the report's and the plan's digests and the
// provenance. ResultDigest is left for CommentDigest.
func NewCommentState(report []byte, plan *lanes.File, rows []CommentLane, runURL, headSHA, version string, now time.Time) CommentState {
	st := CommentState{Schema: CommentSchema, Lanes: map[string]string{}, RunURL: runURL, HeadSHA: headSHA,
		Time: now.Format(time.RFC3339), Version: version}
	sum := sha256.Sum256(report)
	st.ReportDigest = "sha256:" + hex.EncodeToString(sum[:])
	for _, r := range rows {
		st.Lanes[r.Lane] = r.Status
	}
	if plan != nil {
		st.ConfigDigest = plan.Digest()
	}
	return st
}

// DigestInput is everything the evidence comment shows, for CommentDigest.
type DigestInput struct {
	Title, Artifact string
	State           CommentState
	Totals          audit.Totals
	Lanes           []CommentLane
	EvidenceNotRead bool
	// Shard is the shard block of a shard's report as JSON; nil for a
	// whole-fleet report.
	Shard json.RawMessage
	// Diffs is the finding-diff text the comment shows for a lane (its
	// records field by field); it is part of what the comment shows.
	Diffs func(CommentLane) string
}

// CommentDigest fingerprints everything the evidence comment shows except
// its provenance (time, run link, head SHA) and evidence ages: the report
// and config digests, the lanegate version, the totals, every lane row and
// every evidence cell (by observation time instead of age). Publish keeps
// the previous comment unchanged when the digest has not changed.
func CommentDigest(in DigestInput) string {
	type cellKey struct {
		Kind                   string
		Present, Passed, Fresh bool
		ObservedAt             string
		RunURL                 string
	}
	type laneKey struct {
		Lane, Driver, Stage, Status, Severity, Detail string
		Wave                                          int
		Evidence                                      []cellKey
		Level, Next, Diffs                            string
	}
	doc := struct {
		Title, Report, Config, Version, Artifact string
		Totals                                   audit.Totals
		Lanes                                    []laneKey
		EvidenceNotRead                          bool            `json:",omitempty"`
		Shard                                    json.RawMessage `json:",omitempty"`
	}{Title: in.Title, Report: in.State.ReportDigest, Config: in.State.ConfigDigest, Version: in.State.Version,
		Artifact: in.Artifact, Totals: in.Totals, EvidenceNotRead: in.EvidenceNotRead, Shard: in.Shard}
	for _, l := range SortCommentLanes(in.Lanes) {
		k := laneKey{Lane: l.Lane, Driver: l.Driver, Stage: l.Stage, Status: l.Status, Severity: l.Severity, Detail: l.Detail, Wave: l.Wave,
			Level: string(l.Readiness.Level), Next: l.Readiness.Next}
		if in.Diffs != nil {
			k.Diffs = in.Diffs(l)
		}
		kinds := make([]string, 0, len(l.Evidence))
		for kind := range l.Evidence {
			kinds = append(kinds, kind)
		}
		sort.Strings(kinds)
		for _, kind := range kinds {
			c := l.Evidence[kind]
			ck := cellKey{Kind: kind, Present: c.Present, Passed: c.Passed, Fresh: c.Fresh, RunURL: c.RunURL}
			if !c.ObservedAt.IsZero() {
				ck.ObservedAt = c.ObservedAt.UTC().Format(time.RFC3339Nano)
			}
			k.Evidence = append(k.Evidence, ck)
		}
		doc.Lanes = append(doc.Lanes, k)
	}
	b, _ := json.Marshal(doc)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// SortCommentLanes returns the rows in wave order, then by lane.
func SortCommentLanes(rows []CommentLane) []CommentLane {
	ls := append([]CommentLane(nil), rows...)
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].Wave != ls[j].Wave {
			return ls[i].Wave < ls[j].Wave
		}
		return ls[i].Lane < ls[j].Lane
	})
	return ls
}

// Unchanged reports whether a previous comment shows the same result as the
// one whose digest is given, so that it is kept byte for byte (its time, run
// link and ages included). A previous comment without a result digest is
// never unchanged.
func Unchanged(prev *CommentState, digest string) bool {
	return prev != nil && prev.ResultDigest != "" && prev.ResultDigest == digest
}

// CommentChanges is what changed between the previous comment's state and
// this one's rows, by worst audit status.
type CommentChanges struct {
	// First: there is no previous state to compare with.
	First bool
	// Newly lists lanes now complete that were not; Regressed lanes that
	// were complete and are not (as "lane (status)"); Added lanes the
	// previous state did not list; Cleared lanes it listed that are no
	// longer declared (sorted).
	Newly, Regressed, Added, Cleared []string
	// PrevOmitted is how many lanes the previous state left out: changes to
	// them are unknown, and a lane it does not list is not new.
	PrevOmitted int
}

// ChangesSince compares rows with the previous comment's state. Lanes are
// taken in wave order.
func ChangesSince(prev *CommentState, rows []CommentLane) CommentChanges {
	if prev == nil {
		return CommentChanges{First: true}
	}
	ch := CommentChanges{PrevOmitted: prev.LanesOmitted}
	current := make(map[string]bool, len(rows))
	for _, l := range SortCommentLanes(rows) {
		current[l.Lane] = true
		was, ok := prev.Lanes[l.Lane]
		switch {
		case !ok && prev.LanesOmitted > 0:
			// The previous state could not list every lane: unknown, not new.
		case !ok:
			ch.Added = append(ch.Added, l.Lane)
		case was != audit.StatusComplete && l.Status == audit.StatusComplete:
			ch.Newly = append(ch.Newly, l.Lane)
		case was == audit.StatusComplete && l.Status != audit.StatusComplete:
			ch.Regressed = append(ch.Regressed, l.Lane+" ("+l.Status+")")
		}
	}
	for lane := range prev.Lanes {
		if !current[lane] {
			ch.Cleared = append(ch.Cleared, lane)
		}
	}
	sort.Strings(ch.Cleared)
	return ch
}

// None reports whether nothing changed.
func (c CommentChanges) None() bool {
	return len(c.Newly)+len(c.Regressed)+len(c.Added)+len(c.Cleared) == 0
}
