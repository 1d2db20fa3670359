package record

import (
	"bytes"
	"sort"
	"strconv"

	"github.com/lanegate/lanegate/internal/pyjson"
)

// AppendJSON appends the record as compact JSON with sorted keys, the same
// bytes MarshalJSON produces.
func (p *ProviderTarget) AppendJSON(dst []byte) []byte {
	field := func(dst []byte, first bool, k, v string) []byte {
		if !first {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
		return pyjson.AppendString(dst, v)
	}
	dst = append(dst, '{')
	dst = field(dst, true, "context", p.Context)
	dst = field(dst, false, "display_name", p.DisplayName)
	dst = field(dst, false, "instance", p.Instance)
	dst = append(dst, `,"provider_evidence":{`...)
	keys := make([]string, 0, len(p.ProviderEvidence))
	for k := range p.ProviderEvidence {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = pyjson.AppendString(dst, k)
		dst = append(dst, ':')
		dst = pyjson.AppendString(dst, p.ProviderEvidence[k])
	}
	dst = append(dst, '}')
	dst = field(dst, false, "provider_id", p.ProviderID)
	dst = field(dst, false, "provider_target_type", p.ProviderTargetType)
	dst = append(dst, `,"schema_version":`...)
	dst = strconv.AppendInt(dst, p.SchemaVersion, 10)
	dst = field(dst, false, "source_label", p.SourceLabel)
	dst = field(dst, false, "target_category", p.TargetCategory)
	dst = field(dst, false, "target_id", p.TargetID)
	dst = field(dst, false, "updated_at", p.UpdatedAt)
	return append(dst, '}')
}

// pyField writes one `"key": "value"` line of a top-level Python dump.
func pyField(b *bytes.Buffer, first bool, key, val string) {
	if !first {
		b.WriteByte(',')
	}
	b.WriteString("\n  \"")
	b.WriteString(key) // keys are plain ASCII
	b.WriteString("\": ")
	pyjson.WritePyString(b, val)
}

// EncodePython is EncodePython(p.Payload()) without building the tree; the
// backfill digest encodes every planned row.
func (p *ProviderTarget) EncodePython() []byte {
	var b bytes.Buffer
	b.Grow(512)
	b.WriteByte('{')
	pyField(&b, true, "context", p.Context)
	pyField(&b, false, "display_name", p.DisplayName)
	pyField(&b, false, "instance", p.Instance)
	b.WriteString(",\n  \"provider_evidence\": ")
	if len(p.ProviderEvidence) == 0 {
		b.WriteString("{}")
	} else {
		keys := make([]string, 0, len(p.ProviderEvidence))
		for k := range p.ProviderEvidence {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n    ")
			pyjson.WritePyString(&b, k)
			b.WriteString(": ")
			pyjson.WritePyString(&b, p.ProviderEvidence[k])
		}
		b.WriteString("\n  }")
	}
	pyField(&b, false, "provider_id", p.ProviderID)
	pyField(&b, false, "provider_target_type", p.ProviderTargetType)
	b.WriteString(",\n  \"schema_version\": ")
	b.WriteString(strconv.FormatInt(p.SchemaVersion, 10))
	pyField(&b, false, "source_label", p.SourceLabel)
	pyField(&b, false, "target_category", p.TargetCategory)
	pyField(&b, false, "target_id", p.TargetID)
	pyField(&b, false, "updated_at", p.UpdatedAt)
	b.WriteString("\n}")
	return b.Bytes()
}

// EncodePython is EncodePython(r.Payload()) without building the tree.
func (r *DokployTargetID) EncodePython() []byte {
	var b bytes.Buffer
	b.Grow(256)
	b.WriteByte('{')
	pyField(&b, true, "context", r.Context)
	pyField(&b, false, "instance", r.Instance)
	b.WriteString(",\n  \"schema_version\": ")
	b.WriteString(strconv.FormatInt(r.SchemaVersion, 10))
	pyField(&b, false, "source_label", r.SourceLabel)
	pyField(&b, false, "target_id", r.TargetID)
	pyField(&b, false, "updated_at", r.UpdatedAt)
	b.WriteString("\n}")
	return b.Bytes()
}
