// Package verdict is the one outcome every lanegate report carries. A
// decision package (audit, backfill, gate, evidence) decides it once; every
// channel (exit code, JSON, table, Markdown, job summary, sticky comment,
// action outputs, annotations) renders that value and never recomputes it
// from counts. The package does no I/O.
package verdict

import "fmt"

// Verdict is a report's outcome.
type Verdict string

const (
	// OK: nothing blocks (warnings may remain; the counts say so).
	OK Verdict = "ok"
	// Blocked: at least one blocked item or finding.
	Blocked Verdict = "blocked"
	// Refused: an apply was asked for and wrote nothing.
	Refused Verdict = "refused"
)

// Parse reads a report's status value; anything but the three known values
// is an error, never a guess.
func Parse(s string) (Verdict, error) {
	switch v := Verdict(s); v {
	case OK, Blocked, Refused:
		return v, nil
	}
	return "", fmt.Errorf("unknown status %q (want ok, blocked or refused)", s)
}

// ExitCode is the process exit the verdict asks for without a --fail-on
// policy: 0 for ok, 1 for blocked or refused, 1 for an undecided verdict
// (fail closed).
func (v Verdict) ExitCode() int {
	if v == OK {
		return 0
	}
	return 1
}

// Valid reports whether v is one of the three verdicts.
func (v Verdict) Valid() bool { return v == OK || v == Blocked || v == Refused }

// Word is the upper-case header word terminals print: OK, BLOCKED, REFUSED.
func (v Verdict) Word() string {
	switch v {
	case OK:
		return "OK"
	case Blocked:
		return "BLOCKED"
	case Refused:
		return "REFUSED"
	}
	return "UNKNOWN"
}

// Icon is the Markdown header mark: ✅ ok, ⚠️ ok with warnings, ❌ blocked,
// ⛔ refused (and ❌ for anything undecided).
func (v Verdict) Icon(warnings int) string {
	switch v {
	case OK:
		if warnings > 0 {
			return "⚠️"
		}
		return "✅"
	case Refused:
		return "⛔"
	}
	return "❌"
}

// FromCounts is the rule for reports whose only inputs are counts: blocked
// when anything is blocked. Decision packages call it once when they finish.
func FromCounts(blocked int) Verdict {
	if blocked > 0 {
		return Blocked
	}
	return OK
}

// Consistent checks a verdict read back from a report against its counts:
// ok never has a blocked item; blocked has a blocked item or a stated
// reason; refused has a refusal reason.
func Consistent(v Verdict, blocked int, reason string) error {
	switch v {
	case OK:
		if blocked > 0 || reason != "" {
			return fmt.Errorf("status ok but blocked_count %d%s", blocked, reasonText(reason))
		}
	case Blocked:
		if blocked == 0 && reason == "" {
			return fmt.Errorf("status blocked but blocked_count 0 and no reason")
		}
	case Refused:
		if reason == "" {
			return fmt.Errorf("status refused without a refusal reason")
		}
	default:
		return fmt.Errorf("unknown status %q", string(v))
	}
	return nil
}

func reasonText(r string) string {
	if r == "" {
		return ""
	}
	return " and a refusal"
}

// FailOn is a --fail-on policy: which reports make a run fail. It never
// changes the verdict a report states; it only says whether the run's exit
// says "fail" for it.
type FailOn string

// The --fail-on policies.
const (
	FailOnBlocked FailOn = "blocked" // fail on blocked or refused (the default)
	FailOnWarning FailOn = "warning" // also fail when the report has warnings
	FailOnNever   FailOn = "never"   // fail only on a refused apply
)

// ParseFailOn reads a --fail-on value.
func ParseFailOn(s string) (FailOn, error) {
	switch p := FailOn(s); p {
	case FailOnBlocked, FailOnWarning, FailOnNever:
		return p, nil
	}
	return "", fmt.Errorf("--fail-on %q: want blocked, warning or never", s)
}

// Fails says whether a report with verdict v and the given warning count
// fails the run under policy p. A refused apply always fails: the policy
// widens (warning) or waives (never) a blocked verdict only.
func (p FailOn) Fails(v Verdict, warnings int) bool {
	switch {
	case v == Refused:
		return true
	case p == FailOnNever:
		return false
	case p == FailOnWarning && warnings > 0:
		return true
	}
	return v.ExitCode() != 0
}
