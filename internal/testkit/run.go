package testkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Invocation is one run of lanegate.
type Invocation struct {
	Args []string
	// Env is the whole environment lanegate sees: nothing of the test
	// process's own leaks in (so a CI runner's GITHUB_* cannot change an
	// outcome). A built binary gets exactly these variables.
	Env   map[string]string
	Stdin string
	Dir   string // working directory; "" = the test's (in process) or the process's
}

// Result is what one run left: its exit code and output.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// clipAt bounds the stdout a failure message shows.
const clipAt = 4000

func (r Result) String() string {
	out := r.Stdout
	if len(out) > clipAt {
		out = out[:clipAt] + fmt.Sprintf("\n... (%d more bytes)", len(out)-clipAt)
	}
	return fmt.Sprintf("exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s", r.Code, out, r.Stderr)
}

// Want fails the test unless r exited with code.
func (r Result) Want(t testing.TB, code int) {
	t.Helper()
	Want(t, r, code)
}

// Want fails the test unless r exited with code.
func Want(t testing.TB, r Result, code int) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("want exit %d\n%s", code, r)
	}
}

// Process is what an in-process entry point is handed; the command tests
// adapt it to cli.Env (testkit cannot import cli, whose tests import it).
type Process struct {
	Args           []string
	Getenv         func(string) string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Dir            string
}

// Runner runs lanegate in process through Main.
type Runner struct {
	Main func(context.Context, Process) int
}

// Run runs one invocation in process.
func (r Runner) Run(in Invocation) Result {
	return r.RunContext(context.Background(), in)
}

// RunContext is Run with a context (to cancel the run).
func (r Runner) RunContext(ctx context.Context, in Invocation) Result {
	var stdout, stderr bytes.Buffer
	env := in.Env
	code := r.Main(ctx, Process{
		Args:   in.Args,
		Getenv: func(k string) string { return env[k] },
		Stdin:  strings.NewReader(in.Stdin),
		Stdout: &stdout,
		Stderr: &stderr,
		Dir:    in.Dir,
	})
	return Result{Code: code, Stdout: stdout.String(), Stderr: stderr.String()}
}

// In runs lanegate in process in dir, seeing only env, with empty stdin.
func (r Runner) In(dir string, env map[string]string, args ...string) Result {
	return r.Run(Invocation{Args: args, Env: env, Dir: dir})
}

// ModuleRoot is the directory of lanegate's go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testkit: cannot locate the module root")
	}
	root := filepath.Dir(filepath.Dir(filepath.Dir(file))) // internal/testkit/run.go
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("testkit: module root %s: %v", root, err)
	}
	return root
}

// Binary is lanegate built from ./cmd/lanegate.
type Binary struct {
	Path string
}

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  *Binary
	buildErr  error
)

// Build builds lanegate once per test binary (go build ./cmd/lanegate)
// into a temporary directory that [Main] removes after the tests.
func Build(t testing.TB) *Binary {
	t.Helper()
	root := ModuleRoot(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "lanegate-testkit-")
		if buildErr != nil {
			return
		}
		bin := filepath.Join(buildDir, "lanegate")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/lanegate")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/lanegate: %v\n%s", err, out)
			return
		}
		buildBin = &Binary{Path: bin}
	})
	if buildErr != nil {
		t.Fatalf("testkit: %v", buildErr)
	}
	return buildBin
}

// removeBuild deletes the directory Build built into.
func removeBuild() error {
	if buildDir == "" {
		return nil
	}
	return os.RemoveAll(buildDir)
}

// Command is the exec.Cmd of one invocation, for tests that manage the
// process themselves (signals, concurrency): exactly in.Env as its
// environment, in.Dir as its directory, in.Stdin (if any) as its input.
func (b *Binary) Command(in Invocation) *exec.Cmd {
	cmd := exec.Command(b.Path, in.Args...)
	cmd.Dir = in.Dir
	cmd.Env = make([]string, 0, len(in.Env))
	for k, v := range in.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if in.Stdin != "" {
		cmd.Stdin = strings.NewReader(in.Stdin)
	}
	return cmd
}

// Run runs one invocation of the binary to its end. A process that did not
// exit by itself (killed, or not started) fails the test.
func (b *Binary) Run(t testing.TB, in Invocation) Result {
	t.Helper()
	cmd := b.Command(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.Code = ee.ExitCode()
	default:
		t.Fatalf("run lanegate %s: %v\n%s", strings.Join(in.Args, " "), err, r.Stderr)
	}
	return r
}
