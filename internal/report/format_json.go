package report

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/verdict"
)

// jsonFormat is --format json: the machine-readable report, the same bytes
// --out writes.
var jsonFormat = Format{
	Name:   "json",
	Kinds:  []Kind{KindAudit, KindBackfill, KindGate, KindEvidence, KindPreflight},
	Render: renderJSON,
}

func renderJSON(w io.Writer, doc Doc) error {
	switch d := doc.(type) {
	case AuditDoc:
		return d.Builder.WriteJSON(w, d.Header)
	case BackfillDoc:
		return d.Backfill.WriteJSON(w)
	case GateDoc:
		return WriteIndentedJSON(w, GateReport{Result: d.Result, Store: d.Store})
	case PreflightDoc:
		return WriteIndentedJSON(w, d.Report)
	case EvidenceRecordDoc:
		return WriteIndentedJSON(w, struct {
			Created bool            `json:"created"`
			Record  evidence.Record `json:"record"`
		}{d.Created, d.Record})
	case EvidenceProbeDoc:
		return WriteIndentedJSON(w, struct {
			Status  verdict.Verdict `json:"status"`
			Reason  string          `json:"reason,omitempty"`
			Probed  int             `json:"probed"`
			Failed  int             `json:"failed"`
			Results []ProbeRow      `json:"results"`
		}{d.Verdict, d.Reason, d.Probed, d.Failed, d.Rows})
	case EvidenceCollectDoc:
		return evidenceCollectJSON(w, d)
	case EvidenceListDoc:
		out := map[string]map[string][]ListedRecord{}
		for lane, kinds := range d.Index {
			out[lane] = map[string][]ListedRecord{}
			for kind, recs := range kinds {
				for _, r := range recs {
					out[lane][kind] = append(out[lane][kind], ListedRecord{Record: r, Status: r.Status(), AgeSeconds: int64(d.Now.Sub(r.ObservedAt) / time.Second)})
				}
			}
		}
		return WriteIndentedJSON(w, struct {
			GeneratedAt time.Time                            `json:"generated_at"`
			Evidence    map[string]map[string][]ListedRecord `json:"evidence"`
		}{d.Now.UTC().Truncate(time.Second), out})
	}
	return unsupported("json", doc)
}

// WriteIndentedJSON writes v as JSON indented by two spaces, with a final
// newline: the layout of every JSON report not streamed by a builder.
func WriteIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
