package pyjson

import (
	"bytes"
	"slices"
	"strings"
	"unsafe"
)

// Member is one top-level key of an object read by Members: the key, where
// its raw value is in the input and, when Python is set, the bytes to write
// instead (already in EncodePython's form, e.g. from PyString).
type Member struct {
	Key        string
	start, end int
	Python     []byte
}

// Members reads the members of raw, one JSON object already known to be valid
// (a payload the Scanner accepted): values are skipped by tracking strings
// and nesting only. A caller may set Python on members and append members
// (with Python set), then write the object with EncodePythonMembers.
func Members(raw string) ([]Member, bool) {
	p := rawScanner(raw)
	p.skipSpace()
	return p.members()
}

// EncodePythonMembers writes the object raw, read by Members into ms (then
// changed), as EncodePython writes the same tree: sorted keys, two-space
// indentation, ASCII-only strings, numbers as given. It reports false on an
// object it cannot re-encode this way (more than 255 members).
//
// Measured (bench_test.go) on the bench's Dokploy target, the backfill
// digest's largest part: 8.7 µs from the raw bytes against 17 µs building
// the tree again and encoding it (2.0×); jsontext's multi-line encoder over
// the tree takes 24 µs (2.7×) and has no ensure_ascii, so it could not write
// Launchplane's bytes for non-ASCII text (minimum of 3-5 runs at a load of
// 12-18 on the shared 2-core machine). Reproduce with
//
//	GOEXPERIMENT=jsonv2 go test ./internal/pyjson -run '^$' -bench EncodePython -benchmem -count 5
func EncodePythonMembers(raw string, ms []Member) ([]byte, bool) {
	var b bytes.Buffer
	b.Grow(len(raw) + len(raw)/2)
	if !rawScanner(raw).writeMembers(&b, ms, 0) {
		return nil, false
	}
	return b.Bytes(), true
}

// rawScanner reads raw without copying it; the scanner only reads its input.
func rawScanner(raw string) *Scanner {
	return &Scanner{data: unsafe.Slice(unsafe.StringData(raw), len(raw)), src: raw}
}

// members reads the object at p.pos, leaving p after it.
func (p *Scanner) members() ([]Member, bool) {
	if !p.take('{') {
		return nil, false
	}
	out := make([]Member, 0, 8)
	p.skipSpace()
	if p.take('}') {
		return out, true
	}
	for {
		p.skipSpace()
		k, ok := p.Str()
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
		out = append(out, Member{Key: k, start: start, end: p.pos})
		p.skipSpace()
		if p.take(',') {
			continue
		}
		return out, p.take('}')
	}
}

// skipKnown moves past one value of input already known to be valid JSON
// (a payload the fast decoder accepted): it only tracks strings and nesting.
func (p *Scanner) skipKnown() bool {
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
func (p *Scanner) writePy(b *bytes.Buffer, indent int) bool {
	if p.pos >= len(p.data) {
		return false
	}
	switch p.data[p.pos] {
	case '"':
		s, ok := p.Str()
		if !ok {
			return false
		}
		WritePyString(b, s)
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

func (p *Scanner) writeMembers(b *bytes.Buffer, ms []Member, indent int) bool {
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
	slices.SortFunc(order, func(x, y uint8) int { return strings.Compare(ms[x].Key, ms[y].Key) })
	b.WriteByte('{')
	for i, o := range order {
		m := &ms[o]
		if i > 0 {
			b.WriteByte(',')
		}
		newline(b, indent+1)
		WritePyString(b, m.Key)
		b.WriteString(": ")
		if m.Python != nil {
			b.Write(m.Python)
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
