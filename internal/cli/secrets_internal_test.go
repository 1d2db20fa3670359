package cli

import (
	"slices"
	"testing"
)

// Every flag that carries a database URL has its password collected before
// the command runs, so it is masked before anything is printed, whichever
// store the URL names (the record store or the evidence store).
func TestCollectSecretsDatabaseURLFlags(t *testing.T) {
	for _, args := range [][]string{
		{"audit", "--database-url", "postgres://u:rec0rd-pw@h/d"},
		{"gate", "--evidence-database-url", "postgres://u:ev1dence-pw@h/d"},
		{"evidence", "collect", "--evidence-database-url=postgres://u:ev1dence-pw@h/d"},
	} {
		env := &Env{Args: args, Getenv: func(string) string { return "" }}
		got := collectSecrets(env)
		want := "rec0rd-pw"
		if args[0] != "audit" {
			want = "ev1dence-pw"
		}
		if !slices.Contains(got, want) {
			t.Errorf("collectSecrets(%q) = %q: the password %q is not among them", args, got, want)
		}
	}
}
