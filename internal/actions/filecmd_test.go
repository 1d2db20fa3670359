package actions

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestSetOutputExactFormat(t *testing.T) {
	path := tempPath(t, "output")
	r, stderr := newTestRuntime(t, actionsEnv(), Config{OutputFile: path})
	r.random = &seqReader{}

	if err := r.SetOutput("verdict", "pass"); err != nil {
		t.Fatal(err)
	}
	if err := r.SetOutput("report-path", "a\nb"); err != nil {
		t.Fatal(err)
	}
	d0, d1 := seqDelimiter(0), seqDelimiter(1)
	want := "verdict<<" + d0 + "\npass\n" + d0 + "\n" +
		"report-path<<" + d1 + "\na\nb\n" + d1 + "\n"
	if got := readFile(t, path); got != want {
		t.Errorf("output file =\n%q\nwant\n%q", got, want)
	}
	if d0 != "ghadelimiter_00000000000000000000000000000000" {
		t.Errorf("delimiter = %q", d0)
	}
	if stderr.Len() != 0 {
		t.Errorf("SetOutput wrote to stderr: %q", stderr.String())
	}
}

func TestSetOutputRandomDelimiterRoundTrip(t *testing.T) {
	path := tempPath(t, "output")
	r, _ := newTestRuntime(t, actionsEnv(), Config{OutputFile: path})

	want := []output{
		{"simple", "pass"},
		{"empty", ""},
		{"multiline", "line one\nline two\n\nline four"},
		{"trailing-newline", "x\n"},
		{"leading-newline", "\nx"},
		{"crlf", "a\r\nb\r\n"},
		{"upstream-delimiter", "before\n_GitHubActionsFileCommandDelimeter_\ninjected=evil\nafter"},
		{"looks_like_heredoc", "x<<EOF\nEOF"},
		{"equals", "a=b=c"},
		{"unicode", "✓ lanes: 3 — ok"},
	}
	for _, o := range want {
		if err := r.SetOutput(o.Name, o.Value); err != nil {
			t.Fatalf("SetOutput(%q): %v", o.Name, err)
		}
	}
	data := readFile(t, path)
	got, err := parseOutputs(data)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %q\nwant %q", got, want)
	}

	// Every record uses its own delimiter of the documented shape.
	header := regexp.MustCompile(`(?m)^[A-Za-z_][A-Za-z0-9_-]*<<(.*)$`)
	shape := regexp.MustCompile(`^ghadelimiter_[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for _, m := range header.FindAllStringSubmatch(data, -1) {
		if m[1] == "EOF" { // the value line "x<<EOF" above
			continue
		}
		if !shape.MatchString(m[1]) {
			t.Errorf("delimiter %q has the wrong shape", m[1])
		}
		if seen[m[1]] {
			t.Errorf("delimiter %q reused", m[1])
		}
		seen[m[1]] = true
	}
	if len(seen) != len(want) {
		t.Errorf("found %d delimiters, want %d", len(seen), len(want))
	}
}

func TestSetOutputRefusesMaskedSecret(t *testing.T) {
	path := tempPath(t, "output")
	r, _ := newTestRuntime(t, actionsEnv(), Config{OutputFile: path})
	r.Mask("hunter22-token")
	if err := r.SetOutput("ok", "fine"); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, path)

	err := r.SetOutput("dsn", "postgres://app:hunter22-token@db/app")
	if !errors.Is(err, ErrOutputHasSecret) {
		t.Fatalf("err = %v, want ErrOutputHasSecret", err)
	}
	if strings.Contains(err.Error(), "hunter22") {
		t.Errorf("error leaks the secret: %v", err)
	}
	if after := readFile(t, path); after != before {
		t.Errorf("refused output was written:\n%q", after)
	}
}

func TestSetOutputDelimiterCollision(t *testing.T) {
	path := tempPath(t, "output")
	r, _ := newTestRuntime(t, actionsEnv(), Config{OutputFile: path})
	seq := &seqReader{}
	r.random = seq

	// The value contains the first delimiter drawn: SetOutput draws again.
	value := "x\n" + seqDelimiter(0) + "\nevil=1"
	if err := r.SetOutput("first", value); err != nil {
		t.Fatalf("first collision should be handled: %v", err)
	}
	d1 := seqDelimiter(1)
	if got, want := readFile(t, path), "first<<"+d1+"\n"+value+"\n"+d1+"\n"; got != want {
		t.Errorf("file =\n%q\nwant\n%q", got, want)
	}

	// The value contains both delimiters SetOutput will draw: it gives up.
	before := readFile(t, path)
	value = seqDelimiter(2) + "\n" + seqDelimiter(3)
	err := r.SetOutput("second", value)
	if !errors.Is(err, ErrOutputDelimiter) {
		t.Fatalf("err = %v, want ErrOutputDelimiter", err)
	}
	if after := readFile(t, path); after != before {
		t.Errorf("refused output was written:\n%q", after)
	}
	got, perr := parseOutputs(readFile(t, path))
	if perr != nil || !reflect.DeepEqual(got, []output{{"first", "x\n" + seqDelimiter(0) + "\nevil=1"}}) {
		t.Errorf("parsed %q, %v", got, perr)
	}
}

func TestSetOutputRejects(t *testing.T) {
	path := tempPath(t, "output")
	r, _ := newTestRuntime(t, actionsEnv(), Config{OutputFile: path})
	for _, name := range []string{"", "a=b", "a<<b", "a\nb", "a b", "1st", "-x", "naïve", "a:b"} {
		if err := r.SetOutput(name, "v"); !errors.Is(err, ErrInvalidOutputName) {
			t.Errorf("SetOutput(%q) err = %v, want ErrInvalidOutputName", name, err)
		}
	}
	for _, name := range []string{"a", "_x", "report-path", "lane_2", "A-b_C9"} {
		if err := r.SetOutput(name, "v"); err != nil {
			t.Errorf("SetOutput(%q): %v", name, err)
		}
	}
	if err := r.SetOutput("bin", "\xff\xfe"); !errors.Is(err, ErrOutputNotUTF8) {
		t.Errorf("invalid UTF-8: err = %v", err)
	}

	before := readFile(t, path)
	r.random = failingReader{}
	if err := r.SetOutput("x", "y"); err == nil || !strings.Contains(err.Error(), "entropy exhausted") {
		t.Errorf("failing random source: err = %v", err)
	}
	if readFile(t, path) != before {
		t.Error("output written without a delimiter")
	}
}

func TestSetOutputUnwritableFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	r, _ := newTestRuntime(t, actionsEnv(), Config{OutputFile: dir}) // a directory
	if err := r.SetOutput("a", "b"); err == nil {
		t.Error("want an error writing to a directory")
	}
	r, _ = newTestRuntime(t, actionsEnv(), Config{SummaryFile: dir})
	if err := r.AddSummary("x"); err == nil {
		t.Error("want an error writing the summary to a directory")
	}
}

func TestFilePathsFromEnvAndOverrides(t *testing.T) {
	envOut, envSum := tempPath(t, "env-output"), tempPath(t, "env-summary")
	e := actionsEnv()
	e["GITHUB_OUTPUT"] = envOut
	e["GITHUB_STEP_SUMMARY"] = envSum

	r, _ := newTestRuntime(t, e, Config{})
	if err := r.SetOutput("a", "1"); err != nil {
		t.Fatal(err)
	}
	if err := r.AddSummary("from env\n"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, envSum); got != "from env\n" {
		t.Errorf("env summary = %q", got)
	}
	if got, _ := parseOutputs(readFile(t, envOut)); !reflect.DeepEqual(got, []output{{"a", "1"}}) {
		t.Errorf("env outputs = %q", got)
	}

	// Explicit paths win over the environment.
	out, sum := tempPath(t, "preview-output"), tempPath(t, "preview-summary")
	r, _ = newTestRuntime(t, e, Config{OutputFile: out, SummaryFile: sum})
	if err := r.SetOutput("b", "2"); err != nil {
		t.Fatal(err)
	}
	if err := r.AddSummary("preview\n"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, sum); got != "preview\n" {
		t.Errorf("preview summary = %q", got)
	}
	if got, _ := parseOutputs(readFile(t, out)); !reflect.DeepEqual(got, []output{{"b", "2"}}) {
		t.Errorf("preview outputs = %q", got)
	}
	if got := readFile(t, envSum); got != "from env\n" {
		t.Errorf("env summary touched: %q", got)
	}

	// Outside Actions an explicit path still works (local preview).
	local := tempPath(t, "local-summary")
	r, _ = newTestRuntime(t, env{}, Config{SummaryFile: local})
	if err := r.AddSummary("local\n"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, local); got != "local\n" {
		t.Errorf("local summary = %q", got)
	}
}

func TestAddSummaryAppendsAndRedacts(t *testing.T) {
	path := tempPath(t, "summary")
	if err := os.WriteFile(path, []byte("earlier step content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := newTestRuntime(t, actionsEnv(), Config{SummaryFile: path})
	r.Mask("hunter22")
	for _, md := range []string{"# lanegate\n", "", "| a | b |\n", "pw: hunter22 <b>&</b>\n"} {
		if err := r.AddSummary(md); err != nil {
			t.Fatal(err)
		}
	}
	want := "earlier step content\n# lanegate\n| a | b |\npw: *** <b>&</b>\n"
	if got := readFile(t, path); got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
}

func TestAddSummaryTruncatesAtLimit(t *testing.T) {
	path := tempPath(t, "summary")
	r, _ := newTestRuntime(t, actionsEnv(), Config{SummaryFile: path})

	line := strings.Repeat("x", 99) + "\n" // 100 bytes
	first := strings.Repeat(line, SummaryBudget/100)
	if err := r.AddSummary(first); err != nil {
		t.Fatal(err)
	}
	second := strings.Repeat(line, 2000) // 200,000 bytes: crosses 1 MiB
	if err := r.AddSummary(second); err != nil {
		t.Fatalf("truncating append should not fail: %v", err)
	}
	if err := r.AddSummary("after truncation\n"); err != nil {
		t.Fatal(err)
	}

	got := readFile(t, path)
	if len(got) > SummaryLimit {
		t.Fatalf("summary is %d bytes, over the %d limit", len(got), SummaryLimit)
	}
	if !strings.HasPrefix(got, first) {
		t.Error("content before the limit was altered")
	}
	if !strings.HasSuffix(got, SummaryTruncatedNote) {
		t.Fatalf("summary does not end with the truncation note: %q", got[len(got)-200:])
	}
	kept := strings.TrimSuffix(got, SummaryTruncatedNote)[len(first):]
	if !strings.HasPrefix(second, kept) || len(kept)%len(line) != 0 {
		t.Errorf("kept %d bytes of the second chunk; want whole lines", len(kept))
	}
	// As much as fits, to the line: one more line would break the limit.
	if len(first)+len(kept)+len(line)+len(SummaryTruncatedNote) <= SummaryLimit {
		t.Errorf("kept only %d bytes; more lines would have fit", len(kept))
	}
	if strings.Contains(got, "after truncation") {
		t.Error("content appended after truncation")
	}
}

func TestAddSummaryCountsExistingFileAndCutsOnRunes(t *testing.T) {
	path := tempPath(t, "summary")
	existing := strings.Repeat("e", SummaryLimit-200)
	if err := os.WriteFile(path, []byte(existing), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := newTestRuntime(t, actionsEnv(), Config{SummaryFile: path})
	if err := r.AddSummary(strings.Repeat("é", 500)); err != nil { // 1000 bytes, no newline
		t.Fatal(err)
	}
	got := readFile(t, path)
	if len(got) > SummaryLimit {
		t.Fatalf("summary is %d bytes, over the limit", len(got))
	}
	added := strings.TrimSuffix(strings.TrimPrefix(got, existing), SummaryTruncatedNote)
	wantLen := 200 - len(SummaryTruncatedNote)
	wantLen -= wantLen % 2
	if added != strings.Repeat("é", wantLen/2) {
		t.Errorf("added %q (%d bytes), want %d bytes of whole runes", added, len(added), wantLen)
	}
}

func TestAddSummaryNoRoomEvenForNote(t *testing.T) {
	path := tempPath(t, "summary")
	existing := strings.Repeat("e", SummaryLimit-10)
	if err := os.WriteFile(path, []byte(existing), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := newTestRuntime(t, actionsEnv(), Config{SummaryFile: path})
	if err := r.AddSummary(strings.Repeat("x", 100)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != existing {
		t.Errorf("file grew to %d bytes", len(got))
	}
}

func TestCutSummary(t *testing.T) {
	tests := []struct {
		s    string
		room int
		want string
	}{
		{"abc", 10, "abc"},
		{"abc", 3, "abc"},
		{"ab\ncd\nef", 7, "ab\ncd\n"},
		{"ab\ncd\nef", 6, "ab\ncd\n"},
		{"ab\ncd\nef", 5, "ab\n"},
		{"abcdef", 4, "abcd"},
		{"ééé", 5, "éé"},
		{"ééé", 1, ""},
		{"abc", 0, ""},
	}
	for _, tt := range tests {
		if got := cutSummary(tt.s, tt.room); got != tt.want {
			t.Errorf("cutSummary(%q, %d) = %q, want %q", tt.s, tt.room, got, tt.want)
		}
	}
}

func TestSummaryConstants(t *testing.T) {
	if SummaryLimit != 1048576 || SummaryBudget != 921600 {
		t.Errorf("SummaryLimit=%d SummaryBudget=%d", SummaryLimit, SummaryBudget)
	}
}

func TestConcurrentUse(t *testing.T) {
	out, sum := tempPath(t, "output"), tempPath(t, "summary")
	r, _ := newTestRuntime(t, actionsEnv(), Config{OutputFile: out, SummaryFile: sum})
	const n = 32
	done := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			name := "out_" + strconv.Itoa(i)
			r.Mask("secret-" + strconv.Itoa(i))
			_ = r.Redact("secret-1 secret-2")
			r.Annotate([]Annotation{{Message: name}})
			if err := r.AddSummary(name + "\n"); err != nil {
				done <- err
				return
			}
			done <- r.SetOutput(name, strings.Repeat(name+"\n", 100))
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	got, err := parseOutputs(readFile(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("parsed %d outputs, want %d", len(got), n)
	}
	for _, o := range got {
		if o.Value != strings.Repeat(o.Name+"\n", 100) {
			t.Errorf("output %s corrupted", o.Name)
		}
	}
	if lines := strings.Count(readFile(t, sum), "\n"); lines != n {
		t.Errorf("summary has %d lines, want %d", lines, n)
	}
}
