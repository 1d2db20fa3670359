package evidence

import (
	"regexp"
	"strings"
)

// tokenShape is a well-known credential format. Detail values matching one
// are refused: evidence is shown in logs, job summaries and PR comments, and
// a value that looks like a credential is treated as one. The refusal names
// the detail key and the kind of credential, never the value.
type tokenShape struct {
	kind string
	re   *regexp.Regexp
}

// notWord is what may precede a token: start of the value or a byte that
// cannot be part of an identifier, so "desk_live_x" is not a Stripe key.
const notWord = `(?:^|[^A-Za-z0-9_])`

var tokenShapes = []tokenShape{
	{"AWS access key id", regexp.MustCompile(`(?:^|[^A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?:$|[^A-Z0-9])`)},
	{"Slack token", regexp.MustCompile(notWord + `xox[abprs]-[A-Za-z0-9-]{8,}`)},
	{"Stripe key", regexp.MustCompile(notWord + `(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}`)},
	{"GitLab token", regexp.MustCompile(notWord + `glpat-[A-Za-z0-9_-]{16,}`)},
	{"GitHub token", regexp.MustCompile(notWord + `(?:gh[pousr]_[A-Za-z0-9]{8,}|github_pat_[A-Za-z0-9_]{8,})`)},
	{"JSON web token", regexp.MustCompile(notWord + `eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)},
	{"private key", regexp.MustCompile(`(?i)-----BEGIN [A-Z0-9 ]*PRIVATE KEY`)},
	{"credential assignment", regexp.MustCompile(`(?i)` + notWord +
		`(?:api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?token|access[_-]?token|key|token|secret|password|passwd|pwd)\s*=\s*[^\s&]`)},
}

// legacyMarkers are refused anywhere in a value, case-insensitively, as
// before the shapes above existed (kept so no value accepted by neither
// rule set slips through a narrower regexp).
var legacyMarkers = []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "bearer ", "basic ", "-----begin"}

// credentialKind returns the kind of credential v looks like, or "".
func credentialKind(v string) string {
	for _, s := range tokenShapes {
		if s.re.MatchString(v) {
			return s.kind
		}
	}
	lv := strings.ToLower(v)
	for _, m := range legacyMarkers {
		if strings.Contains(lv, m) {
			return "credential marker"
		}
	}
	return ""
}
