package pyjson

import (
	"encoding/json"
	"strings"
	"testing"
)

// obj builds an *Object from alternating keys and values, in that order.
func obj(kv ...any) *Object {
	o := NewObject()
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

// The expected outputs below were printed once by Python 3.11's
// json.dumps(value, indent=2, sort_keys=True) and are embedded byte for byte.
func TestEncodePythonMatchesPython(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{
			name: "nested objects and arrays",
			in: obj(
				"b", obj("y", []any{json.Number("1"), "two", true, nil, obj("z", []any{})}, "x", NewObject()),
				"a", []any{},
				"c", `q"uote\back/slash`,
			),
			want: `{
  "a": [],
  "b": {
    "x": {},
    "y": [
      1,
      "two",
      true,
      null,
      {
        "z": []
      }
    ]
  },
  "c": "q\"uote\\back/slash"
}`,
		},
		{name: "empty object", in: NewObject(), want: `{}`},
		{name: "empty array", in: []any{}, want: `[]`},
		{name: "empty string list", in: []string{}, want: `[]`},
		{name: "empty string map", in: map[string]string{}, want: `{}`},
		{
			name: "non-ASCII escaped, surrogate pairs, code-point key order",
			in: obj(
				"k", "café ü 日本 😀 \U0010ffff",
				"é", "é",
				"😀", "x",
				"\uffff", "y",
				"z", "",
				"A", "a",
			),
			want: `{
  "A": "a",
  "k": "caf\u00e9 \u00fc \u65e5\u672c \ud83d\ude00 \udbff\udfff",
  "z": "",
  "\u00e9": "\u00e9",
  "\uffff": "y",
  "\ud83d\ude00": "x"
}`,
		},
		{
			name: "control characters and DEL",
			in:   obj("c", "\x00\x01\b\t\n\x0b\f\r\x1f\x7f\u0080\u2028"),
			want: `{
  "c": "\u0000\u0001\b\t\n\u000b\f\r\u001f\u007f\u0080\u2028"
}`,
		},
		{
			name: "quotes and backslashes",
			in:   obj("q", `'single' "double" \ \\ \n`),
			want: `{
  "q": "'single' \"double\" \\ \\\\ \\n"
}`,
		},
		{
			name: "integers of every Go kind",
			in:   obj("n", []any{int64(0), -5, json.Number("1234567890123")}),
			want: `{
  "n": [
    0,
    -5,
    1234567890123
  ]
}`,
		},
		{
			name: "string list and string map",
			in:   obj("l", []string{"b", "a"}, "m", map[string]string{"z": "1", "a": "2"}),
			want: `{
  "l": [
    "b",
    "a"
  ],
  "m": {
    "a": "2",
    "z": "1"
  }
}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(EncodePython(tt.in))
			if got != tt.want {
				t.Errorf("EncodePython mismatch\n got: %s\nwant: %s", got, tt.want)
			}
			if strings.HasSuffix(got, "\n") {
				t.Error("output must not end with a newline")
			}
		})
	}
}

func TestEncodePythonPanicsOnUnknownType(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("EncodePython(float64) did not panic")
		}
	}()
	EncodePython(1.5)
}

func TestDecode(t *testing.T) {
	v, err := Decode([]byte(`{"b": [1, "x", true, null, {}], "a": {"n": 1.50}}`))
	if err != nil {
		t.Fatal(err)
	}
	o, ok := v.(*Object)
	if !ok {
		t.Fatalf("got %T, want *Object", v)
	}
	if got := strings.Join(o.Keys, ","); got != "b,a" {
		t.Errorf("keys = %s, want input order b,a", got)
	}
	arr := o.Values["b"].([]any)
	if arr[0] != json.Number("1") || arr[1] != "x" || arr[2] != true || arr[3] != nil {
		t.Errorf("array = %#v", arr)
	}
	if n := o.Values["a"].(*Object).Values["n"]; n != json.Number("1.50") {
		t.Errorf("number kept as %#v, want json.Number(\"1.50\")", n)
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := strings.Repeat("[", 70) + strings.Repeat("]", 70)
	okDepth := strings.Repeat("[", 60) + strings.Repeat("]", 60)
	if _, err := Decode([]byte(okDepth)); err != nil {
		t.Errorf("depth 60: %v", err)
	}
	tests := []struct {
		name, in, want string
	}{
		{"duplicate key", `{"a": 1, "a": 2}`, `duplicate key "a"`},
		{"nested duplicate key", `{"a": {"k": 1, "k": 1}}`, `duplicate key "k"`},
		{"trailing value", `{} {}`, "unexpected data after the JSON value"},
		{"trailing garbage", `{"a": 1} x`, "unexpected data after the JSON value"},
		{"empty input", ``, "invalid JSON at line 1, column 1: unexpected end of JSON input"},
		{"truncated", "{\n  \"a\": 1,", "unexpected end of JSON input"},
		{"missing colon", "{\n  \"a\": 1,\n  \"b\" 2\n}", "invalid JSON at line 3, column 7: invalid character '2' after object key"},
		{"bad value", "{\n  \"context\": \"cm\",\n  \"instance\": prod\n}", "invalid JSON at line 3, column 15: invalid character 'p'"},
		{"bad literal", `{"a": tru}`, "invalid JSON at line 1, column 10: invalid character '}' in literal true"},
		{"trailing comma", `[1, 2, }`, "invalid JSON at line 1, column 8: invalid character '}'"},
		{"garbage after blank lines", "\n\n   x", "invalid JSON at line 3, column 4: invalid character 'x'"},
		{"truncated at line start", "{\n  \"a\": 1,\n", "invalid JSON at line 3, column 1: unexpected end of JSON input"},
		{"unterminated string", `{"a": "x`, "invalid JSON at line 1, column 9: unexpected end of JSON input"},
		{"invalid UTF-8", "{\"a\": \"\xff\"}", "not valid UTF-8"},
		{"too deep", deep, "nesting is too deep"},
		{"NaN is not JSON", `{"a": NaN}`, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode(%q) succeeded", tt.in)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestDecodeThenEncodeIsStable(t *testing.T) {
	in := []byte(`{"z": ["\u00e9", "\ud83d\ude00", 3], "a": {"": "", "k\"": "\u0000"}}`)
	v, err := Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	first := EncodePython(v)
	v2, err := Decode(first)
	if err != nil {
		t.Fatalf("re-decode: %v\n%s", err, first)
	}
	if second := EncodePython(v2); string(second) != string(first) {
		t.Errorf("not stable:\n%s\n%s", first, second)
	}
}
