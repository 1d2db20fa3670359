// Package actions is lanegate's single door to the GitHub Actions runner.
//
// Everything lanegate says to the runner goes through a [Runtime]: workflow
// commands (masks, annotations, groups, debug lines), file commands (step
// outputs and the step summary), action inputs and run provenance.
//
// The package wraps github.com/sethvargo/go-githubactions for command
// emission and escaping, and deliberately avoids the parts of it that are
// unsafe for a CLI:
//
//   - workflow commands are written to stderr, never stdout, so that stdout
//     carries only the report the user asked for;
//   - file commands (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) are written by this
//     package, never panic when the file is not configured, and use a random
//     heredoc delimiter per write;
//   - nothing here calls os.Exit.
//
// A Runtime behaves the same outside Actions: commands that only make sense
// inside a workflow are suppressed and file-backed operations are no-ops
// unless a path was configured.
package actions

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"

	githubactions "github.com/sethvargo/go-githubactions"

	"github.com/lanegate/lanegate/internal/dsn"
)

// minMaskLen is the shortest value Mask accepts. Masking shorter values
// would scrub ordinary text all over the log and the reports.
const minMaskLen = 4

// Config configures a Runtime. The zero value is usable: it reads the process
// environment and discards workflow commands.
type Config struct {
	// Getenv looks up environment variables; os.Getenv in production.
	// nil means os.Getenv.
	Getenv func(string) string
	// Stderr receives workflow commands. nil means io.Discard.
	Stderr io.Writer
	// SummaryFile overrides GITHUB_STEP_SUMMARY (local preview:
	// --summary-file).
	SummaryFile string
	// OutputFile overrides GITHUB_OUTPUT (local preview: --github-output).
	OutputFile string
}

// Runtime is lanegate's single door to the Actions runner. It works
// identically outside Actions: file-backed things become no-ops unless an
// explicit path was given. A Runtime is safe for concurrent use.
type Runtime struct {
	getenv      func(string) string
	stderr      io.Writer
	gha         *githubactions.Action
	inActions   bool
	summaryFile string
	outputFile  string

	// random feeds heredoc delimiters; crypto/rand in production,
	// replaceable by tests.
	random io.Reader

	// sink identifies the stream workflow commands go to, for masks told
	// once per stream (see told).
	sink any

	mu               sync.Mutex
	scrub            *Scrubber // what Redact removes; guarded by mu
	summaryWritten   int64
	summaryTruncated bool
	annotated        map[string]int  // annotations emitted per level
	overflowed       map[string]bool // "and N more" emitted per level
}

// New builds a Runtime from cfg. It captures the environment once: the
// GITHUB_ACTIONS flag and the file-command paths do not change during a run.
func New(cfg Config) *Runtime {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	w := cfg.Stderr
	if w == nil {
		w = io.Discard
	}
	w = quietWriter{w}

	summary := cfg.SummaryFile
	if summary == "" {
		summary = getenv("GITHUB_STEP_SUMMARY")
	}
	output := cfg.OutputFile
	if output == "" {
		output = getenv("GITHUB_OUTPUT")
	}

	// A command may build several Runtimes on one stream; the runner needs
	// each mask once. A writer that cannot be a map key is its own stream.
	var sink any = cfg.Stderr
	if cfg.Stderr == nil || !reflect.TypeOf(cfg.Stderr).Comparable() {
		sink = new(int)
	}

	return &Runtime{
		sink:   sink,
		getenv: getenv,
		stderr: w,
		gha: githubactions.New(
			githubactions.WithWriter(w),
			githubactions.WithGetenv(githubactions.GetenvFunc(getenv)),
		),
		inActions:   getenv("GITHUB_ACTIONS") == "true",
		summaryFile: summary,
		outputFile:  output,
		random:      rand.Reader,
		scrub:       NewScrubber(),
		annotated:   map[string]int{},
		overflowed:  map[string]bool{},
	}
}

// quietWriter swallows write errors. go-githubactions panics when it cannot
// write a command; a broken stderr must not take lanegate down with it.
type quietWriter struct{ w io.Writer }

func (q quietWriter) Write(p []byte) (int, error) {
	_, _ = q.w.Write(p)
	return len(p), nil
}

// InActions reports whether the process runs inside GitHub Actions
// (GITHUB_ACTIONS == "true").
func (r *Runtime) InActions() bool { return r.inActions }

// Mask registers secret with the runner's log masker (::add-mask::, only in
// Actions) and remembers it so Redact scrubs it too. Empty values and values
// shorter than 4 bytes are ignored. A multi-line secret is additionally
// masked line by line, because the runner masks log lines one at a time.
//
// A secret that is a database connection string also has its passwords
// registered (see DatabasePasswords), exactly and for fragment scrubbing
// (see Scrubber), so whatever a driver's partial redaction leaves of them
// is scrubbed too.
func (r *Runtime) Mask(secret string) {
	candidates := []string{secret}
	if strings.ContainsAny(secret, "\r\n") {
		for _, line := range strings.FieldsFunc(secret, func(c rune) bool { return c == '\n' || c == '\r' }) {
			candidates = append(candidates, line)
		}
	}
	var passwords []string
	if dsn.Looks(secret) {
		passwords = DatabasePasswords(secret)
		candidates = append(candidates, passwords...)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range candidates {
		if r.scrub.AddExact(v) && r.inActions && told.first(r.sink, v) {
			r.gha.AddMask(v)
		}
	}
	for _, p := range passwords {
		r.scrub.AddFragments(p)
	}
}

// told remembers which values each stream has already sent to the runner's
// masker: once told, the runner masks a value for the rest of the job.
var told = maskLog{seen: map[maskKey]struct{}{}}

type maskKey struct {
	sink  any
	value string
}

type maskLog struct {
	mu   sync.Mutex
	seen map[maskKey]struct{}
}

// first reports whether value is new on sink, and records it.
func (l *maskLog) first(sink any, value string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := maskKey{sink, value}
	if _, ok := l.seen[k]; ok {
		return false
	}
	l.seen[k] = struct{}{}
	return true
}

// MaskFragments is Mask for a password: beyond the exact value, Redact
// also scrubs every delimited piece of it (see Scrubber).
func (r *Runtime) MaskFragments(password string) {
	r.Mask(password)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scrub.AddFragments(password)
}

// Masking reports whether any value is registered for masking, so callers
// can skip scrubbing streams when there is nothing to hide.
func (r *Runtime) Masking() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.scrub.Empty()
}

// Redact replaces every masked value, and every delimited fragment of a
// masked password, in s with "***". Overlapping or adjacent hits collapse
// into a single "***", so no byte of any of them survives.
func (r *Runtime) Redact(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.redactLocked(s)
}

func (r *Runtime) redactLocked(s string) string { return r.scrub.Scrub(s) }

// containsSecret reports whether Redact would change s.
func (r *Runtime) containsSecret(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.scrub.Contains(s)
}

// Group opens a collapsible log group (::group::title) in Actions and
// returns the function that closes it (::endgroup::). Outside Actions both
// are silent. The returned function is safe to call more than once; only
// the first call emits.
func (r *Runtime) Group(title string) func() {
	if !r.inActions {
		return func() {}
	}
	r.gha.Group(r.Redact(title))
	var once sync.Once
	return func() {
		once.Do(r.gha.EndGroup)
	}
}

// Debugf emits a ::debug:: line in Actions (shown when step debug logging is
// enabled). The message is redacted. Outside Actions it is silent.
func (r *Runtime) Debugf(format string, args ...any) {
	if !r.inActions {
		return
	}
	r.gha.Debugf("%s", r.Redact(fmt.Sprintf(format, args...)))
}

// Context returns the go-githubactions view of the workflow context, read
// through the Runtime's Getenv. Like upstream, it may return a partially
// filled context together with an error.
func (r *Runtime) Context() (*githubactions.GitHubContext, error) {
	return r.gha.Context()
}
