package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/testkit"
)

// The gate on the Launchplane service: records are audited through the
// service, lane evidence is read from the explicit --evidence-* store, and
// without one the gate cannot decide (the service keeps no evidence).
func TestGateOnServiceReadsEvidenceStore(t *testing.T) {
	const base = `schema_version: 1
lanes:
  - {route: syo/prod, product: syo, driver: generic-web, wave: 1, stage: dokploy, evidence: {authority: {max_age: 1d}}}
`
	w := newSvcWorld(t, []fixture.Route{fixture.Complete("syo", "prod")}, base)
	head := filepath.Join(w.dir, "head.yaml")
	if err := os.WriteFile(head, []byte(strings.Replace(base, "stage: dokploy", "stage: provider-target", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := filepath.Join(w.dir, "ev")
	if err := os.Mkdir(ev, 0o755); err != nil {
		t.Fatal(err)
	}
	gateArgs := func(extra ...string) []string {
		return append([]string{"gate", "--offline", "--base-lanes", "lanes.yaml", "--head-lanes", "head.yaml",
			"--launchplane-url", w.fake.URL, "--no-status", "--no-comment", "--format", "json"}, extra...)
	}
	verdictOf := func(out testkit.Result) (string, []string) {
		t.Helper()
		var rep struct {
			Verdict  string   `json:"verdict"`
			Problems []string `json:"problems"`
		}
		if err := json.Unmarshal([]byte(out.Stdout), &rep); err != nil {
			t.Fatalf("gate JSON: %v\n%s", err, out)
		}
		return rep.Verdict, rep.Problems
	}

	// No evidence store: the gate cannot decide, and says why.
	out := w.run(t, w.env(), gateArgs()...)
	testkit.Want(t, out, 1)
	if v, problems := verdictOf(out); v != "blocked" || len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), "keeps no lanegate evidence: pass --evidence-state-dir DIR") {
		t.Fatalf("verdict %s problems %q", v, problems)
	}

	// An empty evidence store: blocked for the missing authority record.
	out = w.run(t, w.env(), gateArgs("--evidence-state-dir", "ev")...)
	testkit.Want(t, out, 1)
	if v, _ := verdictOf(out); v != "blocked" || !strings.Contains(out.Stdout, "no authority evidence recorded") {
		t.Fatalf("verdict %s:\n%s", v, out)
	}

	// A fresh passing authority record: the lane may cut over.
	rec := w.run(t, w.env(), "evidence", "record", "--lane", "syo/prod", "--kind", "authority", "--status", "pass",
		"--run-id", "1", "--state-dir", "ev")
	testkit.Want(t, rec, 0)
	out = w.run(t, w.env(), gateArgs("--evidence-state-dir", "ev")...)
	testkit.Want(t, out, 0)
	if v, _ := verdictOf(out); v != "pass" {
		t.Fatalf("verdict %s:\n%s", v, out)
	}

	// Two evidence stores are a usage error, before anything is read.
	out = w.run(t, w.env(), gateArgs("--evidence-state-dir", "ev", "--evidence-database-url", "postgres://x@h/d")...)
	testkit.Want(t, out, 2)
	if !strings.Contains(out.Stderr, "--evidence-state-dir and --evidence-database-url name two evidence stores") {
		t.Fatalf("stderr:\n%s", out.Stderr)
	}
	svcNoSecret(t, "gate output", out.Stdout+out.Stderr)
}
