package dsn

import (
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func values(ps []Password) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Value)
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		in                         string
		host, port, database, user string
		passwords                  []string
		malformed, escape          bool
	}{
		{in: "postgres://ro:secret@db:5432/lp?sslmode=disable", host: "db", port: "5432", database: "lp", user: "ro", passwords: []string{"secret"}},
		{in: "postgres://ro:p%40ss@db/lp", host: "db", database: "lp", user: "ro", passwords: []string{"p@ss"}},
		// pgx and libpq read "P" as the password (first '@'), net/url
		// "P@ssw0rd:2024" (last '@'): both are candidates.
		{in: "postgres://ro:P@ssw0rd:2024@db.internal:5432/launchplane", host: "db.internal", port: "5432", database: "launchplane", user: "ro",
			passwords: []string{"P", "P@ssw0rd:2024"}, malformed: true, escape: true},
		{in: "postgres://ro:abc%@PART@h/db", host: "h", database: "db", user: "ro", passwords: []string{"abc%", "abc%@PART"}, malformed: true, escape: true},
		{in: "postgres://ro:pa/ss@h/db", host: "h", database: "db", user: "ro", passwords: []string{"pa/ss"}, malformed: true, escape: true},
		{in: "postgres://ro:pw@h/db?application_name=a@b", host: "b", user: "ro", passwords: []string{"pw", "pw@h/db?application_name=a"}, malformed: true, escape: true},
		{in: "postgres://h/db?user=ro&password=a%2Bb&sslpassword=kp", host: "h", database: "db", user: "ro", passwords: []string{"a+b", "kp"}},
		{in: "postgres://h/db?password=a&0000000", host: "h", database: "db", passwords: []string{"a", "a&0000000"}},
		{in: "postgres://[::1]:5433/db", host: "::1", port: "5433", database: "db"},
		{in: "host=db port=5432 user=ro dbname=lp password='it\\'s'", host: "db", port: "5432", database: "lp", user: "ro", passwords: []string{"it's"}},
		{in: "host=db password='abc@PART:xyz", host: "db", passwords: []string{"abc@PART:xyz", "'abc@PART:xyz"}, malformed: true},
		{in: "mydatabase", malformed: true},
	}
	for _, tt := range tests {
		c := Parse(tt.in)
		got := []string{c.Host, c.Port, c.Database, c.User}
		if want := []string{tt.host, tt.port, tt.database, tt.user}; !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) host/port/db/user = %q, want %q", tt.in, got, want)
		}
		for _, p := range tt.passwords {
			if !slices.Contains(values(c.Passwords), p) {
				t.Errorf("Parse(%q) passwords %q lack %q", tt.in, values(c.Passwords), p)
			}
		}
		if tt.passwords == nil && c.Passwords != nil {
			t.Errorf("Parse(%q) passwords = %q, want none", tt.in, values(c.Passwords))
		}
		if c.Malformed != tt.malformed || c.PasswordNeedsEscaping != tt.escape {
			t.Errorf("Parse(%q) malformed %v escape %v, want %v %v", tt.in, c.Malformed, c.PasswordNeedsEscaping, tt.malformed, tt.escape)
		}
	}
}

// FuzzParse: whatever bytes a password holds, the password (as written, or
// decoded when it decodes) is among the candidates of the userinfo (raw),
// query (escaped: a raw '&' there is ambiguous, see FuzzRedactDatabaseURL)
// and quoted keyword/value forms, and host and user are read right.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"P@ssw0rd:2024", "abc@PART:xyz", "abc%@PART", "pa/ss?x#y", "it's", `a\b`, "a b", "a&b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		if pw == "" || strings.ContainsAny(pw, "\x00") {
			return
		}
		for _, u := range []string{"postgres://ro:" + pw + "@db.internal:5432/launchplane", "postgres://db/lp?password=" + url.QueryEscape(pw)} {
			c := Parse(u)
			found := false
			for _, p := range c.Passwords {
				if p.Value == pw || p.Written == pw {
					found = true
				}
			}
			if !found {
				t.Fatalf("Parse(%q) passwords %q lack %q", u, c.Passwords, pw)
			}
		}
		esc := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw)
		c := Parse("host=db user=ro password='" + esc + "'")
		if !slices.Contains(values(c.Passwords), pw) {
			t.Fatalf("keyword/value passwords %q lack %q", values(c.Passwords), pw)
		}
		if c.Host != "db" || c.User != "ro" {
			t.Fatalf("keyword/value host %q user %q", c.Host, c.User)
		}
	})
}

// TestParseInvalidUTF8BeforeASecretKey: found by FuzzStoreLabelName. Bytes
// that are not UTF-8 before "password=" once shifted the offsets of the
// malformed-string scan and panicked (slice bounds out of range).
func TestParseInvalidUTF8BeforeASecretKey(t *testing.T) {
	for _, s := range []string{
		"\xc9\xc9\xc9\xc90 password=000000",
		"\xff password='s3cret' \xfe",
		"host=\xc9 PASSWORD=s3cret x",
	} {
		c := Parse(s) // must not panic
		found := false
		for _, p := range c.Passwords {
			if strings.Contains(p.Value, "s3cret") || strings.Contains(p.Value, "000000") {
				found = true
			}
		}
		if !found {
			t.Errorf("Parse(%q) passwords = %+v, want the password among them", s, c.Passwords)
		}
	}
}
