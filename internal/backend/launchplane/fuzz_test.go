package launchplane

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/lanegate/lanegate/internal/store"
)

const seedRecord = `{"context":"a","display_name":"a-prod","instance":"prod","provider_evidence":{"project_name":"a-project"},"provider_id":"dokploy","provider_target_type":"application","schema_version":1,"source_label":"s","target_category":"application","target_id":"app-a-prod","updated_at":"2026-04-21T18:31:00Z"}`

// FuzzEnvelopes holds every decoder of service bytes to: no panic, a
// decoded report always yields records for the lane asked (or an error),
// and every text kept for printing is one clean line.
func FuzzEnvelopes(f *testing.F) {
	f.Add([]byte(`{"status":"accepted","trace_id":"t","records":{},"result":{"mode":"audit","provider_id":"dokploy","context":"a","instance":"prod","operation_status":"ok","blocked_count":0,"warning_count":0,"inspected_route_count":1,"reason":"","report":{"status":"ok","inspected_route_count":1,"blocked_count":0,"warning_count":0,"counts":{"complete":1},"findings":[{"context":"a","detail":"d","instance":"prod","physical_record":`+seedRecord+`,"projected_record":`+seedRecord+`,"severity":"ok","status":"complete"}]}}}`), "audit")
	f.Add([]byte(`{"status":"accepted","trace_id":"t","records":{},"result":{"mode":"backfill-dry-run","provider_id":"dokploy","context":"a","instance":"prod","operation_status":"ok","blocked_count":0,"warning_count":0,"inspected_route_count":1,"reason":"","report":{"status":"ok","applied":false,"inspected_route_count":1,"blocked_count":0,"warning_count":0,"counts":{"would-create":1},"items":[{"context":"a","detail":"d","instance":"prod","projected_record":`+seedRecord+`,"provider_id":"dokploy","severity":"ok","status":"would-create"}]}}}`), "backfill-dry-run")
	f.Add([]byte(`{"status":"rejected","trace_id":"launchplane_req_1","error":{"code":"authorization_denied","message":"no\n::error::x"}}`), "audit")
	f.Add([]byte(`{"status":"ok","trace_id":"t","environment":{"context":"a","target":{"provider":"dokploy","trust_state":"recorded","target_id_recorded":true,"provider_target_type":"application"},"available_actions":[1]}}`), "read")
	f.Add([]byte(`<html>`), "audit")
	f.Fuzz(func(t *testing.T, body []byte, mode string) {
		lane := store.Route{Context: "a", Instance: "prod"}
		if mode != ModeAudit && mode != ModeBackfillDryRun {
			mode = ModeAudit
		}
		req := OperationRequest{Mode: mode, ProviderID: "dokploy", Context: "a", Instance: "prod"}
		if acc, err := decodeAccepted(body, req); err == nil {
			if rep, err := DecodeReport(mode, acc.Result.Report); err == nil {
				rr, err := routeRecords(mode, lane, rep)
				if err == nil && rr != nil {
					if rr.Route != lane {
						t.Fatalf("records for %v", rr.Route)
					}
					if rr.Provider != nil && (rr.Provider.Context != "a" || rr.Provider.Instance != "prod") {
						t.Fatalf("physical record for another route")
					}
					if rr.Target != nil && rr.TargetID != nil && rr.Provider == nil {
						if _, err := rr.Projection(); err != nil {
							t.Fatalf("preset projection: %v", err)
						}
					}
				}
			}
		}
		se := rejected(500, body, &ServiceError{Op: mode, Route: lane})
		for _, s := range []string{se.Code, se.Message, se.TraceID, se.Error()} {
			if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) {
				t.Fatalf("control character kept: %q", s)
			}
		}
		if a, err := DecodeAuthority(body); err == nil {
			if a.Context != clean(a.Context) || a.TraceID != clean(a.TraceID) {
				t.Fatalf("unclean authority text %+v", a)
			}
		}
		var v any
		_ = json.Unmarshal(body, &v)
	})
}
