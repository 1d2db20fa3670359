package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/lanegate/lanegate/internal/testkit"
	"io"
	"testing"
)

// keysSorted walks a JSON document and returns the first object whose keys
// are not in sorted order, as "path: key after previous".
func keysSorted(t *testing.T, doc []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	var walk func(path string) string
	walk = func(path string) string {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch tok {
		case json.Delim('{'):
			prev := ""
			bad := ""
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					t.Fatal(err)
				}
				key := k.(string)
				if bad == "" && prev != "" && key < prev {
					bad = path + ": " + key + " after " + prev
				}
				prev = key
				if b := walk(path + "." + key); bad == "" {
					bad = b
				}
			}
			_, _ = dec.Token()
			return bad
		case json.Delim('['):
			bad := ""
			for i := 0; dec.More(); i++ {
				if b := walk(path + "[]"); bad == "" {
					bad = b
				}
			}
			_, _ = dec.Token()
			return bad
		}
		return ""
	}
	bad := walk("")
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("trailing data after the document: %v", err)
	}
	return bad
}

// TestAuditReportKeysSorted: issue #15. The README says the JSON report's
// keys are sorted (like Launchplane's sort_keys); the .lanes[] entries were
// not.
func TestAuditReportKeysSorted(t *testing.T) {
	t.Parallel()
	dir := testkit.ExampleWorkDir(t)
	o := lanegate.In(dir, nil, "audit", "--state-dir", "state", "--format", "json")
	if o.Code != 1 {
		t.Fatalf("want exit 1 (the example state is blocked)\n%s", o)
	}
	if bad := keysSorted(t, []byte(o.Stdout)); bad != "" {
		t.Errorf("audit JSON keys not sorted at %s", bad)
	}
}
