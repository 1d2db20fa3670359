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
	"path/filepath"
	"time"

	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/record"
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
	// Status is the audit's overall status, as its report states it.
	Status string
}

// AuditRecorder stores finished audits (lanegate audit --record).
type AuditRecorder interface {
	// RecordAudit stores the run and its evidence together and says where,
	// as the log's "lanegate: recorded <recorded> with evidence for N
	// lane(s)" line shows it: "audit run 12", "audit in DIR/.lanegate/...".
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

	// Additions.

	// Path is the driver's Path: Target is a local path.
	Path bool
	// WorkDir resolves a relative path Target (see Location); "" leaves
	// it relative to the process's working directory.
	WorkDir string
	// SkipRecordCheck opens the store without checking that Launchplane's
	// records are there (lanegate migrate, and evidence commands, which a
	// role holding only lanegate's grants may run).
	SkipRecordCheck bool
	// Options are the driver's OptionFlag values that were given, by name.
	Options map[string]string
	// Secret, when set, is told every credential the backend obtains (a
	// service token) before it is used, so the command layer can mask it.
	Secret func(secret string)
}

// --- Additions: choosing and opening a backend, and optional capabilities.

// DefaultStatementTimeout is --statement-timeout's default: a bound on every
// statement a database backend runs. An audit's statement lasts until every
// row has been streamed, so it covers a whole large audit.
const DefaultStatementTimeout = 10 * time.Minute

// ConfigError is a store choice or connection setting that cannot work as
// given (an unparsable URL, a directory that is not a state directory). The
// command layer maps it to a usage error, exit 2, and prints Error() as is.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Driver is one backend's entry in the registry
// (internal/backend/registry): how a command line or an environment names
// its store, how to print that name safely, and how to open it.
type Driver struct {
	Kind    string // printed and reported: "postgres", "filesystem", ...
	Flag    string // the command-line flag naming the store, without dashes: "database-url"
	Metavar string // what the flag takes, for usage lines: "URL", "DIR"
	Usage   string // the flag's help text
	// Env are the environment variables naming the store, in the order
	// they are mentioned. Two of them set to different values are an
	// error, not a priority list.
	Env []string
	// Differ names the targets in that error: "LANEGATE_DATABASE_URL and
	// LAUNCHPLANE_DATABASE_URL name different databases (...)".
	Differ string
	// Path says the target is a local path: Spec.Location resolves it
	// against Spec.WorkDir and the announcement shows it resolved.
	Path bool
	// Name is the safe name of a target, as the report's "store" key and
	// the log show it: never a credential, not even in part.
	Name func(target string) string
	// Open opens spec (whose Kind is this driver's).
	Open func(ctx context.Context, spec Spec) (Backend, error)
	// Options are flags only this driver reads (--audience, --token-file
	// for the service): every command with store flags registers them, and
	// giving one while another driver is chosen is a usage error.
	Options []OptionFlag
	// NeedsLanes says the store cannot enumerate routes: it reads exactly
	// Spec.Lanes (the lanes of lanes.yaml), so a command run without a
	// lanes file (--no-lanes) is a usage error.
	NeedsLanes bool
}

// OptionFlag is a driver-specific command-line option; its value reaches
// the driver as Spec.Options[Name].
type OptionFlag struct {
	Name    string // without dashes
	Metavar string
	Usage   string
}

// Location is the Target to open: for a path driver, a relative Target
// resolved against WorkDir.
func (s Spec) Location() string {
	if !s.Path || s.Target == "" || s.WorkDir == "" || filepath.IsAbs(s.Target) {
		return s.Target
	}
	return filepath.Join(s.WorkDir, s.Target)
}

// String is the choice as a command announces it before reading:
// "postgres db:5432/launchplane (from --database-url)". It holds no
// credential.
func (s Spec) String() string {
	name := s.Name
	if s.Path {
		name = s.Location()
	}
	return s.Kind + " " + name + " (from " + s.Source + ")"
}

// Migration is one schema migration a Migrator knows.
type Migration struct {
	Version  int
	Name     string
	Checksum string // sha256 hex of SQL
	SQL      string
}

// Migrator keeps lanegate's own tables current (lanegate migrate).
type Migrator interface {
	// PendingMigrations lists what ApplyMigrations would apply.
	PendingMigrations(ctx context.Context) ([]Migration, error)
	// ApplyMigrations applies every pending migration and says how many
	// were already applied.
	ApplyMigrations(ctx context.Context) (applied []Migration, already int, err error)
}

// ExportRecord is one stored record as Export hands it out: its route and
// its payload as a decoded JSON tree (record.DecodeTree).
type ExportRecord struct {
	Kind    record.Kind
	Route   store.Route
	Payload any
}

// Exporter streams every Launchplane record it holds (lanegate export).
type Exporter interface {
	Export(ctx context.Context, fn func(ExportRecord) error) error
}

// ImportSet is what an Importer loads.
type ImportSet struct {
	Targets   []*record.DokployTarget
	TargetIDs []*record.DokployTargetID
	Providers []*record.ProviderTarget
}

// Importer loads Launchplane records into an empty store, or replaces what
// it holds (lanegate import).
type Importer interface {
	// StoreName is the name --confirm-database must repeat before a
	// replace (the database name).
	StoreName(ctx context.Context) (string, error)
	// ImportRecords loads set in one transaction. Without replace a store
	// that already holds records refuses with a *ConfigError and writes
	// nothing.
	ImportRecords(ctx context.Context, set ImportSet, replace bool) error
}

// StoredRecords is a Reader whose Scan hands out Launchplane's records as
// they are stored, every field of every record kind (the filesystem and
// Postgres backends). A reader that rebuilds records from what a service
// returns (the Launchplane service returns no Dokploy records) does not
// implement it, and commands that decide on the Dokploy records themselves
// (preflight) refuse such a store.
type StoredRecords interface {
	StoredRecords()
}

// PlanReader is a backend whose backfill dry run reads through another
// operation than its audit (the Launchplane service's backfill-dry-run):
// a backfill plans over PlanScan instead of Scan. PlanScan delivers the
// snapshot exactly as Scan does.
type PlanReader interface {
	PlanScan(ctx context.Context, scope store.Scope, v store.Visitor) error
}

// Traced is a backend whose calls each carry a trace id (the Launchplane
// service's trace_id): after a Scan, PlanScan or apply, TraceIDs says each
// lane's, and the report records them beside the lanes.
type Traced interface {
	TraceIDs() map[store.Route]string
}

// Noticer is a backend with notices a report must carry after a Scan or
// PlanScan: what the store could not do the way the others do (the service
// cannot enumerate routes; a lane it cannot show as the others would).
type Noticer interface {
	Notices() []string
}

// --- Authority: a lane as the record system's own read model states it.

// Authority is what a backend that speaks Launchplane's product-environment
// read model (GET /v1/products/{product}/environments/{environment}) keeps
// of one lane: the fields its evidence rule reads, the context, three list
// lengths and the trace id. Never the raw response.
type Authority struct {
	Product            string
	Route              store.Route // the lane: context from lanes.yaml, instance = environment
	Context            string      // environment.context as the service states it
	Provider           string      // environment.target.provider, exactly as sent
	ProviderTargetType string
	TrustState         string // "missing" when the service sent none
	TargetIDRecorded   bool
	AvailableActions   int
	RuntimeSettings    int
	ManagedSecrets     int
	TraceID            string

	// ProviderID is the provider the lane must be on; RulePassed and
	// RuleReasons are the record system's own evidence rule applied by the
	// backend that speaks it (for Launchplane, launchplane.AuthorityPass):
	// RuleReasons lists every reason it does not pass.
	ProviderID  string
	RulePassed  bool
	RuleReasons []string
}

// AuthorityReader is a backend that can read a lane's authority from the
// record system's read model (the Launchplane service). An error is a read
// that failed (not found, not authorised, unavailable): it is never
// evidence.
type AuthorityReader interface {
	ReadAuthority(ctx context.Context, product string, lane store.Route) (Authority, error)
}
