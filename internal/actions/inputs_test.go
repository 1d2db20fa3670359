package actions

import (
	"reflect"
	"strings"
	"testing"
)

func TestInputPrecedenceAndNaming(t *testing.T) {
	tests := []struct {
		name  string
		input string
		env   env
		want  string
	}{
		{"ours wins", "fail-on", env{"LANEGATE_INPUT_FAIL_ON": "error", "INPUT_FAIL-ON": "warning"}, "error"},
		{"native fallback keeps hyphens", "fail-on", env{"INPUT_FAIL-ON": " warning \n"}, "warning"},
		{"native underscore form is not the hyphen input", "fail-on", env{"INPUT_FAIL_ON": "warning"}, ""},
		{"empty ours falls back", "fail-on", env{"LANEGATE_INPUT_FAIL_ON": "  ", "INPUT_FAIL-ON": "notice"}, "notice"},
		{"spaces become underscores in both", "summary file", env{"LANEGATE_INPUT_SUMMARY_FILE": "a.md"}, "a.md"},
		{"spaces native", "summary file", env{"INPUT_SUMMARY_FILE": "b.md"}, "b.md"},
		{"case-insensitive name", "Database-URL", env{"LANEGATE_INPUT_DATABASE_URL": "postgres://x"}, "postgres://x"},
		{"trimmed", "lanes", env{"LANEGATE_INPUT_LANES": "\t a, b \n"}, "a, b"},
		{"unset", "lanes", env{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := newTestRuntime(t, tt.env, Config{})
			if got := r.Input(tt.input); got != tt.want {
				t.Errorf("Input(%q) = %q, want %q", tt.input, got, tt.want)
			}
		})
	}
}

func TestBoolInput(t *testing.T) {
	for _, v := range []string{"true", "True", "TRUE", " true "} {
		r, _ := newTestRuntime(t, env{"LANEGATE_INPUT_STRICT": v}, Config{})
		if got, err := r.BoolInput("strict"); err != nil || !got {
			t.Errorf("%q: got %v, %v; want true", v, got, err)
		}
	}
	for _, v := range []string{"false", "False", "FALSE", ""} {
		r, _ := newTestRuntime(t, env{"LANEGATE_INPUT_STRICT": v}, Config{})
		if got, err := r.BoolInput("strict"); err != nil || got {
			t.Errorf("%q: got %v, %v; want false", v, got, err)
		}
	}
	for _, v := range []string{"yes", "no", "1", "0", "on", "tRUE", "t"} {
		r, _ := newTestRuntime(t, env{"INPUT_FAIL-FAST": v}, Config{})
		got, err := r.BoolInput("fail-fast")
		if err == nil || got {
			t.Errorf("%q: got %v, %v; want an error", v, got, err)
			continue
		}
		if !strings.Contains(err.Error(), `"fail-fast"`) {
			t.Errorf("%q: error does not name the input: %v", v, err)
		}
	}
}

func TestMultilineInput(t *testing.T) {
	tests := map[string][]string{
		"":                          nil,
		" \n , \n":                  nil,
		"a":                         {"a"},
		"a,b , c":                   {"a", "b", "c"},
		"a\nb\r\n\n  c  ,d,\n":      {"a", "b", "c", "d"},
		"lane one\nlane two, three": {"lane one", "lane two", "three"},
	}
	for in, want := range tests {
		r, _ := newTestRuntime(t, env{"LANEGATE_INPUT_LANES": in}, Config{})
		if got := r.MultilineInput("lanes"); !reflect.DeepEqual(got, want) {
			t.Errorf("MultilineInput(%q) = %q, want %q", in, got, want)
		}
	}
}
