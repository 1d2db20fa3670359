package evidence

import (
	"fmt"
	"strconv"
	"time"

	"github.com/lanegate/lanegate/internal/verdict"
)

// ProbeVerdict decides the health-probe report once: blocked when any probe
// failed, and blocked when nothing was probed at all (no selected lane has a
// health_url), because an empty probe run proves nothing. The reason is ""
// for ok.
func ProbeVerdict(probed, failed int) (verdict.Verdict, string) {
	switch {
	case probed == 0:
		return verdict.Blocked, "no selected lane has a health_url: nothing was probed"
	case failed > 0:
		return verdict.Blocked, fmt.Sprintf("%d of %d health probe(s) failed", failed, probed)
	}
	return verdict.OK, ""
}

// ProbeOutcome is one health probe's result, as the prober reports it
// (probe.Result, without this package depending on the HTTP client).
type ProbeOutcome struct {
	Lane       string
	Passed     bool
	StatusCode int // 0 when no response came
	Latency    time.Duration
	Redirects  int
	Error      string // short sanitized reason
}

// HealthRecord is the health evidence one probe outcome proves: passed as
// the probe passed, observed at observed, with the status code, latency,
// redirects and (cut to MaxDetailValueLen) the error as details.
func HealthRecord(o ProbeOutcome, observed time.Time, src Source, trace string) Record {
	detail := map[string]string{
		"status_code": strconv.Itoa(o.StatusCode),
		"latency_ms":  strconv.FormatInt(o.Latency.Milliseconds(), 10),
		"redirects":   strconv.Itoa(o.Redirects),
	}
	if o.Error != "" {
		detail["error"] = Truncate(o.Error, MaxDetailValueLen)
	}
	return Record{Lane: o.Lane, Kind: KindHealth, Passed: o.Passed, ObservedAt: observed, Source: src, TraceID: trace, Detail: detail}
}

// ProbeDecision is a probe run decided once: the health records to store,
// the counts, and the verdict every channel (JSON, table, exit code) renders.
type ProbeDecision struct {
	Records        []Record
	Probed, Failed int
	Verdict        verdict.Verdict
	Reason         string // "" for ok
}

// DecideProbes turns every probe outcome into its health record and decides
// the run by ProbeVerdict: no outcome at all is blocked, never ok.
func DecideProbes(outs []ProbeOutcome, observed time.Time, src Source, trace string) ProbeDecision {
	d := ProbeDecision{Probed: len(outs)}
	for _, o := range outs {
		if !o.Passed {
			d.Failed++
		}
		d.Records = append(d.Records, HealthRecord(o, observed, src, trace))
	}
	d.Verdict, d.Reason = ProbeVerdict(d.Probed, d.Failed)
	return d
}
