package pyjson

import (
	"testing"
)

// wtf8 is the WTF-8 form of a lone surrogate, as decoded strings carry it.
func wtf8(r rune) string { return string(appendSurrogate(nil, r)) }

// TestLoneSurrogatesSurviveDecoding: Python's json.loads keeps "\ud800" as
// that code point, so two payloads that differ only there are different
// values. They used to decode to the same U+FFFD, hiding a mismatch.
func TestLoneSurrogatesSurviveDecoding(t *testing.T) {
	decode := func(s string) string {
		t.Helper()
		v, err := Decode([]byte(s))
		if err != nil {
			t.Fatalf("Decode(%s): %v", s, err)
		}
		return v.(string)
	}
	tests := []struct {
		in   string
		want string
	}{
		{`"a\ud800b"`, "a" + wtf8(0xd800) + "b"},
		{`"\udc00\ud800"`, wtf8(0xdc00) + wtf8(0xd800)},
		{`"\ud800\u0041"`, wtf8(0xd800) + "A"},
		{`"\ud83d\ude00"`, "\U0001F600"}, // a pair is one code point
		{`"\udbff"`, wtf8(0xdbff)},
		{`"\ud83d\ud83d\ude00"`, wtf8(0xd83d) + "\U0001F600"},
	}
	for _, tt := range tests {
		if got := decode(tt.in); got != tt.want {
			t.Errorf("Decode(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Python: "a\ud800b" != "a\ufffdb" != "a\udc00b".
	a, b, c := decode(`"a\ud800b"`), decode(`"a\ufffdb"`), decode(`"a\udc00b"`)
	if a == b || a == c || b == c {
		t.Errorf("distinct Python strings compare equal: %q %q %q", a, b, c)
	}
	// Sorted as Python sorts code points: U+D7FF < U+D800 < U+E000 < U+10000.
	order := []string{decode(`"\ud7ff"`), decode(`"\ud800"`), decode(`"\udfff"`), decode(`"\ue000"`), decode(`"\ud800\udc00"`)}
	for i := 1; i < len(order); i++ {
		if order[i-1] >= order[i] {
			t.Errorf("order: %q >= %q", order[i-1], order[i])
		}
	}
}

// TestLoneSurrogatesRoundTrip: dumps write a lone surrogate back as the
// escape Python's json.dumps writes (values taken from CPython 3).
func TestLoneSurrogatesRoundTrip(t *testing.T) {
	v, err := Decode([]byte(`{"k": "a\ud800b", "\udfff": ["\udc00\ud800"]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"k\": \"a\\ud800b\",\n  \"\\udfff\": [\n    \"\\udc00\\ud800\"\n  ]\n}"
	if got := string(EncodePython(v)); got != want {
		t.Errorf("EncodePython = %s\nwant %s", got, want)
	}
	s := v.(*Object).Values["k"].(string)
	if got, want := string(AppendString(nil, s)), `"a\ud800b"`; got != want {
		t.Errorf("AppendString = %s, want %s", got, want)
	}
	if got, want := PyRepr(s), `'a\ud800b'`; got != want {
		t.Errorf("PyRepr = %s, want %s", got, want)
	}
}

// TestLoneSurrogatesPythonStringMethods: str.strip() and str.lower() treat
// a surrogate as a non-space, case-less character (CPython 3 results).
func TestLoneSurrogatesPythonStringMethods(t *testing.T) {
	s := wtf8(0xd800)
	if got, want := PyStrip(" "+s+" \t"), s; got != want {
		t.Errorf("PyStrip = %q, want %q", got, want)
	}
	if got := PyStrip(s + "\u00a0"); got != s {
		t.Errorf("PyStrip = %q, want %q", got, s)
	}
	tests := []struct{ in, want string }{
		{"AB" + s, "ab" + s},
		{"A\u03a3" + s, "a\u03c2" + s},             // 'a\u03c2\ud800'
		{"A\u03a3" + s + "b", "a\u03c2" + s + "b"}, // the surrogate is not cased
		{"\u0130" + s, "i\u0307" + s},
		{s + "Ü", s + "ü"},
	}
	for _, tt := range tests {
		if got := PyLower(tt.in); got != tt.want {
			t.Errorf("PyLower(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
