package evidence

import (
	"fmt"
	"strings"
	"time"

	"github.com/lanegate/lanegate/internal/lanes"
)

// Verdict is the freshness of one evidence requirement of a lane.
type Verdict struct {
	Lane   string        `json:"lane,omitempty"`
	Kind   string        `json:"kind"`
	Fresh  bool          `json:"fresh"`
	Reason string        `json:"reason"`
	MaxAge time.Duration `json:"max_age"`
	// Record is the record the verdict is about: the newest record of the
	// kind, or nil when there is none.
	Record *Record `json:"record,omitempty"`
	// Age is how long ago Record was observed (0 without a record).
	Age time.Duration `json:"age"`
}

// bindsToProvider lists the kinds that only count when observed after the
// lane's provider-target row last changed: a deploy or promotion before
// that went to whatever the old row pointed at.
func bindsToProvider(kind string) bool { return kind == KindDeploy || kind == KindPromotion }

// Evaluate applies the freshness rules to one requirement. recs are the
// lane's records (other kinds are ignored; order does not matter).
//
// The newest record of the kind decides, so a failure is never hidden by an
// older success. It counts only if it passed, it is younger than
// req.MaxAge, it is not dated more than MaxClockSkew in the future, and, for
// deploy and promotion, it was observed strictly after providerUpdatedAt
// (the provider-target row's updated_at, RFC 3339). An empty or unparsable
// providerUpdatedAt makes deploy and promotion evidence not count.
func Evaluate(req lanes.EvidenceRequirement, recs []Record, providerUpdatedAt string, now time.Time) Verdict {
	v := Verdict{Kind: req.Kind, MaxAge: req.MaxAge}
	var newest *Record
	for i := range recs {
		r := &recs[i]
		if r.Kind != req.Kind {
			continue
		}
		if newest == nil || Compare(*r, *newest) < 0 {
			newest = r
		}
	}
	if newest == nil {
		v.Reason = fmt.Sprintf("no %s evidence recorded", req.Kind)
		return v
	}
	rec := *newest
	v.Record = &rec
	v.Lane = rec.Lane
	v.Age = now.Sub(rec.ObservedAt)
	run := describeRun(&rec)
	switch {
	case !rec.Passed:
		v.Reason = fmt.Sprintf("latest %s evidence failed (%s, %s ago)", req.Kind, run, FormatAge(v.Age))
		return v
	case v.Age < -MaxClockSkew:
		v.Reason = fmt.Sprintf("latest %s evidence is dated %s in the future (%s)", req.Kind, FormatAge(-v.Age), run)
		return v
	case req.MaxAge > 0 && v.Age >= req.MaxAge:
		v.Reason = fmt.Sprintf("latest %s evidence is %s old, max age %s (%s)", req.Kind, FormatAge(v.Age), FormatAge(req.MaxAge), run)
		return v
	}
	if v.Age < 0 {
		v.Age = 0
	}
	if bindsToProvider(req.Kind) {
		updated := strings.TrimSpace(providerUpdatedAt)
		if updated == "" {
			v.Reason = fmt.Sprintf("lane has no provider-target row, so %s evidence cannot be tied to its target", req.Kind)
			return v
		}
		at, err := time.Parse(time.RFC3339Nano, updated)
		if err != nil {
			v.Reason = fmt.Sprintf("provider-target updated_at %q is not an RFC 3339 time, so %s evidence cannot be checked against it", updated, req.Kind)
			return v
		}
		if !rec.ObservedAt.After(at) {
			v.Reason = fmt.Sprintf("latest %s evidence (observed %s) predates the provider-target change at %s (%s)",
				req.Kind, rec.ObservedAt.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339), run)
			return v
		}
	}
	v.Fresh = true
	v.Reason = fmt.Sprintf("passed %s ago (%s)", FormatAge(v.Age), run)
	return v
}

// Check applies every evidence requirement of a lane. byKind holds the
// lane's records by kind, as Index[lane.Key]; records of other lanes are
// ignored. Verdicts come in the lane's requirement order.
func Check(lane *lanes.Lane, byKind map[string][]Record, providerUpdatedAt string, now time.Time) []Verdict {
	out := make([]Verdict, 0, len(lane.Evidence))
	for _, req := range lane.Evidence {
		var recs []Record
		for _, r := range byKind[req.Kind] {
			if r.Lane == lane.Key {
				recs = append(recs, r)
			}
		}
		v := Evaluate(req, recs, providerUpdatedAt, now)
		v.Lane = lane.Key
		out = append(out, v)
	}
	return out
}

func describeRun(r *Record) string {
	s := "run " + r.RunID
	if r.RunAttempt != "" && r.RunAttempt != "1" {
		s += " attempt " + r.RunAttempt
	}
	return s
}

// FormatAge renders a duration the way evidence tables show ages: "45s",
// "12m", "3h12m", "2d4h". Negative durations are shown as their absolute
// value.
func FormatAge(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}
