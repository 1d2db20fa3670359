package pyjson_test

// The benchmarks here measure the hand-written JSON layer against
// encoding/json and, under GOEXPERIMENT=jsonv2, against encoding/json/v2 and
// its jsontext (bench_jsonv2_test.go), on Launchplane's own record payloads:
//
//	go test ./internal/pyjson -run '^$' -bench . -benchmem -count 3
//	GOEXPERIMENT=jsonv2 go test ./internal/pyjson -run '^$' -bench . -benchmem -count 3
//
// Every variant of one benchmark does the same work on the same input; where
// a library cannot produce the same bytes or tree, the variant's name says so
// (a "~" suffix) and TestBenchVariantsAgree pins what does agree.

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/pyjson"
	"github.com/lanegate/lanegate/internal/record"
)

// The audit's input: payloads as PostgreSQL's jsonb text output writes them,
// shaped like bench/'s generated rows (and Launchplane's own).
var (
	jsonbTarget   = []byte(`{"env": {"WORKERS": "5", "LOG_LEVEL": "info"}, "context": "ctx-0030742", "domains": ["prod.ctx-0030742.example.com"], "instance": "prod", "policies": {"shopify": {"protected_store_keys": []}, "integration_allowances": []}, "git_branch": "main", "updated_at": "2026-03-16T20:44:06Z", "source_type": "", "target_name": "ctx-0030742-prod", "target_type": "compose", "watch_paths": [], "compose_path": "", "project_name": "ctx-0030742-project", "source_label": "launchplane:dokploy-sync", "custom_git_url": "", "schema_version": 1, "source_git_ref": "origin/main", "healthcheck_path": "/web/health", "custom_git_branch": "", "require_prod_gate": false, "require_test_gate": false, "healthcheck_enabled": true}`)
	jsonbProvider = []byte(`{"context": "ctx-0271201", "instance": "staging", "target_id": "app-ctx-0271201-staging", "updated_at": "2026-04-10T15:23:06Z", "provider_id": "dokploy", "display_name": "ctx-0271201-staging", "source_label": "launchplane:backfill", "schema_version": 1, "target_category": "application", "provider_evidence": {"project_name": "ctx-0271201-project"}, "provider_target_type": "application"}`)
	jsonbTargetID = []byte(`{"context": "ctx-0030742", "instance": "prod", "target_id": "com-ctx-0030742-prod", "updated_at": "2026-02-05T05:30:50Z", "source_label": "launchplane:dokploy-sync", "schema_version": 1}`)
)

// route is one route's three payloads, the audit's per-route decoding.
var route = [][]byte{jsonbTarget, jsonbProvider, jsonbTargetID}

// stateFiles are the example state directory's records, as Launchplane
// writes them (indented, sorted keys).
func stateFiles(tb testing.TB) [][]byte {
	paths, err := filepath.Glob("../../examples/state/*/*.json")
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no example state files (%v)", err)
	}
	var out [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := pyjson.Decode(data); err == nil {
			out = append(out, data)
		}
	}
	return out
}

type treeDecoder struct {
	name   string
	decode func([]byte) (any, error)
}

// treeDecoders decode into pyjson's tree (*pyjson.Object, []any, string,
// json.Number, bool, nil); bench_jsonv2_test.go adds jsontext.
var treeDecoders = []treeDecoder{
	{"pyjson", pyjson.Decode},
	{"encoding-json-tokens", stdTokenTree},
}

// stdTokenTree builds the tree from encoding/json's Decoder.Token, as
// DecodeTree did before the Scanner (and still does to explain a syntax
// error). It keeps no lone surrogate (U+FFFD instead).
func stdTokenTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := stdValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errTrailing
	}
	return v, nil
}

var errTrailing = errString("trailing data")

type errString string

func (e errString) Error() string { return string(e) }

func stdValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			obj := pyjson.NewObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				if _, dup := obj.Values[k]; dup {
					return nil, errString("duplicate key")
				}
				v, err := stdValue(dec)
				if err != nil {
					return nil, err
				}
				obj.Set(k, v)
			}
			_, err := dec.Token()
			return obj, err
		}
		arr := []any{}
		for dec.More() {
			v, err := stdValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token()
		return arr, err
	}
	return tok, nil
}

// BenchmarkTree decodes payloads into the tree: the path every record that
// is not in the plain shape takes, and the fs store's load.
func BenchmarkTree(b *testing.B) {
	for _, set := range []struct {
		name     string
		payloads [][]byte
	}{{"jsonb-route", route}, {"state-files", stateFiles(b)}} {
		for _, d := range treeDecoders {
			b.Run(d.name+"/"+set.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					for _, p := range set.payloads {
						if _, err := d.decode(p); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}

type routeDecoder struct {
	name   string
	decode func(target []byte) error
}

// targetDecoders decode and validate one Dokploy target record (the largest
// payload, a third of the audit's decoding): the typed Scanner path the
// audit takes, and each tree decoder followed by the same validation.
var targetDecoders = []routeDecoder{
	{"pyjson-scanner", func(p []byte) error { _, err := record.DecodeDokployTarget(p); return err }},
	{"pyjson-tree", treeThenValidate(pyjson.Decode)},
	{"encoding-json-tokens", treeThenValidate(stdTokenTree)},
	{"encoding-json-struct~", func(p []byte) error { var t targetStruct; return json.Unmarshal(p, &t) }},
}

// targetStruct is the Dokploy target as a plain struct: what unmarshalling
// into a struct costs, without lanegate's checks (duplicate keys, unknown
// keys, lax Pydantic values), so it is a lower bound, not a substitute.
type targetStruct struct {
	SchemaVersion     int64             `json:"schema_version"`
	Context           string            `json:"context"`
	Instance          string            `json:"instance"`
	ProjectName       string            `json:"project_name"`
	TargetType        string            `json:"target_type"`
	TargetName        string            `json:"target_name"`
	GitBranch         string            `json:"git_branch"`
	SourceGitRef      string            `json:"source_git_ref"`
	SourceType        string            `json:"source_type"`
	CustomGitURL      string            `json:"custom_git_url"`
	CustomGitBranch   string            `json:"custom_git_branch"`
	ComposePath       string            `json:"compose_path"`
	WatchPaths        []string          `json:"watch_paths"`
	RequireTestGate   bool              `json:"require_test_gate"`
	RequireProdGate   bool              `json:"require_prod_gate"`
	HealthcheckOn     bool              `json:"healthcheck_enabled"`
	HealthcheckPath   string            `json:"healthcheck_path"`
	Env               map[string]string `json:"env"`
	Domains           []string          `json:"domains"`
	Policies          json.RawMessage   `json:"policies"`
	UpdatedAt         string            `json:"updated_at"`
	SourceLabel       string            `json:"source_label"`
	EnableSubmodules  *bool             `json:"enable_submodules"`
	DeployTimeout     *int64            `json:"deploy_timeout_seconds"`
	HealthcheckTimout *int64            `json:"healthcheck_timeout_seconds"`
	PublicHosts       []string          `json:"public_hosts"`
}

func treeThenValidate(decode func([]byte) (any, error)) func([]byte) error {
	return func(p []byte) error {
		v, err := decode(p)
		if err != nil {
			return err
		}
		_, err = record.DokployTargetFromObject(v.(*pyjson.Object))
		return err
	}
}

// BenchmarkDokployTarget is the audit's per-route decoding of its largest
// record.
func BenchmarkDokployTarget(b *testing.B) {
	for _, d := range targetDecoders {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := d.decode(jsonbTarget); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// findingJSON mirrors audit.Finding with a plain provider-target struct, so
// that encoding/json does the whole encoding by reflection.
type findingJSON struct {
	Context   string  `json:"context"`
	Detail    string  `json:"detail"`
	Instance  string  `json:"instance"`
	Physical  *ptJSON `json:"physical_record,omitempty"`
	Projected *ptJSON `json:"projected_record,omitempty"`
	Severity  string  `json:"severity"`
	Status    string  `json:"status"`
}

type ptJSON struct {
	Context            string            `json:"context"`
	DisplayName        string            `json:"display_name"`
	Instance           string            `json:"instance"`
	ProviderEvidence   map[string]string `json:"provider_evidence"`
	ProviderID         string            `json:"provider_id"`
	ProviderTargetType string            `json:"provider_target_type"`
	SchemaVersion      int64             `json:"schema_version"`
	SourceLabel        string            `json:"source_label"`
	TargetCategory     string            `json:"target_category"`
	TargetID           string            `json:"target_id"`
	UpdatedAt          string            `json:"updated_at"`
}

func mirror(p *record.ProviderTarget) *ptJSON {
	return &ptJSON{p.Context, p.DisplayName, p.Instance, p.ProviderEvidence, p.ProviderID, p.ProviderTargetType,
		p.SchemaVersion, p.SourceLabel, p.TargetCategory, p.TargetID, p.UpdatedAt}
}

// benchFinding is a display_name_mismatch finding: the audit's largest
// spool line, with both records.
func benchFinding(tb testing.TB) (audit.Finding, findingJSON) {
	phys, err := record.DecodeProviderTarget(jsonbProvider)
	if err != nil {
		tb.Fatal(err)
	}
	proj := *phys
	proj.DisplayName = "ctx-0271201-staging-renamed"
	f := audit.Finding{Context: phys.Context, Instance: phys.Instance, Physical: phys, Projected: &proj,
		Detail:   "display_name physical='ctx-0271201-staging' projected='ctx-0271201-staging-renamed'",
		Severity: "blocked", Status: "display_name_mismatch"}
	return f, findingJSON{f.Context, f.Detail, f.Instance, mirror(phys), mirror(&proj), f.Severity, f.Status}
}

type appender struct {
	name   string
	append func(dst []byte, f *audit.Finding, m *findingJSON) []byte
}

var appenders = []appender{
	{"pyjson", func(dst []byte, f *audit.Finding, _ *findingJSON) []byte { return f.AppendJSON(dst) }},
	{"encoding-json", func(dst []byte, _ *audit.Finding, m *findingJSON) []byte {
		buf := bytes.NewBuffer(dst)
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			panic(err)
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}},
}

// BenchmarkAppendFinding writes one finding as its spool line.
func BenchmarkAppendFinding(b *testing.B) {
	f, m := benchFinding(b)
	for _, a := range appenders {
		b.Run(a.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 1024)
			for b.Loop() {
				buf = a.append(buf[:0], &f, &m)
			}
		})
	}
}

type pyEncoder struct {
	name   string
	encode func(t *record.DokployTarget, tree *pyjson.Object) []byte
}

// pyEncoders write a Dokploy target decoded on the fast path as Launchplane
// does (indent=2, sort_keys, ensure_ascii): the backfill digest's largest
// part. Such a target keeps its raw bytes, not a tree: the tree variants
// build it (t.Payload()) as they would have to.
var pyEncoders = []pyEncoder{
	{"pyjson-raw-members", func(t *record.DokployTarget, _ *pyjson.Object) []byte { return t.EncodePython() }},
	{"pyjson-tree", func(t *record.DokployTarget, _ *pyjson.Object) []byte { return pyjson.EncodePython(t.Payload()) }},
}

// BenchmarkEncodePython encodes the decoded bench target.
func BenchmarkEncodePython(b *testing.B) {
	t, err := record.DecodeDokployTarget(jsonbTarget)
	if err != nil {
		b.Fatal(err)
	}
	tree := t.Payload()
	for _, e := range pyEncoders {
		b.Run(e.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.encode(t, tree)
			}
		})
	}
}

type indenter struct {
	name   string
	indent func(dst, src []byte) []byte
}

var indenters = []indenter{
	{"pyjson", func(dst, src []byte) []byte { return pyjson.AppendIndent(dst, src, "    ", "  ") }},
	{"encoding-json", func(dst, src []byte) []byte {
		buf := bytes.NewBuffer(dst)
		if err := json.Indent(buf, src, "    ", "  "); err != nil {
			panic(err)
		}
		return buf.Bytes()
	}},
}

// BenchmarkIndent re-indents one spooled finding for the JSON report.
func BenchmarkIndent(b *testing.B) {
	f, _ := benchFinding(b)
	line := f.AppendJSON(nil)
	for _, in := range indenters {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 4096)
			for b.Loop() {
				buf = in.indent(buf[:0], line)
			}
		})
	}
}

// TestBenchVariantsAgree: the variants compared above do the same work,
// except those marked "~".
func TestBenchVariantsAgree(t *testing.T) {
	for _, set := range [][][]byte{route, stateFiles(t)} {
		for _, p := range set {
			want, err := pyjson.Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range treeDecoders {
				got, err := d.decode(p)
				if err != nil {
					t.Fatalf("%s: %v", d.name, err)
				}
				if g, w := pyjson.EncodePython(got), pyjson.EncodePython(want); !bytes.Equal(g, w) {
					t.Errorf("%s decodes %s to\n%s\nwant\n%s", d.name, p, g, w)
				}
			}
		}
	}
	for _, d := range targetDecoders {
		if err := d.decode(jsonbTarget); err != nil {
			t.Errorf("%s: %v", d.name, err)
		}
	}
	f, m := benchFinding(t)
	want := f.AppendJSON(nil)
	for _, a := range appenders {
		if got := a.append(nil, &f, &m); !bytes.Equal(got, want) {
			t.Errorf("%s appends\n%s\nwant\n%s", a.name, got, want)
		}
	}
	tg, err := record.DecodeDokployTarget(jsonbTarget)
	if err != nil {
		t.Fatal(err)
	}
	wantPy := pyjson.EncodePython(tg.Payload())
	for _, e := range pyEncoders {
		if got := e.encode(tg, tg.Payload()); !bytes.Equal(got, wantPy) && e.name[len(e.name)-1] != '~' {
			t.Errorf("%s encodes\n%s\nwant\n%s", e.name, got, wantPy)
		}
	}
	for _, in := range indenters {
		if got, want := in.indent(nil, f.AppendJSON(nil)), indenters[1].indent(nil, f.AppendJSON(nil)); !bytes.Equal(got, want) {
			t.Errorf("%s indents\n%s\nwant\n%s", in.name, got, want)
		}
	}
}
