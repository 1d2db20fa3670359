package record

import (
	"bytes"
	"slices"
	"strings"
	"unsafe"
)

// member is one key of a JSON object: the key, and where its value's bytes
// are in the parser's input (or, when replaced, the bytes to write instead).
type member struct {
	key        string
	start, end int
	replace    []byte
}

// members reads the object at p.pos, leaving p after it.
func (p *fastParser) members() ([]member, bool) {
	if !p.take('{') {
		return nil, false
	}
	out := make([]member, 0, 8)
	p.skipSpace()
	if p.take('}') {
		return out, true
	}
	for {
		p.skipSpace()
		k, ok := p.strValue()
		if !ok {
			return nil, false
		}
		p.skipSpace()
		if !p.take(':') {
			return nil, false
		}
		p.skipSpace()
		start := p.pos
		if !p.skipKnown() {
			return nil, false
		}
		out = append(out, member{key: k, start: start, end: p.pos})
		p.skipSpace()
		if p.take(',') {
			continue
		}
		return out, p.take('}')
	}
}

// skipKnown moves past one value of input already known to be valid JSON
// (a payload the fast decoder accepted): it only tracks strings and nesting.
func (p *fastParser) skipKnown() bool {
	depth := 0
	for p.pos < len(p.data) {
		switch c := p.data[p.pos]; c {
		case '"':
			p.pos++
			for p.pos < len(p.data) && p.data[p.pos] != '"' {
				if p.data[p.pos] == '\\' {
					p.pos++
				}
				p.pos++
			}
			p.pos++
		case '{', '[':
			depth++
			p.pos++
			continue
		case '}', ']':
			if depth == 0 {
				return true // the end of the enclosing value
			}
			depth--
			p.pos++
		case ',':
			if depth == 0 {
				return true
			}
			p.pos++
			continue
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				return true
			}
			p.pos++
			continue
		default:
			p.pos++
			continue
		}
		if depth == 0 {
			return p.pos <= len(p.data)
		}
	}
	return depth == 0
}

// writePy writes the value at p.pos as EncodePython writes its tree: sorted
// keys, two-space indentation, ASCII-only strings, numbers as given.
func (p *fastParser) writePy(b *bytes.Buffer, indent int) bool {
	if p.pos >= len(p.data) {
		return false
	}
	switch p.data[p.pos] {
	case '"':
		s, ok := p.strValue()
		if !ok {
			return false
		}
		writePyString(b, s)
	case '{':
		ms, ok := p.members()
		if !ok {
			return false
		}
		end := p.pos
		ok = p.writeMembers(b, ms, indent)
		p.pos = end
		return ok
	case '[':
		p.pos++
		p.skipSpace()
		if p.take(']') {
			b.WriteString("[]")
			return true
		}
		b.WriteByte('[')
		for first := true; ; first = false {
			p.skipSpace()
			if !first {
				b.WriteByte(',')
			}
			newline(b, indent+1)
			if !p.writePy(b, indent+1) {
				return false
			}
			p.skipSpace()
			if p.take(',') {
				continue
			}
			if !p.take(']') {
				return false
			}
			break
		}
		newline(b, indent)
		b.WriteByte(']')
	default: // numbers and literals are written as they are
		start := p.pos
		if !p.skip(1) {
			return false
		}
		b.WriteString(p.src[start:p.pos])
	}
	return true
}

func (p *fastParser) writeMembers(b *bytes.Buffer, ms []member, indent int) bool {
	if len(ms) == 0 {
		b.WriteString("{}")
		return true
	}
	// Sort positions, not the wide members themselves.
	var buf [32]uint8
	order := buf[:0]
	if len(ms) > 255 {
		return false // never in a record; the tree path handles it
	}
	for i := range ms {
		order = append(order, uint8(i))
	}
	slices.SortFunc(order, func(x, y uint8) int { return strings.Compare(ms[x].key, ms[y].key) })
	b.WriteByte('{')
	for i, o := range order {
		m := &ms[o]
		if i > 0 {
			b.WriteByte(',')
		}
		newline(b, indent+1)
		writePyString(b, m.key)
		b.WriteString(": ")
		if m.replace != nil {
			b.Write(m.replace)
			continue
		}
		p.pos = m.start
		if !p.writePy(b, indent+1) {
			return false
		}
	}
	newline(b, indent)
	b.WriteByte('}')
	return true
}

// EncodePython is EncodePython(t.Payload()). A record decoded on the fast
// path is encoded straight from its raw bytes, with the fields the decoder
// normalises put in: the backfill digest encodes every planned create's
// Dokploy target, and building its tree again was the costly part.
func (t *DokployTarget) EncodePython() []byte {
	if t.payload != nil || t.raw == "" {
		return EncodePython(t.Payload())
	}
	// The parser only reads its input, so it may share t.raw's bytes.
	p := &fastParser{data: unsafe.Slice(unsafe.StringData(t.raw), len(t.raw)), src: t.raw}
	p.skipSpace()
	ms, ok := p.members()
	if !ok {
		return EncodePython(t.Payload())
	}
	hasVersion := false
	for i := range ms {
		switch ms[i].key {
		case "context":
			ms[i].replace = pyString(t.Context)
		case "instance":
			ms[i].replace = pyString(t.Instance)
		case "updated_at":
			ms[i].replace = pyString(t.UpdatedAt)
		case "schema_version":
			hasVersion = true
		case "public_hosts":
			// Normalised (lower-cased, stripped, sorted): the tree
			// path is the authority.
			return EncodePython(t.Payload())
		}
	}
	if !hasVersion {
		ms = append(ms, member{key: "schema_version", replace: []byte("1")})
	}
	var b bytes.Buffer
	b.Grow(len(t.raw) + len(t.raw)/2)
	if !p.writeMembers(&b, ms, 0) {
		return EncodePython(t.Payload())
	}
	return b.Bytes()
}

func pyString(s string) []byte {
	var b bytes.Buffer
	writePyString(&b, s)
	return b.Bytes()
}
