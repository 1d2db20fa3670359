package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

func indentCases() []string {
	return []string{
		`{}`, `[]`, `1`, `"x"`, `null`,
		`{"a":1}`,
		`{"a":[],"b":{},"c":[1,2,{"d":"e,f:g{h}[i]"}]}`,
		`{"k":"quote \" and backslash \\\\ and \\u0001","l":[true,false,null]}`,
		`[[[]],[{}],{"x":[{"y":{}}]}]`,
		`{"context":"ctx","statuses":["complete"],"physical_record":{"provider_evidence":{},"target_id":"a\"b"}}`,
	}
}

// FuzzAppendIndent requires byte-identical output to json.Indent for every
// compact JSON value (non-JSON input is out of the indenter's contract).
func FuzzAppendIndent(f *testing.F) {
	for _, c := range indentCases() {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			t.Skip("not JSON: outside appendIndent's contract")
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, in); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), "    ", "  "); err != nil {
			t.Fatal(err)
		}
		got := appendIndent(nil, compact.Bytes(), "    ", "  ")
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("appendIndent(%s)\n got %s\nwant %s", compact.Bytes(), got, want.Bytes())
		}
	})
}

func TestAppendIndentMatchesJSONIndent(t *testing.T) {
	for _, c := range indentCases() {
		var want bytes.Buffer
		if err := json.Indent(&want, []byte(c), "    ", "  "); err != nil {
			t.Fatal(err)
		}
		if got := appendIndent([]byte("prefix:"), []byte(c), "    ", "  "); string(got) != "prefix:"+want.String() {
			t.Errorf("appendIndent(%s)\n got %s\nwant %s", c, got, want.String())
		}
	}
}
