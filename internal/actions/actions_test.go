package actions

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestOutsideActionsIsQuietAndWritesNoFiles(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // os.OpenFile("") bugs would surface as files here or panics

	r, stderr := newTestRuntime(t, env{}, Config{})
	if r.InActions() {
		t.Fatal("InActions() = true without GITHUB_ACTIONS")
	}
	if err := r.SetOutput("verdict", "pass"); err != nil {
		t.Errorf("SetOutput without output file: %v", err)
	}
	if err := r.AddSummary("# Report\n"); err != nil {
		t.Errorf("AddSummary without summary file: %v", err)
	}
	r.Mask("hunter2-password")
	r.Group("lanes")()
	r.Debugf("debug %d", 1)
	r.Annotate([]Annotation{{Level: "error", Message: "boom"}})

	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing outside Actions", stderr.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("files created outside Actions: %v", entries)
	}
	// Masking still feeds Redact outside Actions.
	if got := r.Redact("pw=hunter2-password"); got != "pw=***" {
		t.Errorf("Redact = %q", got)
	}
}

func TestInActionsRequiresExactTrue(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "TRUE": false, "1": false, "": false} {
		r, _ := newTestRuntime(t, env{"GITHUB_ACTIONS": v}, Config{})
		if got := r.InActions(); got != want {
			t.Errorf("GITHUB_ACTIONS=%q: InActions() = %v, want %v", v, got, want)
		}
	}
}

func TestNilConfigFieldsAreSafe(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", "")
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	r := New(Config{}) // os.Getenv, io.Discard
	if !r.InActions() {
		t.Fatal("nil Getenv should default to os.Getenv")
	}
	r.Mask("some-secret")
	r.Group("x")()
	r.Annotate([]Annotation{{Message: "m"}})
	if err := r.SetOutput("a", "b"); err != nil {
		t.Fatal(err)
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("stderr closed") }

func TestBrokenStderrDoesNotPanic(t *testing.T) {
	r := New(Config{Getenv: actionsEnv().get, Stderr: brokenWriter{}})
	r.Mask("some-secret")
	r.Group("x")()
	r.Debugf("x")
	r.Annotate([]Annotation{{Message: "m"}})
}

func TestMaskEmitsAddMaskToStderr(t *testing.T) {
	r, stderr := newTestRuntime(t, actionsEnv(), Config{})
	r.Mask("hunter22")
	r.Mask("hunter22") // deduplicated
	r.Mask("abc")      // too short
	r.Mask("")         // empty
	r.Mask("100%\r\nline-two")
	want := "::add-mask::hunter22\n" +
		"::add-mask::100%25%0D%0Aline-two\n" +
		"::add-mask::100%25\n" +
		"::add-mask::line-two\n"
	if got := stderr.String(); got != want {
		t.Errorf("stderr =\n%q\nwant\n%q", got, want)
	}
	if got := r.Redact("abc hunter22 100%"); got != "abc *** ***" {
		t.Errorf("Redact = %q", got)
	}
}

func TestRedact(t *testing.T) {
	r, _ := newTestRuntime(t, env{}, Config{})
	if got := r.Redact("nothing masked"); got != "nothing masked" {
		t.Errorf("Redact with no masks = %q", got)
	}
	r.Mask("secret")
	r.Mask("secret-longer")
	r.Mask("abcd")
	r.Mask("cdefgh")
	tests := map[string]string{
		"":                            "",
		"nothing to hide":             "nothing to hide",
		"a secret, two secret":        "a ***, two ***",
		"key=secret-longer;":          "key=***;",    // longest wins
		"xxabcdefghyy":                "xx***yy",     // overlapping secrets leave no byte behind
		"abcdcdefgh":                  "***",         // adjacent secrets collapse
		"secretsecret":                "***",         // repeated
		"sssecret-longe":              "ss***-longe", // prefix of a longer secret
		"multi\nline secret\nsecret!": "multi\nline ***\n***!",
	}
	for in, want := range tests {
		if got := r.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGroup(t *testing.T) {
	r, stderr := newTestRuntime(t, actionsEnv(), Config{})
	r.Mask("hunter22")
	stderr.Reset()
	end := r.Group("Lanes for hunter22, 50% done")
	if got, want := stderr.String(), "::group::Lanes for ***, 50%25 done\n"; got != want {
		t.Fatalf("after Group: %q, want %q", got, want)
	}
	end()
	end()
	want := "::group::Lanes for ***, 50%25 done\n::endgroup::\n"
	if got := stderr.String(); got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

func TestDebugf(t *testing.T) {
	r, stderr := newTestRuntime(t, actionsEnv(), Config{})
	r.Mask("hunter22")
	stderr.Reset()
	r.Debugf("connecting with %s\nretry %d%%", "hunter22", 3)
	if got, want := stderr.String(), "::debug::connecting with ***%0Aretry 3%25\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

func TestAnnotateCapsAtNinePlusOverflow(t *testing.T) {
	r, stderr := newTestRuntime(t, actionsEnv(), Config{})
	r.Mask("hunter22")
	stderr.Reset()
	as := make([]Annotation, 25)
	for i := range as {
		as[i] = Annotation{
			Level:   "error",
			Title:   "bad: lane, hunter22",
			Message: "100% wrong\nsecond line with hunter22",
			File:    "lanes/a,b:c.yml",
			Line:    i + 1,
			Col:     7,
		}
	}
	r.Annotate(as)

	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("got %d lines, want 10:\n%s", len(lines), stderr.String())
	}
	for i, line := range lines[:9] {
		want := "::error col=7,file=lanes/a%2Cb%3Ac.yml,line=" + strconv.Itoa(i+1) +
			",title=bad%3A lane%2C ***::100%25 wrong%0Asecond line with ***"
		if line != want {
			t.Errorf("line %d = %q\nwant      %q", i, line, want)
		}
	}
	wantOverflow := "::error title=lanegate::and 16 more errors not shown: GitHub displays at most 10 error annotations per step; see the lanegate report for all of them"
	if lines[9] != wantOverflow {
		t.Errorf("overflow = %q\nwant       %q", lines[9], wantOverflow)
	}

	// The cap is per process: a later call adds nothing more of that level.
	stderr.Reset()
	r.Annotate(as[:3])
	if stderr.Len() != 0 {
		t.Errorf("second call emitted %q", stderr.String())
	}
}

func TestAnnotateLevelsAndProperties(t *testing.T) {
	r, stderr := newTestRuntime(t, actionsEnv(), Config{})
	var as []Annotation
	for i := 0; i < 10; i++ {
		as = append(as, Annotation{Level: "WARNING", Message: "w"})
	}
	as = append(as,
		Annotation{Level: "notice", Message: "plain"},
		Annotation{Level: "bogus", Message: "unknown level"},
		Annotation{Level: "error", File: "x.sql", Col: 4, Message: "col without line"},
	)
	r.Annotate(as)
	want := strings.Repeat("::warning::w\n", 9) +
		"::notice::plain\n" +
		"::error file=x.sql::col without line\n" +
		"::warning title=lanegate::and 2 more warnings not shown: GitHub displays at most 10 warning annotations per step; see the lanegate report for all of them\n"
	if got := stderr.String(); got != want {
		t.Errorf("stderr =\n%s\nwant\n%s", got, want)
	}

	stderr.Reset()
	r.Annotate([]Annotation{{Level: "warning", Message: "late"}, {Level: "notice", Message: "still room"}})
	if got, want := stderr.String(), "::notice::still room\n"; got != want {
		t.Errorf("second call = %q, want %q", got, want)
	}
}

func TestAnnotateSingularOverflow(t *testing.T) {
	r, stderr := newTestRuntime(t, actionsEnv(), Config{})
	as := make([]Annotation, 10)
	for i := range as {
		as[i] = Annotation{Level: "notice", Message: "n"}
	}
	r.Annotate(as)
	if !strings.HasSuffix(stderr.String(), "::notice title=lanegate::and 1 more notice not shown: GitHub displays at most 10 notice annotations per step; see the lanegate report for all of them\n") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestContextUsesGetenv(t *testing.T) {
	e := actionsEnv()
	e["GITHUB_REPOSITORY"] = "lanegate/demo"
	e["GITHUB_RUN_ID"] = "42"
	e["GITHUB_SHA"] = "abc123"
	r, _ := newTestRuntime(t, e, Config{})
	ctx, err := r.Context()
	if err != nil {
		t.Fatal(err)
	}
	if !ctx.Actions || ctx.Repository != "lanegate/demo" || ctx.RunID != 42 || ctx.SHA != "abc123" {
		t.Errorf("context = %+v", ctx)
	}

	e["GITHUB_RUN_ATTEMPT"] = "not-a-number"
	ctx, err = r.Context()
	if err == nil {
		t.Error("want an error for a malformed GITHUB_RUN_ATTEMPT")
	}
	if ctx == nil || ctx.Repository != "lanegate/demo" {
		t.Errorf("want the partial context alongside the error, got %+v", ctx)
	}
}

// TestAnnotateHostileValues: a record value quoted in an annotation cannot
// start a second command, in either the "::" or the legacy "##[" form.
func TestAnnotateHostileValues(t *testing.T) {
	rt, stderr := newTestRuntime(t, actionsEnv(), Config{})
	rt.Annotate([]Annotation{{
		Level:   "error",
		Title:   "lanegate: prod\n::warning title=X::y",
		Message: "record\r\n::add-mask::z ##[add-mask]q",
		File:    "lanes\n::x.yaml",
	}})
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one command line, got %q", lines)
	}
	if strings.Contains(lines[0], "##[") || strings.ContainsAny(lines[0], "\r") {
		t.Errorf("legacy command or line break survives: %q", lines[0])
	}
	if !strings.HasPrefix(lines[0], "::error file=lanes%0A%3A%3Ax.yaml,title=lanegate%3A prod%0A%3A%3Awarning title=X%3A%3Ay::") &&
		!strings.HasPrefix(lines[0], "::error title=lanegate%3A prod%0A%3A%3Awarning title=X%3A%3Ay,file=lanes%0A%3A%3Ax.yaml::") {
		t.Errorf("properties not escaped: %q", lines[0])
	}
}
