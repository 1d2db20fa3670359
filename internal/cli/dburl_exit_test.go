package cli_test

import (
	"strings"
	"testing"
)

// TestMalformedDatabaseURLIsConfigError: issue #15. A --database-url that
// cannot be parsed is a configuration mistake (exit 2), not an unreachable
// database (exit 3); the message stays the structural one, without the
// password.
func TestMalformedDatabaseURLIsConfigError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url, want string
	}{
		{"postgres://u:s3cretpw@h:notaport/db", "invalid database URL for postgres h:notaport database db as u"},
		{"postgres://u:pa@ss@h:5432/db?sslmode=bogus", "invalid database URL"},
	} {
		for _, cmd := range [][]string{{"audit"}, {"backfill"}} {
			o := lanegate.In(t.TempDir(), nil, append(cmd, "--database-url", tc.url)...)
			if o.Code != 2 || !strings.Contains(o.Stderr, tc.want) {
				t.Errorf("%v %q: want exit 2 and %q\n%s", cmd, tc.url, tc.want, o)
			}
			if strings.Contains(o.Stderr, "s3cretpw") || strings.Contains(o.Stderr, "pa@ss") {
				t.Errorf("%v: password in stderr\n%s", cmd, o.Stderr)
			}
		}
	}
	// Unreachable but well-formed stays a runtime failure.
	o := lanegate.In(t.TempDir(), nil, "audit", "--database-url", "postgres://u@127.0.0.1:1/db?connect_timeout=2")
	if o.Code != 3 {
		t.Errorf("unreachable database: want exit 3\n%s", o)
	}
}
