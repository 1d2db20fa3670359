package testkit

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestRunnerGivesOnlyTheInvocation(t *testing.T) {
	var seen Process
	r := Runner{Main: func(_ context.Context, p Process) int {
		seen = p
		in, _ := io.ReadAll(p.Stdin)
		fmt.Fprintf(p.Stdout, "%s|%s|%s", strings.Join(p.Args, ","), p.Getenv("A"), in)
		fmt.Fprint(p.Stderr, "warn")
		return 3
	}}
	res := r.Run(Invocation{Args: []string{"x", "y"}, Env: map[string]string{"A": "1"}, Stdin: "in", Dir: "/d"})
	if res != (Result{Code: 3, Stdout: "x,y|1|in", Stderr: "warn"}) || seen.Dir != "/d" || seen.Getenv("PATH") != "" {
		t.Errorf("result %+v, dir %q", res, seen.Dir)
	}
	if got := r.In("", nil, "v"); got.Stdout != "v||" {
		t.Errorf("In: %+v", got)
	}
}

func TestResultStringClipsStdout(t *testing.T) {
	s := Result{Code: 1, Stdout: strings.Repeat("a", clipAt+10), Stderr: "e"}.String()
	if !strings.HasPrefix(s, "exit 1\n--- stdout ---\n") || !strings.Contains(s, "... (10 more bytes)") || !strings.HasSuffix(s, "--- stderr ---\ne") {
		t.Errorf("String() = %q", s[len(s)-80:])
	}
}
