package actions

import (
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzOutputRoundTrip checks that SetOutput either writes a value that reads
// back exactly, or refuses it and writes nothing; and that outputs written
// before and after are never disturbed. The random source is deterministic
// (see seqReader), so the corpus can hold values that contain the
// delimiters SetOutput is about to draw.
func FuzzOutputRoundTrip(f *testing.F) {
	f.Add("verdict", "pass")
	f.Add("multi", "a\nb\n")
	f.Add("inject", "x\n_GitHubActionsFileCommandDelimeter_\nevil=1")
	f.Add("collide", "x\n"+seqDelimiter(1)+"\nafter=pwn")
	f.Add("collide-both", seqDelimiter(1)+seqDelimiter(2))
	f.Add("secret", "token hunter22-secret")
	f.Add("bad=name", "v")
	f.Add("crlf", "a\r\nb\r")
	f.Add("empty", "")

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, name, value string) {
		path := filepath.Join(dir, "output")
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		r, _ := newTestRuntime(t, actionsEnv(), Config{OutputFile: path})
		r.Mask("hunter22-secret")
		r.random = &seqReader{}

		if err := r.SetOutput("before", "one\ntwo"); err != nil {
			t.Fatal(err)
		}
		err := r.SetOutput(name, value)
		if err := r.SetOutput("after", "three"); err != nil {
			t.Fatal(err)
		}

		want := []output{{"before", "one\ntwo"}}
		if err == nil {
			want = append(want, output{name, value})
		} else if !errors.Is(err, ErrInvalidOutputName) && !errors.Is(err, ErrOutputNotUTF8) &&
			!errors.Is(err, ErrOutputHasSecret) && !errors.Is(err, ErrOutputDelimiter) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		want = append(want, output{"after", "three"})

		data := readFile(t, path)
		got, perr := parseOutputs(data)
		if perr != nil {
			t.Fatalf("output file no longer parses (%v):\n%q", perr, data)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("SetOutput(%q, %q) err=%v\n got %q\nwant %q", name, value, err, got, want)
		}
		if err == nil && strings.Contains(value, "hunter22-secret") {
			t.Fatal("a masked secret was written to an output")
		}
	})
}

// FuzzRedact checks that no byte sequence equal to a masked value survives
// Redact. Values containing '*' are skipped: the "***" marker itself could
// complete them.
func FuzzRedact(f *testing.F) {
	f.Add("abcd", "cdefgh", "xxabcdefghyy")
	f.Add("secret", "secret-longer", "a secret-longer secret")
	f.Add("aaaa", "aaab", "aaaaaaab")
	f.Fuzz(func(t *testing.T, s1, s2, text string) {
		if strings.Contains(s1+s2, "*") {
			t.Skip()
		}
		r, _ := newTestRuntime(t, env{}, Config{})
		r.Mask(s1)
		r.Mask(s2)
		out := r.Redact(text)
		for _, s := range []string{s1, s2} {
			if len(s) >= minMaskLen && strings.Contains(out, s) {
				t.Fatalf("Redact(%q) = %q still contains %q", text, out, s)
			}
		}
		if len(s1) < minMaskLen && len(s2) < minMaskLen && out != text {
			t.Fatalf("nothing masked, yet Redact changed %q to %q", text, out)
		}
	})
}

// FuzzDatabaseURLPassword builds well-formed URLs around arbitrary user
// names and passwords and checks that the password is found and redacted.
func FuzzDatabaseURLPassword(f *testing.F) {
	f.Add("app", "s3cr3t")
	f.Add("user@corp", "p@ss/w:rd#?%")
	f.Add("", "only-password")
	f.Add("u", "+ %20")
	f.Fuzz(func(t *testing.T, user, pass string) {
		if pass == "" {
			t.Skip()
		}
		const tail = "@db.example:5432/app?sslmode=require"
		u := "postgres://" + url.UserPassword(user, pass).String() + tail
		if _, err := url.Parse(u); err != nil {
			t.Skip() // e.g. control characters, which net/url refuses
		}
		want := "postgres://" + url.User(user).String() + ":***" + tail
		if got := RedactURL(u); got != want {
			t.Fatalf("RedactURL(%q) = %q, want %q", u, got, want)
		}
		if secrets := SecretsFromDatabaseURL(u); !slices.Contains(secrets, pass) {
			t.Fatalf("SecretsFromDatabaseURL(%q) = %q, missing %q", u, secrets, pass)
		}
	})
}

// FuzzDSNPassword quotes arbitrary passwords the way libpq expects and
// checks that the key=value parser recovers and redacts them.
func FuzzDSNPassword(f *testing.F) {
	f.Add("s3cr3t")
	f.Add("it's a \\ secret")
	f.Add("  spaced  ")
	f.Fuzz(func(t *testing.T, pass string) {
		if pass == "" {
			t.Skip()
		}
		quoted := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pass) + "'"
		dsn := "host=db password=" + quoted + " dbname=app"
		if got, want := RedactURL(dsn), "host=db password=*** dbname=app"; got != want {
			t.Fatalf("RedactURL(%q) = %q, want %q", dsn, got, want)
		}
		if secrets := SecretsFromDatabaseURL(dsn); len(secrets) == 0 || secrets[0] != pass {
			t.Fatalf("SecretsFromDatabaseURL(%q) = %q, want %q first", dsn, secrets, pass)
		}
	})
}
