package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/cli"
)

// --- running lanegate ---

type fghOut struct {
	code           int
	stdout, stderr string
}

func (o fghOut) String() string {
	return fmt.Sprintf("exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s", o.code, o.stdout, o.stderr)
}

// fghRun runs lanegate in dir seeing only vars.
func fghRun(dir string, vars map[string]string, args ...string) fghOut {
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), &cli.Env{
		Args:   args,
		Getenv: func(k string) string { return vars[k] },
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Dir:    dir,
	})
	return fghOut{code, stdout.String(), stderr.String()}
}

func fghWant(t testing.TB, o fghOut, code int) {
	t.Helper()
	if o.code != code {
		t.Fatalf("want exit %d\n%s", code, o)
	}
}

// fghWorkDir is a scratch directory holding lanes.yaml (the repository's)
// and state/ (a copy of examples/state).
func fghWorkDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "state"), os.DirFS("../../examples/state")); err != nil {
		t.Fatal(err)
	}
	lanesYAML, err := os.ReadFile("../../lanes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lanes.yaml"), lanesYAML, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fghRepoLanes is the repository's lanes.yaml.
func fghRepoLanes(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../../lanes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
