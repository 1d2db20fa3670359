package evidence

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/verdict"
)

func TestProbeVerdict(t *testing.T) {
	for _, c := range []struct {
		probed, failed int
		want           verdict.Verdict
		reason         string
	}{
		{0, 0, verdict.Blocked, "no selected lane has a health_url: nothing was probed"},
		{3, 0, verdict.OK, ""},
		{3, 1, verdict.Blocked, "1 of 3 health probe(s) failed"},
		{1, 1, verdict.Blocked, "1 of 1 health probe(s) failed"},
	} {
		v, r := ProbeVerdict(c.probed, c.failed)
		if v != c.want || r != c.reason {
			t.Errorf("ProbeVerdict(%d, %d) = %s %q, want %s %q", c.probed, c.failed, v, r, c.want, c.reason)
		}
	}
}

func TestDecideProbes(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	src := Source{RunURL: "https://github.example/o/r/actions/runs/9", RunID: "9", RunAttempt: "1"}
	long := strings.Repeat("x", MaxDetailValueLen+50)
	cases := []struct {
		name    string
		outs    []ProbeOutcome
		verdict verdict.Verdict
		reason  string
		failed  int
		details []map[string]string
	}{
		{"nothing probed is blocked", nil, verdict.Blocked, "no selected lane has a health_url: nothing was probed", 0, nil},
		{"all passed", []ProbeOutcome{{Lane: "a/prod", Passed: true, StatusCode: 200, Latency: 1500 * time.Microsecond, Redirects: 1}},
			verdict.OK, "", 0, []map[string]string{{"status_code": "200", "latency_ms": "1", "redirects": "1"}}},
		{"a failure blocks and keeps its error", []ProbeOutcome{
			{Lane: "a/prod", Passed: true, StatusCode: 200},
			{Lane: "b/prod", Passed: false, Error: "connection refused"},
		}, verdict.Blocked, "1 of 2 health probe(s) failed", 1, []map[string]string{
			{"status_code": "200", "latency_ms": "0", "redirects": "0"},
			{"status_code": "0", "latency_ms": "0", "redirects": "0", "error": "connection refused"}}},
		{"a long error is cut", []ProbeOutcome{{Lane: "a/prod", Error: long}}, verdict.Blocked, "1 of 1 health probe(s) failed", 1,
			[]map[string]string{{"status_code": "0", "latency_ms": "0", "redirects": "0", "error": Truncate(long, MaxDetailValueLen)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := DecideProbes(c.outs, at, src, "trace-1")
			if d.Verdict != c.verdict || d.Reason != c.reason || d.Failed != c.failed || d.Probed != len(c.outs) {
				t.Fatalf("DecideProbes = %s %q probed %d failed %d", d.Verdict, d.Reason, d.Probed, d.Failed)
			}
			if len(d.Records) != len(c.outs) {
				t.Fatalf("%d records for %d outcomes", len(d.Records), len(c.outs))
			}
			for i, r := range d.Records {
				o := c.outs[i]
				if r.Lane != o.Lane || r.Kind != KindHealth || r.Passed != o.Passed || !r.ObservedAt.Equal(at) || r.Source != src || r.TraceID != "trace-1" {
					t.Errorf("record %d = %+v", i, r)
				}
				if !reflect.DeepEqual(r.Detail, c.details[i]) {
					t.Errorf("record %d detail %v, want %v", i, r.Detail, c.details[i])
				}
				if _, err := r.Normalize(); err != nil {
					t.Errorf("record %d does not validate: %v", i, err)
				}
			}
		})
	}
}
