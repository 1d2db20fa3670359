package backfill

import (
	"encoding/json"

	"github.com/lanegate/lanegate/internal/pyjson"
)

// RawItem is a spooled plan item with its records left as raw JSON:
// rendering and counting never need them decoded, and decoding is the
// costly part.
type RawItem struct {
	Context    string          `json:"context"`
	Detail     string          `json:"detail"`
	Instance   string          `json:"instance"`
	Physical   json.RawMessage `json:"physical_record,omitempty"`
	Projected  json.RawMessage `json:"projected_record,omitempty"`
	ProviderID string          `json:"provider_id"`
	Severity   string          `json:"severity"`
	Status     string          `json:"status"`
}

// Summary is the item without its records.
func (it RawItem) Summary() Item {
	return Item{Context: it.Context, Detail: it.Detail, Instance: it.Instance, ProviderID: it.ProviderID,
		Severity: it.Severity, Status: it.Status}
}

// Decode is the item with its records decoded.
func (it RawItem) Decode() (Item, error) {
	out := it.Summary()
	if len(it.Physical) > 0 {
		if err := json.Unmarshal(it.Physical, &out.Physical); err != nil {
			return out, err
		}
	}
	if len(it.Projected) > 0 {
		if err := json.Unmarshal(it.Projected, &out.Projected); err != nil {
			return out, err
		}
	}
	return out, nil
}

// decodeRaw reads one spooled item. The spool holds lines Item.AppendJSON
// wrote, which the field walker reads without reflection; anything else
// goes through encoding/json.
func decodeRaw(line []byte) (RawItem, error) {
	var it RawItem
	ok := pyjson.EachField(line, func(k string, v pyjson.Field) bool {
		var dst *string
		switch k {
		case "context":
			dst = &it.Context
		case "detail":
			dst = &it.Detail
		case "instance":
			dst = &it.Instance
		case "provider_id":
			dst = &it.ProviderID
		case "severity":
			dst = &it.Severity
		case "status":
			dst = &it.Status
		case "physical_record":
			it.Physical = v.Raw
			return true
		case "projected_record":
			it.Projected = v.Raw
			return true
		default:
			return false
		}
		*dst = v.Str
		return v.IsStr
	})
	if ok {
		return it, nil
	}
	it = RawItem{}
	err := json.Unmarshal(line, &it)
	return it, err
}
