package cli_test

// Regression tests for issue #12: a report's verdict is decided once and
// every channel renders it.

import (
	"encoding/json"
	"github.com/lanegate/lanegate/internal/testkit"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var zeroDigest = "sha256:" + strings.Repeat("0", 64)

// vrJSON decodes a JSON report loosely.
func vrJSON(t *testing.T, raw string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("decode report: %v\n%s", err, raw)
	}
	return m
}

func vrRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A refused apply (reviewed digest does not match) wrote nothing: every
// channel says refused, never ok.
func TestRefusedApplyIsRefusedEverywhere(t *testing.T) {
	dir := testkit.ExampleWorkDir(t)
	args := []string{"backfill", "--state-dir", "state", "--context", "sellyouroutboard", "--apply", "--plan-digest", zeroDigest, "--reason", "x"}
	o := lanegate.In(dir, nil, args...)
	testkit.Want(t, o, 1)
	if !strings.HasPrefix(o.Stdout, "APPLY REFUSED:") || strings.Contains(o.Stdout, "APPLY OK") {
		t.Errorf("table header does not say refused:\n%s", o.Stdout)
	}
	o = lanegate.In(dir, map[string]string{"GITHUB_ACTIONS": "true"}, append(args, "--format", "json",
		"--summary-file", "summary.md", "--github-output", "out.txt")...)
	testkit.Want(t, o, 1)
	m := vrJSON(t, o.Stdout)
	if m["status"] != "refused" || m["applied"] != false || m["refusal"] == nil || m["refusal"] == "" {
		t.Errorf("JSON status %v applied %v refusal %v; want refused, false, a reason", m["status"], m["applied"], m["refusal"])
	}
	if out := vrRead(t, filepath.Join(dir, "out.txt")); !strings.Contains(out, "status<<") || !vrOutput(out, "status", "refused") {
		t.Errorf("action output status is not refused:\n%s", out)
	}
	sum := vrRead(t, filepath.Join(dir, "summary.md"))
	if first := strings.SplitN(sum, "\n", 2)[0]; strings.Contains(first, "✅") || !strings.Contains(first, "refused") {
		t.Errorf("job summary header %q does not say refused", first)
	}
}

// vrOutput reports whether the GITHUB_OUTPUT text sets name to value.
func vrOutput(raw, name, value string) bool {
	lines := strings.Split(raw, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, name+"<<") && i+1 < len(lines) {
			return lines[i+1] == value
		}
	}
	return false
}

// publish renders the plan's verdict and counts exactly as backfill does.
func TestPublishBlockedPlanStaysBlocked(t *testing.T) {
	dir := testkit.ExampleWorkDir(t)
	o := lanegate.In(dir, nil, "backfill", "--state-dir", "state", "--out", "plan.json")
	testkit.Want(t, o, 1)
	m := vrJSON(t, vrRead(t, filepath.Join(dir, "plan.json")))
	if m["status"] != "blocked" || m["blocked_count"] != 2.0 || m["warning_count"] != 1.0 {
		t.Fatalf("fixture changed: status %v blocked %v warning %v", m["status"], m["blocked_count"], m["warning_count"])
	}
	p := lanegate.In(dir, nil, "publish", "--stdout", "plan.json")
	testkit.Want(t, p, 0)
	first := strings.SplitN(p.Stdout, "\n", 2)[0]
	if strings.Contains(first, "✅") || !strings.Contains(first, "❌") {
		t.Errorf("published header %q is not blocked", first)
	}
	if !strings.Contains(p.Stdout, "2 blocked, 1 warning(s)") {
		t.Errorf("published counts differ from the report:\n%s", p.Stdout)
	}
	md := lanegate.In(dir, nil, "backfill", "--state-dir", "state", "--format", "markdown")
	if strings.SplitN(md.Stdout, "\n", 2)[0] != first {
		t.Errorf("backfill markdown header %q, publish %q", strings.SplitN(md.Stdout, "\n", 2)[0], first)
	}
}

// Without a store publish cannot know the evidence: it says so instead of
// calling every cell missing.
func TestPublishWithoutStoreSaysEvidenceNotRead(t *testing.T) {
	dir := testkit.ExampleWorkDir(t)
	pubAudit(t, dir, "audit.json")
	p := lanegate.In(dir, nil, "publish", "--stdout", "audit.json")
	testkit.Want(t, p, 0)
	if strings.Contains(p.Stdout, "❌ missing") {
		t.Errorf("cells say missing although no store was read:\n%s", p.Stdout)
	}
	if !strings.Contains(p.Stdout, "evidence not read") {
		t.Errorf("no 'evidence not read' cell:\n%s", p.Stdout)
	}
	// With the store the same lanes are read (and may be missing).
	p = lanegate.In(dir, nil, "publish", "--stdout", "--state-dir", "state", "audit.json")
	testkit.Want(t, p, 0)
	if strings.Contains(p.Stdout, "evidence not read") {
		t.Errorf("store given but cells say not read:\n%s", p.Stdout)
	}
}

// A shard's report names its shard and lane count, and is no tracking-issue
// comment until merged.
func TestPublishShardReport(t *testing.T) {
	dir := testkit.ExampleWorkDir(t)
	o := lanegate.In(dir, nil, "audit", "--state-dir", "state", "--lanes", "lanes.yaml", "--shard", "1/2", "--out", "s1.json")
	if o.Code != 0 && o.Code != 1 {
		t.Fatalf("audit shard\n%s", o)
	}
	p := lanegate.In(dir, nil, "publish", "--stdout", "s1.json")
	testkit.Want(t, p, 0)
	if !strings.Contains(p.Stdout, "shard 1/2") || !strings.Contains(p.Stdout, "lanegate merge") {
		t.Errorf("shard report does not say which shard it is:\n%s", p.Stdout)
	}
	p = lanegate.In(dir, nil, "publish", "--issue", "7", "s1.json")
	testkit.Want(t, p, 2)
	if !strings.Contains(p.Stderr, "s1.json") || !strings.Contains(p.Stderr, "shard 1/2") || !strings.Contains(p.Stderr, "merge") {
		t.Errorf("refusal does not name the file, the shard and merge:\n%s", p.Stderr)
	}
}

// publish refuses a report it cannot read in full.
func TestPublishRefusesUnreadableReports(t *testing.T) {
	dir := testkit.ExampleWorkDir(t)
	o := lanegate.In(dir, nil, "backfill", "--state-dir", "state", "--out", "plan.json")
	testkit.Want(t, o, 1)
	pubAudit(t, dir, "audit.json")
	plan := vrRead(t, filepath.Join(dir, "plan.json"))
	auditRep := vrRead(t, filepath.Join(dir, "audit.json"))
	edit := func(raw, key string, v any) string {
		var m map[string]any
		json.Unmarshal([]byte(raw), &m)
		if v == nil {
			delete(m, key)
		} else {
			m[key] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"truncated", plan[:len(plan)/2], "bad.json"},
		{"no schema", edit(plan, "schema", nil), "schema"},
		{"unknown schema", edit(plan, "schema", "lanegate.other/v9"), "lanegate.other/v9"},
		{"no status", edit(plan, "status", nil), "status"},
		{"unknown status", edit(plan, "status", "green"), "green"},
		{"ok with blocked counts", edit(plan, "status", "ok"), "blocked_count"},
		{"blocked count lies", edit(edit(plan, "blocked_count", 0), "refusal", nil), "blocked"},
		{"audit no status", edit(auditRep, "status", nil), "status"},
		{"audit ok with blocked", edit(auditRep, "status", "ok"), "blocked_count"},
		{"audit unknown status", edit(auditRep, "status", "refused "), "refused "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			p := lanegate.In(dir, nil, "publish", "--stdout", "bad.json")
			testkit.Want(t, p, 2)
			if p.Stdout != "" || !strings.Contains(p.Stderr, "bad.json") || !strings.Contains(p.Stderr, tc.want) {
				t.Errorf("want a refusal naming bad.json and %q, got stdout %q\n%s", tc.want, p.Stdout, p.Stderr)
			}
		})
	}
}
