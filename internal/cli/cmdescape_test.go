package cli

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
)

// runnerSeesCommand reports whether the runner would take a line of out for a
// workflow command: "::" after leading white space, or "##[" anywhere.
func runnerSeesCommand(out string) (string, bool) {
	for _, line := range strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
			return line, true
		}
	}
	return "", false
}

func escapeAll(t testing.TB, chunks ...string) string {
	t.Helper()
	var buf bytes.Buffer
	w := newCmdEscapeWriter(&buf)
	for _, c := range chunks {
		n, err := w.Write([]byte(c))
		if err != nil || n != len(c) {
			t.Fatalf("Write(%q) = %d, %v", c, n, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestCmdEscapeWriter(t *testing.T) {
	const zw = cmdBreak
	for _, tc := range []struct{ in, want string }{
		{"plain line\n", "plain line\n"},
		{"::warning title=X::y\n", ":" + zw + ":warning title=X::y\n"},
		{"prod\n::warning title=X::y\n", "prod\n:" + zw + ":warning title=X::y\n"},
		{"prod\r::error::y", "prod\r:" + zw + ":error::y"},
		{"  \t::add-mask::x\n", "  \t:" + zw + ":add-mask::x\n"},
		{"\u3000\u00a0::group::g\n", "\u3000\u00a0:" + zw + ":group::g\n"},
		{"\v\f::notice::n\n", "\v\f:" + zw + ":notice::n\n"},
		{"a ::b\n", "a ::b\n"}, // "::" mid-line is not a command
		{"x ##[warning]y\n", "x ##" + zw + "[warning]y\n"},
		{"###[a] ##[b]\n", "###" + zw + "[a] ##" + zw + "[b]\n"},
		{"## heading\n", "## heading\n"},
		{"{\"v\": \"a::b\"}\n", "{\"v\": \"a::b\"}\n"},
		{"", ""},
		{"   ", "   " + zw}, // an open line start stays broken past Flush
		{":", ":" + zw},
	} {
		if got := escapeAll(t, tc.in); got != tc.want {
			t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCmdEscapeWriterSplitWrites feeds hostile text cut at every byte: no
// split may let a command through.
func TestCmdEscapeWriterSplitWrites(t *testing.T) {
	for _, in := range []string{
		"prod\n::warning title=X::y\n",
		"a\r\n  ::error::e\n",
		"x ##[add-mask]y",
		"\u3000::debug::d",
		"ok\n#\n##[x]",
	} {
		for i := 0; i <= len(in); i++ {
			got := escapeAll(t, in[:i], in[i:])
			if line, bad := runnerSeesCommand(got); bad {
				t.Errorf("split %q at %d: command line %q in %q", in, i, line, got)
			}
			if strings.ReplaceAll(got, cmdBreak, "") != in {
				t.Errorf("split %q at %d: text changed to %q", in, i, got)
			}
		}
		var chunks []string
		for _, b := range []byte(in) {
			chunks = append(chunks, string([]byte{b}))
		}
		if got := escapeAll(t, chunks...); func() bool { _, bad := runnerSeesCommand(got); return bad }() {
			t.Errorf("byte-wise %q: %q", in, got)
		}
	}
}

// TestCmdEscapeWriterFlushThenMore: a line start left open at Flush stays
// broken if more of the same line follows.
func TestCmdEscapeWriterFlushThenMore(t *testing.T) {
	var buf bytes.Buffer
	w := newCmdEscapeWriter(&buf)
	w.Write([]byte("  :"))
	w.Flush()
	w.Write([]byte(":warning::x\n"))
	w.Flush()
	if line, bad := runnerSeesCommand(buf.String()); bad {
		t.Fatalf("command line %q", line)
	}
}

// TestCmdEscapeWriterLongWhitespace: a line of endless white space is not
// held forever, and still cannot turn into a command.
func TestCmdEscapeWriterLongWhitespace(t *testing.T) {
	var buf bytes.Buffer
	w := newCmdEscapeWriter(&buf)
	w.Write([]byte(strings.Repeat(" ", maxHeldLine+10)))
	if buf.Len() == 0 {
		t.Fatal("long white space held back entirely")
	}
	w.Write([]byte("::warning::x\n"))
	if line, bad := runnerSeesCommand(buf.String()); bad {
		t.Fatalf("command line %q", line)
	}
}

func FuzzCmdEscapeWriter(f *testing.F) {
	f.Add("prod\n::warning title=X::y\n", 5)
	f.Add(" \u3000::x::y\r##[z]", 3)
	f.Add("###[", 1)
	f.Fuzz(func(t *testing.T, in string, cut int) {
		if cut < 0 {
			cut = -cut
		}
		cut %= len(in) + 1
		got := escapeAll(t, in[:cut], in[cut:])
		if line, bad := runnerSeesCommand(got); bad {
			t.Fatalf("escape(%q) cut %d: command line %q", in, cut, line)
		}
		if strings.ReplaceAll(got, cmdBreak, "") != strings.ReplaceAll(in, cmdBreak, "") {
			t.Fatalf("escape(%q) changed the text: %q", in, got)
		}
	})
}
