package audit

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/lanegate/lanegate/internal/record"
)

// marshalStd is what encoding/json writes with HTML escaping off, the
// reference the hand-written appenders must match byte for byte.
func marshalStd(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func FuzzFindingAppendJSON(f *testing.F) {
	f.Add("ctx", "prod", "complete", "ok", "detail <&> \"q\"", "tid", "\u2028\x01é", true)
	f.Add("", "", "", "", "", "", "", false)
	f.Fuzz(func(t *testing.T, c, i, status, sev, detail, tid, odd string, records bool) {
		fd := Finding{Context: c, Instance: i, Status: status, Severity: sev, Detail: detail}
		if records {
			p := &record.ProviderTarget{SchemaVersion: 1, Context: c, Instance: i, ProviderID: "dokploy",
				TargetCategory: "compose", TargetID: tid, DisplayName: odd, ProviderTargetType: "compose",
				ProviderEvidence: map[string]string{odd: tid, "b": ""}, UpdatedAt: detail, SourceLabel: odd}
			fd.Physical, fd.Projected = p, p
		}
		if got, want := string(fd.AppendJSON(nil)), marshalStd(t, fd); got != want {
			t.Fatalf("Finding.AppendJSON\n got %s\nwant %s", got, want)
		}
	})
}

func FuzzLaneEntryAppendJSON(f *testing.F) {
	f.Add("ctx/prod", "ctx", "prod", true, "odoo", "dokploy", 2, "complete", "ok", "x", "detail <&>", 1)
	f.Add("", "", "", false, "", "", -1, "", "", "", "", -1)
	f.Fuzz(func(t *testing.T, lane, c, i string, declared bool, product, driver string, wave int,
		worst, sev, status, detail string, nStatuses int) {
		e := LaneEntry{Lane: lane, Context: c, Instance: i, Declared: declared, Product: product, Driver: driver,
			Wave: wave, WorstStatus: worst, Severity: sev, Detail: detail}
		if nStatuses >= 0 {
			e.Statuses = []string{}
			for k := 0; k < nStatuses%4; k++ {
				e.Statuses = append(e.Statuses, status)
			}
		}
		if got, want := string(e.AppendJSON(nil)), marshalStd(t, e); got != want {
			t.Fatalf("LaneEntry.AppendJSON\n got %s\nwant %s", got, want)
		}
	})
}
