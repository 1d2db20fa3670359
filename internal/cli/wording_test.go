package cli_test

import (
	"github.com/lanegate/lanegate/internal/testkit"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// doubled matches a verdict said twice in a row: "apply refused: an apply
// would be refused", "BLOCKED: blocked", "gate blocked: blocked", and a
// Markdown heading "…gate: blocked" followed by a line "blocked: …".
var doubled = regexp.MustCompile(`(?i)(refused: an apply would be refused|blocked: blocked|refused: refused|\*\*apply refused:\*\* an apply|gate: blocked\s+blocked:)`)

// TestMessagesSayTheirThingOnce: issue #15. Every output of a blocked dry
// run, a refused apply and a blocked gate names its verdict once.
func TestMessagesSayTheirThingOnce(t *testing.T) {
	t.Parallel()
	dir := testkit.ExampleWorkDir(t)
	digest := "sha256:" + strings.Repeat("0", 64)
	if err := os.WriteFile(filepath.Join(dir, "head.yaml"), []byte(gtStage(t, testkit.RepoFile(t, "lanes.yaml"), "opw/prod", "provider-target")), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := [][]string{
		{"backfill", "--state-dir", "state"},
		{"backfill", "--state-dir", "state", "--format", "markdown"},
		{"backfill", "--state-dir", "state", "--format", "json"},
		{"backfill", "--apply", "--plan-digest", digest, "--reason", "x", "--state-dir", "state"},
		{"backfill", "--apply", "--plan-digest", digest, "--reason", "x", "--state-dir", "state", "--format", "markdown"},
		{"gate", "--offline", "--base-lanes", "lanes.yaml", "--head-lanes", "head.yaml", "--state-dir", "state"},
		{"gate", "--offline", "--base-lanes", "lanes.yaml", "--head-lanes", "head.yaml", "--state-dir", "state", "--format", "markdown"},
	}
	for _, args := range runs {
		o := lanegate.In(dir, nil, args...)
		if o.Code != 1 {
			t.Errorf("%v: want exit 1 (blocked or refused)\n%s", args, o)
		}
		for name, s := range map[string]string{"stdout": o.Stdout, "stderr": o.Stderr} {
			if m := doubled.FindString(s); m != "" {
				t.Errorf("%v: %s says its verdict twice (%q)\n%s", args, name, m, o)
			}
		}
	}
}

// TestPreflightNameApartFromMessage: the longest check name
// (dokploy-target-id) must not run into its message.
func TestPreflightNameApartFromMessage(t *testing.T) {
	t.Parallel()
	dir := testkit.ExampleWorkDir(t)
	o := lanegate.In(dir, nil, "preflight", "--lane", "cm/prod", "--state-dir", "state")
	if !strings.Contains(o.Stdout, "dokploy-target-id: ") {
		t.Errorf("preflight line for dokploy-target-id has no 'name: ' separator\n%s", o)
	}
}
