package gate

import (
	"encoding/json"
	"strings"
	"testing"
)

const scopeOK = `{"schema":"lanegate.gate-scope/v1","pr":5,"head_sha":"abc","lanes":["a/x"],"problems":[]}`

func TestParseScope(t *testing.T) {
	cases := []struct {
		name, in string
		pr       int
		err      string
	}{
		{"written by --scope-only", scopeOK, 5, ""},
		{"minimal", `{"schema":"lanegate.gate-scope/v1","pr":1234}`, 1234, ""},
		{"whitespace around", " \n" + scopeOK + "\n", 5, ""},
		{"upper-case duplicate", `{"schema":"lanegate.gate-scope/v1","pr":5,"PR":7}`, 0, `unknown key "PR"`},
		{"upper-case only", `{"schema":"lanegate.gate-scope/v1","PR":7}`, 0, `unknown key "PR"`},
		{"mixed case", `{"schema":"lanegate.gate-scope/v1","Pr":7}`, 0, `unknown key "Pr"`},
		{"duplicate", `{"schema":"lanegate.gate-scope/v1","pr":5,"pr":7}`, 0, `key "pr" twice`},
		{"escaped duplicate", `{"schema":"lanegate.gate-scope/v1","pr":5,"\u0070r":7}`, 0, `key "pr" twice`},
		{"unknown key", `{"schema":"lanegate.gate-scope/v1","pr":5,"number":7}`, 0, `unknown key "number"`},
		{"no pr", `{"schema":"lanegate.gate-scope/v1"}`, 0, `no "pr" key`},
		{"no schema", `{"pr":5}`, 0, `no "schema" key`},
		{"wrong schema", `{"schema":"other","pr":5}`, 0, `schema is "other"`},
		{"string pr", `{"schema":"lanegate.gate-scope/v1","pr":"5"}`, 0, `key "pr" is`},
		{"float pr", `{"schema":"lanegate.gate-scope/v1","pr":5.0}`, 0, `key "pr" is`},
		{"exponent pr", `{"schema":"lanegate.gate-scope/v1","pr":5e0}`, 0, `key "pr" is`},
		{"zero pr", `{"schema":"lanegate.gate-scope/v1","pr":0}`, 0, `key "pr" is`},
		{"negative pr", `{"schema":"lanegate.gate-scope/v1","pr":-5}`, 0, `key "pr" is`},
		{"huge pr", `{"schema":"lanegate.gate-scope/v1","pr":99999999999}`, 0, `key "pr" is`},
		{"out of int32 range", `{"schema":"lanegate.gate-scope/v1","pr":4294967296}`, 0, `out of range`},
		{"trailing object", scopeOK + `{"pr":7}`, 0, "data after its JSON object"},
		{"trailing garbage", scopeOK + `x`, 0, "data after its JSON object"},
		{"array", `[5]`, 0, "not a JSON object"},
		{"empty", ``, 0, "not a JSON object"},
		{"unterminated", `{"schema":"lanegate.gate-scope/v1","pr":5`, 0, "unterminated"},
		{"too large", `{"schema":"lanegate.gate-scope/v1","pr":5,"lanes":["` + strings.Repeat("x", MaxScopeFileSize) + `"]}`, 0, "over the 1048576-byte limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pr, err := ParseScope([]byte(c.in))
			if c.err == "" {
				if err != nil || pr != c.pr {
					t.Fatalf("ParseScope = %d, %v; want %d", pr, err, c.pr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) || pr != 0 {
				t.Fatalf("ParseScope = %d, %v; want an error containing %q", pr, err, c.err)
			}
		})
	}
}

// FuzzParseScope: whatever ParseScope accepts is one JSON object whose only
// keys are the known lower-case ones, and its number is the one
// encoding/json and a jq-style `.pr` read (so the workflow's check and the
// gate agree).
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{scopeOK, `{"schema":"lanegate.gate-scope/v1","pr":5,"PR":7}`, `{"pr":5,"pr":7}`, `{"schema":"lanegate.gate-scope/v1","pr":5}x`, `{}`, `[]`, `{"schema":"lanegate.gate-scope/v1","\u0070r":9}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pr, err := ParseScope(data)
		if err != nil {
			if pr != 0 {
				t.Fatalf("error %v with pr %d", err, pr)
			}
			return
		}
		if pr <= 0 || !json.Valid(data) {
			t.Fatalf("accepted %q as pr %d", data, pr)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("accepted %q, which is not an object: %v", data, err)
		}
		for k := range m {
			if !scopeKeys[k] {
				t.Fatalf("accepted %q with key %q", data, k)
			}
		}
		var s struct {
			PR int `json:"pr"`
		}
		if err := json.Unmarshal(data, &s); err != nil || s.PR != pr {
			t.Fatalf("accepted %q as %d, encoding/json reads %d (%v)", data, pr, s.PR, err)
		}
	})
}
