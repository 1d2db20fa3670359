package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/cli"
	"github.com/lanegate/lanegate/internal/report"
)

const (
	e2eState = "../../examples/state"
	e2eLanes = "../../lanes.yaml"
)

func TestAuditExampleTable(t *testing.T) {
	r := lanegate.In("", nil, "audit", "--state-dir", e2eState, "--lanes", e2eLanes)
	if r.Code != cli.ExitBlocked {
		t.Fatalf("want exit 1\n%s", r)
	}
	first, _, _ := strings.Cut(r.Stdout, "\n")
	if want := "BLOCKED: 10 route(s) inspected, 3 blocked finding(s), 1 warning(s) (complete 6, future_provider 1, identity_mismatch 1, missing_provider_target 1, missing_target_id 1)"; first != want {
		t.Errorf("verdict %q\nwant    %q", first, want)
	}
	rows := map[string]string{
		"cm/prod":               "missing_target_id",
		"sellyouroutboard/prod": "missing_provider_target",
		"verireel/prod":         "identity_mismatch",
		"legacy-site/prod":      "future_provider",
		"discord-blue/prod":     "complete",
		"verireel/testing":      "complete",
	}
	for lane, status := range rows {
		found := false
		for _, line := range strings.Split(r.Stdout, "\n") {
			f := strings.Fields(line)
			if len(f) > 3 && f[0] == lane && f[3] == status {
				found = true
			}
		}
		if !found {
			t.Errorf("no table row %s %s\n%s", lane, status, r.Stdout)
		}
	}
	if !strings.Contains(r.Stdout, "projected='cmp-verireel-prod'") {
		t.Error("identity detail missing")
	}
	if !strings.Contains(r.Stderr, "lanegate: auditing filesystem state "+e2eState) {
		t.Errorf("stderr lacks the log line:\n%s", r.Stderr)
	}
}

func TestAuditExampleJSON(t *testing.T) {
	r := lanegate.In("", nil, "audit", "--state-dir", e2eState, "--lanes", e2eLanes, "--format", "json")
	if r.Code != cli.ExitBlocked {
		t.Fatalf("want exit 1\n%s", r)
	}
	if !json.Valid([]byte(r.Stdout)) {
		t.Fatalf("stdout is not one JSON document:\n%s", r.Stdout)
	}
	rep, err := report.ReadAuditReport(strings.NewReader(r.Stdout))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != "blocked" || rep.InspectedRouteCount != 10 || rep.BlockedCount != 3 || rep.WarningCount != 1 {
		t.Errorf("report header %+v", rep)
	}
	want := map[string]int{"complete": 6, "future_provider": 1, "identity_mismatch": 1, "missing_provider_target": 1, "missing_target_id": 1}
	if len(rep.Counts) != len(want) {
		t.Errorf("counts %v", rep.Counts)
	}
	for k, v := range want {
		if rep.Counts[k] != v {
			t.Errorf("counts[%s] = %d, want %d", k, rep.Counts[k], v)
		}
	}
	for _, f := range rep.Findings {
		switch f.Status {
		case audit.StatusMissingProviderTarget:
			if f.Physical != nil || f.Projected == nil || f.Projected.TargetID != "app-syo-prod" {
				t.Errorf("missing_provider_target records: %+v", f)
			}
		case audit.StatusIdentityMismatch:
			if f.Physical == nil || f.Projected == nil || f.Physical.TargetID != "cmp-verireel-prod-2025" {
				t.Errorf("identity_mismatch records: %+v", f)
			}
		}
	}
	if len(rep.Lanes) != 10 {
		t.Errorf("%d lane entries", len(rep.Lanes))
	}
	if strings.Contains(r.Stdout, "lanegate:") {
		t.Error("log text leaked into stdout")
	}
	if !strings.Contains(r.Stderr, "lanegate: auditing filesystem state") {
		t.Errorf("stderr: %s", r.Stderr)
	}
}

func TestAuditExampleMarkdown(t *testing.T) {
	r := lanegate.In("", nil, "audit", "--state-dir", e2eState, "--lanes", e2eLanes, "--format", "markdown")
	if r.Code != cli.ExitBlocked {
		t.Fatalf("want exit 1\n%s", r)
	}
	for _, want := range []string{
		"## ❌ lanegate provider-target audit\n",
		"| `identity_mismatch` | 1 |",
		"| ❌ | `verireel/prod` | 3 | verireel | `identity_mismatch` |",
		"### Undeclared routes",
		"| ⚠️ | `legacy-site/prod` | - | (undeclared) | `future_provider` |",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("markdown lacks %q\n%s", want, r.Stdout)
		}
	}
	if strings.Index(r.Stdout, "`cm/prod`") > strings.Index(r.Stdout, "`discord-blue/prod`") {
		t.Error("blocked lanes must come before ok lanes")
	}
}

func TestAuditOutMatchesJSON(t *testing.T) {
	dir := t.TempDir()
	js := lanegate.In("", nil, "audit", "--state-dir", e2eState, "--lanes", e2eLanes, "--format", "json")
	for _, format := range []string{"json", "table", "markdown"} {
		out := filepath.Join(dir, format+".json")
		r := lanegate.In("", nil, "audit", "--state-dir", e2eState, "--lanes", e2eLanes, "--format", format, "--out", out)
		if r.Code != cli.ExitBlocked {
			t.Fatalf("%s: want exit 1\n%s", format, r)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != js.Stdout {
			t.Errorf("--format %s --out: file differs from --format json stdout", format)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Errorf("temp file %s left behind", e.Name())
			}
		}
	}
	// A relative --out is resolved against Env.Dir.
	r := lanegate.In(dir, nil, "audit", "--state-dir", mustAbs(t, e2eState), "--no-lanes", "--out", "rel.json")
	if r.Code != cli.ExitBlocked {
		t.Fatalf("%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "rel.json")); err != nil {
		t.Errorf("relative --out: %v", err)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAuditUsageErrorsExit2AndWriteNothing(t *testing.T) {
	dir := t.TempDir()
	badLanes := filepath.Join(dir, "bad-lanes.yaml")
	if err := os.WriteFile(badLanes, []byte("schema_version: 1\nlanes:\n  - route: nope\n    driver: cobol\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"audit", "--state-dir", e2eState, "--lanes", e2eLanes}
	tests := []struct {
		name   string
		args   []string
		vars   map[string]string
		stderr string
	}{
		{"unknown flag", append(base, "--bogus"), nil, "flag provided but not defined: -bogus"},
		{"bad format", append(base, "--format", "yaml"), nil, `--format "yaml": want table, json or markdown`},
		{"bad lane", append(base, "--lane", "noslash"), nil, `--lane "noslash"`},
		{"lane with empty instance", append(base, "--lane", "syo/"), nil, "empty instance"},
		{"bad shard", append(base, "--shard", "3/2"), nil, `--shard "3/2"`},
		{"bad fail-on", append(base, "--fail-on", "sometimes"), nil, `--fail-on "sometimes"`},
		{"unexpected argument", append(base, "extra"), nil, `unexpected argument "extra"`},
		{"no store chosen", []string{"audit", "--lanes", e2eLanes}, nil, "no record store chosen"},
		{"invalid lanes file", []string{"audit", "--state-dir", e2eState, "--lanes", badLanes}, nil, "the lanes file is invalid"},
		{"missing explicit lanes file", []string{"audit", "--state-dir", e2eState, "--lanes", filepath.Join(dir, "nope.yaml")}, nil, "cannot read lanes file"},
		{"lanes and no-lanes", append(base, "--no-lanes"), nil, "--lanes and --no-lanes cannot be used together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".json")
			// --out goes first: a positional argument ends flag parsing.
			r := lanegate.In("", tt.vars, append([]string{tt.args[0], "--out", out}, tt.args[1:]...)...)
			if r.Code != cli.ExitConfig {
				t.Fatalf("want exit 2\n%s", r)
			}
			if !strings.Contains(r.Stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.Stderr)
			}
			if r.Stdout != "" {
				t.Errorf("stdout not empty:\n%s", r.Stdout)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("--out file was created (stat: %v)", err)
			}
		})
	}
}

func TestAuditMissingStateDirExit3(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	r := lanegate.In("", nil, "audit", "--state-dir", filepath.Join(dir, "no-such-state"), "--no-lanes", "--out", out)
	if r.Code != cli.ExitRuntime {
		t.Fatalf("want exit 3\n%s", r)
	}
	if !strings.Contains(r.Stderr, "cannot open state directory") {
		t.Errorf("stderr: %s", r.Stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("--out file was created (stat: %v)", err)
	}
	// The same through LAUNCHPLANE_STATE_DIR.
	r = lanegate.In("", map[string]string{"LAUNCHPLANE_STATE_DIR": filepath.Join(dir, "nope")}, "audit", "--no-lanes")
	if r.Code != cli.ExitRuntime {
		t.Errorf("env state dir: want exit 3\n%s", r)
	}
}

func TestAuditStateDirFromEnvironment(t *testing.T) {
	r := lanegate.In("", map[string]string{"LAUNCHPLANE_STATE_DIR": e2eState}, "audit", "--no-lanes", "--format", "json")
	if r.Code != cli.ExitBlocked || !json.Valid([]byte(r.Stdout)) {
		t.Fatalf("%s", r)
	}
}

func TestAuditNoLanesAuditsOnlyStoredRoutes(t *testing.T) {
	dir := t.TempDir()
	lanesYAML, err := os.ReadFile(e2eLanes)
	if err != nil {
		t.Fatal(err)
	}
	extra := "\n  - route: ghost/prod\n    product: ghost\n    driver: generic-web\n    wave: 1\n"
	if err := os.WriteFile(filepath.Join(dir, "lanes.yaml"), append(lanesYAML, extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	state := mustAbs(t, e2eState)

	// The default lanes.yaml in the working directory is used when present.
	with := lanegate.In(dir, nil, "audit", "--state-dir", state, "--format", "json")
	rep, err := report.ReadAuditReport(strings.NewReader(with.Stdout))
	if err != nil {
		t.Fatalf("%v\n%s", err, with)
	}
	if rep.Counts[audit.StatusMissingRoute] != 1 || rep.InspectedRouteCount != 11 {
		t.Errorf("with lanes: counts %v inspected %d", rep.Counts, rep.InspectedRouteCount)
	}

	without := lanegate.In(dir, nil, "audit", "--state-dir", state, "--no-lanes", "--format", "json")
	if without.Code != cli.ExitBlocked {
		t.Fatalf("%s", without)
	}
	rep, err = report.ReadAuditReport(strings.NewReader(without.Stdout))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts[audit.StatusMissingRoute] != 0 || rep.InspectedRouteCount != 10 {
		t.Errorf("--no-lanes: counts %v inspected %d", rep.Counts, rep.InspectedRouteCount)
	}
	for _, e := range rep.Lanes {
		if e.Declared || e.Lane == "ghost/prod" {
			t.Errorf("--no-lanes lane entry %+v", e)
		}
	}
}

func TestAuditFilters(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		lanes  []string
		status string
	}{
		{[]string{"--context", "verireel"}, cli.ExitBlocked, []string{"verireel/prod", "verireel/testing"}, ""},
		{[]string{"--provider-id", "static-host"}, cli.ExitOK, []string{"legacy-site/prod"}, ""},
		{[]string{"--lane", "opw/prod", "--lane", "discord-blue/prod"}, cli.ExitOK, []string{"discord-blue/prod", "opw/prod"}, ""},
		{[]string{"--lane", "nope/x"}, cli.ExitBlocked, nil, audit.StatusNoMatchingRoutes},
		{[]string{"--instance", "staging"}, cli.ExitBlocked, nil, audit.StatusNoMatchingRoutes},
	}
	for _, tt := range tests {
		args := append([]string{"audit", "--state-dir", e2eState, "--lanes", e2eLanes, "--format", "json"}, tt.args...)
		r := lanegate.In("", nil, args...)
		if r.Code != tt.code {
			t.Errorf("%v: exit %d, want %d\n%s", tt.args, r.Code, tt.code, r)
			continue
		}
		rep, err := report.ReadAuditReport(strings.NewReader(r.Stdout))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range rep.Lanes {
			got = append(got, e.Lane)
		}
		if strings.Join(got, ",") != strings.Join(tt.lanes, ",") {
			t.Errorf("%v: lanes %v, want %v", tt.args, got, tt.lanes)
		}
		if tt.status != "" && rep.Counts[tt.status] != 1 {
			t.Errorf("%v: counts %v", tt.args, rep.Counts)
		}
	}
}

func TestLanesCheck(t *testing.T) {
	r := lanegate.In("", nil, "lanes", "check", "--lanes", e2eLanes)
	if r.Code != cli.ExitOK {
		t.Fatalf("want exit 0\n%s", r)
	}
	if !strings.HasPrefix(r.Stdout, e2eLanes+": 9 lane(s), schema version 1, digest ") {
		t.Errorf("summary line: %q", strings.SplitN(r.Stdout, "\n", 2)[0])
	}
	for _, want := range []string{
		"wave 1:\n  discord-blue/prod (generic-web, dokploy)\n  sellyouroutboard/testing (generic-web, dokploy)\n  verireel/testing (verireel, dokploy)\n",
		"wave 2:\n  cm/testing (odoo, dokploy)\n",
		"  sellyouroutboard/prod (generic-web, dokploy) requires sellyouroutboard/testing\n",
		"wave 3:\n  cm/prod (odoo, dokploy) requires cm/testing\n",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("wave plan lacks %q\n%s", want, r.Stdout)
		}
	}
	if strings.Index(r.Stdout, "wave 1:") > strings.Index(r.Stdout, "wave 2:") || strings.Index(r.Stdout, "wave 2:") > strings.Index(r.Stdout, "wave 3:") {
		t.Error("waves out of order")
	}
	// The default path, relative to Env.Dir.
	if r := lanegate.In("../..", nil, "lanes", "check"); r.Code != cli.ExitOK || !strings.HasPrefix(r.Stdout, "lanes.yaml: 9 lane(s)") {
		t.Errorf("default lanes file: %s", r)
	}
	if r := lanegate.In(t.TempDir(), nil, "lanes", "check"); r.Code != cli.ExitConfig {
		t.Errorf("missing default lanes file: %s", r)
	}
	if r := lanegate.In("", nil, "lanes"); r.Code != cli.ExitConfig {
		t.Errorf("lanes without check: %s", r)
	}
}

func TestRunUsage(t *testing.T) {
	if r := lanegate.In("", nil); r.Code != cli.ExitConfig || !strings.Contains(r.Stderr, "usage: lanegate") {
		t.Errorf("no args: %s", r)
	}
	if r := lanegate.In("", nil, "help"); r.Code != cli.ExitOK {
		t.Errorf("help: %s", r)
	}
	if r := lanegate.In("", nil, "frobnicate"); r.Code != cli.ExitConfig || !strings.Contains(r.Stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %s", r)
	}
	if r := lanegate.In("", nil, "audit", "-h"); r.Code != cli.ExitOK || !strings.Contains(r.Stdout, "usage: lanegate audit") {
		t.Errorf("audit -h: %s", r)
	}
}
