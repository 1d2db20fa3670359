// Package preflight decides whether a lane's deploy through Dokploy may go
// ahead, the way Launchplane's generic-web Dokploy provider checks its
// provider-target authority before it deploys. It is pure: the route's
// stored records and, when asked for, the outcome of the live Dokploy lookup
// go in; one check per line and one verdict come out. A check that could not
// be made is an error, never a pass.
package preflight

import (
	"fmt"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// Check statuses.
const (
	Pass  = "pass"
	Fail  = "fail"  // the deploy must not go ahead (exit 1)
	Error = "error" // the check could not be made (exit 3)
	Skip  = "skip"
)

// Report verdicts.
const (
	StatusPass    = "pass"
	StatusBlocked = "blocked"
	StatusError   = "error"
)

// The provider-target types Dokploy deploys (dokploy.TypeApplication and
// dokploy.TypeCompose; this package does not import the client).
const (
	typeApplication = "application"
	typeCompose     = "compose"
)

// Check is one line of the preflight.
type Check struct {
	Check    string `json:"check"`
	Status   string `json:"status"`
	Field    string `json:"field,omitempty"`
	Actual   string `json:"actual,omitempty"`   // the provider-target row's value
	Expected string `json:"expected,omitempty"` // what it must equal
	Message  string `json:"message"`
}

// Report is the preflight of one lane.
type Report struct {
	Lane   string  `json:"lane"`
	Status string  `json:"status"` // pass, blocked or error
	Checks []Check `json:"checks"`
}

// First returns the first check with the given status, or nil.
func (r *Report) First(status string) *Check {
	return first(r.Checks, status)
}

func first(checks []Check, status string) *Check {
	for i := range checks {
		if checks[i].Status == status {
			return &checks[i]
		}
	}
	return nil
}

// Reason is the message of the check that decided a verdict other than
// pass: the first error, else the first failure; "" for pass.
func (r *Report) Reason() string {
	if c := r.First(Error); c != nil {
		return c.Message
	}
	if c := r.First(Fail); c != nil {
		return c.Message
	}
	return ""
}

// Outcome is how the live Dokploy lookup ended. The zero value is Unknown:
// a lookup nobody classified is an error, never a pass.
type Outcome int

const (
	Unknown     Outcome = iota
	Found               // Dokploy returned the application or compose
	NotFound            // Dokploy has no such target
	Refused             // Dokploy refused the API key (401/403)
	Unavailable         // Dokploy did not answer usefully (timeout, 5xx)
	Interrupted         // the lookup was cancelled
	Failed              // any other failure
)

// Lookup is the live Dokploy lookup of the row's target.
type Lookup struct {
	Outcome Outcome
	// Type, ID and Name are the target Dokploy returned (Found only).
	Type, ID, Name string
	// Err is the lookup error's text (Refused, Unavailable, Failed).
	Err string
}

// RecordChecks compares the stored records: the provider-target row must
// exist and agree with the Dokploy target and target-id records on
// provider, type, category and id, and its type must be one Dokploy runs.
// rr is nil when the store holds nothing for the route.
func RecordChecks(route store.Route, rr *store.RouteRecords) []Check {
	var out []Check
	add := func(c Check) { out = append(out, c) }
	key := route.Key()
	if rr != nil && len(rr.Invalid) > 0 {
		for _, inv := range rr.Invalid {
			add(Check{Check: "records", Status: Fail,
				Message: fmt.Sprintf("Invalid record for %s: %s. Fix the record before deploying.", key, inv.Detail())})
		}
	}
	var p *record.ProviderTarget
	var t *record.DokployTarget
	var id *record.DokployTargetID
	if rr != nil {
		p, t, id = rr.Provider, rr.Target, rr.TargetID
	}
	if p == nil {
		if !invalidOf(rr, record.KindProviderTarget) {
			add(Check{Check: "provider-target", Status: Fail,
				Message: fmt.Sprintf("Missing provider-target authority for %s. Run provider-target audit/backfill before deploying.", key)})
		}
	} else {
		add(Check{Check: "provider-target", Status: Pass,
			Message: fmt.Sprintf("provider-target row for %s: %s %s %s", key, p.ProviderID, p.ProviderTargetType, record.PyRepr(p.TargetID))})
	}
	if t == nil && !invalidOf(rr, record.KindDokployTarget) {
		add(Check{Check: "dokploy-target", Status: Fail,
			Message: fmt.Sprintf("Missing Dokploy target record for %s: Dokploy execution has no target configuration.", key)})
	}
	if id == nil && !invalidOf(rr, record.KindDokployTargetID) {
		add(Check{Check: "dokploy-target-id", Status: Fail,
			Message: fmt.Sprintf("Missing Dokploy target-id record for %s: Dokploy execution has no target id.", key)})
	}
	if p == nil {
		return out
	}
	compare := func(check, field, actual, expected string, mismatch string) {
		if actual == expected {
			add(Check{Check: check, Status: Pass, Field: field, Actual: actual, Expected: expected,
				Message: fmt.Sprintf("%s %s matches", field, record.PyRepr(actual))})
			return
		}
		add(Check{Check: check, Status: Fail, Field: field, Actual: actual, Expected: expected, Message: mismatch})
	}
	compare("provider", "provider_id", p.ProviderID, record.ProviderIDDokploy,
		fmt.Sprintf("Provider-target identity mismatch for %s: provider_id expected %s, provider-target has %s.",
			key, record.PyRepr(record.ProviderIDDokploy), record.PyRepr(p.ProviderID)))
	if t != nil {
		compare("type", "provider_target_type", p.ProviderTargetType, t.TargetType,
			fmt.Sprintf("Provider-target type mismatch for %s: provider_target_type is %s in the provider-target row, the Dokploy target record has target_type %s.",
				key, record.PyRepr(p.ProviderTargetType), record.PyRepr(t.TargetType)))
		compare("category", "target_category", p.TargetCategory, t.TargetType,
			fmt.Sprintf("Provider-target category mismatch for %s: target_category is %s in the provider-target row, the Dokploy target record has target_type %s.",
				key, record.PyRepr(p.TargetCategory), record.PyRepr(t.TargetType)))
	}
	if id != nil {
		compare("target-id", "target_id", p.TargetID, id.TargetID,
			fmt.Sprintf("Provider-target id mismatch for %s: target_id is %s in the provider-target row, the Dokploy target-id record has %s.",
				key, record.PyRepr(p.TargetID), record.PyRepr(id.TargetID)))
	}
	switch p.ProviderTargetType {
	case typeApplication, typeCompose:
		add(Check{Check: "supported-type", Status: Pass, Field: "provider_target_type", Actual: p.ProviderTargetType,
			Message: fmt.Sprintf("provider_target_type %s is deployable through Dokploy", record.PyRepr(p.ProviderTargetType))})
	default:
		add(Check{Check: "supported-type", Status: Fail, Field: "provider_target_type", Actual: p.ProviderTargetType,
			Expected: "application or compose",
			Message: fmt.Sprintf("Dokploy execution only supports provider_target_type 'application' or 'compose'; %s has %s.",
				key, record.PyRepr(p.ProviderTargetType))})
	}
	return out
}

func invalidOf(rr *store.RouteRecords, kind record.Kind) bool {
	if rr == nil {
		return false
	}
	for _, inv := range rr.Invalid {
		if inv.Kind == kind {
			return true
		}
	}
	return false
}

// WantLookup reports whether the live Dokploy lookup is worth making: only
// when the stored records agree (no failed record check). A lookup of a
// target the records disagree about proves nothing.
func WantLookup(records []Check) bool {
	return first(records, Fail) == nil && first(records, Error) == nil
}

// LiveChecks compares the live Dokploy lookup of the row's target with the
// row: the target exists and its name is the row's display_name.
func LiveChecks(route store.Route, p *record.ProviderTarget, lk Lookup) []Check {
	key := route.Key()
	var msg string
	switch lk.Outcome {
	case Found:
	case NotFound:
		return []Check{{Check: "dokploy", Status: Fail, Field: "target_id", Actual: p.TargetID,
			// The lookup error says the same ("Dokploy has no … with id …"): once is enough.
			Message: fmt.Sprintf("Dokploy has no %s with id %s for %s.", p.ProviderTargetType, record.PyRepr(p.TargetID), key)}}
	case Refused:
		msg = fmt.Sprintf("Dokploy refused the preflight lookup of %s %s for %s: %s", p.ProviderTargetType, record.PyRepr(p.TargetID), key, lk.Err)
	case Unavailable:
		msg = fmt.Sprintf("cannot confirm %s %s for %s: %s (not a pass; retry when Dokploy answers)", p.ProviderTargetType, record.PyRepr(p.TargetID), key, lk.Err)
	case Interrupted:
		msg = fmt.Sprintf("Dokploy lookup for %s interrupted", key)
	case Failed:
		msg = fmt.Sprintf("cannot confirm %s %s for %s: %s", p.ProviderTargetType, record.PyRepr(p.TargetID), key, lk.Err)
	default:
		msg = fmt.Sprintf("cannot confirm %s %s for %s: the Dokploy lookup has no result", p.ProviderTargetType, record.PyRepr(p.TargetID), key)
	}
	if msg != "" {
		return []Check{{Check: "dokploy", Status: Error, Message: msg}}
	}
	out := []Check{{Check: "dokploy", Status: Pass, Field: "target_id", Actual: p.TargetID,
		Message: fmt.Sprintf("Dokploy %s %s exists", lk.Type, record.PyRepr(lk.ID))}}
	if lk.Name == p.DisplayName {
		return append(out, Check{Check: "dokploy-name", Status: Pass, Field: "display_name", Actual: p.DisplayName, Expected: lk.Name,
			Message: fmt.Sprintf("Dokploy name %s matches display_name", record.PyRepr(lk.Name))})
	}
	return append(out, Check{Check: "dokploy-name", Status: Fail, Field: "display_name", Actual: p.DisplayName, Expected: lk.Name,
		Message: fmt.Sprintf("Provider-target name mismatch for %s: display_name is %s in the provider-target row, Dokploy %s %s is named %s.",
			key, record.PyRepr(p.DisplayName), lk.Type, record.PyRepr(lk.ID), record.PyRepr(lk.Name))})
}

// Input is everything one preflight decision needs.
type Input struct {
	Route store.Route
	// Records are the route's stored records; nil when the store holds none.
	Records *store.RouteRecords
	// LiveConfigured: a Dokploy URL (and key) was given, so the live check
	// is expected.
	LiveConfigured bool
	// Lookup is the live lookup's outcome, made only when LiveConfigured and
	// WantLookup(RecordChecks(...)); nil otherwise.
	Lookup *Lookup
}

// Decide makes the preflight: the record checks, then the live check (or
// the line saying why it was skipped), and the verdict: error when any check
// could not be made, blocked when any failed, else pass.
func Decide(in Input) Report {
	rep := Report{Lane: in.Route.Key(), Checks: RecordChecks(in.Route, in.Records)}
	switch {
	case !WantLookup(rep.Checks):
		if in.LiveConfigured {
			rep.Checks = append(rep.Checks, Check{Check: "dokploy", Status: Skip, Message: "live Dokploy check skipped: the records disagree"})
		}
	case !in.LiveConfigured:
		rep.Checks = append(rep.Checks, Check{Check: "dokploy", Status: Skip, Message: "live Dokploy check skipped (no --dokploy-url)"})
	default:
		lk := Lookup{} // no lookup made: Unknown, an error
		if in.Lookup != nil {
			lk = *in.Lookup
		}
		rep.Checks = append(rep.Checks, LiveChecks(in.Route, in.Records.Provider, lk)...)
	}
	rep.Status = StatusPass
	switch {
	case rep.First(Error) != nil:
		rep.Status = StatusError
	case rep.First(Fail) != nil:
		rep.Status = StatusBlocked
	}
	return rep
}
