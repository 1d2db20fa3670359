package actions

import (
	"strings"
	"testing"
)

// TestMaskDatabaseURLScrubsFragments: masking a database URL (as the CLI
// does with every URL it sees) registers its password's fragments, so what
// pgx's redaction leaves of a malformed URL is scrubbed from everything the
// runtime writes, and step outputs holding a fragment are refused.
func TestMaskDatabaseURLScrubsFragments(t *testing.T) {
	r, _ := newTestRuntime(t, actionsEnv(), Config{})
	r.Mask("postgres://ro:P@ssw0rd:2024@db.internal:5432/launchplane")
	in := "cannot parse `postgres://ro:xxxxx@ssw0rd:xxxxxx@db.internal:5432/launchplane`: invalid port"
	got := r.Redact(in)
	if strings.Contains(got, "ssw0rd") || !strings.Contains(got, "db.internal:5432/launchplane") {
		t.Errorf("Redact = %q", got)
	}
	if !r.containsSecret("x=ssw0rd") {
		t.Error("containsSecret misses a delimited fragment")
	}
	// A token is masked exactly only: its pieces are ordinary words.
	r.Mask("ghs_scope_token")
	if got := r.Redact("no GitHub token: set ghs_scope_token"); got != "no GitHub token: set ***" {
		t.Errorf("Redact = %q", got)
	}
}
