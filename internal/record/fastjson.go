package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// fastParser decodes the JSON trees DecodeTree returns without the
// per-token allocations of encoding/json's Decoder: audits of a million
// routes spend most of their time here. On a syntax error it gives up and
// DecodeTree re-parses with encoding/json, whose messages say exactly what
// is wrong; duplicate keys, depth and trailing data are its own to report.
type fastParser struct {
	data []byte
	// src is data as one string: unescaped strings and numbers are slices of
	// it, so a payload costs one string allocation instead of one per key and
	// value. Decoded records keep it alive only as long as they live.
	src string
	pos int
}

func newFastParser(data []byte) *fastParser {
	return &fastParser{data: data, src: string(data)}
}

// errSyntax means "not valid JSON: ask encoding/json for the details".
var errSyntax = errors.New("syntax error")

func (p *fastParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *fastParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("nesting is too deep")
	}
	p.skipSpace()
	if p.pos >= len(p.data) {
		return nil, errSyntax
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		p.pos++
		hint := 8
		if depth == 0 {
			hint = 32 // a Dokploy target record has 26 keys
		}
		obj := &Object{Values: make(map[string]any, hint)}
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			return obj, nil
		}
		for {
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != '"' {
				return nil, errSyntax
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != ':' {
				return nil, errSyntax
			}
			p.pos++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, dup := obj.Values[k]; dup {
				return nil, fmt.Errorf("duplicate key %q", k)
			}
			obj.Keys = append(obj.Keys, k)
			obj.Values[k] = v
			p.skipSpace()
			if p.pos >= len(p.data) {
				return nil, errSyntax
			}
			if p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.data[p.pos] == '}' {
				p.pos++
				return obj, nil
			}
			return nil, errSyntax
		}
	case c == '[':
		p.pos++
		arr := []any{}
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			return arr, nil
		}
		for {
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			p.skipSpace()
			if p.pos >= len(p.data) {
				return nil, errSyntax
			}
			if p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.data[p.pos] == ']' {
				p.pos++
				return arr, nil
			}
			return nil, errSyntax
		}
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, errSyntax
}

func (p *fastParser) literal(word string, v any) (any, error) {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return nil, errSyntax
	}
	p.pos += len(word)
	return v, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number follows JSON's grammar exactly and keeps the text, as UseNumber.
func (p *fastParser) number() (any, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.data) && p.data[p.pos] == '0':
		p.pos++
	case p.pos < len(p.data) && p.data[p.pos] >= '1' && p.data[p.pos] <= '9':
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
		}
	default:
		return nil, errSyntax
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if p.pos >= len(p.data) || !isDigit(p.data[p.pos]) {
			return nil, errSyntax
		}
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(p.data) || !isDigit(p.data[p.pos]) {
			return nil, errSyntax
		}
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
		}
	}
	return json.Number(p.src[start:p.pos]), nil
}

// str reads a string starting at its opening quote. The input is already
// known to be valid UTF-8.
func (p *fastParser) str() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.src[start:p.pos]
			p.pos++
			return s, nil
		}
		if c == '\\' {
			return p.escapedStr(start)
		}
		if c < 0x20 {
			return "", errSyntax
		}
		p.pos++
	}
	return "", errSyntax
}

func hexVal(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(v), err == nil
}

func (p *fastParser) escapedStr(start int) (string, error) {
	buf := append([]byte(nil), p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c < 0x20:
			return "", errSyntax
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.data) {
			return "", errSyntax
		}
		e := p.data[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hexVal(p.data[p.pos:])
			if !ok {
				return "", errSyntax
			}
			p.pos += 4
			if utf16.IsSurrogate(r) {
				// A pair becomes one rune; a lone half stays that code
				// point, as in Python (see wtf8.go), where encoding/json
				// would make it U+FFFD.
				if r2, ok := hexVal(safeSlice(p.data, p.pos+2)); ok && p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						p.pos += 6
						buf = utf8.AppendRune(buf, dec)
						continue
					}
				}
				buf = appendSurrogate(buf, r)
				continue
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", errSyntax
		}
	}
	return "", errSyntax
}

func safeSlice(b []byte, i int) []byte {
	if i > len(b) {
		return nil
	}
	return b[i:]
}
