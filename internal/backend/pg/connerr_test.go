package pg

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/redact"
	"github.com/lanegate/lanegate/internal/store"
)

// twin returns pw with every letter and digit replaced by another one of
// its class (rot13, rot5) and every other byte kept: a password of the same
// shape, so pgx takes the same path and says the same words, but sharing no
// alphanumeric piece with pw.
func twin(pw string) string {
	b := []byte(pw)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = 'a' + (c-'a'+13)%26
		case 'A' <= c && c <= 'Z':
			b[i] = 'A' + (c-'A'+13)%26
		case '0' <= c && c <= '9':
			b[i] = '0' + (c-'0'+5)%10
		}
	}
	return string(b)
}

// leakedPiece returns a piece (4 bytes or more) of pw found in out that is
// not in other, the same text produced for twin(pw): pieces that are also
// in other are lanegate's or the driver's own words, not the password.
// Pieces made only of delimiters (punctuation and whitespace such as "@   ")
// are not counted: scrubbing them would blank the punctuation of every
// message, and they tell nothing of the password's characters.
func leakedPiece(pw, out, other string) string {
	for i := 0; i+4 <= len(pw); i++ {
		p := pw[i : i+4]
		if strings.Trim(p, ":@/?&=%'\"`,;() \t\n\v\f\r") == "" {
			continue
		}
		if strings.Contains(out, p) && !strings.Contains(other, p) {
			return p
		}
	}
	return ""
}

// connStrings embeds pw in the URL and keyword/value forms lanegate is
// given.
func connStrings(pw string) []string {
	esc := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw)
	bare := pw
	if strings.ContainsAny(pw, " \t\r\n\v\f'\\") {
		// A bare value ends at whitespace: such a password is written
		// quoted (the form before), so stand in a plain one.
		bare = "plain-pw"
	}
	return []string{
		"postgres://ro:" + pw + "@127.0.0.1:1/launchplane?sslmode=disable",
		"postgresql://ro:" + pw + "@db.internal:5432/launchplane",
		"postgres://ro:" + pw + "@db.internal/launchplane?sslmode=require&application_name=lanegate",
		"postgres://ro@127.0.0.1:1/launchplane?sslmode=disable&password=" + pw,
		"host=127.0.0.1 port=1 user=ro dbname=launchplane sslmode=disable password='" + esc + "'",
		"host=db.internal user=ro dbname=launchplane password=" + bare,
		"host=db.internal user=ro password='" + esc,
	}
}

// messages returns what lanegate says about url (through Connect, with a
// context that is already done so nothing is dialled) and the raw pgx parse
// error text through the scrubber.
func messages(t testing.TB, url string) (connect, scrubbedPgx string) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	conn, err := Connect(ctx, url, Options{})
	if err == nil {
		conn.Close(context.Background())
		t.Fatalf("Connect(%q) succeeded with a cancelled context", url)
	}
	var se *store.Error
	if !errors.As(err, &se) && !errors.Is(err, context.Canceled) {
		t.Fatalf("Connect(%q): %v (%T) is not a *store.Error", url, err, err)
	}
	if _, perr := pgx.ParseConfig(url); perr != nil {
		scrubbedPgx = redact.ScrubDatabaseSecrets(perr.Error(), url)
	}
	return err.Error(), scrubbedPgx
}

// FuzzRedactDatabaseURL: for any password of 4 bytes or more embedded in
// any connection string form, neither lanegate's connection error nor
// pgx's own parse error after scrubbing holds a piece of the password.
func FuzzRedactDatabaseURL(f *testing.F) {
	for _, pw := range []string{
		"P@ssw0rd:2024", "abc@PART:xyz", "abc%@PART", "s3cret-pw", "p%40ss%2Fw%3Ard", "pa/ss@wo?rd#x",
		"it's a secret", `back\slash`, "with space", "100%sure", "::::@@@@", "a@b@c@d@efgh", "ssw0rd", "x?password=y",
		"host=evil", "ünïcødé", "pass\x00word",
	} {
		f.Add(pw)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		if len(pw) < 4 || len(pw) > 64 || strings.Contains(pw, "***") {
			return // too short to scrub, or holding the masks' own text
		}
		tw := twin(pw)
		for i, u := range connStrings(pw) {
			got, gotPgx := messages(t, u)
			other, otherPgx := messages(t, connStrings(tw)[i])
			if p := leakedPiece(pw, got, other); p != "" {
				t.Fatalf("Connect(%q) error holds %q:\n%s\n(twin: %s)", u, p, got, other)
			}
			// pgx masks with "xxxxx": a password holding an 'x' can run
			// into the mask, where no delimiter bounds its pieces. lanegate
			// never shows pgx's text; this property is for the backstop.
			if strings.Contains(pw, "x") {
				continue
			}
			if p := leakedPiece(pw, gotPgx, otherPgx); p != "" {
				t.Fatalf("scrubbed pgx error for %q holds %q:\n%s\n(twin: %s)", u, p, gotPgx, otherPgx)
			}
		}
	})
}

func TestParseErrorNamesTheDatabase(t *testing.T) {
	tests := []struct{ url, want string }{
		{"postgres://ro:P@ssw0rd:2024@db.internal:5432/launchplane",
			"invalid database URL for postgres db.internal:5432 database launchplane as ro: invalid port" + escapeHint},
		{"postgres://ro:pw@db.internal:notaport/launchplane",
			"invalid database URL for postgres db.internal:notaport database launchplane as ro: invalid port"},
		{"postgres://ro:abc%@PART@db.internal/launchplane",
			"invalid database URL for postgres db.internal database launchplane as ro: failed to parse as URL (invalid percent-encoded token in password)" + escapeHint},
		{"host=db.internal user=ro password='abc@PART:xyz",
			"invalid database connection string for postgres db.internal as ro: failed to parse as keyword/value (unterminated quoted string in connection info string)"},
		{"mydatabase", "invalid database connection string: failed to parse as keyword/value (invalid keyword/value)"},
		{"host=db.internal sslmode=bogus", "invalid database connection string for postgres db.internal: failed to configure TLS (sslmode is invalid)"},
	}
	for _, tt := range tests {
		_, err := pgx.ParseConfig(tt.url)
		if err == nil {
			t.Fatalf("ParseConfig(%q) succeeded", tt.url)
		}
		if got := parseError(tt.url, err).Error(); got != tt.want {
			t.Errorf("parseError(%q) =\n %q\nwant\n %q", tt.url, got, tt.want)
		}
	}
}

func TestWithoutQuoted(t *testing.T) {
	tests := []struct{ in, want string }{
		{`invalid port ":2024@db" after host`, "invalid port after host"},
		{`missing "=" after "a\"b" in connection info string`, "missing after in connection info string"},
		{"cannot parse `x`: y", "cannot parse : y"},
		{`unterminated "abc`, "unterminated"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := withoutQuoted(tt.in); got != tt.want {
			t.Errorf("withoutQuoted(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
