package cli

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/actions"
)

// TestActionArgv pins the command line every input combination maps to, and
// every refusal, without running anything.
func TestActionArgv(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cases := []struct {
		name    string
		inputs  map[string]string
		command string
		argv    string // space-joined
		err     string // substring of the usage error
	}{
		{name: "default is audit", command: "audit", argv: "--out lanegate-report.json --fail-on blocked"},
		{name: "audit with everything", inputs: map[string]string{"command": "audit", "lanes": "ops/lanes.yaml", "lane": "cm/prod\ncm/dev",
			"context": "cm", "instance": "prod", "provider-id": "dokploy", "database-url": "postgres://x", "state-dir": "s",
			"statement-timeout": "5s", "shard": "1/2", "report-path": "r.json", "fail-on": "warning", "record": "true"},
			command: "audit", argv: "--lanes ops/lanes.yaml --lane cm/prod --lane cm/dev --context cm --instance prod --provider-id dokploy " +
				"--database-url postgres://x --state-dir s --statement-timeout 5s --shard 1/2 --out r.json --fail-on warning --record"},
		{name: "audit no-lanes", inputs: map[string]string{"no-lanes": "true", "lanes": "lanes.yaml"}, command: "audit",
			argv: "--no-lanes --out lanegate-report.json --fail-on blocked"},
		{name: "audit no-lanes and lanes", inputs: map[string]string{"no-lanes": "true", "lanes": "x.yaml"}, err: "inputs lanes and no-lanes contradict each other"},
		{name: "audit bad no-lanes", inputs: map[string]string{"no-lanes": "yes"}, err: "no-lanes"},
		{name: "audit bad record", inputs: map[string]string{"record": "1"}, err: "record"},
		{name: "mode audit on backfill", inputs: map[string]string{"command": "backfill", "mode": "audit"}, command: "audit",
			argv: "--out lanegate-report.json --fail-on blocked"},
		{name: "mode picks backfill", inputs: map[string]string{"mode": "backfill-dry-run"}, command: "backfill",
			argv: "--out lanegate-report.json --fail-on blocked"},
		{name: "backfill apply", inputs: map[string]string{"mode": "backfill-apply", "confirmation": ApplyConfirmation, "reason": "r",
			"plan-digest": digest, "lane": "cm/prod", "state-dir": "s"}, command: "backfill",
			argv: "--apply --plan-digest " + digest + " --reason r --lane cm/prod --state-dir s --out lanegate-report.json --fail-on blocked"},
		{name: "backfill apply unconfirmed", inputs: map[string]string{"mode": "backfill-apply", "confirmation": "yes", "reason": "r", "plan-digest": digest},
			err: "requires the input confirmation to be exactly"},
		{name: "backfill apply blank reason", inputs: map[string]string{"mode": "backfill-apply", "confirmation": ApplyConfirmation, "reason": " ", "plan-digest": digest},
			err: "requires a non-blank reason input"},
		{name: "backfill apply no digest", inputs: map[string]string{"mode": "backfill-apply", "confirmation": ApplyConfirmation, "reason": "r"},
			err: "requires the plan-digest input"},
		{name: "backfill bad mode", inputs: map[string]string{"command": "backfill", "mode": "apply"}, err: `input mode "apply": want backfill-dry-run or backfill-apply`},
		{name: "merge", inputs: map[string]string{"command": "merge", "reports": "a.json\n-b.json", "lanes": "l.yaml"}, command: "merge",
			argv: "--out lanegate-report.json --lanes l.yaml --fail-on blocked -- a.json -b.json"},
		{name: "merge without reports", inputs: map[string]string{"command": "merge"}, err: "command merge needs the reports input"},
		{name: "gate", inputs: map[string]string{"command": "gate", "pr": "7", "scope-only": "true", "scope-from": "s.json",
			"status-context": "ctx", "run-url": "https://r", "database-url": "postgres://x"}, command: "gate",
			argv: "--pr 7 --scope-only --scope-from s.json --status-context ctx --target-url https://r --database-url postgres://x --out lanegate-report.json"},
		{name: "gate on the service reads evidence from the database", inputs: map[string]string{"command": "gate", "pr": "7",
			"launchplane-url": "https://lp.example", "audience": "lp", "database-url": "postgres://x"}, command: "gate",
			argv: "--pr 7 --launchplane-url https://lp.example --audience lp --evidence-database-url postgres://x --out lanegate-report.json"},
		{name: "gate bad scope-only", inputs: map[string]string{"command": "gate", "scope-only": "on"}, err: "scope-only"},
		{name: "publish", inputs: map[string]string{"command": "publish", "pr": "3", "run-url": "https://r", "artifact": "a", "reports": "r.json"},
			command: "publish", argv: "--pr 3 --summary --run-url https://r --artifact a -- r.json"},
		{name: "publish to two places", inputs: map[string]string{"command": "publish", "pr": "3", "issue": "4", "reports": "r.json"}, err: "writes to one place"},
		{name: "publish without reports", inputs: map[string]string{"command": "publish"}, err: "command publish needs the reports input"},
		{name: "evidence record", inputs: map[string]string{"command": "evidence", "lane": "cm/prod", "evidence-kind": "smoke", "evidence-status": "pass",
			"run-url": "https://r", "trace": "t1", "state-dir": "s"}, command: "evidence",
			argv: "record --lane cm/prod --kind smoke --status pass --run-url https://r --trace t1 --state-dir s"},
		{name: "evidence record two lanes", inputs: map[string]string{"command": "evidence", "lane": "a/b\nc/d", "evidence-kind": "smoke", "evidence-status": "pass"},
			err: "evidence record needs exactly one route in the lane input (CONTEXT/INSTANCE), got 2"},
		{name: "evidence record no kind", inputs: map[string]string{"command": "evidence", "lane": "a/b", "evidence-status": "pass"}, err: "needs the evidence-kind input"},
		{name: "evidence record no status", inputs: map[string]string{"command": "evidence", "lane": "a/b", "evidence-kind": "smoke"}, err: "needs the evidence-status input"},
		{name: "evidence probe", inputs: map[string]string{"command": "evidence", "evidence-action": "probe", "lane": "a/b\nc/d", "lanes": "l.yaml"},
			command: "evidence", argv: "probe --lane a/b --lane c/d --lanes l.yaml"},
		{name: "evidence probe kind", inputs: map[string]string{"command": "evidence", "evidence-action": "probe", "evidence-kind": "smoke"}, err: `leave evidence-kind empty (got "smoke")`},
		{name: "evidence probe health kind", inputs: map[string]string{"command": "evidence", "evidence-action": "probe", "evidence-kind": "health"},
			command: "evidence", argv: "probe"},
		{name: "evidence probe status", inputs: map[string]string{"command": "evidence", "evidence-action": "probe", "evidence-status": "pass"}, err: "leave evidence-status empty"},
		{name: "evidence bad action", inputs: map[string]string{"command": "evidence", "evidence-action": "list"}, err: `input evidence-action "list": want record, probe or collect`},
		{name: "preflight", inputs: map[string]string{"command": "preflight", "lane": "cm/prod", "dokploy-url": "https://d", "database-url": "postgres://x"},
			command: "preflight", argv: "--lane cm/prod --dokploy-url https://d --database-url postgres://x"},
		{name: "preflight no lane", inputs: map[string]string{"command": "preflight"}, err: "command preflight needs exactly one route in the lane input (CONTEXT/INSTANCE), got 0"},
		{name: "other command needs args", inputs: map[string]string{"command": "lanes"},
			err: `input command "lanes" is not supported by this version of the action (want one of audit, backfill, merge, gate, publish, evidence, preflight, or pass the args input)`},
		{name: "other command with args", inputs: map[string]string{"command": "lanes", "args": "check --lanes x.yaml"}, command: "lanes", argv: "check --lanes x.yaml"},
		{name: "args appended before positional", inputs: map[string]string{"command": "merge", "reports": "a.json", "args": "--format json"}, command: "merge",
			argv: "--out lanegate-report.json --fail-on blocked --format json -- a.json"},
		{name: "args may not apply", inputs: map[string]string{"args": "--apply=false"}, err: "the args input cannot carry --apply"},
		{name: "import refused", inputs: map[string]string{"command": "import", "args": "--state-dir s"}, err: `input command "import" is refused`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := &Env{Getenv: func(k string) string {
				name, ok := strings.CutPrefix(k, "LANEGATE_INPUT_")
				if !ok {
					return ""
				}
				return c.inputs[strings.ReplaceAll(strings.ToLower(name), "_", "-")]
			}}
			env.rt = actions.New(actions.Config{Getenv: env.Getenv})
			command, argv, err := actionArgv(env)
			if c.err != "" {
				ee, ok := err.(*exitError)
				if !ok || ee.code != ExitConfig || !strings.Contains(ee.msg, c.err) {
					t.Fatalf("err = %v, want a usage error containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Fields(c.argv)
			if len(want) == 0 {
				want = nil
			}
			if len(argv) == 0 {
				argv = nil
			}
			if command != c.command || !reflect.DeepEqual(argv, want) {
				t.Errorf("got %s %q, want %s %q", command, argv, c.command, want)
			}
		})
	}
}
