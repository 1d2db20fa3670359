package cli_test

import (
	"github.com/lanegate/lanegate/internal/testkit"
	"strings"
	"testing"
)

// actionVars is a runner's environment with a token to mask.
func actionVars() map[string]string {
	return map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": "ghs_tokenvalue0123456789"}
}

// TestActionLogMasksOnce: issue #15. The token's ::add-mask:: was printed
// by every Runtime of the process; the runner needs it once.
func TestActionLogMasksOnce(t *testing.T) {
	t.Parallel()
	dir := testkit.ExampleWorkDir(t)
	for _, args := range [][]string{
		{"audit", "--state-dir", "state"},
		{"backfill", "--state-dir", "state"},
	} {
		o := lanegate.In(dir, actionVars(), args...)
		if n := strings.Count(o.Stderr, "::add-mask::ghs_tokenvalue0123456789\n"); n != 1 {
			t.Errorf("%v: token masked %d times, want once\n%s", args, n, o)
		}
	}
}

// TestActionLogGroupsAreNotEmpty: issue #15. A ::group:: opened and closed
// with nothing between is noise in the log.
func TestActionLogGroupsAreNotEmpty(t *testing.T) {
	t.Parallel()
	dir := testkit.ExampleWorkDir(t)
	for _, args := range [][]string{
		{"audit", "--state-dir", "state"},
		{"backfill", "--state-dir", "state"},
	} {
		o := lanegate.In(dir, actionVars(), args...)
		lines := strings.Split(o.Stderr, "\n")
		for i := 0; i+1 < len(lines); i++ {
			if strings.HasPrefix(lines[i], "::group::") && lines[i+1] == "::endgroup::" {
				t.Errorf("%v: empty group %q\n%s", args, lines[i], o)
			}
		}
	}
}

// TestActionLogAnnotatesConfigErrors: issue #15. A configuration error
// (exit 2) in action mode gets one ::error:: annotation whose message is
// escaped, so a value in it cannot start a workflow command.
func TestActionLogAnnotatesConfigErrors(t *testing.T) {
	t.Parallel()
	dir := testkit.ExampleWorkDir(t)
	o := lanegate.In(dir, actionVars(), "audit", "--state-dir", "state", "--lane", "x%0A::warning::pwned\n::set-output name=a::b")
	testkit.Want(t, o, 2)
	var errs []string
	for _, l := range strings.Split(o.Stderr, "\n") {
		if strings.HasPrefix(l, "::") && !strings.HasPrefix(l, "::add-mask::") {
			if !strings.HasPrefix(l, "::error title=lanegate configuration error::") {
				t.Errorf("unexpected workflow command %q\n%s", l, o)
			}
			errs = append(errs, l)
		}
	}
	if len(errs) != 1 {
		t.Fatalf("want one ::error:: annotation, got %d\n%s", len(errs), o)
	}
	// Outside Actions: no annotation.
	o = lanegate.In(dir, nil, "audit", "--state-dir", "state", "--lane", "bad lane")
	if o.Code != 2 || strings.Contains(o.Stderr, "::error") {
		t.Errorf("outside Actions: want exit 2 without annotations\n%s", o)
	}
}
