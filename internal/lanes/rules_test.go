package lanes

import (
	"slices"
	"testing"
	"time"
)

func TestRuleDiffs(t *testing.T) {
	base := func() *Lane {
		return &Lane{Key: "a/x", Product: "a", Driver: "odoo", Wave: 2, Stage: "dokploy", Requires: []string{"b/y", "a/y"},
			Evidence: []EvidenceRequirement{{"deploy", 7 * 24 * time.Hour}}, BaseURL: "https://a", HealthURL: "https://a/h",
			Health: Health{ExpectStatus: []int{204, 200}, Timeout: 90 * time.Second}, Paths: []string{"p/**", "q/**"}, Line: 3, Column: 5}
	}
	same := base()
	same.Stage, same.Line, same.Column = "retired", 40, 7 // not rules
	same.Requires, same.Paths = []string{"a/y", "b/y"}, []string{"q/**", "p/**"}
	if d := base().RuleDiffs(same); len(d) != 0 {
		t.Fatalf("stage, position and order are not rules: %q", d)
	}
	cases := []struct {
		name string
		mod  func(l *Lane)
		want string
	}{
		{"product", func(l *Lane) { l.Product = "b" }, "product a → b"},
		{"driver", func(l *Lane) { l.Driver = "verireel" }, "driver odoo → verireel"},
		{"wave", func(l *Lane) { l.Wave = 1 }, "wave 2 → 1"},
		{"requires", func(l *Lane) { l.Requires = nil }, "requires [a/y b/y] → []"},
		{"evidence age", func(l *Lane) { l.Evidence[0].MaxAge = 30 * 24 * time.Hour }, "evidence [deploy max_age 7d] → [deploy max_age 30d]"},
		{"evidence none", func(l *Lane) { l.Evidence = nil }, "evidence [deploy max_age 7d] → (none)"},
		{"base url", func(l *Lane) { l.BaseURL = "https://b" }, "base_url https://a → https://b"},
		{"health url", func(l *Lane) { l.HealthURL = "https://b/h" }, "health_url https://a/h → https://b/h"},
		{"expect status", func(l *Lane) { l.Health.ExpectStatus = nil }, "health.expect_status [200 204] → []"},
		{"allow private", func(l *Lane) { l.Health.AllowPrivate = true }, "health.allow_private false → true"},
		{"timeout", func(l *Lane) { l.Health.Timeout = time.Hour }, "health.timeout 1m30s → 1h"},
		{"paths", func(l *Lane) { l.Paths = []string{"**"} }, "paths [p/** q/**] → [**]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := base()
			c.mod(o)
			if d := base().RuleDiffs(o); !slices.Equal(d, []string{c.want}) {
				t.Errorf("RuleDiffs = %q, want [%q]", d, c.want)
			}
		})
	}
}

func TestFileRuleDiffs(t *testing.T) {
	a := &File{RetireWindow: 14 * 24 * time.Hour, Defaults: []EvidenceRequirement{{"health", 24 * time.Hour}}}
	b := &File{RetireWindow: 24 * time.Hour}
	want := []string{"retire_window 14d → 24h", "defaults.evidence [health max_age 24h] → (none)"}
	if d := a.FileRuleDiffs(b); !slices.Equal(d, want) {
		t.Errorf("FileRuleDiffs = %q, want %q", d, want)
	}
	if d := a.FileRuleDiffs(a); len(d) != 0 {
		t.Errorf("a file differs from itself: %q", d)
	}
}
