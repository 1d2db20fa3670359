package verdict

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Verdict
		ok   bool
	}{
		{"ok", OK, true}, {"blocked", Blocked, true}, {"refused", Refused, true},
		{"", "", false}, {"OK", "", false}, {"pass", "", false}, {"warning", "", false},
	} {
		got, err := Parse(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q ok=%t", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestExitCodeAndWords(t *testing.T) {
	for _, tc := range []struct {
		v    Verdict
		code int
		word string
		icon string
	}{
		{OK, 0, "OK", "✅"}, {Blocked, 1, "BLOCKED", "❌"}, {Refused, 1, "REFUSED", "⛔"}, {"", 1, "UNKNOWN", "❌"},
	} {
		if tc.v.ExitCode() != tc.code || tc.v.Word() != tc.word || tc.v.Icon(0) != tc.icon {
			t.Errorf("%q: exit %d word %s icon %s; want %d %s %s", tc.v, tc.v.ExitCode(), tc.v.Word(), tc.v.Icon(0), tc.code, tc.word, tc.icon)
		}
	}
	if OK.Icon(1) != "⚠️" {
		t.Errorf("ok with warnings icon %s, want ⚠️", OK.Icon(1))
	}
}

func TestConsistent(t *testing.T) {
	for _, tc := range []struct {
		v       Verdict
		blocked int
		reason  string
		ok      bool
	}{
		{OK, 0, "", true}, {OK, 2, "", false}, {OK, 0, "x", false},
		{Blocked, 2, "", true}, {Blocked, 0, "would be refused", true}, {Blocked, 0, "", false},
		{Refused, 0, "digest", true}, {Refused, 3, "blocked", true}, {Refused, 0, "", false},
		{"pass", 0, "", false},
	} {
		if err := Consistent(tc.v, tc.blocked, tc.reason); (err == nil) != tc.ok {
			t.Errorf("Consistent(%q, %d, %q) = %v; want ok=%t", tc.v, tc.blocked, tc.reason, err, tc.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"ok", "blocked", "refused", "", "Ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err == nil && (!v.Valid() || string(v) != s) {
			t.Fatalf("Parse(%q) = %q accepted", s, v)
		}
		if err != nil && v != "" {
			t.Fatalf("Parse(%q) returned %q with an error", s, v)
		}
	})
}

func TestFailOn(t *testing.T) {
	tests := []struct {
		policy   FailOn
		v        Verdict
		warnings int
		fails    bool
	}{
		{FailOnBlocked, OK, 0, false},
		{FailOnBlocked, OK, 3, false},
		{FailOnBlocked, Blocked, 0, true},
		{FailOnBlocked, Refused, 0, true},
		{FailOnWarning, OK, 0, false},
		{FailOnWarning, OK, 1, true},
		{FailOnWarning, Blocked, 0, true},
		{FailOnNever, Blocked, 5, false},
		{FailOnNever, OK, 5, false},
		{FailOnNever, Refused, 0, true}, // a refused apply always fails
	}
	for _, tt := range tests {
		if got := tt.policy.Fails(tt.v, tt.warnings); got != tt.fails {
			t.Errorf("FailOn(%s).Fails(%s, %d) = %v, want %v", tt.policy, tt.v, tt.warnings, got, tt.fails)
		}
	}
	for _, s := range []string{"blocked", "warning", "never"} {
		if _, err := ParseFailOn(s); err != nil {
			t.Errorf("ParseFailOn(%q): %v", s, err)
		}
	}
	if _, err := ParseFailOn("Blocked"); err == nil || err.Error() != `--fail-on "Blocked": want blocked, warning or never` {
		t.Errorf("ParseFailOn(Blocked) = %v", err)
	}
}
