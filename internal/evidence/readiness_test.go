package evidence

import (
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
)

func TestDecideReadiness(t *testing.T) {
	fresh := func(k string) KindState { return KindState{Kind: k, Present: true, Passed: true, Fresh: true} }
	ok := func(lane string, wave int, stage string, req ...KindState) LaneFacts {
		return LaneFacts{Lane: lane, Wave: wave, Stage: stage, AuditStatus: audit.StatusComplete, AuditSeverity: audit.SeverityOK,
			EvidenceRead: true, Required: req}
	}
	for _, tc := range []struct {
		name  string
		facts []LaneFacts
		lane  string
		level Level
		next  string // substring of the next step
	}{
		{"cut over, clean, fresh", []LaneFacts{ok("a/prod", 1, "provider-target", fresh("deploy"))}, "a/prod", Done, ""},
		{"retired is done", []LaneFacts{ok("a/prod", 1, "retired")}, "a/prod", Done, ""},
		{"dokploy stage, all fine: ready", []LaneFacts{ok("a/prod", 1, "dokploy", fresh("health"))}, "a/prod", Ready, "open the cutover pull request"},
		{"audit complete but promotion failed (opw/prod)", []LaneFacts{ok("opw/prod", 1, "provider-target", fresh("deploy"),
			KindState{Kind: "promotion", Present: true})}, "opw/prod", Blocked, "fix the failed promotion"},
		{"deploy and health missing (sellyouroutboard/prod)", []LaneFacts{ok("syo/prod", 1, "provider-target",
			KindState{Kind: "deploy"}, KindState{Kind: "health"})}, "syo/prod", Blocked, "record deploy evidence"},
		{"authority missing: collect it", []LaneFacts{ok("a/prod", 1, "provider-target", KindState{Kind: KindAuthority})}, "a/prod", Blocked, "lanegate evidence collect"},
		{"authority failed", []LaneFacts{ok("a/prod", 1, "provider-target", KindState{Kind: KindAuthority, Present: true})}, "a/prod", Blocked, "fix the failed authority"},
		{"authority fresh: done", []LaneFacts{ok("a/prod", 1, "provider-target", fresh(KindAuthority))}, "a/prod", Done, ""},
		{"stale health", []LaneFacts{ok("a/prod", 1, "dokploy", KindState{Kind: "health", Present: true, Passed: true})}, "a/prod", Blocked, "record fresh health"},
		{"missing provider target: backfill", []LaneFacts{{Lane: "a/prod", Wave: 1, Stage: "dokploy", AuditStatus: audit.StatusMissingProviderTarget,
			AuditSeverity: audit.SeverityBlocked, EvidenceRead: true}}, "a/prod", Blocked, "run the provider-target backfill"},
		{"missing target id: fix the pair", []LaneFacts{{Lane: "a/prod", Stage: "dokploy", AuditStatus: audit.StatusMissingTargetID,
			AuditSeverity: audit.SeverityBlocked, EvidenceRead: true}}, "a/prod", Blocked, "fix the Dokploy pair"},
		{"audit beats evidence", []LaneFacts{{Lane: "a/prod", Stage: "dokploy", AuditStatus: audit.StatusIdentityMismatch,
			AuditSeverity: audit.SeverityBlocked, EvidenceRead: true, Required: []KindState{{Kind: "deploy"}}}}, "a/prod", Blocked, "so they agree"},
		{"no audit result fails closed", []LaneFacts{{Lane: "a/prod", Stage: "provider-target", EvidenceRead: true}}, "a/prod", Blocked, "re-run the audit"},
		{"evidence not read is unknown, never done", []LaneFacts{{Lane: "a/prod", Stage: "provider-target", AuditStatus: audit.StatusComplete,
			AuditSeverity: audit.SeverityOK, Required: []KindState{fresh("deploy")}}}, "a/prod", Unknown, "read evidence"},
		{"unknown stage fails closed", []LaneFacts{ok("a/prod", 1, "sideways")}, "a/prod", Blocked, "known stage"},
		{"waits for the earlier wave", []LaneFacts{ok("a/prod", 1, "dokploy"), ok("b/prod", 2, "dokploy")}, "b/prod", Waiting, "a/prod (wave 1)"},
		{"earlier wave done: ready", []LaneFacts{ok("a/prod", 1, "provider-target"), ok("b/prod", 2, "dokploy")}, "b/prod", Ready, "cutover"},
		{"waits for a required lane in the same wave", []LaneFacts{ok("a/prod", 1, "dokploy"),
			func() LaneFacts { f := ok("b/prod", 1, "dokploy"); f.Requires = []string{"a/prod"}; return f }()}, "b/prod", Waiting, "a/prod"},
		{"undeclared requirement fails closed", []LaneFacts{func() LaneFacts { f := ok("b/prod", 1, "dokploy"); f.Requires = []string{"x/y"}; return f }()},
			"b/prod", Waiting, "x/y (not declared)"},
		{"own block beats waiting", []LaneFacts{ok("a/prod", 1, "dokploy"), ok("b/prod", 2, "dokploy", KindState{Kind: "deploy"})}, "b/prod", Blocked, "record deploy"},
		{"audit warning does not block", []LaneFacts{{Lane: "a/prod", Stage: "provider-target", AuditStatus: audit.StatusFutureProvider,
			AuditSeverity: audit.SeverityWarning, EvidenceRead: true}}, "a/prod", Done, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.facts)[tc.lane]
			if got.Level != tc.level || !strings.Contains(got.Next, tc.next) || (tc.next == "" && got.Next != "") {
				t.Errorf("%s = %+v, want level %s with next step containing %q", tc.lane, got, tc.level, tc.next)
			}
		})
	}
}

func TestLevelIcons(t *testing.T) {
	for l, want := range map[Level]string{Done: "✅", Ready: "🚀", Waiting: "⏳", Blocked: "❌", Unknown: "❔", "": "❌"} {
		if got := l.Icon(); got != want {
			t.Errorf("%q.Icon() = %s, want %s", l, got, want)
		}
	}
}
