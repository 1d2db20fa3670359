package lanes

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

// FuzzParse checks that no input panics, that errors are well formed and
// that a file Parse accepts is one the rest of the API can use. Seeds are
// in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		file, err := Parse(name, data)
		if err != nil {
			if file != nil {
				t.Fatal("Parse returned a File and an error")
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty Errors", err, err)
			}
			for i, e := range errs {
				// Line 0 is only for whole-file errors, which have no column.
				if e.Line < 0 || e.Column < 0 || (e.Line == 0 && e.Column != 0) {
					t.Errorf("bad position %d:%d in %q", e.Line, e.Column, e.Error())
				}
				if e.File != name || !strings.HasPrefix(e.Error(), name+":") || e.Msg == "" {
					t.Errorf("malformed error %q", e.Error())
				}
				if i > 0 && (e.Line < errs[i-1].Line || e.Line == errs[i-1].Line && e.Column < errs[i-1].Column) {
					t.Errorf("errors not sorted: %q before %q", errs[i-1].Error(), e.Error())
				}
			}
			return
		}
		if file == nil || len(file.Lanes) == 0 || file.SchemaVersion != SchemaVersion {
			t.Fatalf("accepted file is unusable: %+v", file)
		}
		seen := map[string]bool{}
		for _, l := range file.Lanes {
			c, i, err := ParseRoute(l.Key)
			if err != nil || c != l.Context || i != l.Instance || seen[l.Key] {
				t.Errorf("lane key %q: %v (duplicate: %v)", l.Key, err, seen[l.Key])
			}
			seen[l.Key] = true
			if l.Wave < 1 || StageIndex(l.Stage) < 0 || l.Line < 1 {
				t.Errorf("lane %q: wave %d, stage %q, line %d", l.Key, l.Wave, l.Stage, l.Line)
			}
		}
		for _, l := range file.Lanes {
			for _, r := range l.Requires {
				dep, ok := file.Lane(r)
				if !ok || r == l.Key || dep.Wave > l.Wave {
					t.Errorf("lane %q has bad requirement %q", l.Key, r)
				}
			}
		}
		if len(file.Keys()) != len(file.Lanes) || file.WavePlan() == "" || len(file.Digest()) != 64 {
			t.Errorf("Keys/WavePlan/Digest inconsistent for an accepted file")
		}
		again, err := Parse(name, data)
		if err != nil || again.Digest() != file.Digest() {
			t.Errorf("parsing the same bytes twice gave different results: %v", err)
		}
	})
}

// FuzzParseRoute checks that an accepted route splits back into itself and
// meets every documented rule. Seeds are in testdata/fuzz/FuzzParseRoute.
func FuzzParseRoute(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		c, i, err := ParseRoute(s)
		if err != nil {
			if c != "" || i != "" || !strings.HasPrefix(err.Error(), "invalid route ") {
				t.Errorf("ParseRoute(%q) = %q, %q, %v", s, c, i, err)
			}
			return
		}
		if c+"/"+i != s || c == "" || i == "" || strings.Contains(c, "/") {
			t.Errorf("ParseRoute(%q) split into %q and %q", s, c, i)
		}
		if strings.TrimSpace(c) != c || strings.TrimSpace(i) != i {
			t.Errorf("ParseRoute(%q) kept outer whitespace", s)
		}
		if strings.ContainsFunc(s, unicode.IsControl) {
			t.Errorf("ParseRoute(%q) accepted a control character", s)
		}
	})
}
