package pyjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Scanner reads JSON straight from its bytes without the per-token
// allocations of encoding/json's Decoder: audits of a million routes spend
// most of their time here. It backs Decode (which, on a syntax error, gives
// up and re-parses with encoding/json, whose messages say exactly what is
// wrong) and the record package's typed fast decoders, which read a record's
// plain shape key by key through Object, Str, Bool, Int, StringArray,
// StringObject and Value, and give up on anything else. Every method reports
// false (or an error) rather than deciding what invalid input means.
//
// Measured against jsontext, decoding tokens into the same tree (see
// bench_test.go; go test ./internal/pyjson -run '^$' -bench Tree): a jsonb
// route (three payloads) takes 19 µs and 87 allocations here, 31 µs (1.6×)
// and 236 with encoding/json/jsontext (43 µs with
// github.com/go-json-experiment/json v1.27.2 out of tree), 71 µs (3.5×) with
// encoding/json's Decoder; the example state files 134 µs against 236 µs
// (1.8×) (minimum of 3-5 runs at a load of 12-18 on the shared 2-core
// machine). jsontext also refuses a lone surrogate escape ("invalid
// surrogate pair"), which Python and this scanner keep as a code point, so
// it cannot decode the same trees at all. Reproduce with
//
//	GOEXPERIMENT=jsonv2 go test ./internal/pyjson -run '^$' -bench Tree -benchmem -count 5
type Scanner struct {
	data []byte
	// src is data as one string: unescaped strings and numbers are slices of
	// it, so a payload costs one string allocation instead of one per key and
	// value. Decoded records keep it alive only as long as they live.
	src string
	pos int
}

// NewScanner returns a scanner at the start of data. It copies data once
// into a string; decoded strings share that copy.
func NewScanner(data []byte) *Scanner {
	return &Scanner{data: data, src: string(data)}
}

// Source is the scanner's input as one string (the copy decoded strings
// share): a caller may keep it to re-encode the value later.
func (p *Scanner) Source() string { return p.src }

// Value decodes the value at the scanner's position into a tree, as Decode
// does (nesting counted from one level down).
func (p *Scanner) Value() (any, error) { return p.value(1) }

// errSyntax means "not valid JSON: ask encoding/json for the details".
var errSyntax = errors.New("syntax error")

func (p *Scanner) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *Scanner) value(depth int) (any, error) {
	if depth > MaxDepth {
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

func (p *Scanner) literal(word string, v any) (any, error) {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return nil, errSyntax
	}
	p.pos += len(word)
	return v, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number follows JSON's grammar exactly and keeps the text, as UseNumber.
func (p *Scanner) number() (any, error) {
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
func (p *Scanner) str() (string, error) {
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

func (p *Scanner) escapedStr(start int) (string, error) {
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

// Object walks the scanner's whole input as one object (refusing invalid
// UTF-8 and trailing data), calling fn with the scanner positioned at each
// key's value. fn consumes the value and returns false to give up; keys are
// not checked for repeats.
func (p *Scanner) Object(fn func(key string) bool) bool {
	if !utf8.Valid(p.data) {
		return false
	}
	p.skipSpace()
	if !p.take('{') {
		return false
	}
	p.skipSpace()
	if !p.take('}') {
		for {
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != '"' {
				return false
			}
			k, err := p.str()
			if err != nil {
				return false
			}
			p.skipSpace()
			if !p.take(':') {
				return false
			}
			p.skipSpace()
			if !fn(k) {
				return false
			}
			p.skipSpace()
			if p.take(',') {
				continue
			}
			if p.take('}') {
				break
			}
			return false
		}
	}
	p.skipSpace()
	return p.pos == len(p.data)
}

func (p *Scanner) take(c byte) bool {
	if p.pos < len(p.data) && p.data[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// Str reads a JSON string at the scanner's position.
func (p *Scanner) Str() (string, bool) {
	if p.pos >= len(p.data) || p.data[p.pos] != '"' {
		return "", false
	}
	s, err := p.str()
	return s, err == nil
}

// Bool reads true or false, or null when nullable (as nil).
func (p *Scanner) Bool(nullable bool) (any, bool) {
	switch {
	case p.word("true"):
		return true, true
	case p.word("false"):
		return false, true
	case nullable && p.word("null"):
		return nil, true
	}
	return nil, false
}

// Int reads a plain JSON integer >= min, or null when nullable.
func (p *Scanner) Int(min int64, nullable bool) (any, bool) {
	if nullable && p.word("null") {
		return nil, true
	}
	start := p.pos
	for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
		p.pos++
	}
	if p.pos == start || (p.data[start] == '0' && p.pos-start > 1) {
		return nil, false
	}
	if p.pos < len(p.data) && (p.data[p.pos] == '.' || p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		return nil, false
	}
	i, err := strconv.ParseInt(p.src[start:p.pos], 10, 64)
	if err != nil || i < min {
		return nil, false
	}
	return i, true
}

func (p *Scanner) word(w string) bool {
	if len(p.data)-p.pos >= len(w) && p.src[p.pos:p.pos+len(w)] == w {
		p.pos += len(w)
		return true
	}
	return false
}

// StringArray checks an array of strings.
func (p *Scanner) StringArray() bool {
	if !p.take('[') {
		return false
	}
	p.skipSpace()
	if p.take(']') {
		return true
	}
	for {
		p.skipSpace()
		if _, ok := p.Str(); !ok {
			return false
		}
		p.skipSpace()
		if p.take(',') {
			continue
		}
		return p.take(']')
	}
}

// StringObject reads an object of strings, calling fn for each pair in order,
// and gives up on a repeated key.
func (p *Scanner) StringObject(fn func(k, v string)) bool {
	if !p.take('{') {
		return false
	}
	p.skipSpace()
	if p.take('}') {
		return true
	}
	var seen []string
	for {
		p.skipSpace()
		k, ok := p.Str()
		if !ok {
			return false
		}
		for _, s := range seen {
			if s == k {
				return false
			}
		}
		seen = append(seen, k)
		p.skipSpace()
		if !p.take(':') {
			return false
		}
		p.skipSpace()
		v, ok := p.Str()
		if !ok {
			return false
		}
		fn(k, v)
		p.skipSpace()
		if p.take(',') {
			continue
		}
		return p.take('}')
	}
}

// skip moves past one JSON value without building it.
func (p *Scanner) skip(depth int) bool {
	if depth > MaxDepth || p.pos >= len(p.data) {
		return false
	}
	switch c := p.data[p.pos]; {
	case c == '"':
		_, err := p.str()
		return err == nil
	case c == '{' || c == '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		p.pos++
		p.skipSpace()
		if p.take(closing) {
			return true
		}
		for {
			p.skipSpace()
			if c == '{' {
				if _, ok := p.Str(); !ok {
					return false
				}
				p.skipSpace()
				if !p.take(':') {
					return false
				}
				p.skipSpace()
			}
			if !p.skip(depth + 1) {
				return false
			}
			p.skipSpace()
			if p.take(',') {
				continue
			}
			return p.take(closing)
		}
	default:
		_, err := p.value(depth)
		return err == nil
	}
}

// Field is one key's value in EachField: its raw bytes and, when it is a
// string, the decoded string.
type Field struct {
	Raw   []byte
	Str   string
	IsStr bool
}

// EachField walks a JSON object lanegate wrote itself (a spool line), giving
// fn each key with its value. It reports false for anything that is not one
// valid object; callers then decode with encoding/json, which says what is
// wrong.
func EachField(data []byte, fn func(key string, v Field) bool) bool {
	p := NewScanner(data)
	return p.Object(func(k string) bool {
		start := p.pos
		var f Field
		if p.pos < len(p.data) && p.data[p.pos] == '"' {
			s, err := p.str()
			if err != nil {
				return false
			}
			f.Str, f.IsStr = s, true
		} else if !p.skip(1) {
			return false
		}
		f.Raw = data[start:p.pos]
		return fn(k, f)
	})
}
