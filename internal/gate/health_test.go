package gate

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/record"
)

var healthNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func auditRec(lane string, age time.Duration, passed bool) evidence.Record {
	return evidence.Record{Lane: lane, Kind: evidence.KindAudit, Passed: passed, ObservedAt: healthNow.Add(-age),
		Source: evidence.Source{RunID: "1", RunAttempt: "1"}}
}

func TestRetireWindow(t *testing.T) {
	const w = 14 * 24 * time.Hour
	noCover := "no passing recorded audit from before the 14d retire window: the lane has not been clean that long"
	cases := []struct {
		name   string
		audits []evidence.Record
		want   []string
	}{
		{"no audits at all", nil, []string{noCover}},
		{"empty list", []evidence.Record{}, []string{noCover}},
		{"pass exactly at the window start covers", []evidence.Record{auditRec("a/x", w, true)}, nil},
		{"pass one second inside the window does not cover", []evidence.Record{auditRec("a/x", w-time.Second, true)}, []string{noCover}},
		{"pass before the window covers", []evidence.Record{auditRec("a/x", w+time.Hour, true), auditRec("a/x", time.Hour, true)}, nil},
		{"failed before the window is not inside it", []evidence.Record{auditRec("a/x", w+time.Hour, true), auditRec("a/x", w, false)}, nil},
		{"failed inside the window blocks", []evidence.Record{auditRec("a/x", w+time.Hour, true), auditRec("a/x", 3*time.Hour, false)},
			[]string{"an audit failed 3h ago, inside the 14d retire window"}},
		{"a failure before the window does not cover", []evidence.Record{auditRec("a/x", w+time.Hour, false)}, []string{noCover}},
		{"failure inside and no cover", []evidence.Record{auditRec("a/x", 2*24*time.Hour, false)},
			[]string{"an audit failed 2d ago, inside the 14d retire window", noCover}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := RetireWindow(c.audits, w, healthNow)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("RetireWindow = %q, want %q", got, c.want)
			}
		})
	}
}

const healthPlan = `schema_version: 1
retire_window: 2d
lanes:
  - {route: a/prod, product: a, driver: odoo, wave: 1, stage: provider-target, evidence: {deploy: {max_age: 1d}, health: {max_age: 1h}}}
  - {route: b/prod, product: b, driver: odoo, wave: 1, stage: provider-target, evidence: {}}
`

func TestAuditFolder(t *testing.T) {
	fo := NewAuditFolder()
	if len(fo.Lanes()) != 0 {
		t.Fatalf("a new folder holds %v", fo.Lanes())
	}
	fo.Add(audit.Finding{Context: "a", Instance: "prod", Severity: audit.SeverityOK, Status: audit.StatusComplete,
		Physical: &record.ProviderTarget{UpdatedAt: "2026-11-01T00:00:00Z"}})
	fo.Add(audit.Finding{Context: "a", Instance: "prod", Severity: audit.SeverityBlocked, Status: audit.StatusDuplicateTargetIdentity,
		Physical: &record.ProviderTarget{UpdatedAt: "2026-11-02T00:00:00Z"}})
	fo.Add(audit.Finding{Context: "b", Instance: "prod", Severity: audit.SeverityBlocked, Status: audit.StatusMissingProviderTarget})
	fo.Add(audit.Finding{Context: "c", Instance: "prod", Severity: audit.SeverityWarning, Status: "warn"})
	want := map[string]LaneAudit{
		"a/prod": {ProviderPresent: true, ProviderUpdatedAt: "2026-11-02T00:00:00Z", Blocked: []string{audit.StatusDuplicateTargetIdentity}},
		"b/prod": {Blocked: []string{audit.StatusMissingProviderTarget}},
		"c/prod": {},
	}
	if got := fo.Lanes(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Lanes = %+v, want %+v", got, want)
	}
}

func TestAssembleHealth(t *testing.T) {
	plan, err := lanes.Parse("lanes.yaml", []byte(healthPlan))
	if err != nil {
		t.Fatal(err)
	}
	updated := healthNow.Add(-48 * time.Hour).Format(time.RFC3339)
	present := LaneAudit{ProviderPresent: true, ProviderUpdatedAt: updated}
	ev := func(lane, kind string, age time.Duration, passed bool) evidence.Record {
		return evidence.Record{Lane: lane, Kind: kind, Passed: passed, ObservedAt: healthNow.Add(-age), Source: evidence.Source{RunID: "7", RunAttempt: "1"}}
	}
	covered := []evidence.Record{auditRec("a/prod", 3*24*time.Hour, true)}
	fresh := evidence.Index{"a/prod": {
		evidence.KindDeploy: {ev("a/prod", evidence.KindDeploy, time.Hour, true)},
		evidence.KindHealth: {ev("a/prod", evidence.KindHealth, time.Minute, true)},
		evidence.KindAudit:  covered,
	}, "b/prod": {evidence.KindAudit: {auditRec("b/prod", 3*24*time.Hour, true)}}}
	noCover := "no passing recorded audit from before the 2d retire window: the lane has not been clean that long"
	cases := []struct {
		name   string
		audits map[string]LaneAudit
		idx    evidence.Index
		check  func(t *testing.T, h map[string]LaneHealth)
	}{
		{"empty input is never clean", nil, nil, func(t *testing.T, h map[string]LaneHealth) {
			for _, k := range []string{"a/prod", "b/prod"} {
				if h[k].Clean() || h[k].ProviderPresent {
					t.Fatalf("%s with no findings and no evidence is clean: %+v", k, h[k])
				}
				if !reflect.DeepEqual(h[k].WindowProblems, []string{noCover}) {
					t.Fatalf("%s window problems %q", k, h[k].WindowProblems)
				}
			}
			if n := len(h["a/prod"].EvidenceProblems); n != 2 {
				t.Fatalf("a/prod: %d evidence problems, want 2 (deploy and health missing): %q", n, h["a/prod"].EvidenceProblems)
			}
		}},
		{"all fresh and clean", map[string]LaneAudit{"a/prod": present, "b/prod": present}, fresh, func(t *testing.T, h map[string]LaneHealth) {
			for _, k := range []string{"a/prod", "b/prod"} {
				if !h[k].Clean() || len(h[k].WindowProblems) > 0 {
					t.Fatalf("%s not clean: %+v", k, h[k])
				}
			}
		}},
		{"missing kind", map[string]LaneAudit{"a/prod": present}, evidence.Index{"a/prod": {
			evidence.KindDeploy: {ev("a/prod", evidence.KindDeploy, time.Hour, true)}, evidence.KindAudit: covered}},
			func(t *testing.T, h map[string]LaneHealth) {
				want := []string{"health evidence: no health evidence recorded"}
				if !reflect.DeepEqual(h["a/prod"].EvidenceProblems, want) || h["a/prod"].Clean() {
					t.Fatalf("a/prod = %+v, want evidence problems %q", h["a/prod"], want)
				}
			}},
		{"stale exactly at max age", map[string]LaneAudit{"a/prod": present}, evidence.Index{"a/prod": {
			evidence.KindDeploy: {ev("a/prod", evidence.KindDeploy, 24*time.Hour, true)},
			evidence.KindHealth: {ev("a/prod", evidence.KindHealth, time.Hour-time.Nanosecond, true)}, evidence.KindAudit: covered}},
			func(t *testing.T, h map[string]LaneHealth) {
				p := h["a/prod"].EvidenceProblems
				if len(p) != 1 || !strings.HasPrefix(p[0], "deploy evidence: latest deploy evidence is 1d old, max age 1d") {
					t.Fatalf("a/prod evidence problems %q, want only deploy stale at exactly 1d", p)
				}
			}},
		{"deploy before the row changed", map[string]LaneAudit{"a/prod": {ProviderPresent: true, ProviderUpdatedAt: healthNow.Add(-30 * time.Minute).Format(time.RFC3339)}}, fresh,
			func(t *testing.T, h map[string]LaneHealth) {
				p := h["a/prod"].EvidenceProblems
				if len(p) != 1 || !strings.Contains(p[0], "predates the provider-target change") {
					t.Fatalf("a/prod evidence problems %q", p)
				}
			}},
		{"blocked finding", map[string]LaneAudit{"a/prod": {ProviderPresent: true, ProviderUpdatedAt: updated, Blocked: []string{"identity_mismatch"}}}, fresh,
			func(t *testing.T, h map[string]LaneHealth) {
				if h["a/prod"].AuditClean || h["a/prod"].Clean() || !reflect.DeepEqual(h["a/prod"].AuditProblems, []string{"identity_mismatch"}) {
					t.Fatalf("a/prod = %+v", h["a/prod"])
				}
			}},
		{"a lane outside the plan is never audit-clean", map[string]LaneAudit{"z/prod": {ProviderPresent: true}}, fresh,
			func(t *testing.T, h map[string]LaneHealth) {
				if z, ok := h["z/prod"]; !ok || z.AuditClean || z.Clean() {
					t.Fatalf("z/prod = %+v (present %t)", z, ok)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.check(t, AssembleHealth(plan, c.audits, c.idx, healthNow))
		})
	}
	if h := AssembleHealth(nil, map[string]LaneAudit{"a/prod": present}, nil, healthNow); h["a/prod"].Clean() {
		t.Fatalf("without a plan nothing is clean: %+v", h["a/prod"])
	}
}
