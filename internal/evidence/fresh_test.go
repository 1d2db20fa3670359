package evidence

import (
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/lanes"
)

func TestEvaluate(t *testing.T) {
	now := t0
	const updated = "2026-04-30T12:00:00Z" // provider-target row changed a day ago
	day := 24 * time.Hour
	deploy := lanes.EvidenceRequirement{Kind: KindDeploy, MaxAge: 7 * day}
	health := lanes.EvidenceRequirement{Kind: KindHealth, MaxAge: day}

	tests := []struct {
		name      string
		req       lanes.EvidenceRequirement
		recs      []Record
		updatedAt string
		fresh     bool
		reason    string
		age       time.Duration
		runID     string // of the verdict's record; "" = none
	}{
		{
			name: "missing evidence", req: deploy, updatedAt: updated,
			reason: "no deploy evidence recorded",
		},
		{
			name: "other kinds do not count", req: deploy, updatedAt: updated,
			recs:   []Record{rec("a/x", KindHealth, true, now.Add(-time.Hour), "1")},
			reason: "no deploy evidence recorded",
		},
		{
			name: "passed and fresh", req: deploy, updatedAt: updated,
			recs:  []Record{rec("a/x", KindDeploy, true, now.Add(-2*time.Hour), "7")},
			fresh: true, reason: "passed 2h ago (run 7)", age: 2 * time.Hour, runID: "7",
		},
		{
			name: "failed", req: deploy, updatedAt: updated,
			recs:   []Record{rec("a/x", KindDeploy, false, now.Add(-time.Hour), "8")},
			reason: "latest deploy evidence failed (run 8, 1h ago)", age: time.Hour, runID: "8",
		},
		{
			name: "newest failure beats an older pass", req: health,
			recs: []Record{
				rec("a/x", KindHealth, true, now.Add(-3*time.Hour), "1"),
				rec("a/x", KindHealth, false, now.Add(-time.Hour), "2"),
			},
			reason: "latest health evidence failed", age: time.Hour, runID: "2",
		},
		{
			name: "newest pass after an older failure", req: health,
			recs: []Record{
				rec("a/x", KindHealth, true, now.Add(-time.Hour), "2"),
				rec("a/x", KindHealth, false, now.Add(-3*time.Hour), "1"),
			},
			fresh: true, reason: "passed 1h ago", age: time.Hour, runID: "2",
		},
		{
			name: "too old", req: health,
			recs:   []Record{rec("a/x", KindHealth, true, now.Add(-25*time.Hour), "3")},
			reason: "latest health evidence is 1d1h old, max age 1d (run 3)", age: 25 * time.Hour, runID: "3",
		},
		{
			name: "exactly max age is too old", req: health,
			recs:   []Record{rec("a/x", KindHealth, true, now.Add(-day), "3")},
			reason: "is 1d old, max age 1d", age: day, runID: "3",
		},
		{
			name: "just under max age", req: health,
			recs:  []Record{rec("a/x", KindHealth, true, now.Add(-day+time.Second), "3")},
			fresh: true, reason: "passed 23h59m ago", age: day - time.Second, runID: "3",
		},
		{
			name: "before the provider-target change", req: deploy, updatedAt: updated,
			recs:   []Record{rec("a/x", KindDeploy, true, now.Add(-2*day), "4")},
			reason: "latest deploy evidence (observed 2026-04-29T12:00:00Z) predates the provider-target change at 2026-04-30T12:00:00Z (run 4)",
			age:    2 * day, runID: "4",
		},
		{
			name: "at the provider-target change does not count", req: deploy, updatedAt: updated,
			recs:   []Record{rec("a/x", KindDeploy, true, now.Add(-day), "4")},
			reason: "predates the provider-target change", age: day, runID: "4",
		},
		{
			name: "promotion binds to the provider-target row too", req: lanes.EvidenceRequirement{Kind: KindPromotion, MaxAge: 7 * day},
			updatedAt: "2026-05-01T11:00:00+00:00",
			recs:      []Record{rec("a/x", KindPromotion, true, now.Add(-2*time.Hour), "5")},
			reason:    "predates the provider-target change", age: 2 * time.Hour, runID: "5",
		},
		{
			name: "health does not bind to the provider-target row", req: health, updatedAt: "2026-05-01T11:59:00Z",
			recs:  []Record{rec("a/x", KindHealth, true, now.Add(-2*time.Hour), "6")},
			fresh: true, reason: "passed 2h ago", age: 2 * time.Hour, runID: "6",
		},
		{
			name: "fractional updated_at", req: deploy, updatedAt: "2026-04-30T12:00:00.123456+02:00",
			recs:  []Record{rec("a/x", KindDeploy, true, now.Add(-time.Hour), "9")},
			fresh: true, reason: "passed 1h ago", age: time.Hour, runID: "9",
		},
		{
			name: "unparsable updated_at", req: deploy, updatedAt: "2026-04-30 12:00",
			recs:   []Record{rec("a/x", KindDeploy, true, now.Add(-time.Hour), "9")},
			reason: `provider-target updated_at "2026-04-30 12:00" is not an RFC 3339 time`, age: time.Hour, runID: "9",
		},
		{
			name: "timezone-less updated_at is unparsable", req: deploy, updatedAt: "2026-04-30T12:00:00",
			recs:   []Record{rec("a/x", KindDeploy, true, now.Add(-time.Hour), "9")},
			reason: "is not an RFC 3339 time", age: time.Hour, runID: "9",
		},
		{
			name: "no provider-target row", req: deploy, updatedAt: "",
			recs:   []Record{rec("a/x", KindDeploy, true, now.Add(-time.Hour), "9")},
			reason: "lane has no provider-target row", age: time.Hour, runID: "9",
		},
		{
			name: "dated in the future", req: health,
			recs:   []Record{rec("a/x", KindHealth, true, now.Add(time.Hour), "10")},
			reason: "dated 1h in the future", age: -time.Hour, runID: "10",
		},
		{
			name: "small clock skew is tolerated", req: health,
			recs:  []Record{rec("a/x", KindHealth, true, now.Add(time.Minute), "11")},
			fresh: true, reason: "passed 0s ago", age: 0, runID: "11",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate(tc.req, tc.recs, tc.updatedAt, now)
			if v.Fresh != tc.fresh {
				t.Errorf("Fresh = %v, want %v (%s)", v.Fresh, tc.fresh, v.Reason)
			}
			if !strings.Contains(v.Reason, tc.reason) {
				t.Errorf("Reason = %q, want it to contain %q", v.Reason, tc.reason)
			}
			if v.Kind != tc.req.Kind || v.MaxAge != tc.req.MaxAge {
				t.Errorf("Kind/MaxAge = %s/%s", v.Kind, v.MaxAge)
			}
			if v.Age != tc.age {
				t.Errorf("Age = %s, want %s", v.Age, tc.age)
			}
			switch {
			case tc.runID == "" && v.Record != nil:
				t.Errorf("Record = %+v, want nil", v.Record)
			case tc.runID != "" && (v.Record == nil || v.Record.RunID != tc.runID):
				t.Errorf("Record = %+v, want run %s", v.Record, tc.runID)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	now := t0
	lane := &lanes.Lane{Key: "a/x", Context: "a", Instance: "x", Evidence: []lanes.EvidenceRequirement{
		{Kind: KindDeploy, MaxAge: 7 * 24 * time.Hour},
		{Kind: KindPromotion, MaxAge: 24 * time.Hour},
		{Kind: KindHealth, MaxAge: time.Hour},
	}}
	ix := NewIndex([]Record{
		rec("a/x", KindDeploy, true, now.Add(-2*time.Hour), "1"),
		rec("a/x", KindHealth, true, now.Add(-2*time.Hour), "2"),
		rec("a/x", KindAudit, true, now.Add(-time.Minute), "3"),
		rec("b/y", KindPromotion, true, now.Add(-time.Minute), "4"),
	})
	byKind := ix["a/x"]
	// A record of another lane slipped into the map is ignored.
	byKind[KindPromotion] = ix["b/y"][KindPromotion]
	got := Check(lane, byKind, "2026-04-01T00:00:00Z", now)
	if len(got) != 3 {
		t.Fatalf("got %d verdicts", len(got))
	}
	want := []struct {
		kind   string
		fresh  bool
		reason string
	}{
		{KindDeploy, true, "passed 2h ago"},
		{KindPromotion, false, "no promotion evidence recorded"},
		{KindHealth, false, "2h old, max age 1h"},
	}
	for i, w := range want {
		v := got[i]
		if v.Lane != "a/x" || v.Kind != w.kind || v.Fresh != w.fresh || !strings.Contains(v.Reason, w.reason) {
			t.Errorf("verdict %d = %+v, want %s fresh=%v %q", i, v, w.kind, w.fresh, w.reason)
		}
	}
	if got := Check(&lanes.Lane{Key: "c/z"}, nil, "", now); len(got) != 0 {
		t.Fatalf("lane without requirements: %v", got)
	}
}

func TestFormatAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                            "0s",
		45 * time.Second:             "45s",
		12 * time.Minute:             "12m",
		3*time.Hour + 12*time.Minute: "3h12m",
		3 * time.Hour:                "3h",
		52 * time.Hour:               "2d4h",
		48 * time.Hour:               "2d",
		-90 * time.Second:            "1m",
	} {
		if got := FormatAge(d); got != want {
			t.Errorf("FormatAge(%s) = %q, want %q", d, got, want)
		}
	}
}
