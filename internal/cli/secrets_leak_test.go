package cli_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/cli"
)

// passwordPieces returns every substring of pw of 4 bytes or more: none of
// them may appear in anything lanegate prints or writes.
func passwordPieces(pw string) []string {
	var out []string
	for i := 0; i < len(pw); i++ {
		for j := i + 4; j <= len(pw); j++ {
			out = append(out, pw[i:j])
		}
	}
	return out
}

func assertNoPasswordPiece(t *testing.T, pw, where, text string) {
	t.Helper()
	for _, p := range passwordPieces(pw) {
		if strings.Contains(text, p) {
			t.Errorf("%s contains %q, a piece of the password %q:\n%s", where, p, pw, text)
			return
		}
	}
}

// closedAddr is a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestDatabasePasswordNeverLeaks is issue #11 item 2: a database URL whose
// password pgx cannot parse (or whose server is down) must not show any
// piece of the password anywhere: pgx's own redaction of
// postgres://ro:P@ssw0rd:2024@... prints "xxxxx@ssw0rd:xxxxxx@", which
// an exact-match scrubber does not catch.
func TestDatabasePasswordNeverLeaks(t *testing.T) {
	t.Parallel()
	closed := closedAddr(t)
	host, port, _ := net.SplitHostPort(closed)
	cases := []struct {
		name, password, url string
		want                string // in stderr
	}{
		{"pgx mangles the password", "P@ssw0rd:2024",
			"postgres://ro:P@ssw0rd:2024@db.internal:5432/launchplane",
			"invalid database URL for postgres db.internal:5432 database launchplane as ro: invalid port; percent-encode special characters"},
		{"at and colon", "abc@PART:xyz",
			"postgres://ro:abc@PART:xyz@db.internal:5432/launchplane?sslmode=disable",
			"invalid database URL for postgres db.internal:5432 database launchplane as ro"},
		{"bad percent escape", "abc%@PART",
			"postgres://ro:abc%@PART@db.internal:5432/launchplane",
			"invalid database URL for postgres db.internal:5432 database launchplane as ro"},
		{"server down, encoded password", "P@ssw0rd:2024",
			"postgres://ro:P%40ssw0rd%3A2024@" + closed + "/launchplane?sslmode=disable&connect_timeout=5",
			"cannot connect to Postgres at " + closed + " database launchplane as ro: connection refused"},
		{"server down, password in the query", "P@ssw0rd:2024",
			"postgres://ro@" + closed + "/launchplane?sslmode=disable&password=P%40ssw0rd%3A2024",
			"cannot connect to Postgres at " + closed + " database launchplane as ro: connection refused"},
		{"server down, keyword/value", "abc@PART:xyz",
			"host=" + host + " port=" + port + " user=ro dbname=launchplane sslmode=disable password='abc@PART:xyz'",
			"cannot connect to Postgres at " + closed + " database launchplane as ro: connection refused"},
		{"unterminated keyword/value", "abc@PART:xyz",
			"host=db.internal user=ro dbname=launchplane password='abc@PART:xyz",
			"invalid database connection string for postgres db.internal database launchplane as ro: failed to parse as keyword/value"},
	}
	commands := [][]string{
		{"audit", "--no-lanes", "--format", "json", "--out", "report.json", "--summary-file", "summary.md"},
		{"backfill", "--no-lanes", "--format", "json", "--out", "report.json", "--summary-file", "summary.md"},
		{"migrate"},
		{"export", "--state-dir", "exported"},
	}
	for _, tc := range cases {
		for _, args := range commands {
			t.Run(tc.name+"/"+args[0], func(t *testing.T) {
				t.Parallel()
				for _, how := range []string{"env", "flag"} {
					dir := t.TempDir()
					vars := map[string]string{}
					full := args
					if how == "env" {
						vars["LANEGATE_DATABASE_URL"] = tc.url
					} else {
						full = append(append([]string{}, args...), "--database-url", tc.url)
					}
					r := lanegate.In(dir, vars, full...)
					// A URL that does not parse is a configuration error
					// (exit 2); a server that cannot be reached is exit 3.
					want := cli.ExitRuntime
					if strings.HasPrefix(tc.want, "invalid database") {
						want = cli.ExitConfig
					}
					if r.Code != want {
						t.Errorf("%s: want exit %d\n%s", how, want, r)
					}
					if !strings.Contains(r.Stderr, tc.want) {
						t.Errorf("%s: stderr lacks %q\n%s", how, tc.want, r)
					}
					assertNoPasswordPiece(t, tc.password, how+" stdout", r.Stdout)
					assertNoPasswordPiece(t, tc.password, how+" stderr", r.Stderr)
					for _, f := range []string{"report.json", "summary.md"} {
						data, err := os.ReadFile(filepath.Join(dir, f))
						if err == nil {
							assertNoPasswordPiece(t, tc.password, how+" "+f, string(data))
						} else if !os.IsNotExist(err) {
							t.Fatal(err)
						}
					}
				}
			})
		}
	}
}
