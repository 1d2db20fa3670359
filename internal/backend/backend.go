// Package backend is the edge between lanegate's decisions and the places
// Launchplane's records live. Every store — Launchplane's Postgres, a
// filesystem state directory, Launchplane's own HTTP service — is one
// package under internal/backend that implements Backend and, where it can,
// the optional capabilities below. The command layer talks to these
// interfaces only: it never names a concrete backend type and never imports
// a database driver.
//
// Data flows one way: a Backend's Scan feeds a store.Visitor (the audit, the
// backfill planner); decisions return values (backfill.Plan); an Applier
// writes a plan it re-made under its own lock.
package backend

import (
	"context"
	"time"

	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/store"
)

// Reader is a read-only view of Launchplane's records.
type Reader interface {
	// Describe names the store for logs, with credentials masked.
	Describe() string
	// Scan visits one consistent snapshot: Bindings once, Claims (for a
	// store.ClaimsVisitor) once, then every route in (context, instance)
	// order. A store may call Prepare (store.Preparer) ahead of Route.
	Scan(ctx context.Context, scope store.Scope, v store.Visitor) error
	Close() error
}

// Backend is an opened store.
type Backend interface {
	Reader
	// Kind is the driver's name ("postgres", "filesystem", ...).
	Kind() string
}

// RunInfo says who applied or recorded something, for the run records a
// backend keeps. Nothing in it is a secret. RunID is required: it names the
// run record (with RunAttempt already folded in when it is not the first).
type RunInfo struct {
	Kind       string // "backfill" or "audit"
	Scope      string // the filters, as text ("all", "lane=a/b ...")
	Reason     string
	Actor      string
	GitSHA     string
	RunURL     string
	RunID      string
	RunAttempt string
	Version    string // lanegate's version
}

// ApplyRequest asks an Applier to write a reviewed backfill plan.
type ApplyRequest struct {
	Scope store.Scope
	// Plan makes the plan over scan, the backend's snapshot read under its
	// write lock. When stage is not nil, every row the plan creates is also
	// handed to stage as it is planned (a backend that streams rows into a
	// staging area passes it; others pass nil). Plan is pure decision code.
	Plan func(scan func(store.Visitor) error, stage func(backfill.Create) error) (*backfill.Plan, error)
	// ReviewedDigest is the --plan-digest of the reviewed dry run; the
	// backend writes nothing unless plan.Refusal(ReviewedDigest) is "".
	ReviewedDigest string
	Run            RunInfo
	// Progress, when set, is told how many rows are written (or staged) so
	// far; total is 0 while the plan is still being made.
	Progress func(done, total int)
	// Log, when set, receives the apply's lines for the operator's log
	// (stderr), each complete without its newline: progress at a steady
	// cadence, "nothing to create", and where the run was recorded.
	Log func(line string)
}

// ApplyResult is what an apply did. Plan carries the outcome (created,
// conflicts, refusal) that every report channel renders.
type ApplyResult struct {
	Plan    *backfill.Plan
	Created int
	// Recorded says where the run record is, for the log ("lanegate run 12",
	// ".lanegate/backfills/ID.json").
	Recorded string
}

// Applier applies reviewed backfill plans: it re-plans under its own lock,
// refuses as plan.Refusal says, and writes all or nothing where the store
// allows it (an Applier that cannot must say so in the plan's outcome).
type Applier interface {
	ApplyBackfill(ctx context.Context, req ApplyRequest) (ApplyResult, error)
}

// AuditRun is a finished audit to record: its full JSON report and one
// evidence record per declared lane.
type AuditRun struct {
	Run      RunInfo
	Report   []byte
	Evidence []evidence.Record
}

// AuditRecorder stores finished audits (lanegate audit --record).
type AuditRecorder interface {
	// RecordAudit stores the run and its evidence together and says where.
	RecordAudit(ctx context.Context, a AuditRun) (recorded string, err error)
}

// EvidenceStore appends and lists evidence records.
type EvidenceStore interface {
	Describe() string
	// Append normalises and stores records, idempotent per evidence.Key:
	// an already-stored key is not written again and its result carries
	// the stored record with Created false. If any record is invalid,
	// nothing is written and the error is an *evidence.ValidationError.
	Append(ctx context.Context, recs []evidence.Record) ([]evidence.AppendResult, error)
	// List returns the records matching q in evidence.Sort order.
	List(ctx context.Context, q evidence.Query) ([]evidence.Record, error)
}

// EvidenceBackend is a backend that keeps lanegate's evidence.
type EvidenceBackend interface {
	Evidence(ctx context.Context) (EvidenceStore, error)
}

// Recoverer rolls back an interrupted apply (stores whose apply is not one
// transaction).
type Recoverer interface {
	Recover(ctx context.Context) (removed int, err error)
}

// Spec is one explicit store choice, as Choose makes it.
type Spec struct {
	Kind   string // a Driver's Kind
	Target string // the URL or directory as given; may hold credentials: never print it
	Name   string // safe to print: host:port/database, a directory, a service host
	Source string // the flag or environment variable that chose it

	// Options every driver may read; each uses what it needs.
	StatementTimeout time.Duration
	AllowEmpty       bool
	Notice           func(msg string) // non-fatal notes for stderr
	Getenv           func(string) string
	// Lanes are the routes of lanes.yaml, for a backend that cannot
	// enumerate routes itself.
	Lanes []store.Route
}
