package launchplane

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// Report is a decoded result.report: an audit report (Findings) or a
// backfill report (Items, Applied), with the records strictly decoded.
type Report struct {
	Status              string
	InspectedRouteCount int
	BlockedCount        int
	WarningCount        int
	Counts              map[string]int
	Applied             *bool
	Entries             []Entry // findings or items, in the service's order
}

// Entry is one finding or item.
type Entry struct {
	Context, Instance, Status, Severity, Detail string
	ProviderID                                  string // items only
	Physical, Projected                         *record.ProviderTarget
}

type rawEntry struct {
	Context    string          `json:"context"`
	Instance   string          `json:"instance"`
	Status     string          `json:"status"`
	Severity   string          `json:"severity"`
	Detail     string          `json:"detail"`
	ProviderID *string         `json:"provider_id"`
	Physical   json.RawMessage `json:"physical_record"`
	Projected  json.RawMessage `json:"projected_record"`
}

type rawReport struct {
	Status              *string        `json:"status"`
	Applied             *bool          `json:"applied"`
	InspectedRouteCount *int           `json:"inspected_route_count"`
	BlockedCount        *int           `json:"blocked_count"`
	WarningCount        *int           `json:"warning_count"`
	Counts              map[string]int `json:"counts"`
	Findings            []rawEntry     `json:"findings"`
	Items               []rawEntry     `json:"items"`
}

// DecodeReport decodes result.report for mode with lanegate's record model.
// Unknown keys are refused (Launchplane's models forbid them too), so a
// service whose report changed shape is noticed, not misread.
func DecodeReport(mode string, data []byte) (*Report, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw rawReport
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("result.report: %v", err)
	}
	if dec.More() {
		return nil, errors.New("result.report: trailing data")
	}
	if raw.Status == nil || raw.InspectedRouteCount == nil || raw.BlockedCount == nil || raw.WarningCount == nil || raw.Counts == nil {
		return nil, errors.New("result.report lacks status, inspected_route_count, blocked_count, warning_count or counts")
	}
	rep := &Report{Status: *raw.Status, InspectedRouteCount: *raw.InspectedRouteCount, BlockedCount: *raw.BlockedCount,
		WarningCount: *raw.WarningCount, Counts: raw.Counts, Applied: raw.Applied}
	entries := raw.Findings
	if mode == ModeAudit {
		if raw.Items != nil || raw.Applied != nil || raw.Findings == nil {
			return nil, errors.New("result.report is not an audit report (want findings, no items or applied)")
		}
	} else {
		if raw.Findings != nil || raw.Applied == nil || raw.Items == nil {
			return nil, errors.New("result.report is not a backfill report (want items and applied, no findings)")
		}
		entries = raw.Items
	}
	for i, e := range entries {
		out := Entry{Context: e.Context, Instance: e.Instance, Status: e.Status, Severity: e.Severity, Detail: e.Detail}
		if mode == ModeAudit {
			if e.ProviderID != nil {
				return nil, fmt.Errorf("result.report.findings[%d]: unexpected provider_id", i)
			}
		} else {
			if e.ProviderID == nil {
				return nil, fmt.Errorf("result.report.items[%d]: missing provider_id", i)
			}
			out.ProviderID = *e.ProviderID
		}
		var err error
		if out.Physical, err = optRecord(e.Physical); err != nil {
			return nil, fmt.Errorf("result.report entry %d physical_record: %v", i, err)
		}
		if out.Projected, err = optRecord(e.Projected); err != nil {
			return nil, fmt.Errorf("result.report entry %d projected_record: %v", i, err)
		}
		switch out.Severity {
		case audit.SeverityOK, audit.SeverityWarning, audit.SeverityBlocked:
		default:
			return nil, fmt.Errorf("result.report entry %d: unknown severity %q", i, clean(out.Severity))
		}
		rep.Entries = append(rep.Entries, out)
	}
	return rep, nil
}

func optRecord(raw json.RawMessage) (*record.ProviderTarget, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	return record.DecodeProviderTarget(raw)
}

// placeholder is the updated_at and target id of a Dokploy record the
// service says exists but does not return. Nothing lanegate decides reads
// it: the audit and the planner read only whether the record is there, and
// the projection, which the service does return, is preset.
const placeholder = "(not returned by the Launchplane service)"

// targetFrom builds a Dokploy target record consistent with projection x
// (target_type, target_name, project_name), or a bare one when x is nil.
func targetFrom(r store.Route, x *record.ProviderTarget) (*record.DokployTarget, error) {
	updated := placeholder
	if x != nil {
		updated = x.UpdatedAt
	}
	p := record.NewDokployTargetPayload(r.Context, r.Instance, updated)
	if x != nil {
		p.Set("target_type", x.TargetCategory)
		p.Set("target_name", x.DisplayName)
		p.Set("project_name", x.ProviderEvidence["project_name"])
		p.Set("source_label", x.SourceLabel)
	}
	return record.DokployTargetFromObject(p)
}

func targetIDFrom(r store.Route, x *record.ProviderTarget) *record.DokployTargetID {
	id := &record.DokployTargetID{SchemaVersion: 1, Context: r.Context, Instance: r.Instance, TargetID: placeholder, UpdatedAt: placeholder}
	if x != nil {
		id.TargetID, id.UpdatedAt = x.TargetID, x.UpdatedAt
	}
	return id
}

// routeRecords rebuilds what lanegate's audit and planner need for lane from
// the service's report on that one route: the physical row as returned, and
// Dokploy records whose presence the statuses tell and whose projection is
// the one the service returned. nil (no error) means the service has no
// record for the route (no_matching_routes).
func routeRecords(mode string, lane store.Route, rep *Report) (*store.RouteRecords, error) {
	if len(rep.Entries) == 0 {
		return nil, errors.New("the report has no finding for the lane")
	}
	var P, X *record.ProviderTarget
	statuses := map[string]bool{}
	for _, e := range rep.Entries {
		if e.Context != lane.Context || e.Instance != lane.Instance {
			return nil, fmt.Errorf("the report has an entry for route %q/%q, not this lane", clean(e.Context), clean(e.Instance))
		}
		statuses[e.Status] = true
		for _, pair := range []struct {
			got  *record.ProviderTarget
			keep **record.ProviderTarget
			what string
		}{{e.Physical, &P, "physical"}, {e.Projected, &X, "projected"}} {
			if pair.got == nil {
				continue
			}
			if pair.got.Context != lane.Context || pair.got.Instance != lane.Instance {
				return nil, fmt.Errorf("the report's %s record is for route %q/%q", pair.what, clean(pair.got.Context), clean(pair.got.Instance))
			}
			if *pair.keep == nil {
				*pair.keep = pair.got
			} else if !sameRecord(*pair.keep, pair.got) {
				return nil, fmt.Errorf("the report holds two different %s records for the lane", pair.what)
			}
		}
	}
	only := func(s string) bool { return len(statuses) == 1 && statuses[s] }
	rr := &store.RouteRecords{Route: lane}
	withPair := func() error {
		if X == nil {
			return errors.New("the report lacks the projected record")
		}
		if X.ProviderID != record.ProviderIDDokploy || (X.TargetCategory != "application" && X.TargetCategory != "compose") || X.ProviderTargetType != X.TargetCategory {
			return errors.New("the report's projected record is not a Dokploy projection")
		}
		t, err := targetFrom(lane, X)
		if err != nil {
			return fmt.Errorf("cannot model the Dokploy target: %v", err)
		}
		rr.Target, rr.TargetID = t, targetIDFrom(lane, X)
		rr.PresetProjection(X)
		return nil
	}
	bare := func(target, targetID bool) error {
		if target {
			t, err := targetFrom(lane, nil)
			if err != nil {
				return err
			}
			rr.Target = t
		}
		if targetID {
			rr.TargetID = targetIDFrom(lane, nil)
		}
		return nil
	}
	var err error
	if mode == ModeAudit {
		switch {
		case only(audit.StatusNoMatchingRoutes):
			return nil, nil
		case only(audit.StatusFutureProvider):
			if P == nil || P.ProviderID == record.ProviderIDDokploy {
				return nil, errors.New("future_provider without a non-Dokploy physical record")
			}
			// The service kept the route under its provider filter, so it
			// has a Dokploy record; which one does not change any decision
			// (a foreign row decides first), but its presence keeps the
			// route under lanegate's own provider filter, as on the other
			// backends.
			rr.Provider = P
			err = bare(true, true)
		case only(audit.StatusMissingDokployPair):
			if P == nil {
				return nil, errors.New("missing_dokploy_pair without a physical record")
			}
			rr.Provider = P
		case only(audit.StatusMissingDokployTarget):
			rr.Provider = P
			err = bare(false, true)
		case only(audit.StatusMissingTargetID):
			rr.Provider = P
			err = bare(true, false)
		case only(audit.StatusMissingProviderTarget):
			if P != nil {
				return nil, errors.New("missing_provider_target with a physical record")
			}
			err = withPair()
		default:
			for s := range statuses {
				switch s {
				case audit.StatusComplete, audit.StatusIdentityMismatch, audit.StatusCategoryMismatch, audit.StatusDisplayNameMismatch,
					audit.StatusProviderTargetTypeMismatch, audit.StatusProviderEvidenceMismatch:
				default:
					return nil, fmt.Errorf("unexpected combination of statuses (%s)", statusList(statuses))
				}
			}
			if statuses[audit.StatusComplete] && len(statuses) > 1 {
				return nil, fmt.Errorf("unexpected combination of statuses (%s)", statusList(statuses))
			}
			if P == nil {
				return nil, errors.New("the report lacks the physical record")
			}
			rr.Provider = P
			err = withPair()
		}
	} else {
		if len(rep.Entries) != 1 {
			return nil, fmt.Errorf("the backfill report has %d items for one lane", len(rep.Entries))
		}
		e := rep.Entries[0]
		switch e.Status {
		case backfill.StatusNoMatchingRoutes:
			return nil, nil
		case backfill.StatusUnsupportedProvider:
			if P == nil || P.ProviderID == record.ProviderIDDokploy {
				return nil, errors.New("unsupported-provider without a non-Dokploy physical record")
			}
			rr.Provider = P // as future_provider above
			err = bare(true, true)
		case backfill.StatusSkippedIncomplete:
			const lead = "Dokploy route is incomplete; missing "
			var target, targetID bool
			switch strings.TrimPrefix(e.Detail, lead) {
			case "target":
				targetID = true
			case "target-id":
				target = true
			case "target, target-id":
			default:
				return nil, errors.New("skipped-incomplete with an unknown detail")
			}
			rr.Provider = P
			err = bare(target, targetID)
		case backfill.StatusWouldCreate:
			if P != nil {
				return nil, errors.New("would-create with a physical record")
			}
			err = withPair()
		case backfill.StatusSkippedExists, backfill.StatusSkippedConflict:
			if P == nil {
				return nil, fmt.Errorf("%s without a physical record", e.Status)
			}
			rr.Provider = P
			err = withPair()
		default:
			return nil, fmt.Errorf("unexpected status %q", clean(e.Status))
		}
	}
	if err != nil {
		return nil, err
	}
	return rr, nil
}

func statusList(m map[string]bool) string {
	var out []string
	for s := range m {
		out = append(out, clean(s))
	}
	sortStrings(out)
	return strings.Join(out, ", ")
}

func sameRecord(a, b *record.ProviderTarget) bool {
	return bytes.Equal(a.AppendJSON(nil), b.AppendJSON(nil))
}
