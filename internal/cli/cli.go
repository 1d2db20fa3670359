// Package cli is lanegate's command line: it parses flags, wires the stores,
// decision packages and renderers together, and maps every failure to one of
// the documented exit codes. It is the only package that knows about exit
// codes; main just calls Run.
package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/lanegate/lanegate/internal/actions"
	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/safeio"
	"github.com/lanegate/lanegate/internal/store"
)

// Exit codes.
const (
	ExitOK      = 0 // nothing blocked
	ExitBlocked = 1 // blocked findings, refused apply, failed gate
	ExitConfig  = 2 // usage or configuration error
	ExitRuntime = 3 // store unreadable, database or API unreachable
)

// Interrupt is the cause main cancels the context with on SIGINT or
// SIGTERM. A command cancelled by it exits 128 + the signal number (130,
// 143), whatever it returned: work cut short is never reported as done.
type Interrupt struct{ Signal os.Signal }

func (i *Interrupt) Error() string { return "interrupted by " + i.name() }

func (i *Interrupt) name() string {
	switch i.Signal {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return i.Signal.String()
}

// ExitCode is the shell's convention for death by a signal: 128 + its number.
func (i *Interrupt) ExitCode() int {
	if s, ok := i.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + int(syscall.SIGINT)
}

// interruptOf returns the Interrupt that cancelled ctx, if any.
func interruptOf(ctx context.Context) *Interrupt {
	var i *Interrupt
	if errors.As(context.Cause(ctx), &i) {
		return i
	}
	return nil
}

// Version is set at build time with -ldflags "-X ...cli.Version=...".
// Read it through VersionString, which falls back to the build info.
var Version = "dev"

// Env is the process environment as seen by a command, injectable for tests.
type Env struct {
	Args   []string
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Dir    string // working directory; "" = process cwd

	secrets   []string         // every secret this invocation can see
	notices   []string         // told on stderr and recorded in the JSON report
	rt        *actions.Runtime // masks, annotations; file commands per command
	rawStderr io.Writer        // unscrubbed: ::add-mask:: must carry the real value
}

// exitCoder is an error that names its exit code (ExitConfig, ExitBlocked
// or ExitRuntime), as a backend's typed errors may.
type exitCoder interface {
	error
	ExitCode() int
}

// exitError carries an exit code and a message for stderr.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return &exitError{code: ExitConfig, msg: fmt.Sprintf(format, args...)}
}

func runtimeErr(format string, args ...any) error {
	return &exitError{code: ExitRuntime, msg: fmt.Sprintf(format, args...)}
}

// errBlocked signals exit 1 with nothing more to print.
var errBlocked = &exitError{code: ExitBlocked}

// command is one verb: its name, the one-line summary 'lanegate --help'
// prints, and its run function. A command with subcommands declares them
// with dispatch and subcommand (see runLanes); there is no other way.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// commands is the command table: every lanegate command, in the order
// 'lanegate --help' lists them. A new command is one line here. It is a
// function, not a package variable, because runAction looks commands up in
// it: a variable would be an initialization cycle.
func commands() []command {
	return []command{
		{"audit", "compare provider-target rows with the Dokploy projection", runAudit},
		{"backfill", "plan (default) or apply the creation of missing provider-target rows", runBackfill},
		{"migrate", "create or upgrade lanegate's own tables (lanegate_*)", runMigrate},
		{"export", "copy Launchplane's records from Postgres into a filesystem state", runExport},
		{"import", "load a filesystem state into an empty Launchplane database", runImport},
		{"merge", "combine the reports of a sharded audit into one", runMerge},
		{"action", "run as the GitHub Action (inputs from LANEGATE_INPUT_* variables)", runAction},
		{"lanes", "validate lanes.yaml and print the wave plan (lanes check)", runLanes},
		{"version", "print the lanegate version", runVersion},
		{"evidence", "record, probe, collect and list lane evidence (evidence record|probe|collect|list|show)", runEvidence},
		{"gate", "decide whether a cutover pull request may merge (commit status + sticky PR comment)", runGate},
		{"preflight", "check a lane's provider-target authority before a Dokploy deploy (read-only)", runPreflight},
		{"publish", "publish JSON reports to the job summary, a sticky issue/PR comment or stdout", runPublish},
	}
}

// lookup returns the command named name.
func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// Run executes one lanegate invocation and returns its exit code.
func Run(ctx context.Context, env *Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	// Register every secret before anything is printed: the runner masks
	// them in the log, and both output streams scrub them as a backstop.
	env.secrets = collectSecrets(env)
	// The runtime writes workflow commands to the raw stream: the runner has
	// to see the real value in ::add-mask::, and the runtime redacts the
	// annotations and summaries it writes itself.
	env.rawStderr = env.Stderr
	env.rt = actions.New(actions.Config{Getenv: env.Getenv, Stderr: env.rawStderr})
	for _, s := range env.secrets {
		env.rt.Mask(s)
	}
	args := env.Args
	// In a workflow every line lanegate prints may carry record contents,
	// file names or other untrusted text, so no line of either stream may
	// read as a workflow command. Escaping comes after redaction: a break
	// inserted inside a secret would hide it from the redactor.
	if actionMode(env, args) {
		outEsc, errEsc := newCmdEscapeWriter(env.Stdout), newCmdEscapeWriter(env.Stderr)
		defer outEsc.Flush()
		defer errEsc.Flush()
		env.Stdout, env.Stderr = outEsc, errEsc
	}
	stdout := newRedactWriter(env.Stdout, env.rt)
	stderr := newRedactWriter(env.Stderr, env.rt)
	defer stdout.Flush()
	defer stderr.Flush()
	env.Stdout, env.Stderr = stdout, stderr
	if len(args) == 0 {
		usage(env.Stderr)
		return ExitConfig
	}
	// "lanegate help CMD [SUB]" is "lanegate CMD [SUB] --help".
	if args[0] == "help" && len(args) > 1 {
		args = append(args[1:len(args):len(args)], "--help")
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(env.Stdout)
		return ExitOK
	case "--version", "-version":
		args = append([]string{"version"}, args[1:]...)
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(env.Stderr, "lanegate: unknown command %q\nrun 'lanegate --help' for usage\n", args[0])
		return ExitConfig
	}
	err := c.run(ctx, env, args[1:])
	// Whoever sent the signal was told already (main says "interrupted by
	// SIGINT" once); the command's own error is just the cancellation
	// echoing back.
	if stop := interruptOf(ctx); stop != nil {
		return stop.ExitCode()
	}
	annotateLanesErrors(env, err)
	code := exitCode(env.Stderr, err)
	if code == ExitConfig {
		annotateConfigError(env, err)
	}
	return code
}

// annotateConfigError gives a configuration error (exit 2) one ::error::
// annotation in Actions, so the run's summary says why it stopped. The
// runtime escapes and redacts the message: a value quoted in it cannot
// start a workflow command. Lanes-file errors have their own annotations.
func annotateConfigError(env *Env, err error) {
	var le lanes.Errors
	if env.rt == nil || errors.As(err, &le) {
		return
	}
	msg := "invalid command line; see the log"
	var ee *exitError
	var pe *backend.ConfigError
	switch {
	case errors.As(err, &ee) && ee.msg != "":
		msg = ee.msg
	case errors.As(err, &pe):
		msg = pe.Error()
	default:
		var coded exitCoder
		if errors.As(err, &coded) {
			msg = coded.Error()
		}
	}
	env.rt.Annotate([]actions.Annotation{{Level: actions.LevelError, Title: "lanegate configuration error", Message: msg}})
}

// actionMode reports whether this invocation talks to the Actions runner:
// inside a workflow (GITHUB_ACTIONS=true, as the actions Runtime decides) or
// as the action's own entry point.
func actionMode(env *Env, args []string) bool {
	return env.rt.InActions() || (len(args) > 0 && args[0] == "action")
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lanegate <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "run 'lanegate CMD --help' (or 'lanegate help CMD') for a command's flags;")
	fmt.Fprintln(w, "'lanegate --version' prints the version.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "exit codes: 0 ok, 1 blocked, 2 usage/config error, 3 runtime error, 130/143 interrupted (SIGINT/SIGTERM)")
}

// subcommand is one entry of a command that dispatches on its first
// argument (lanes, evidence).
type subcommand struct {
	name string
	run  func(ctx context.Context, env *Env, args []string) error
}

// dispatch runs the subcommand named by args[0] with the same conventions as
// the top level: help on stdout with exit 0, no subcommand prints the usage
// on stderr with exit 2, an unknown one is one line and a hint.
func dispatch(ctx context.Context, env *Env, cmd, usageText string, args []string, subs ...subcommand) error {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, usageText)
		return &exitError{code: ExitConfig}
	}
	name, rest := args[0], args[1:]
	if name == "help" && len(rest) > 0 {
		name, rest = rest[0], []string{"--help"}
	}
	switch name {
	case "-h", "--help", "help":
		fmt.Fprintln(env.Stdout, usageText)
		return nil
	}
	for _, s := range subs {
		if s.name == name {
			return s.run(ctx, env, rest)
		}
	}
	fmt.Fprintf(env.Stderr, "lanegate %s: unknown subcommand %q\nrun 'lanegate %s --help' for usage\n", cmd, name, cmd)
	return &exitError{code: ExitConfig}
}

func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	var stop *Interrupt
	if errors.As(err, &stop) {
		return stop.ExitCode()
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "lanegate: %s\n", ee.msg)
		}
		return ee.code
	}
	// An error that knows its exit code (a backend's, so the command layer
	// need not name its type): its message as is, its code.
	var coded exitCoder
	if errors.As(err, &coded) {
		fmt.Fprintf(stderr, "lanegate: %s\n", coded.Error())
		switch c := coded.ExitCode(); c {
		case ExitBlocked, ExitConfig, ExitRuntime:
			return c
		}
		return ExitRuntime // a code outside lanegate's: a runtime error
	}
	var le lanes.Errors
	if errors.As(err, &le) {
		fmt.Fprintf(stderr, "lanegate: the lanes file is invalid (%d error(s)):\n%s\n", len(le), le.Error())
		return ExitConfig
	}
	var pe *backend.ConfigError
	if errors.As(err, &pe) {
		fmt.Fprintf(stderr, "lanegate: %s\n", pe.Error())
		return ExitConfig
	}
	var se *store.Error
	if errors.As(err, &se) {
		fmt.Fprintf(stderr, "lanegate: %s\n", se.Error())
		return ExitRuntime
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(stderr, "lanegate: interrupted: %v\n", err)
		return ExitRuntime
	}
	fmt.Fprintf(stderr, "lanegate: %v\n", err)
	return ExitRuntime
}

// newFlagSet returns a FlagSet that reports errors instead of exiting.
//
// On a bad flag the flag package writes its one-line message to the output
// and then calls Usage; on -h/--help it calls Usage alone. The output is a
// buffer so Usage can tell the two apart: help is the full usage on stdout,
// a mistake is the message and a hint on stderr, never the whole usage. This
// lives in the FlagSet, not in parseFlags, so commands that call fs.Parse
// themselves (they take positional arguments) behave the same.
func newFlagSet(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	fs.Usage = func() {
		if msg.Len() > 0 {
			fmt.Fprintf(env.Stderr, "lanegate %s: %s\nrun 'lanegate %s --help' for usage\n", name, strings.TrimSpace(msg.String()), name)
			msg.Reset()
			return
		}
		fmt.Fprintf(env.Stdout, "usage: lanegate %s\n", synopsis)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if !hasFlags {
			return
		}
		fmt.Fprintf(env.Stdout, "\nflags:\n")
		fs.SetOutput(env.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(&msg)
	}
	return fs
}

// parseFlags parses and turns flag errors into usage errors (exit 2). The
// FlagSet from newFlagSet has already printed the help or the error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: ExitConfig}
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q (run 'lanegate %s --help' for usage)", fs.Arg(0), fs.Name())
	}
	return nil
}

// checkFormatFlag refuses a --format value the command's kind of report
// has no renderer for (exit 2), before anything is read.
func checkFormatFlag(kind report.Kind, name string) error {
	if err := report.CheckFormat(kind, name); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

func (env *Env) path(p string) string {
	if p == "" || filepath.IsAbs(p) || env.Dir == "" {
		return p
	}
	return filepath.Join(env.Dir, p)
}

// loadPlan loads the lanes file: an explicit path must exist; the default
// lanes.yaml is used only when present. Its absence is never silent: every
// lane then reads as undeclared, so a notice says so, and in GitHub Actions
// (where a missing checkout or wrong working directory is the likely cause)
// it is an error unless --no-lanes asks for exactly that.
func loadPlan(env *Env, path string, explicit, disabled bool) (*lanes.File, error) {
	if disabled {
		if explicit {
			return nil, usageErr("--lanes and --no-lanes cannot be used together")
		}
		return nil, nil
	}
	if !explicit {
		if _, err := os.Stat(env.path(path)); errors.Is(err, os.ErrNotExist) {
			dir := filepath.Dir(env.path(path))
			if abs, err := filepath.Abs(dir); err == nil {
				dir = abs
			}
			if env.Getenv("GITHUB_ACTIONS") == "true" || (len(env.Args) > 0 && env.Args[0] == "action") {
				return nil, usageErr("no %s found in %s: in GitHub Actions every lane would be reported as undeclared; check out the repository, pass --lanes FILE (the lanes input), or pass --no-lanes to audit the store alone", filepath.Base(path), dir)
			}
			notice := fmt.Sprintf("no %s found in %s; lanes are reported as undeclared (pass --lanes FILE, or --no-lanes to silence)", filepath.Base(path), dir)
			fmt.Fprintf(env.Stderr, "lanegate: notice: %s\n", notice)
			env.notices = append(env.notices, notice)
			return nil, nil
		}
	}
	f, err := lanes.Load(env.path(path))
	if err != nil {
		var le lanes.Errors
		if errors.As(err, &le) {
			return nil, err
		}
		return nil, usageErr("cannot read lanes file %s: %v", path, err)
	}
	f.Path = path
	return f, nil
}

// writeFileAtomic writes an output file with safeio.WriteFile: a regular or
// new file via a temp file and rename, so a reader never sees a half-written
// report; a device or FIFO (/dev/null, a pipe) written into, never replaced.
// "-" is refused here: stdout already carries the --format output.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	err := safeio.WriteFile(path, write, safeio.WriteOptions{})
	if err == nil {
		return nil
	}
	why := err
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		why = pe.Err // the message names the path once
	}
	if errors.Is(err, safeio.ErrRefused) {
		return usageErr("cannot write %s: %v", path, why)
	}
	return runtimeErr("cannot write %s: %v", path, why)
}

func runVersion(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "lanegate %s\n", VersionString())
	return nil
}

const lanesUsage = `usage: lanegate lanes <subcommand> [flags]

subcommands:
  check    validate the lanes file and print its digest and wave plan`

func runLanes(ctx context.Context, env *Env, args []string) error {
	return dispatch(ctx, env, "lanes", lanesUsage, args, subcommand{"check", runLanesCheck})
}

func runLanesCheck(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "lanes check", "lanes check [--lanes FILE]")
	path := fs.String("lanes", "lanes.yaml", "lanes file to validate")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	plan, err := loadPlan(env, *path, true, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %d lane(s), schema version %d, digest %s\n", *path, len(plan.Lanes), plan.SchemaVersion, plan.Digest())
	fmt.Fprint(env.Stdout, plan.WavePlan())
	return nil
}
