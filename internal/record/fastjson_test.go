package record

import (
	"bytes"
	"encoding/json"
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
		fp := newFastParser(data)
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
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("trees differ for %q:\nfast %#v\nslow %#v", data, fast, slow)
		}
	})
}

// FuzzAppendJSONString requires byte-identical output to encoding/json with
// HTML escaping off.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"plain", "q\"b\\s", "\x00\x01\b\f\n\r\t\x1f\x7f", "<&>", "é😀\u2028\u2029", "\xff\xfe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := string(AppendJSONString(nil, s)) + "\n"
		if got != want.String() {
			t.Fatalf("AppendJSONString(%q) = %s, encoding/json = %s", s, got, want.String())
		}
	})
}
