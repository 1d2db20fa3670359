package evidence

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/lanegate/lanegate/internal/verdict"
)

// This file decides `lanegate evidence collect`: Launchplane's
// product-environment read model, one read per lane, turned into authority
// evidence. The command layer reads; this file decides what each read
// proves, what is recorded and the run's one verdict.

// AuthorityLane is one selected lane and what reading its product
// environment gave (the command builds it from backend.Authority, which
// this package does not import).
type AuthorityLane struct {
	Lane    string // context/instance, as lanes.yaml declares it
	Context string // the lane's context (lanes.yaml)
	Product string // the lane's product (lanes.yaml)

	// ReadError is why the read failed, "" when it succeeded. A failed read
	// (not found, not authorised, unavailable, a network error) is not
	// evidence: the lane is blocked and nothing is recorded for it.
	ReadError string

	// What the service stated (unused when ReadError is set).
	ServiceContext     string
	Provider           string
	ProviderTargetType string
	TrustState         string
	TargetIDRecorded   bool
	AvailableActions   int
	RuntimeSettings    int
	ManagedSecrets     int
	TraceID            string
	// RulePassed and RuleReasons are Launchplane's own evidence rule
	// (launchplane.AuthorityPass), applied by the backend that reads it.
	RulePassed  bool
	RuleReasons []string
}

// Results of one lane of a collect run.
const (
	AuthorityPass    = "pass"
	AuthorityFail    = "fail"
	AuthorityBlocked = "blocked" // the read failed: nothing recorded
)

// AuthorityRow is one lane of the collect report.
type AuthorityRow struct {
	Lane               string   `json:"lane"`
	Product            string   `json:"product"`
	Result             string   `json:"result"` // pass, fail or blocked
	TrustState         string   `json:"trust_state,omitempty"`
	Provider           string   `json:"provider,omitempty"`
	ProviderTargetType string   `json:"provider_target_type,omitempty"`
	TargetIDRecorded   bool     `json:"target_id_recorded"`
	Reasons            []string `json:"reasons,omitempty"`
	Error              string   `json:"error,omitempty"`
	TraceID            string   `json:"trace_id,omitempty"`
	Recorded           bool     `json:"recorded"`
}

// AuthorityDecision is a collect run decided once: the records to store,
// one row per selected lane, the counts and the verdict every channel (JSON,
// table, exit code) renders.
type AuthorityDecision struct {
	Records []Record
	Rows    []AuthorityRow
	// Read lanes were answered by the service; Passed and Failed split
	// them; Unread lanes could not be read.
	Read, Passed, Failed, Unread int
	Verdict                      verdict.Verdict
	Reason                       string // "" for ok
}

// ExitCode is the process exit the decision asks for: 0 when every lane
// passed, 3 when any lane could not be read (a service or network failure:
// the run could not establish the evidence), otherwise 1 (a lane's read
// model fails the rule).
func (d AuthorityDecision) ExitCode() int {
	switch {
	case d.Verdict == verdict.OK:
		return 0
	case d.Unread > 0:
		return 3
	}
	return 1
}

// AuthorityLanePasses says whether one read proves the lane's authority:
// Launchplane's rule passes (the provider is the lane's provider id,
// provider_target_type is set, trust_state is exactly "recorded",
// target_id_recorded is true) and the read model is about the lane's own
// context. It returns every reason when not.
func AuthorityLanePasses(l AuthorityLane) (bool, []string) {
	why := append([]string(nil), l.RuleReasons...)
	if !l.RulePassed && len(why) == 0 {
		why = append(why, "Launchplane's authority rule does not pass")
	}
	if l.ServiceContext != l.Context {
		why = append(why, fmt.Sprintf("environment.context is %q, not the lane's context %q", l.ServiceContext, l.Context))
	}
	return len(why) == 0, why
}

// DecideAuthority turns the reads into authority records observed at
// observed (one per lane that was read, passed as AuthorityLanePasses says)
// and decides the run: blocked when any lane failed or could not be read,
// and blocked when no lane was selected (an empty run proves nothing). src
// must be a normalised source; an invalid record is an error wrapping a
// *ValidationError and nothing is returned.
func DecideAuthority(ls []AuthorityLane, observed time.Time, src Source) (AuthorityDecision, error) {
	var d AuthorityDecision
	for _, l := range ls {
		row := AuthorityRow{Lane: l.Lane, Product: l.Product}
		if l.ReadError != "" {
			d.Unread++
			row.Result, row.Error = AuthorityBlocked, l.ReadError
			d.Rows = append(d.Rows, row)
			continue
		}
		d.Read++
		pass, why := AuthorityLanePasses(l)
		rec, err := authorityRecord(l, pass, why, observed, src)
		if err != nil {
			return AuthorityDecision{}, fmt.Errorf("authority evidence for %s: %w", l.Lane, err)
		}
		d.Records = append(d.Records, rec)
		row.Result = AuthorityFail
		if pass {
			row.Result = AuthorityPass
			d.Passed++
		} else {
			d.Failed++
		}
		row.TrustState, row.Provider, row.ProviderTargetType = rec.Detail["trust_state"], rec.Detail["provider"], rec.Detail["provider_target_type"]
		row.TargetIDRecorded, row.Reasons, row.TraceID = l.TargetIDRecorded, why, rec.TraceID
		d.Rows = append(d.Rows, row)
	}
	var parts []string
	if len(ls) == 0 {
		parts = append(parts, "no lane selected: nothing was collected")
	}
	if d.Unread > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d lane(s) could not be read from the service (nothing recorded for them)", d.Unread, len(ls)))
	}
	if d.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d lane(s) fail Launchplane's authority rule", d.Failed, len(ls)))
	}
	d.Verdict, d.Reason = verdict.OK, strings.Join(parts, "; ")
	if len(parts) > 0 {
		d.Verdict = verdict.Blocked
	}
	return d, nil
}

// authorityRecord is the evidence one read proves. Its detail holds the
// fields the rule reads, the service's context and the three list lengths,
// never the response itself. Values come from the service: each is kept
// only in a form a detail may carry (see safeDetail).
func authorityRecord(l AuthorityLane, pass bool, why []string, observed time.Time, src Source) (Record, error) {
	detail := map[string]string{
		"product":              safeDetail("product", l.Product),
		"context":              safeDetail("context", l.ServiceContext),
		"provider":             safeDetail("provider", l.Provider),
		"provider_target_type": safeDetail("provider_target_type", l.ProviderTargetType),
		"trust_state":          safeDetail("trust_state", l.TrustState),
		"target_id_recorded":   strconv.FormatBool(l.TargetIDRecorded),
		"available_actions":    strconv.Itoa(l.AvailableActions),
		"runtime_settings":     strconv.Itoa(l.RuntimeSettings),
		// A detail key may not name secrets: this is the length of
		// environment.managed_secrets.
		"managed_bindings": strconv.Itoa(l.ManagedSecrets),
	}
	if len(why) > 0 {
		detail["reasons"] = safeDetail("reasons", strings.Join(why, "; "))
	}
	trace := strings.TrimSpace(l.TraceID)
	if len(trace) > maxTraceLen || strings.ContainsFunc(trace, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		trace = ""
	}
	r := Record{Lane: l.Lane, Kind: KindAuthority, Passed: pass, ObservedAt: observed, Source: src, TraceID: trace, Detail: detail}
	return r.Normalize()
}

// safeDetail is v as a detail value: cut to the value limit; quoted when it
// holds what a detail may not (control characters, invalid UTF-8); withheld
// when even that is refused (it looks like a credential).
func safeDetail(k, v string) string {
	v = strings.TrimSpace(v)
	if t := Truncate(v, MaxDetailValueLen); CheckDetail(k, t) == nil {
		return t
	}
	if q := Truncate(strconv.QuoteToASCII(v), MaxDetailValueLen); CheckDetail(k, q) == nil {
		return q
	}
	return "(withheld: not a value evidence may carry)"
}
