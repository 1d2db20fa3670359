package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestCommandTableNamesAreUniqueAndFound(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands() {
		if seen[c.name] || c.summary == "" || c.run == nil {
			t.Errorf("command %q: duplicate, or without a summary or run function", c.name)
		}
		seen[c.name] = true
		if got, ok := lookup(c.name); !ok || got.name != c.name {
			t.Errorf("lookup(%q) = %v, %v", c.name, got.name, ok)
		}
	}
	if _, ok := lookup("help"); ok {
		t.Error("help is handled by Run, not a command")
	}
}

// The --format refusals are per command and byte for byte as before the
// renderer registry.
func TestFormatFlagRefusals(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--state-dir", dir, "--format", "yaml"}, `lanegate: --format "yaml": want table, json or markdown` + "\n"},
		{[]string{"merge", "--format", "csv", "a.json"}, `lanegate: --format "csv": want table, json or markdown` + "\n"},
		{[]string{"backfill", "--state-dir", dir, "--format", "md"}, `lanegate: --format "md": want table, json or markdown` + "\n"},
		{[]string{"evidence", "list", "--state-dir", dir, "--format", "markdown"}, `lanegate: --format "markdown": want table or json` + "\n"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := Run(context.Background(), &Env{Args: c.args, Getenv: func(string) string { return "" },
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Dir: dir})
		if code != ExitConfig || errb.String() != c.want || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 and %q", c.args, code, errb.String(), out.String(), c.want)
		}
	}
}
