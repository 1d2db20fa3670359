package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// ScopeSchema identifies the scope file `lanegate gate --scope-only` writes.
const ScopeSchema = "lanegate.gate-scope/v1"

// MaxScopeFileSize bounds a scope file; the real one is a few hundred bytes.
const MaxScopeFileSize = 1 << 20

// scopeKeys are the keys a scope file may hold. Only "pr" is ever used; the
// others are written for people reading the artifact.
var scopeKeys = map[string]bool{"schema": true, "pr": true, "head_sha": true, "lanes": true, "problems": true}

// prNumberRE is the form the deciding workflow's shell check accepts for the
// number jq reads, so both sides agree on exactly one spelling.
var prNumberRE = regexp.MustCompile(`^[1-9][0-9]{0,9}$`)

// ParseScope reads the pull request number from a scope file, which was
// written by a pull request's own (untrusted) code. encoding/json matches
// keys case-insensitively and keeps the last of duplicate keys, so `{"pr":5,
// "PR":7}` would let the workflow's jq check PR 5 while the gate decided PR
// 7. ParseScope therefore walks the tokens itself: one JSON object, exact
// lower-case keys from a fixed set, no key twice, "schema" equal to
// ScopeSchema, "pr" a plain positive integer, nothing after the object.
func ParseScope(data []byte) (int, error) {
	if len(data) > MaxScopeFileSize {
		return 0, fmt.Errorf("scope file is %d bytes, over the %d-byte limit", len(data), MaxScopeFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, errors.New("scope file is not a JSON object")
	}
	seen := map[string]bool{}
	pr := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return 0, fmt.Errorf("scope file is not valid JSON: %v", err)
		}
		key, _ := tok.(string)
		switch {
		case !scopeKeys[key]:
			return 0, fmt.Errorf("scope file has unknown key %q (keys are case-sensitive: schema, pr, head_sha, lanes, problems)", key)
		case seen[key]:
			return 0, fmt.Errorf("scope file has key %q twice", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return 0, fmt.Errorf("scope file key %q: not valid JSON: %v", key, err)
		}
		switch key {
		case "schema":
			var s string
			if json.Unmarshal(raw, &s) != nil || s != ScopeSchema {
				return 0, fmt.Errorf("scope file schema is %s, want %q", raw, ScopeSchema)
			}
		case "pr":
			if !prNumberRE.Match(raw) {
				return 0, fmt.Errorf("scope file key \"pr\" is %s, want a pull request number (a positive integer)", clip(raw))
			}
			n, err := strconv.Atoi(string(raw))
			if err != nil || n > 1<<31-1 {
				return 0, fmt.Errorf("scope file key \"pr\" is %s, out of range", clip(raw))
			}
			pr = n
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return 0, errors.New("scope file is not valid JSON: unterminated object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return 0, errors.New("scope file has data after its JSON object")
	}
	for _, k := range []string{"schema", "pr"} {
		if !seen[k] {
			return 0, fmt.Errorf("scope file has no %q key", k)
		}
	}
	return pr, nil
}

// clip keeps error messages about untrusted values short.
func clip(b []byte) string {
	s := strconv.Quote(string(b))
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}
