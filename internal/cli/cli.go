// Package cli is lanegate's command line: it parses flags, wires the stores,
// decision packages and renderers together, and maps every failure to one of
// the documented exit codes. It is the only package that knows about exit
// codes; main just calls Run.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lanegate/lanegate/internal/actions"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/store"
)

// Exit codes.
const (
	ExitOK      = 0 // nothing blocked
	ExitBlocked = 1 // blocked findings, refused apply, failed gate
	ExitConfig  = 2 // usage or configuration error
	ExitRuntime = 3 // store unreadable, database or API unreachable
)

// Version is set at build time with -ldflags "-X ...cli.Version=...".
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
	rt        *actions.Runtime // masks, annotations; file commands per command
	rawStderr io.Writer        // unscrubbed: ::add-mask:: must carry the real value
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

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// registered holds commands that live in their own files and add
// themselves with register from an init function.
var registered []command

func register(c command) { registered = append(registered, c) }

func commands() []command {
	return append([]command{
		{"audit", "compare provider-target rows with the Dokploy projection", runAudit},
		{"backfill", "plan (default) or apply the creation of missing provider-target rows", runBackfill},
		{"migrate", "create or upgrade lanegate's own tables (lanegate_*)", runMigrate},
		{"export", "copy Launchplane's records from Postgres into a filesystem state", runExport},
		{"import", "load a filesystem state into an empty Launchplane database", runImport},
		{"merge", "combine the reports of a sharded audit into one", runMerge},
		{"action", "run as the GitHub Action (inputs from LANEGATE_INPUT_* variables)", runAction},
		{"lanes", "validate lanes.yaml and print the wave plan (lanes check)", runLanes},
		{"version", "print the lanegate version", runVersion},
	}, registered...)
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
	stdout := newRedactWriter(env.Stdout, env.rt)
	stderr := newRedactWriter(env.Stderr, env.rt)
	defer stdout.Flush()
	defer stderr.Flush()
	env.Stdout, env.Stderr = stdout, stderr
	args := env.Args
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return ExitConfig
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, env, args[1:])
			annotateLanesErrors(env, err)
			return exitCode(env.Stderr, err)
		}
	}
	fmt.Fprintf(env.Stderr, "lanegate: unknown command %q (run \"lanegate help\")\n", args[0])
	return ExitConfig
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lanegate <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "exit codes: 0 ok, 1 blocked, 2 usage/config error, 3 runtime error")
}

func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "lanegate: %s\n", ee.msg)
		}
		return ee.code
	}
	var le lanes.Errors
	if errors.As(err, &le) {
		fmt.Fprintf(stderr, "lanegate: the lanes file is invalid (%d error(s)):\n%s\n", len(le), le.Error())
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
func newFlagSet(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: lanegate %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses and turns flag errors into usage errors (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: ExitConfig}
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
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
			fmt.Fprintf(env.Stderr, "lanegate: notice: no %s found in %s; lanes are reported as undeclared (pass --lanes FILE, or --no-lanes to silence)\n", filepath.Base(path), dir)
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

// writeFileAtomic writes via a temp file and rename, so a reader never sees a
// half-written report.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return runtimeErr("cannot write %s: %v", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return runtimeErr("cannot write %s: %v", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return runtimeErr("cannot write %s: %v", path, err)
	}
	if err := tmp.Close(); err != nil {
		return runtimeErr("cannot write %s: %v", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return runtimeErr("cannot write %s: %v", path, err)
	}
	return nil
}

func runVersion(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "lanegate %s\n", Version)
	return nil
}

func runLanes(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return usageErr("usage: lanegate lanes check [--lanes FILE]")
	}
	fs := newFlagSet(env, "lanes check", "lanes check [--lanes FILE]")
	path := fs.String("lanes", "lanes.yaml", "lanes file to validate")
	if err := parseFlags(fs, args[1:]); err != nil {
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
