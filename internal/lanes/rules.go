package lanes

import (
	"fmt"
	"slices"
	"time"
)

// RuleDiffs names the rules that differ between lane l and o: every field
// except the stage and the lane's position in the file. The cutover gate
// uses it to refuse a pull request that both edits a lane's rules and relies
// on them.
func (l *Lane) RuleDiffs(o *Lane) []string {
	var diffs []string
	differ := func(name string, a, b any) {
		diffs = append(diffs, fmt.Sprintf("%s %v → %v", name, a, b))
	}
	if l.Product != o.Product {
		differ("product", l.Product, o.Product)
	}
	if l.Driver != o.Driver {
		differ("driver", l.Driver, o.Driver)
	}
	if l.Wave != o.Wave {
		differ("wave", l.Wave, o.Wave)
	}
	if a, b := sortedCopy(l.Requires), sortedCopy(o.Requires); !slices.Equal(a, b) {
		differ("requires", a, b)
	}
	if !slices.Equal(l.Evidence, o.Evidence) {
		differ("evidence", evidenceText(l.Evidence), evidenceText(o.Evidence))
	}
	if l.BaseURL != o.BaseURL {
		differ("base_url", l.BaseURL, o.BaseURL)
	}
	if l.HealthURL != o.HealthURL {
		differ("health_url", l.HealthURL, o.HealthURL)
	}
	if a, b := sortedCopy(l.Health.ExpectStatus), sortedCopy(o.Health.ExpectStatus); !slices.Equal(a, b) {
		differ("health.expect_status", a, b)
	}
	if l.Health.AllowPrivate != o.Health.AllowPrivate {
		differ("health.allow_private", l.Health.AllowPrivate, o.Health.AllowPrivate)
	}
	if l.Health.Timeout != o.Health.Timeout {
		differ("health.timeout", durationText(l.Health.Timeout), durationText(o.Health.Timeout))
	}
	if a, b := sortedCopy(l.Paths), sortedCopy(o.Paths); !slices.Equal(a, b) {
		differ("paths", a, b)
	}
	return diffs
}

// FileRuleDiffs names the file-wide rules that differ between f and o: the
// retire window and defaults.evidence.
func (f *File) FileRuleDiffs(o *File) []string {
	var diffs []string
	if f.RetireWindow != o.RetireWindow {
		diffs = append(diffs, fmt.Sprintf("retire_window %s → %s", durationText(f.RetireWindow), durationText(o.RetireWindow)))
	}
	if !slices.Equal(f.Defaults, o.Defaults) {
		diffs = append(diffs, fmt.Sprintf("defaults.evidence %s → %s", evidenceText(f.Defaults), evidenceText(o.Defaults)))
	}
	return diffs
}

func evidenceText(ev []EvidenceRequirement) string {
	if len(ev) == 0 {
		return "(none)"
	}
	out := "["
	for i, e := range ev {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%s max_age %s", e.Kind, durationText(e.MaxAge))
	}
	return out + "]"
}

// durationText writes a duration the way lanes.yaml does: 14d, 24h, 90m.
func durationText(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= 2*day && d%day == 0:
		return fmt.Sprintf("%dd", d/day)
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
