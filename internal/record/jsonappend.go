package record

import (
	"bytes"
	"sort"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string exactly as encoding/json does
// with HTML escaping off, except that a lone surrogate decoded from a JSON
// escape (see wtf8.go) is written as that escape again. Reports are written through it because reflection
// dominated the cost of large audits.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		if r, ok := surrogateAt(s[i:]); ok {
			// A lone surrogate from a JSON escape: written back as that
			// escape, as Python's json.dumps does (encoding/json would
			// write three U+FFFD).
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
			i += 3
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

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
		return AppendJSONString(dst, v)
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
		dst = AppendJSONString(dst, k)
		dst = append(dst, ':')
		dst = AppendJSONString(dst, p.ProviderEvidence[k])
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
	writePyString(b, val)
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
			writePyString(&b, k)
			b.WriteString(": ")
			writePyString(&b, p.ProviderEvidence[k])
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
