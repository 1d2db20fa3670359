package actions

import (
	"fmt"
	"strings"
)

// Input reads an action input the way lanegate's composite action passes
// it. Composite actions get no INPUT_* variables, so action.yml forwards
// each input through env as LANEGATE_INPUT_<NAME>, where NAME is the input
// name upper-cased with '-' and ' ' replaced by '_'. When that is empty,
// Input falls back to the runner's native INPUT_<NAME> (upper-cased, spaces
// replaced by '_', hyphens kept). The value is trimmed.
func (r *Runtime) Input(name string) string {
	upper := strings.ToUpper(name)
	ours := "LANEGATE_INPUT_" + strings.NewReplacer("-", "_", " ", "_").Replace(upper)
	if v := strings.TrimSpace(r.getenv(ours)); v != "" {
		return v
	}
	native := "INPUT_" + strings.ReplaceAll(upper, " ", "_")
	return strings.TrimSpace(r.getenv(native))
}

// BoolInput reads a boolean input. It accepts the YAML 1.2 core schema
// booleans (true, True, TRUE, false, False, FALSE); an empty input is false.
// Anything else is an error naming the input.
func (r *Runtime) BoolInput(name string) (bool, error) {
	switch v := r.Input(name); v {
	case "":
		return false, nil
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	default:
		return false, fmt.Errorf("input %q: %q is not a boolean; use true or false", name, r.Redact(v))
	}
}

// MultilineInput reads a list input: the value is split on line breaks and
// commas, each item is trimmed and empty items are dropped. It returns nil
// when no item remains.
func (r *Runtime) MultilineInput(name string) []string {
	var out []string
	for _, item := range strings.FieldsFunc(r.Input(name), func(c rune) bool {
		return c == '\n' || c == '\r' || c == ','
	}) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
