package report

import (
	"github.com/lanegate/lanegate/internal/preflight"
	"time"

	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/gate"
	"github.com/lanegate/lanegate/internal/verdict"
)

// The docs: one per report a command renders with Render. Each holds what
// every format needs; the renderers (format_*.go) only read it.

// AuditDoc is an audit's report, or the merge of a sharded audit's.
type AuditDoc struct {
	Builder    *AuditBuilder
	Header     Header
	ReportPath string // markdown: where the full JSON report is ("" = not written)
}

// Kind is KindAudit.
func (AuditDoc) Kind() Kind { return KindAudit }

// BackfillDoc is a backfill plan, or its apply, with its header.
type BackfillDoc struct {
	Backfill
	Budget int // markdown: maximum bytes; 0 = unlimited
}

// Kind is KindBackfill.
func (BackfillDoc) Kind() Kind { return KindBackfill }

// GateDoc is a gate decision.
type GateDoc struct {
	Result gate.Result
	Store  *Store // json: the store lane health was read from; nil when none was chosen
	// Markdown: the same body the PR comment and the job summary carry.
	RunURL  string
	HeadSHA string
	Limit   int // bytes; 0 = unlimited
}

// Kind is KindGate.
func (GateDoc) Kind() Kind { return KindGate }

// GateReport is the gate's JSON report: the decision plus the store its
// health was read from (absent when no store was chosen).
type GateReport struct {
	gate.Result
	Store *Store `json:"store,omitempty"`
}

// EvidenceRecordDoc is the outcome of evidence record: the stored record,
// and whether this call created it or found it recorded already.
type EvidenceRecordDoc struct {
	Created bool
	Record  evidence.Record
	Where   string // table: the store it is in (Reader.Describe)
}

// Kind is KindEvidence.
func (EvidenceRecordDoc) Kind() Kind { return KindEvidence }

// ProbeRow is one lane's probe outcome as printed.
type ProbeRow struct {
	Lane       string `json:"lane"`
	Result     string `json:"result"` // pass, fail or skipped
	StatusCode int    `json:"status_code,omitempty"`
	LatencyMS  int64  `json:"latency_ms,omitempty"`
	Redirects  int    `json:"redirects,omitempty"`
	Error      string `json:"error,omitempty"`
	Note       string `json:"note,omitempty"`
	Recorded   bool   `json:"recorded"`
}

// EvidenceProbeDoc is the outcome of evidence probe; its verdict and reason
// are evidence.ProbeVerdict's, decided once by the command.
type EvidenceProbeDoc struct {
	Verdict verdict.Verdict
	Reason  string
	Probed  int // lanes probed (skipped ones are rows, not probes)
	Failed  int
	Rows    []ProbeRow
}

// Kind is KindEvidence.
func (EvidenceProbeDoc) Kind() Kind { return KindEvidence }

// EvidenceListDoc is the latest evidence per lane and kind (evidence list
// and show), with ages as of Now.
type EvidenceListDoc struct {
	Now   time.Time
	Index evidence.Index
}

// Kind is KindEvidence.
func (EvidenceListDoc) Kind() Kind { return KindEvidence }

// ListedRecord is a record with its age, as list and show print it.
type ListedRecord struct {
	evidence.Record
	Status     string `json:"status"`
	AgeSeconds int64  `json:"age_seconds"`
}

// PreflightDoc is a deploy preflight's report; its status is decided by
// preflight.Decide.
type PreflightDoc struct {
	Report *preflight.Report
}

// Kind is KindPreflight.
func (PreflightDoc) Kind() Kind { return KindPreflight }
