package evidence

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/record"
)

const commentPlan = `schema_version: 1
lanes:
  - {route: a/prod, product: a, driver: odoo, wave: 1, stage: provider-target, evidence: {deploy: {max_age: 1d}, health: {max_age: 1h}}}
  - {route: b/prod, product: b, driver: odoo, wave: 2, requires: [a/prod], evidence: {}}
`

var cNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func cRec(lane, kind string, age time.Duration, passed bool) Record {
	return Record{Lane: lane, Kind: kind, Passed: passed, ObservedAt: cNow.Add(-age),
		Source: Source{RunURL: "https://github.example/o/r/actions/runs/5", RunID: "5", RunAttempt: "1"}}
}

func cPlan(t *testing.T) *lanes.File {
	t.Helper()
	p, err := lanes.Parse("lanes.yaml", []byte(commentPlan))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLatestCells(t *testing.T) {
	plan := cPlan(t)
	a, _ := plan.Lane("a/prod")
	b, _ := plan.Lane("b/prod")
	updated := cNow.Add(-48 * time.Hour).Format(time.RFC3339)
	type want map[string]struct{ present, passed, fresh bool }
	cases := []struct {
		name    string
		lane    *lanes.Lane
		byKind  map[string][]Record
		updated string
		want    want
	}{
		{"no records: no cells", a, nil, updated, want{}},
		{"missing kind has no cell", a, map[string][]Record{KindDeploy: {cRec("a/prod", KindDeploy, time.Hour, true)}}, updated,
			want{KindDeploy: {true, true, true}}},
		{"required kind stale exactly at max age", a, map[string][]Record{KindHealth: {cRec("a/prod", KindHealth, time.Hour, true)}}, updated,
			want{KindHealth: {true, true, false}}},
		{"required kind just inside max age", a, map[string][]Record{KindHealth: {cRec("a/prod", KindHealth, time.Hour-time.Second, true)}}, updated,
			want{KindHealth: {true, true, true}}},
		{"required deploy before the row changed", a, map[string][]Record{KindDeploy: {cRec("a/prod", KindDeploy, 72*time.Hour, true)}}, updated,
			want{KindDeploy: {true, true, false}}},
		{"required deploy without a row", a, map[string][]Record{KindDeploy: {cRec("a/prod", KindDeploy, time.Hour, true)}}, "",
			want{KindDeploy: {true, true, false}}},
		{"failed record is never fresh", a, map[string][]Record{KindDeploy: {cRec("a/prod", KindDeploy, time.Hour, false)}}, updated,
			want{KindDeploy: {true, false, false}}},
		{"kind not required: passed counts as fresh, however old", b, map[string][]Record{KindHealth: {cRec("b/prod", KindHealth, 90*24*time.Hour, true)}}, "",
			want{KindHealth: {true, true, true}}},
		{"undeclared lane: passed counts as fresh", nil, map[string][]Record{KindPromotion: {cRec("z/prod", KindPromotion, time.Hour, true)}}, "",
			want{KindPromotion: {true, true, true}}},
		{"kinds outside the comment's are not shown", a, map[string][]Record{KindAudit: {cRec("a/prod", KindAudit, time.Hour, true)}}, updated, want{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := LatestCells(c.lane, c.byKind, c.updated, cNow)
			if len(got) != len(c.want) {
				t.Fatalf("cells %+v, want %d", got, len(c.want))
			}
			for k, w := range c.want {
				g := got[k]
				if g.Present != w.present || g.Passed != w.passed || g.Fresh != w.fresh {
					t.Errorf("%s: %+v, want present %t passed %t fresh %t", k, g, w.present, w.passed, w.fresh)
				}
				r := c.byKind[k][0]
				if g.Age != cNow.Sub(r.ObservedAt) || !g.ObservedAt.Equal(r.ObservedAt) || g.RunURL != r.RunURL {
					t.Errorf("%s: age/observed/run %v %v %q", k, g.Age, g.ObservedAt, g.RunURL)
				}
			}
		})
	}
}

func TestCommentRowsAndReadiness(t *testing.T) {
	plan := cPlan(t)
	phys := &record.ProviderTarget{TargetID: "x", UpdatedAt: cNow.Add(-48 * time.Hour).Format(time.RFC3339)}
	proj := &record.ProviderTarget{TargetID: "y"}
	entries := []audit.LaneEntry{
		{Lane: "a/prod", Declared: true, Wave: 1, Driver: "odoo", WorstStatus: audit.StatusComplete, Severity: audit.SeverityOK},
		{Lane: "x/undeclared", Declared: false, WorstStatus: audit.StatusComplete, Severity: audit.SeverityOK},
		{Lane: "b/prod", Declared: true, Wave: 2, Driver: "odoo", WorstStatus: audit.StatusIdentityMismatch, Severity: audit.SeverityBlocked, Detail: "d"},
	}
	findings := []audit.Finding{
		{Context: "a", Instance: "prod", Status: audit.StatusComplete, Severity: audit.SeverityOK, Physical: phys},
		{Context: "b", Instance: "prod", Status: audit.StatusComplete, Severity: audit.SeverityOK},
		{Context: "b", Instance: "prod", Status: audit.StatusIdentityMismatch, Severity: audit.SeverityBlocked, Physical: phys, Projected: proj},
	}
	idx := Index{"a/prod": {
		KindDeploy: {cRec("a/prod", KindDeploy, time.Hour, true)},
		KindHealth: {cRec("a/prod", KindHealth, time.Minute, true)},
	}}
	rows := CommentRows(plan, entries, findings, idx, cNow)
	if len(rows) != 2 || rows[0].Lane != "a/prod" || rows[1].Lane != "b/prod" {
		t.Fatalf("rows %+v", rows)
	}
	if rows[0].Stage != "provider-target" || rows[1].Stage != "dokploy" {
		t.Errorf("stages %q %q", rows[0].Stage, rows[1].Stage)
	}
	if !rows[0].Evidence[KindDeploy].Fresh || !rows[0].Evidence[KindHealth].Fresh || len(rows[1].Evidence) != 0 {
		t.Errorf("evidence %+v / %+v", rows[0].Evidence, rows[1].Evidence)
	}
	if rows[1].Physical != phys || rows[1].Projected != proj || rows[0].Physical != phys || rows[0].Projected != nil {
		t.Errorf("worst finding records not attached: %+v", rows)
	}

	DecideCommentReadiness(plan, rows, true)
	if rows[0].Readiness.Level != Done || rows[1].Readiness.Level != Blocked {
		t.Errorf("readiness %+v %+v", rows[0].Readiness, rows[1].Readiness)
	}

	// Without a store, a lane with required evidence is unknown, never done.
	notRead := CommentRows(plan, entries, findings, nil, cNow)
	DecideCommentReadiness(plan, notRead, false)
	if notRead[0].Readiness.Level != Unknown {
		t.Errorf("evidence not read: %+v", notRead[0].Readiness)
	}
	// A row without an audit result is blocked, never ready.
	empty := []CommentLane{{Lane: "a/prod", Wave: 1, Stage: "dokploy"}}
	DecideCommentReadiness(plan, empty, true)
	if empty[0].Readiness.Level != Blocked {
		t.Errorf("empty row: %+v", empty[0].Readiness)
	}
	if got := CommentRows(plan, nil, nil, nil, cNow); len(got) != 0 {
		t.Errorf("no entries: %+v", got)
	}
}

func TestNewCommentState(t *testing.T) {
	plan := cPlan(t)
	rows := []CommentLane{{Lane: "a/prod", Status: audit.StatusComplete}, {Lane: "b/prod", Status: audit.StatusMissingTargetID}}
	st := NewCommentState([]byte("{}\n"), plan, rows, "https://run/1", "abc", "v1.0.0", cNow)
	want := CommentState{Schema: CommentSchema, Lanes: map[string]string{"a/prod": audit.StatusComplete, "b/prod": audit.StatusMissingTargetID},
		ReportDigest: fmt.Sprintf("sha256:%x", sha256.Sum256([]byte("{}\n"))), ConfigDigest: plan.Digest(),
		HeadSHA: "abc", RunURL: "https://run/1", Time: "2026-05-01T12:00:00Z", Version: "v1.0.0"}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("state %+v\nwant %+v", st, want)
	}
	if other := NewCommentState([]byte("{} \n"), plan, rows, "", "", "", cNow); other.ReportDigest == st.ReportDigest {
		t.Error("different report bytes, same report digest")
	}
	if noPlan := NewCommentState(nil, nil, nil, "", "", "", cNow); noPlan.ConfigDigest != "" || len(noPlan.Lanes) != 0 || noPlan.Lanes == nil {
		t.Errorf("no plan: %+v", noPlan)
	}
}

func TestUnchanged(t *testing.T) {
	for _, c := range []struct {
		prev   *CommentState
		digest string
		want   bool
	}{
		{nil, "sha256:1", false},
		{&CommentState{}, "", false},
		{&CommentState{ResultDigest: ""}, "sha256:1", false},
		{&CommentState{ResultDigest: "sha256:1"}, "sha256:2", false},
		{&CommentState{ResultDigest: "sha256:1"}, "sha256:1", true},
	} {
		if got := Unchanged(c.prev, c.digest); got != c.want {
			t.Errorf("Unchanged(%+v, %q) = %t", c.prev, c.digest, got)
		}
	}
}

func TestCommentDigestInputs(t *testing.T) {
	base := DigestInput{State: CommentState{ReportDigest: "r", ConfigDigest: "c", Version: "v", Time: "t1", RunURL: "u1"},
		Lanes: []CommentLane{{Lane: "a/prod", Wave: 1, Status: audit.StatusComplete, Evidence: map[string]Cell{
			KindDeploy: {Present: true, Passed: true, Fresh: true, Age: time.Hour, ObservedAt: cNow}}}}}
	d := CommentDigest(base)
	same := base
	same.State.Time, same.State.RunURL, same.State.HeadSHA = "t2", "u2", "sha"
	same.Lanes = []CommentLane{base.Lanes[0]}
	same.Lanes[0].Evidence = map[string]Cell{KindDeploy: {Present: true, Passed: true, Fresh: true, Age: 5 * time.Hour, ObservedAt: cNow}}
	if CommentDigest(same) != d {
		t.Error("provenance or age changed the digest")
	}
	for name, change := range map[string]func(in *DigestInput){
		"diffs":    func(in *DigestInput) { in.Diffs = func(CommentLane) string { return "target_id: x ≠ y" } },
		"shard":    func(in *DigestInput) { in.Shard = json.RawMessage(`{"index":1}`) },
		"not read": func(in *DigestInput) { in.EvidenceNotRead = true },
		"readiness": func(in *DigestInput) {
			in.Lanes = []CommentLane{{Lane: "a/prod", Wave: 1, Readiness: Readiness{Level: Done}}}
		},
		"artifact": func(in *DigestInput) { in.Artifact = "x" },
		"title":    func(in *DigestInput) { in.Title = "x" },
	} {
		in := base
		change(&in)
		if CommentDigest(in) == d {
			t.Errorf("%s did not change the digest", name)
		}
	}
}

func TestChangesSince(t *testing.T) {
	rows := []CommentLane{
		{Lane: "b/prod", Wave: 2, Status: audit.StatusComplete},
		{Lane: "a/prod", Wave: 1, Status: audit.StatusMissingTargetID},
		{Lane: "c/prod", Wave: 1, Status: audit.StatusComplete},
		{Lane: "d/prod", Wave: 3, Status: audit.StatusComplete},
	}
	prev := &CommentState{Lanes: map[string]string{"a/prod": audit.StatusComplete, "b/prod": audit.StatusMissingProviderTarget,
		"c/prod": audit.StatusComplete, "z/old": audit.StatusComplete, "y/old": "x"}}
	cases := []struct {
		name string
		prev *CommentState
		rows []CommentLane
		want CommentChanges
	}{
		{"no previous state", nil, rows, CommentChanges{First: true}},
		{"each kind of change", prev, rows, CommentChanges{Newly: []string{"b/prod"}, Regressed: []string{"a/prod (missing_target_id)"},
			Added: []string{"d/prod"}, Cleared: []string{"y/old", "z/old"}}},
		{"omitted lanes are unknown, not new", &CommentState{Lanes: map[string]string{"c/prod": audit.StatusComplete}, LanesOmitted: 3},
			rows[2:], CommentChanges{PrevOmitted: 3}},
		{"empty both", &CommentState{}, nil, CommentChanges{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ChangesSince(c.prev, c.rows)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("ChangesSince = %+v, want %+v", got, c.want)
			}
			if got.None() != (len(c.want.Newly)+len(c.want.Regressed)+len(c.want.Added)+len(c.want.Cleared) == 0) {
				t.Fatalf("None() = %t", got.None())
			}
		})
	}
}
