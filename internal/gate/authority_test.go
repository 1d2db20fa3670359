package gate

import (
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/lanes"
)

// A lane whose base plan requires authority evidence cuts over only with a
// fresh passing authority record: missing, failed and stale ones block.
func TestGateRequiresAuthority(t *testing.T) {
	const basePlan = `schema_version: 1
lanes:
  - {route: a/prod, product: a, driver: odoo, wave: 1, stage: dokploy, evidence: {authority: {max_age: 1d}}}
  - {route: b/prod, product: b, driver: odoo, wave: 1, stage: dokploy, evidence: {}}
`
	base, err := lanes.Parse("lanes.yaml", []byte(basePlan))
	if err != nil {
		t.Fatal(err)
	}
	head, err := lanes.Parse("lanes.yaml", []byte(strings.Replace(basePlan, "wave: 1, stage: dokploy, evidence: {authority", "wave: 1, stage: provider-target, evidence: {authority", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if req := base.Lanes[0].Evidence; len(req) != 1 || req[0].Kind != evidence.KindAuthority || req[0].MaxAge != 24*time.Hour {
		t.Fatalf("a/prod requires %+v", req)
	}
	auth := func(age time.Duration, passed bool) evidence.Index {
		return evidence.Index{"a/prod": {evidence.KindAuthority: {{Lane: "a/prod", Kind: evidence.KindAuthority, Passed: passed,
			ObservedAt: healthNow.Add(-age), Source: evidence.Source{RunID: "3", RunAttempt: "1"}}}}}
	}
	audits := map[string]LaneAudit{"a/prod": {ProviderPresent: true, ProviderUpdatedAt: healthNow.Add(-72 * time.Hour).Format(time.RFC3339)},
		"b/prod": {ProviderPresent: true}}
	cases := []struct {
		name    string
		idx     evidence.Index
		verdict string
		reason  string
	}{
		{"no authority evidence", nil, Blocked, "a/prod: authority evidence: no authority evidence recorded"},
		{"failed authority", auth(time.Hour, false), Blocked, "latest authority evidence failed"},
		{"stale authority", auth(25*time.Hour, true), Blocked, "latest authority evidence is 1d1h old, max age 1d"},
		{"other kinds do not stand in", evidence.Index{"a/prod": {evidence.KindHealth: auth(time.Hour, true)["a/prod"][evidence.KindAuthority]}}, Blocked, "no authority evidence recorded"},
		{"fresh passing authority", auth(time.Hour, true), Pass, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			health := AssembleHealth(base, audits, c.idx, healthNow)
			res := Decide(Input{Base: base, Head: head, Health: health, Now: healthNow})
			if res.Verdict != c.verdict || len(res.Lanes) != 1 {
				t.Fatalf("verdict %s, lanes %+v", res.Verdict, res.Lanes)
			}
			if got := strings.Join(res.Lanes[0].Reasons, "\n"); c.reason != "" && !strings.Contains(got, c.reason) {
				t.Fatalf("reasons %q, want %q", got, c.reason)
			}
		})
	}
}
