// Package evidence records and reads lane evidence: proofs that a lane was
// audited, backfilled, deployed, promoted, health-checked or passed a backup
// gate, each tied to the CI run that observed it. Records live in lanegate's
// own storage (the lanegate_evidence table, or files under
// <state>/.lanegate/evidence in a filesystem state) and are appended
// idempotently per (lane, kind, run id, run attempt).
//
// The package also holds the freshness rules the gate applies: evidence
// counts only when the newest record of a kind passed, is younger than the
// lane's maximum age, and (for deploys and promotions) was observed after the
// lane's provider-target row last changed.
package evidence

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lanegate/lanegate/internal/lanes"
)

// Evidence kinds. The lanegate_evidence table's CHECK constraint allows
// exactly these.
const (
	KindAudit      = "audit"
	KindBackfill   = "backfill"
	KindDeploy     = "deploy"
	KindPromotion  = "promotion"
	KindHealth     = "health"
	KindBackupGate = "backup-gate"
	// KindAuthority is Launchplane's own read model of a lane (its
	// product-environment route), as lanegate evidence collect reads it.
	KindAuthority = "authority"
)

// Kinds lists every evidence kind in canonical order.
// New kinds are appended, so the order of stored kinds never changes.
var Kinds = []string{KindAudit, KindBackfill, KindDeploy, KindPromotion, KindHealth, KindBackupGate, KindAuthority}

// ValidKind reports whether k is a known evidence kind.
func ValidKind(k string) bool { return slices.Contains(Kinds, k) }

// Limits on what a record may carry. Evidence ends up in logs, job
// summaries and issue comments, so it is kept small and free of secrets.
const (
	MaxDetailKeys     = 16
	MaxDetailKeyLen   = 64
	MaxDetailValueLen = 256
	maxLaneLen        = 512
	maxRunURLLen      = 2048
	maxRunIDLen       = 256
	maxAttemptLen     = 9
	maxActorLen       = 256
	maxTraceLen       = 256
	// MaxClockSkew is how far in the future an observation may be dated
	// before it is refused (recording) or ignored (freshness).
	MaxClockSkew = 5 * time.Minute
)

var detailKeyRE = regexp.MustCompile(`^[a-z0-9_.-]+$`)

// forbiddenKeyParts are refused anywhere in a detail key: a key that names a
// credential invites a value that is one.
var forbiddenKeyParts = []string{"token", "password", "passwd", "secret", "key", "credential"}

// Source is the provenance of a record: the CI run that observed it.
type Source struct {
	RunURL     string `json:"run_url"`
	RunID      string `json:"run_id"`
	RunAttempt string `json:"run_attempt"`
	SHA        string `json:"sha"`
	Actor      string `json:"actor"`
}

// Record is one piece of lane evidence.
type Record struct {
	Lane       string    `json:"lane"`
	Kind       string    `json:"kind"`
	Passed     bool      `json:"passed"`
	ObservedAt time.Time `json:"observed_at"`
	Source
	TraceID string            `json:"trace_id"`
	Detail  map[string]string `json:"detail"`
	// RecordedAt is set by the store when the record is first written.
	RecordedAt time.Time `json:"recorded_at"`
}

// Key identifies a record for idempotency.
type Key struct {
	Lane, Kind, RunID, RunAttempt string
}

// Key returns the record's idempotency key.
func (r *Record) Key() Key {
	return Key{Lane: r.Lane, Kind: r.Kind, RunID: r.RunID, RunAttempt: r.RunAttempt}
}

// Status is "pass" or "fail".
func (r *Record) Status() string {
	if r.Passed {
		return "pass"
	}
	return "fail"
}

// ValidationError explains why a record cannot be stored. Commands map it
// to a usage error (exit 2).
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// ErrMissingSource is returned (wrapped in a ValidationError) when a record
// names neither a run id nor a run URL.
var ErrMissingSource = errors.New("evidence needs a source: a run id or a run URL")

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// IsValidationError reports whether err is (or wraps) a ValidationError.
func IsValidationError(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve)
}

var runURLPath = regexp.MustCompile(`/actions/runs/([0-9]+)(?:/attempts/([0-9]+))?/?$`)

// Normalize returns the record as it will be stored, or a *ValidationError.
// It trims the source fields, derives a missing run id (and attempt) from a
// GitHub Actions run URL, defaults the attempt to "1", lower-cases the SHA,
// stores times in UTC at microsecond precision (what Postgres keeps), and
// checks every limit. RecordedAt is left as is.
func (r Record) Normalize() (Record, error) {
	if _, _, err := lanes.ParseRoute(r.Lane); err != nil {
		return r, invalid("lane", "%v", err)
	}
	if len(r.Lane) > maxLaneLen {
		return r, invalid("lane", "longer than %d bytes", maxLaneLen)
	}
	if !ValidKind(r.Kind) {
		return r, invalid("kind", "unknown evidence kind %q (want one of %s)", r.Kind, strings.Join(Kinds, ", "))
	}
	if r.ObservedAt.IsZero() {
		return r, invalid("observed_at", "missing")
	}
	r.ObservedAt = r.ObservedAt.UTC().Truncate(time.Microsecond)
	if !r.RecordedAt.IsZero() {
		r.RecordedAt = r.RecordedAt.UTC().Truncate(time.Microsecond)
	}
	src, err := r.Source.Normalize()
	if err != nil {
		return r, err
	}
	r.Source = src
	r.TraceID = strings.TrimSpace(r.TraceID)
	if err := checkText("trace_id", r.TraceID, maxTraceLen); err != nil {
		return r, err
	}
	if strings.ContainsFunc(r.TraceID, unicode.IsSpace) {
		return r, invalid("trace_id", "must not contain whitespace")
	}
	d, err := NormalizeDetail(r.Detail)
	if err != nil {
		return r, err
	}
	r.Detail = d
	return r, nil
}

// Normalize validates and fills in a source (see Record.Normalize).
func (s Source) Normalize() (Source, error) {
	s.RunURL = strings.TrimSpace(s.RunURL)
	s.RunID = strings.TrimSpace(s.RunID)
	s.RunAttempt = strings.TrimSpace(s.RunAttempt)
	s.SHA = strings.ToLower(strings.TrimSpace(s.SHA))
	s.Actor = strings.TrimSpace(s.Actor)
	if s.RunURL != "" {
		if len(s.RunURL) > maxRunURLLen {
			return s, invalid("run_url", "longer than %d bytes", maxRunURLLen)
		}
		u, err := url.Parse(s.RunURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, invalid("run_url", "must be an absolute http(s) URL")
		}
		if u.User != nil {
			return s, invalid("run_url", "must not contain credentials")
		}
		if err := checkText("run_url", s.RunURL, maxRunURLLen); err != nil {
			return s, err
		}
		if s.RunID == "" {
			if m := runURLPath.FindStringSubmatch(u.Path); m != nil {
				s.RunID = m[1]
				if s.RunAttempt == "" && m[2] != "" {
					s.RunAttempt = m[2]
				}
			} else {
				// Not an Actions run URL: the URL itself names the run.
				s.RunID = s.RunURL
			}
		}
	}
	if s.RunID == "" {
		return s, &ValidationError{Field: "source", Msg: ErrMissingSource.Error()}
	}
	if err := checkText("run_id", s.RunID, max(maxRunIDLen, len(s.RunURL))); err != nil {
		return s, err
	}
	if s.RunAttempt == "" {
		s.RunAttempt = "1"
	}
	if n, err := strconv.Atoi(s.RunAttempt); err != nil || n < 1 || len(s.RunAttempt) > maxAttemptLen || strings.Trim(s.RunAttempt, "0123456789") != "" {
		return s, invalid("run_attempt", "must be a positive integer, got %q", s.RunAttempt)
	}
	if s.SHA != "" {
		if len(s.SHA) < 7 || len(s.SHA) > 64 || strings.Trim(s.SHA, "0123456789abcdef") != "" {
			return s, invalid("sha", "must be a hexadecimal commit SHA (7 to 64 digits), got %q", s.SHA)
		}
	}
	if err := checkText("actor", s.Actor, maxActorLen); err != nil {
		return s, err
	}
	return s, nil
}

// checkText requires valid UTF-8 without control characters, at most limit
// bytes.
func checkText(field, s string, limit int) error {
	if !utf8.ValidString(s) {
		return invalid(field, "not valid UTF-8")
	}
	if len(s) > limit {
		return invalid(field, "longer than %d bytes", limit)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return invalid(field, "contains control characters")
	}
	return nil
}

// NormalizeDetail checks a detail map against the limits: at most
// MaxDetailKeys keys; each key at most MaxDetailKeyLen bytes of [a-z0-9_.-]
// and not naming a credential (token, password, secret, key, ...); each
// value at most MaxDetailValueLen bytes of printable UTF-8 that does not look
// like a credential (a well-known token shape, a private key, a
// key=/token=/secret=/password= assignment, a URL with credentials: see
// tokens.go). Such values are refused, not redacted: the caller gets a
// ValidationError (exit 2) naming the key, so nothing half-scrubbed is
// stored as evidence. Values are trimmed. nil becomes an empty map.
func NormalizeDetail(in map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(in))
	if len(in) > MaxDetailKeys {
		return nil, invalid("detail", "%d keys; at most %d are allowed", len(in), MaxDetailKeys)
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(in[k])
		if err := CheckDetail(k, v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// CheckDetail checks one detail entry (see NormalizeDetail).
func CheckDetail(k, v string) error {
	field := "detail " + strconvQuote(k)
	switch {
	case k == "":
		return invalid("detail", "empty key")
	case len(k) > MaxDetailKeyLen:
		return invalid(field, "key longer than %d bytes", MaxDetailKeyLen)
	case !detailKeyRE.MatchString(k):
		return invalid(field, "key must match [a-z0-9_.-]+")
	}
	for _, part := range forbiddenKeyParts {
		if strings.Contains(k, part) {
			return invalid(field, "keys naming credentials (%q) are refused: evidence must not carry secrets", part)
		}
	}
	if err := checkText(field, v, MaxDetailValueLen); err != nil {
		return err
	}
	if kind := credentialKind(v); kind != "" {
		// Name the key and the kind, never the value: this error is
		// printed.
		return invalid(field, "value looks like a credential (%s) and is refused: evidence must not carry secrets", kind)
	}
	if strings.Contains(v, "://") {
		if u, err := url.Parse(v); err == nil && u.User != nil {
			return invalid(field, "URL values must not contain credentials")
		}
	}
	return nil
}

func strconvQuote(s string) string {
	if len(s) > MaxDetailKeyLen {
		s = s[:MaxDetailKeyLen] + "..."
	}
	return strconv.Quote(s)
}

// Truncate shortens s to at most n bytes on a rune boundary, marking the cut
// with "…" (which counts towards n).
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ell = "…"
	cut := n - len(ell)
	if cut < 0 {
		return ""
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}
