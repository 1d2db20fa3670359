package lanes

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("lanes.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want *File
	}{
		{
			name: "minimal lane gets every default",
			src: `
schema_version: 1
lanes:
  - route: a/x
    product: a
    driver: odoo
    wave: 1
`,
			want: &File{Path: "lanes.yaml", SchemaVersion: 1, RetireWindow: 14 * day, Lanes: []*Lane{{
				Key: "a/x", Context: "a", Instance: "x", Product: "a", Driver: "odoo", Wave: 1,
				Stage: "dokploy", Line: 4, Column: 5,
			}}},
		},
		{
			name: "defaults.evidence applies only where evidence is unset",
			src: `
schema_version: 1
tracking_issue: 42
retire_window: 30d
defaults:
  evidence:
    health: {max_age: 24h}
    deploy: {max_age: 7d}
lanes:
  - {route: a/x, product: a, driver: odoo, wave: 1}
  - route: b/y
    product: b
    driver: verireel
    wave: 2
    stage: provider-target
    evidence: {promotion: {max_age: 90m}, deploy: {max_age: 72h}}
  - {route: c/z, product: c, driver: generic-web, wave: 2, stage: retired, evidence: {}}
`,
			want: &File{Path: "lanes.yaml", SchemaVersion: 1, TrackingIssue: 42, RetireWindow: 30 * day,
				Defaults: []EvidenceRequirement{{"deploy", 7 * day}, {"health", 24 * time.Hour}}, Lanes: []*Lane{
					{
						Key: "a/x", Context: "a", Instance: "x", Product: "a", Driver: "odoo", Wave: 1, Stage: "dokploy",
						Evidence: []EvidenceRequirement{{"deploy", 7 * day}, {"health", 24 * time.Hour}},
						Line:     10, Column: 5,
					},
					{
						Key: "b/y", Context: "b", Instance: "y", Product: "b", Driver: "verireel", Wave: 2, Stage: "provider-target",
						Evidence: []EvidenceRequirement{{"deploy", 72 * time.Hour}, {"promotion", 90 * time.Minute}},
						Line:     11, Column: 5,
					},
					{
						Key: "c/z", Context: "c", Instance: "z", Product: "c", Driver: "generic-web", Wave: 2, Stage: "retired",
						Line: 17, Column: 5,
					},
				}},
		},
		{
			name: "every lane field",
			src: `
schema_version: 1
lanes:
  - route: ctx/inst/with/slashes
    product: p
    driver: generic-web
    wave: 3
    requires: [dep/one]
    base_url: https://example.com
    health_url: http://example.com:8080/web/health?x=1
    health:
      expect_status: [204, 200]
      allow_private: true
      timeout: 1500ms
    paths: ["products/p/**", "shared/*.yaml"]
  - {route: dep/one, product: d, driver: odoo, wave: 0x2}
`,
			want: &File{Path: "lanes.yaml", SchemaVersion: 1, RetireWindow: 14 * day, Lanes: []*Lane{
				{
					Key: "ctx/inst/with/slashes", Context: "ctx", Instance: "inst/with/slashes",
					Product: "p", Driver: "generic-web", Wave: 3, Stage: "dokploy",
					Requires: []string{"dep/one"},
					BaseURL:  "https://example.com", HealthURL: "http://example.com:8080/web/health?x=1",
					Health: Health{ExpectStatus: []int{200, 204}, AllowPrivate: true, Timeout: 1500 * time.Millisecond},
					Paths:  []string{"products/p/**", "shared/*.yaml"},
					Line:   4, Column: 5,
				},
				{
					Key: "dep/one", Context: "dep", Instance: "one", Product: "d", Driver: "odoo", Wave: 2, Stage: "dokploy",
					Line: 16, Column: 5,
				},
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustParse(t, tc.src)
			for _, l := range got.Lanes {
				if idx, ok := got.Lane(l.Key); !ok || idx != l {
					t.Fatalf("index lookup of %s failed", l.Key)
				}
			}
			got.index = nil // compared separately above
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", dumpFile(got), dumpFile(tc.want))
			}
		})
	}
}

func dumpFile(f *File) string {
	out := fmt.Sprintf("%+v\n", *f)
	for _, l := range f.Lanes {
		out += fmt.Sprintf("  %+v\n", *l)
	}
	return out
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration // 0 means rejected
	}{
		{"7d", 7 * day},
		{"1d", day},
		{"72h", 72 * time.Hour},
		{"90m", 90 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"0d", 0},
		{"0s", 0},
		{"-1h", 0},
		{"+7d", 0},
		{"-7d", 0},
		{"1.5d", 0},
		{"d", 0},
		{"7", 0},
		{"7 d", 0},
		{"2w", 0},
		{"106751d", 106751 * day},
		{"106752d", 0}, // would overflow time.Duration
		{"99999999999999999999d", 0},
	}
	for _, tc := range tests {
		got, ok := parseDuration(tc.in)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
}

// unordered is a valid plan whose file order differs from key order, with
// a context ("a-b") that sorts differently as a whole key than as a part.
const unordered = `# a plan
schema_version: 1
lanes:
  - {route: z/prod, product: z, driver: odoo, wave: 2, requires: [z/testing, a/x]}
  - {route: a-b/x, product: ab, driver: verireel, wave: 1, stage: provider-target}
  - {route: z/testing, product: z, driver: odoo, wave: 1}
  - {route: a/x, product: a, driver: generic-web, wave: 1}
  - {route: m/x, product: m, driver: generic-web, wave: 5, stage: retired}
`

func TestKeysAndWaves(t *testing.T) {
	f := mustParse(t, unordered)
	wantKeys := []string{"a/x", "a-b/x", "m/x", "z/prod", "z/testing"}
	if got := f.Keys(); !slices.Equal(got, wantKeys) {
		t.Errorf("Keys() = %q, want %q", got, wantKeys)
	}
	var got [][]string
	for _, wave := range f.Waves() {
		var keys []string
		for _, l := range wave {
			keys = append(keys, l.Key)
		}
		got = append(got, keys)
	}
	want := [][]string{{"a/x", "a-b/x", "z/testing"}, {"z/prod"}, {"m/x"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Waves() = %q, want %q", got, want)
	}
	if f.Lanes[0].Key != "z/prod" {
		t.Errorf("Lanes not in file order: first is %q", f.Lanes[0].Key)
	}
	l, ok := f.Lane("a-b/x")
	if !ok || l.Product != "ab" {
		t.Errorf("Lane(a-b/x) = %v, %v", l, ok)
	}
	if _, ok := f.Lane("a-b"); ok {
		t.Errorf("Lane(a-b) found a lane")
	}
}

func TestWavePlan(t *testing.T) {
	want := `wave 1:
  a/x (generic-web, dokploy)
  a-b/x (verireel, provider-target)
  z/testing (odoo, dokploy)
wave 2:
  z/prod (odoo, dokploy) requires a/x, z/testing
wave 5:
  m/x (generic-web, retired)
`
	if got := mustParse(t, unordered).WavePlan(); got != want {
		t.Errorf("WavePlan() =\n%s\nwant\n%s", got, want)
	}
}

func TestDigest(t *testing.T) {
	base := mustParse(t, unordered).Digest()
	if len(base) != 64 || strings.Trim(base, "0123456789abcdef") != "" {
		t.Fatalf("Digest() = %q, want 64 lowercase hex digits", base)
	}
	// Pinned so that an accidental change to the canonical encoding, which
	// would make every recorded digest stale, fails here first.
	const pinned = "db26305cd78bebf155060230852c7d6f56fb04a5d15732d7e40adcab68cf969d"
	if base != pinned {
		t.Errorf("Digest() = %s, want pinned %s", base, pinned)
	}

	same := map[string]string{
		"block style, other order, comments, explicit defaults": `
lanes:   # reordered
  - route: m/x
    wave: 5
    stage: retired
    driver: generic-web
    product: m
  - route: a/x
    product: a
    driver: generic-web
    wave: 1
    stage: dokploy
  - route: z/testing
    product: z
    driver: odoo
    wave: 1
  - route: a-b/x
    product: ab
    driver: verireel
    wave: 1
    stage: provider-target
  - route: z/prod
    product: z
    driver: odoo
    wave: 2
    requires:
      - a/x
      - z/testing
schema_version: 1
retire_window: 336h
`,
		"empty defaults.evidence": strings.Replace(unordered, "lanes:", "defaults: {evidence: {}}\nlanes:", 1),
	}
	for name, src := range same {
		if got := mustParse(t, src).Digest(); got != base {
			t.Errorf("%s: Digest() = %s, want %s", name, got, base)
		}
	}

	changed := map[string]string{
		"wave":           strings.Replace(unordered, "wave: 5", "wave: 6", 1),
		"stage":          strings.Replace(unordered, "stage: retired", "stage: dokploy", 1),
		"requires":       strings.Replace(unordered, "requires: [z/testing, a/x]", "requires: [z/testing]", 1),
		"retire_window":  strings.Replace(unordered, "lanes:", "retire_window: 15d\nlanes:", 1),
		"tracking_issue": strings.Replace(unordered, "lanes:", "tracking_issue: 3\nlanes:", 1),
		"evidence":       strings.Replace(unordered, "wave: 5,", "wave: 5, evidence: {health: {max_age: 1h}},", 1),
		"paths":          strings.Replace(unordered, "wave: 5,", "wave: 5, paths: [m/**],", 1),
		"health":         strings.Replace(unordered, "wave: 5,", "wave: 5, health: {allow_private: true},", 1),
		"health_url":     strings.Replace(unordered, "wave: 5,", "wave: 5, health_url: https://m.example.com/health,", 1),
	}
	for name, src := range changed {
		if got := mustParse(t, src).Digest(); got == base {
			t.Errorf("changing %s left Digest() unchanged", name)
		}
	}
}

func TestLanesForPaths(t *testing.T) {
	f := mustParse(t, `
schema_version: 1
lanes:
  - {route: web/prod, product: web, driver: generic-web, wave: 1, paths: ["products/web/**", "shared/**/*.yaml"]}
  - {route: web/testing, product: web, driver: generic-web, wave: 1, paths: ["products/web/**"]}
  - {route: erp/prod, product: erp, driver: odoo, wave: 1, paths: ["products/erp/*.py"]}
  - {route: bare/prod, product: bare, driver: odoo, wave: 1}
`)
	tests := []struct {
		changed []string
		want    []string
	}{
		{nil, []string{}},
		{[]string{"README.md"}, []string{}},
		{[]string{"products/web/a/b/c.go"}, []string{"web/prod", "web/testing"}},
		{[]string{"shared/x.yaml"}, []string{"web/prod"}},
		{[]string{"shared/deep/er/x.yaml", "products/erp/models.py"}, []string{"erp/prod", "web/prod"}},
		{[]string{"products/erp/sub/models.py"}, []string{}},
	}
	for _, tc := range tests {
		got := f.LanesForPaths(tc.changed)
		if got == nil || !slices.Equal(got, tc.want) {
			t.Errorf("LanesForPaths(%q) = %#v, want %q", tc.changed, got, tc.want)
		}
	}
}

func TestMatchPath(t *testing.T) {
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"products/a/**", "products/a/x.go", true},
		{"products/a/**", "products/a/x/y/z.go", true},
		{"products/a/**", "products/a", true}, // "**" may match no segment
		{"products/a/**", "products/ab/x.go", false},
		{"products/a/**", "products", false},
		{"**", "anything/at/all", true},
		{"**", "", true},
		{"**/x.go", "x.go", true},
		{"**/x.go", "a/b/x.go", true},
		{"**/x.go", "a/b/y.go", false},
		{"a/**/b", "a/b", true},
		{"a/**/b", "a/x/y/b", true},
		{"a/**/b", "a/x/y/c", false},
		{"a/**/**/b", "a/b", true},
		{"a/*/b", "a/x/b", true},
		{"a/*/b", "a/x/y/b", false}, // a single "*" stays within a segment
		{"a/*.go", "a/x.go", true},
		{"a/*.go", "a/x/y.go", false},
		{"a/x**.go", "a/xyz.go", true}, // "**" inside a segment is "*"
		{"a/x**.go", "a/x/z.go", false},
		{"a/[xy].go", "a/y.go", true},
		{"a/?.go", "a/xy.go", false},
		{"a", "a/b", false},
		{"a/b", "a", false},
		{"a/[", "a/[", false},    // malformed glob matches nothing
		{"**/[", "a/b/c", false}, // even when "**" could absorb everything
		{"a/**/b/**/c", strings.Repeat("x/", 200) + "c", false},
	}
	for _, tc := range tests {
		if got := MatchPath(tc.glob, tc.name); got != tc.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", tc.glob, tc.name, got, tc.want)
		}
	}
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		in            string
		context, inst string
		wantErr       string
	}{
		{"discord-blue/prod", "discord-blue", "prod", ""},
		{"a/b/c", "a", "b/c", ""},
		{"a/b c", "a", "b c", ""},
		{"a", "", "", `invalid route "a": want "context/instance"`},
		{"", "", "", `invalid route "": want "context/instance"`},
		{"/b", "", "", `invalid route "/b": empty context`},
		{"a/", "", "", `invalid route "a/": empty instance`},
		{"a//", "a", "/", ""}, // the instance may be "/"
		{" a/b", "", "", `invalid route " a/b": context has leading or trailing whitespace`},
		{"a /b", "", "", `invalid route "a /b": context has leading or trailing whitespace`},
		{"a/b ", "", "", `invalid route "a/b ": instance has leading or trailing whitespace`},
		{"a/\u00a0b", "", "", `invalid route "a/\u00a0b": instance has leading or trailing whitespace`},
		{"a/b\n", "", "", `invalid route "a/b\n": contains control character U+000A`},
		{"a/\x7fb", "", "", `invalid route "a/\x7fb": contains control character U+007F`},
		{"a/\xffb", "", "", `invalid route "a/\xffb": not valid UTF-8`},
	}
	for _, tc := range tests {
		c, i, err := ParseRoute(tc.in)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("ParseRoute(%q): %v", tc.in, err)
		case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
			t.Errorf("ParseRoute(%q) error = %v, want %s", tc.in, err, tc.wantErr)
		case c != tc.context || i != tc.inst:
			t.Errorf("ParseRoute(%q) = %q, %q; want %q, %q", tc.in, c, i, tc.context, tc.inst)
		}
	}
}

func TestStageIndex(t *testing.T) {
	for want, s := range Stages {
		if got := StageIndex(s); got != want {
			t.Errorf("StageIndex(%q) = %d, want %d", s, got, want)
		}
	}
	if got := StageIndex("Dokploy"); got != -1 {
		t.Errorf("StageIndex(Dokploy) = %d, want -1", got)
	}
}

func TestLoadReadError(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.yaml"))
	var re *ReadError
	if !errors.As(err, &re) {
		t.Fatalf("Load of a missing file: %v (%T), want *ReadError", err, err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadError does not unwrap to fs.ErrNotExist: %v", err)
	}
	var errs Errors
	if errors.As(err, &errs) {
		t.Errorf("a read failure must not look like validation Errors")
	}
	if !strings.HasPrefix(err.Error(), "reading lanes file: open ") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestErrorsAs(t *testing.T) {
	_, err := Parse("p.yaml", []byte("schema_version: 1\nlanes:\n  - {route: a/x, product: a, driver: odoo, wave: one}\n"))
	var one *Error
	if !errors.As(err, &one) {
		t.Fatalf("errors.As(*Error) failed for %v", err)
	}
	want := &Error{File: "p.yaml", Line: 3, Column: 50, Path: "lanes[0].wave", Msg: `must be an integer >= 1, got "one"`}
	if !reflect.DeepEqual(one, want) {
		t.Errorf("got %+v, want %+v", one, want)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "lanes.yaml", Line: 12, Column: 5, Path: "lanes[2].wave", Msg: "bad"}, "lanes.yaml:12:5: lanes[2].wave: bad"},
		{Error{File: "lanes.yaml", Line: 12, Msg: "bad"}, "lanes.yaml:12: bad"},
		{Error{File: "lanes.yaml", Msg: "file is empty"}, "lanes.yaml: file is empty"},
		{Error{File: "lanes.yaml", Path: "lanes", Msg: "bad"}, "lanes.yaml: lanes: bad"},
	}
	for _, tc := range tests {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	es := Errors{&tests[0].e, &tests[1].e}
	if got, want := es.Error(), tests[0].want+"\n"+tests[1].want; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
}

// TestRepoLanesFile keeps the repository's real plan valid and shaped as
// the phase-two rollout describes.
func TestRepoLanesFile(t *testing.T) {
	f, err := Load("../../lanes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if f.TrackingIssue != 1 || f.RetireWindow != 14*day {
		t.Errorf("tracking_issue = %d, retire_window = %v", f.TrackingIssue, f.RetireWindow)
	}
	wantPlan := `wave 1:
  discord-blue/prod (generic-web, dokploy)
  sellyouroutboard/testing (generic-web, dokploy)
  verireel/testing (verireel, dokploy)
wave 2:
  cm/testing (odoo, dokploy)
  opw/testing (odoo, dokploy)
  sellyouroutboard/prod (generic-web, dokploy) requires sellyouroutboard/testing
wave 3:
  cm/prod (odoo, dokploy) requires cm/testing
  opw/prod (odoo, dokploy) requires opw/testing
  verireel/prod (verireel, dokploy) requires verireel/testing
`
	if got := f.WavePlan(); got != wantPlan {
		t.Errorf("WavePlan() =\n%s\nwant\n%s", got, wantPlan)
	}
	for _, l := range f.Lanes {
		want := []EvidenceRequirement{{"deploy", 7 * day}, {"health", 24 * time.Hour}}
		if l.Key == "verireel/prod" || l.Key == "cm/prod" || l.Key == "opw/prod" {
			want = []EvidenceRequirement{{"deploy", 7 * day}, {"promotion", 7 * day}, {"health", 24 * time.Hour}}
		}
		if !reflect.DeepEqual(l.Evidence, want) {
			t.Errorf("%s: evidence %v, want %v", l.Key, l.Evidence, want)
		}
		if !strings.HasPrefix(l.HealthURL, "https://") {
			t.Errorf("%s: health_url %q is not https", l.Key, l.HealthURL)
		}
		if l.Driver == "odoo" && !strings.HasSuffix(l.HealthURL, "/web/health") {
			t.Errorf("%s: Odoo health_url %q should end in /web/health", l.Key, l.HealthURL)
		}
		if want := []string{"products/" + l.Product + "/**"}; !slices.Equal(l.Paths, want) {
			t.Errorf("%s: paths %q, want %q", l.Key, l.Paths, want)
		}
	}
	if got, want := f.LanesForPaths([]string{"products/cm/addons/x.py"}), []string{"cm/prod", "cm/testing"}; !slices.Equal(got, want) {
		t.Errorf("LanesForPaths(cm) = %q, want %q", got, want)
	}
}
