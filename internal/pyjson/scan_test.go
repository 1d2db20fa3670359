package pyjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"unicode/utf8"
)

// slowTree decodes with encoding/json's Decoder, the reference the fast
// parser must agree with.
func slowTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return decodeValue(dec, 0)
}

// FuzzFastParser checks the fast parser against encoding/json: the same tree
// for valid JSON, a refusal for invalid JSON.
func FuzzFastParser(f *testing.F) {
	for _, s := range []string{
		`{"a": [1, -2.5e3, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"]}`,
		`{"a": {"b": {}}, "c": []}`, `"\ud800"`, `"\udc00\ud800"`, `-0`, `0.5E+1`, `{"a":1,}`,
		`[1 2]`, `01`, `1.`, `"\x"`, "\"a\tb\"", `{"k": "v", "k": 1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return
		}
		fp := NewScanner(data)
		fast, ferr := fp.value(0)
		if ferr == nil {
			fp.skipSpace()
		}
		complete := ferr == nil && fp.pos == len(data)
		if !json.Valid(data) {
			if complete {
				t.Fatalf("fast parser accepted invalid JSON %q", data)
			}
			return
		}
		if ferr != nil && ferr == errSyntax {
			t.Fatalf("fast parser refused valid JSON %q", data)
		}
		if ferr != nil {
			return // duplicate key or depth: refusals of our own
		}
		slow, serr := slowTree(data)
		if serr != nil {
			return
		}
		// encoding/json turns a lone surrogate into U+FFFD; the fast parser
		// keeps it (wtf8.go). Otherwise the trees are the same.
		if !reflect.DeepEqual(replaceSurrogates(fast), slow) {
			t.Fatalf("trees differ for %q:\nfast %#v\nslow %#v", data, fast, slow)
		}
	})
}

// replaceSurrogates maps every WTF-8 surrogate in a tree to U+FFFD, what
// encoding/json decodes a lone surrogate escape to.
func replaceSurrogates(v any) any {
	str := func(s string) string {
		var b []byte
		for i := 0; i < len(s); {
			if _, ok := surrogateAt(s[i:]); ok {
				b = append(b, "\ufffd"...)
				i += 3
				continue
			}
			b = append(b, s[i])
			i++
		}
		return string(b)
	}
	switch t := v.(type) {
	case string:
		return str(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = replaceSurrogates(e)
		}
		return out
	case *Object:
		out := NewObject()
		for _, k := range t.Keys {
			out.Set(str(k), replaceSurrogates(t.Values[k]))
		}
		return out
	}
	return v
}

// validWTF8 reports whether s is valid UTF-8 plus lone surrogates that a
// JSON decoder can give back (no high surrogate directly before a low one,
// which decodes as a pair).
func validWTF8(s string) bool {
	prevHigh := false
	for i := 0; i < len(s); {
		r, size := decodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if prevHigh && r >= 0xdc00 && r <= 0xdfff {
			return false
		}
		prevHigh = r >= 0xd800 && r <= 0xdbff
		i += size
	}
	return true
}

// FuzzAppendString requires byte-identical output to encoding/json with
// HTML escaping off.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"plain", "q\"b\\s", "\x00\x01\b\f\n\r\t\x1f\x7f", "<&>", "é😀\u2028\u2029", "\xff\xfe", "",
		"a\xed\xa0\x80b", "\xed\xb0\x80\xed\xa0\x80", "\xe0\xed\xa0\x80", "\xed\xa0\xbd\xed\xb8\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// encoding/json writes each lone surrogate's three bytes as
		// U+FFFD; AppendString writes the \udXXX escape Python
		// writes. Everything between them is encoded the same.
		var want []byte
		part := func(p string) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(p); err != nil {
				t.Fatal(err)
			}
			want = append(want, bytes.TrimSuffix(bytes.TrimPrefix(buf.Bytes(), []byte(`"`)), []byte("\"\n"))...)
		}
		want = append(want, '"')
		start := 0
		for i := 0; i < len(s); {
			if r, ok := surrogateAt(s[i:]); ok {
				part(s[start:i])
				want = append(want, fmt.Sprintf(`\u%04x`, r)...)
				i += 3
				start = i
				continue
			}
			i++
		}
		part(s[start:])
		want = append(want, '"')
		got := AppendString(nil, s)
		if string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
		if validWTF8(s) {
			back, err := NewScanner(got).str()
			if err != nil || back != s {
				t.Fatalf("AppendString(%q) = %s decodes to %q (%v)", s, got, back, err)
			}
		}
	})
}
