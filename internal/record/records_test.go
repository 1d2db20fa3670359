package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// field is one "key": value pair of a test payload, value as raw JSON.
type field struct{ key, raw string }

// build writes fields as a JSON object in the given order (duplicates kept).
func build(fields []field) string {
	var b strings.Builder
	b.WriteString("{")
	for i, f := range fields {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: %s", f.key, f.raw)
	}
	b.WriteString("}")
	return b.String()
}

// with returns base with edits applied: "key=raw" replaces or appends,
// "-key" removes, "+key=raw" appends even if the key exists.
func with(base []field, edits ...string) string {
	out := append([]field(nil), base...)
	for _, e := range edits {
		switch {
		case strings.HasPrefix(e, "-"):
			k := e[1:]
			kept := out[:0]
			for _, f := range out {
				if f.key != k {
					kept = append(kept, f)
				}
			}
			out = kept
		case strings.HasPrefix(e, "+"):
			k, raw, _ := strings.Cut(e[1:], "=")
			out = append(out, field{k, raw})
		default:
			k, raw, _ := strings.Cut(e, "=")
			replaced := false
			for i := range out {
				if out[i].key == k {
					out[i].raw = raw
					replaced = true
				}
			}
			if !replaced {
				out = append(out, field{k, raw})
			}
		}
	}
	return build(out)
}

var providerBase = []field{
	{"schema_version", `1`},
	{"context", `"syo"`},
	{"instance", `"prod"`},
	{"provider_id", `"dokploy"`},
	{"target_category", `"application"`},
	{"target_id", `"app-syo-prod"`},
	{"display_name", `"syo-prod"`},
	{"provider_target_type", `"application"`},
	{"provider_evidence", `{"project_name": "sellyouroutboard"}`},
	{"updated_at", `"2026-04-21T18:31:00Z"`},
	{"source_label", `"test"`},
}

var targetIDBase = []field{
	{"schema_version", `1`},
	{"context", `"syo"`},
	{"instance", `"prod"`},
	{"target_id", `"app-syo-prod"`},
	{"updated_at", `"2026-04-21T18:31:00Z"`},
	{"source_label", `"test:id"`},
}

var targetBase = []field{
	{"schema_version", `1`},
	{"context", `"syo"`},
	{"instance", `"prod"`},
	{"project_name", `"sellyouroutboard"`},
	{"target_type", `"application"`},
	{"target_name", `"syo-prod"`},
	{"git_branch", `""`},
	{"source_git_ref", `"origin/main"`},
	{"source_type", `""`},
	{"custom_git_url", `""`},
	{"custom_git_branch", `""`},
	{"compose_path", `""`},
	{"watch_paths", `[]`},
	{"require_test_gate", `false`},
	{"require_prod_gate", `false`},
	{"healthcheck_enabled", `true`},
	{"healthcheck_path", `"/web/health"`},
	{"env", `{}`},
	{"domains", `["syo.example.com"]`},
	{"policies", `{"shopify": {"protected_store_keys": []}, "integration_allowances": []}`},
	{"updated_at", `"2026-04-21T18:30:00Z"`},
	{"source_label", `"test:target"`},
}

// wantFieldError checks err is a *FieldError naming field with msg in it.
func wantFieldError(t *testing.T, err error, field, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("decode succeeded, want error on field %q containing %q", field, msg)
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is %T, want *FieldError", err, err)
	}
	if fe.Field != field {
		t.Errorf("FieldError.Field = %q, want %q (error: %v)", fe.Field, field, err)
	}
	if !strings.Contains(fe.Msg, msg) {
		t.Errorf("FieldError.Msg = %q, want it to contain %q", fe.Msg, msg)
	}
	if fe.Msg == "" {
		t.Error("empty message")
	}
}

func TestDecodeProviderTargetValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ProviderTarget
	}{
		{
			name: "full record",
			in:   with(providerBase),
			want: ProviderTarget{SchemaVersion: 1, Context: "syo", Instance: "prod", ProviderID: "dokploy",
				TargetCategory: "application", TargetID: "app-syo-prod", DisplayName: "syo-prod",
				ProviderTargetType: "application", ProviderEvidence: map[string]string{"project_name": "sellyouroutboard"},
				UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test"},
		},
		{
			name: "only required fields: defaults",
			in:   with(providerBase, "-schema_version", "-target_category", "-provider_target_type", "-provider_evidence", "-source_label"),
			want: ProviderTarget{SchemaVersion: 1, Context: "syo", Instance: "prod", ProviderID: "dokploy",
				TargetCategory: "unknown", TargetID: "app-syo-prod", DisplayName: "syo-prod",
				ProviderEvidence: map[string]string{}, UpdatedAt: "2026-04-21T18:31:00Z"},
		},
		{
			name: "text fields stripped with Python whitespace",
			in: with(providerBase, `context=" syo\u001c"`, `instance="\u00a0prod\t"`, `target_id=" app-syo-prod "`,
				`display_name="\n syo-prod "`, `updated_at=" 2026-04-21T18:31:00Z "`, `source_label="  test\u001f"`),
			want: ProviderTarget{SchemaVersion: 1, Context: "syo", Instance: "prod", ProviderID: "dokploy",
				TargetCategory: "application", TargetID: "app-syo-prod", DisplayName: "syo-prod",
				ProviderTargetType: "application", ProviderEvidence: map[string]string{"project_name": "sellyouroutboard"},
				UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test"},
		},
		{
			name: "provider_id and provider_target_type stripped and lower-cased",
			in:   with(providerBase, `provider_id=" DokPloy "`, `provider_target_type="\tAPPLİCATION "`),
			want: ProviderTarget{SchemaVersion: 1, Context: "syo", Instance: "prod", ProviderID: "dokploy",
				TargetCategory: "application", TargetID: "app-syo-prod", DisplayName: "syo-prod",
				ProviderTargetType: "appli\u0307cation", ProviderEvidence: map[string]string{"project_name": "sellyouroutboard"},
				UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test"},
		},
		{
			name: "evidence keys and values stripped, empty value allowed",
			in:   with(providerBase, `provider_evidence={" project_name ": " syo ", "note": "   "}`),
			want: ProviderTarget{SchemaVersion: 1, Context: "syo", Instance: "prod", ProviderID: "dokploy",
				TargetCategory: "application", TargetID: "app-syo-prod", DisplayName: "syo-prod",
				ProviderTargetType: "application", ProviderEvidence: map[string]string{"project_name": "syo", "note": ""},
				UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test"},
		},
		{
			name: "evidence keys that strip alike: the later one wins",
			in:   with(providerBase, `provider_evidence={" a": "first", "a ": "second"}`),
			want: ProviderTarget{SchemaVersion: 1, Context: "syo", Instance: "prod", ProviderID: "dokploy",
				TargetCategory: "application", TargetID: "app-syo-prod", DisplayName: "syo-prod",
				ProviderTargetType: "application", ProviderEvidence: map[string]string{"a": "second"},
				UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test"},
		},
		{
			name: "every category is accepted",
			in:   with(providerBase, `target_category="static"`),
			want: ProviderTarget{SchemaVersion: 1, Context: "syo", Instance: "prod", ProviderID: "dokploy",
				TargetCategory: "static", TargetID: "app-syo-prod", DisplayName: "syo-prod",
				ProviderTargetType: "application", ProviderEvidence: map[string]string{"project_name": "sellyouroutboard"},
				UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeProviderTarget([]byte(tt.in))
			if err != nil {
				t.Fatalf("DecodeProviderTarget: %v\n%s", err, tt.in)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestDecodeProviderTargetEvidenceOrderIsDeterministic(t *testing.T) {
	in := []byte(with(providerBase, `provider_evidence={"k": "1", " k": "2", "k ": "3", "\tk\t": "4"}`))
	for i := 0; i < 50; i++ {
		p, err := DecodeProviderTarget(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.ProviderEvidence["k"]; got != "4" || len(p.ProviderEvidence) != 1 {
			t.Fatalf("run %d: evidence = %v, want {k: 4} (last key in document order wins)", i, p.ProviderEvidence)
		}
	}
}

func TestDecodeLaxSchemaVersion(t *testing.T) {
	// Pydantic's lax int: accepted forms and their values (checked against
	// pydantic 2 once).
	accepted := map[string]int64{
		`1`: 1, `"1"`: 1, `1.0`: 1, `1e0`: 1, `"2"`: 2, `" 3 "`: 3, `"+4"`: 4, `"05"`: 5,
		`"1.0"`: 1, `"1.00"`: 1, `"1_0"`: 10, `"1_0.0"`: 10, `true`: 1, `"\u20027"`: 7,
	}
	for raw, want := range accepted {
		for _, kind := range []string{"provider", "target-id", "target"} {
			var got int64
			var err error
			switch kind {
			case "provider":
				var p *ProviderTarget
				if p, err = DecodeProviderTarget([]byte(with(providerBase, "schema_version="+raw))); err == nil {
					got = p.SchemaVersion
				}
			case "target-id":
				var r *DokployTargetID
				if r, err = DecodeDokployTargetID([]byte(with(targetIDBase, "schema_version="+raw))); err == nil {
					got = r.SchemaVersion
				}
			case "target":
				var d *DokployTarget
				if d, err = DecodeDokployTarget([]byte(with(targetBase, "schema_version="+raw))); err == nil {
					got = d.Payload().Values["schema_version"].(int64)
				}
			}
			if err != nil {
				t.Errorf("%s schema_version %s: %v", kind, raw, err)
			} else if got != want {
				t.Errorf("%s schema_version %s = %d, want %d", kind, raw, got, want)
			}
		}
	}
	refused := map[string]string{
		`0`:         "must be >= 1, got 0",
		`false`:     "must be >= 1, got 0",
		`-1`:        "must be >= 1",
		`1.5`:       "expected an integer, got 1.5",
		`1e20`:      "expected an integer",
		`"x"`:       `expected an integer, got string "x"`,
		`"1e0"`:     "expected an integer",
		`"1.5"`:     "expected an integer",
		`"1."`:      "expected an integer",
		`".0"`:      "expected an integer",
		`"_1"`:      "expected an integer",
		`"1_"`:      "expected an integer",
		`"1__0"`:    "expected an integer",
		`"1.0_0"`:   "expected an integer",
		`"+-1"`:     "expected an integer",
		`"1 0"`:     "expected an integer",
		`""`:        "expected an integer",
		`"0x1"`:     "expected an integer",
		`"\u0663"`:  "expected an integer",
		`"\u001c1"`: "expected an integer",
		`null`:      "expected an integer, got null",
		`[1]`:       "expected an integer, got array",
		`{}`:        "expected an integer, got object",
	}
	for raw, msg := range refused {
		_, err := DecodeProviderTarget([]byte(with(providerBase, "schema_version="+raw)))
		t.Run("provider "+raw, func(t *testing.T) { wantFieldError(t, err, "schema_version", msg) })
		_, err = DecodeDokployTargetID([]byte(with(targetIDBase, "schema_version="+raw)))
		t.Run("target-id "+raw, func(t *testing.T) { wantFieldError(t, err, "schema_version", msg) })
		_, err = DecodeDokployTarget([]byte(with(targetBase, "schema_version="+raw)))
		t.Run("target "+raw, func(t *testing.T) { wantFieldError(t, err, "schema_version", msg) })
	}
}

func TestDecodeProviderTargetInvalid(t *testing.T) {
	tests := []struct {
		name, in, field, msg string
	}{
		{"unknown key", with(providerBase, `extra="x"`), "extra", "unknown key"},
		{"unknown key near a known one", with(providerBase, `providerId="x"`), "providerId", "allowed: schema_version, context"},
		{"context wrong type", with(providerBase, `context=5`), "context", "expected a string, got number"},
		{"display_name null", with(providerBase, `display_name=null`), "display_name", "expected a string, got null"},
		{"target_id array", with(providerBase, `target_id=["a"]`), "target_id", "expected a string, got array"},
		{"source_label bool", with(providerBase, `source_label=true`), "source_label", "expected a string, got boolean"},
		{"context missing", with(providerBase, "-context"), "context", "required field is missing"},
		{"instance missing", with(providerBase, "-instance"), "instance", "required field is missing"},
		{"provider_id missing", with(providerBase, "-provider_id"), "provider_id", "required field is missing"},
		{"target_id missing", with(providerBase, "-target_id"), "target_id", "required field is missing"},
		{"display_name missing", with(providerBase, "-display_name"), "display_name", "required field is missing"},
		{"updated_at missing", with(providerBase, "-updated_at"), "updated_at", "required field is missing"},
		{"context empty after strip", with(providerBase, `context=" \u001f "`), "context", "provider target record requires a non-empty context"},
		{"instance empty", with(providerBase, `instance=""`), "instance", "requires a non-empty instance"},
		{"provider_id empty", with(providerBase, `provider_id="\u00a0"`), "provider_id", "requires a non-empty provider_id"},
		{"target_id empty", with(providerBase, `target_id="\t"`), "target_id", "requires a non-empty target_id"},
		{"display_name empty", with(providerBase, `display_name="   "`), "display_name", "requires a non-empty display_name"},
		{"updated_at empty", with(providerBase, `updated_at="\n"`), "updated_at", "requires a non-empty updated_at"},
		{"category not in the enum", with(providerBase, `target_category="bucket"`), "target_category", `must be one of application, compose, container, service, static, unknown, got "bucket"`},
		{"category is case-sensitive", with(providerBase, `target_category="Application"`), "target_category", "must be one of"},
		{"category is not stripped", with(providerBase, `target_category=" compose"`), "target_category", "must be one of"},
		{"category null", with(providerBase, `target_category=null`), "target_category", "expected a string, got null"},
		{"evidence key empty after strip", with(providerBase, `provider_evidence={"  ": "x"}`), "provider_evidence", "evidence keys must be non-empty"},
		{"evidence key empty", with(providerBase, `provider_evidence={"a": "1", "": "x"}`), "provider_evidence", "evidence keys must be non-empty"},
		{"evidence value not a string", with(providerBase, `provider_evidence={"n": 1}`), "provider_evidence.n", "expected a string, got number"},
		{"evidence not an object", with(providerBase, `provider_evidence=[]`), "provider_evidence", "expected an object of strings, got array"},
		{"evidence null", with(providerBase, `provider_evidence=null`), "provider_evidence", "expected an object of strings, got null"},
		{"duplicate key", with(providerBase, `+context="other"`), "", `duplicate key "context"`},
		{"trailing data", with(providerBase) + ` {}`, "", "unexpected data after the JSON value"},
		{"trailing text", with(providerBase) + "\nx", "", "unexpected data after the JSON value"},
		{"array", `[]`, "", "payload must be a JSON object, got array"},
		{"string", `"syo"`, "", "payload must be a JSON object, got string"},
		{"null", `null`, "", "payload must be a JSON object, got null"},
		{"number", `1`, "", "payload must be a JSON object, got number"},
		{"bad JSON", "{\n  \"context\": ,\n}", "", "invalid JSON at line 2, column"},
		{"empty", ``, "", "unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeProviderTarget([]byte(tt.in))
			wantFieldError(t, err, tt.field, tt.msg)
		})
	}
}

func TestDecodeDokployTargetIDValid(t *testing.T) {
	got, err := DecodeDokployTargetID([]byte(with(targetIDBase,
		`context=" syo "`, `instance="\u001cprod"`, `target_id=" app-syo-prod\n"`, `updated_at="\t2026-04-21T18:31:00Z"`,
		`source_label=" kept as is "`, `schema_version="2"`)))
	if err != nil {
		t.Fatal(err)
	}
	want := DokployTargetID{SchemaVersion: 2, Context: "syo", Instance: "prod", TargetID: "app-syo-prod",
		UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: " kept as is "}
	if *got != want {
		t.Errorf("got %+v\nwant %+v", *got, want)
	}
	min, err := DecodeDokployTargetID([]byte(with(targetIDBase, "-schema_version", "-source_label")))
	if err != nil {
		t.Fatal(err)
	}
	if min.SchemaVersion != 1 || min.SourceLabel != "" {
		t.Errorf("defaults: %+v", *min)
	}
	// Payload is the six-key dump.
	wantJSON := `{
  "context": "syo",
  "instance": "prod",
  "schema_version": 2,
  "source_label": " kept as is ",
  "target_id": "app-syo-prod",
  "updated_at": "2026-04-21T18:31:00Z"
}`
	if js := string(EncodePython(got.Payload())); js != wantJSON {
		t.Errorf("payload:\n%s\nwant:\n%s", js, wantJSON)
	}
}

func TestDecodeDokployTargetIDInvalid(t *testing.T) {
	tests := []struct {
		name, in, field, msg string
	}{
		{"unknown key", with(targetIDBase, `target_type="compose"`), "target_type", "unknown key"},
		{"context empty", with(targetIDBase, `context="  "`), "context", "Dokploy target-id record requires a non-empty value"},
		{"instance empty", with(targetIDBase, `instance="\u001e"`), "instance", "Dokploy target-id record requires a non-empty value"},
		{"target_id empty", with(targetIDBase, `target_id=""`), "target_id", "Dokploy target-id record requires a non-empty value"},
		{"updated_at empty", with(targetIDBase, `updated_at="\u3000"`), "updated_at", "Dokploy target-id record requires a non-empty value"},
		{"target_id missing", with(targetIDBase, "-target_id"), "target_id", "required field is missing"},
		{"updated_at missing", with(targetIDBase, "-updated_at"), "updated_at", "required field is missing"},
		{"target_id number", with(targetIDBase, `target_id=42`), "target_id", "expected a string, got number"},
		{"source_label null", with(targetIDBase, `source_label=null`), "source_label", "expected a string, got null"},
		{"duplicate key", with(targetIDBase, `+target_id="x"`), "", `duplicate key "target_id"`},
		{"trailing data", with(targetIDBase) + `]`, "", "unexpected data"},
		{"not an object", `["syo", "prod"]`, "", "payload must be a JSON object, got array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeDokployTargetID([]byte(tt.in))
			wantFieldError(t, err, tt.field, tt.msg)
		})
	}
}

func TestDecodeDokployTargetValid(t *testing.T) {
	got, err := DecodeDokployTarget([]byte(with(targetBase,
		`context=" syo\u001f"`, `instance="\u00a0prod"`, `updated_at=" 2026-04-21T18:30:00Z "`,
		`target_name=" syo prod "`, `project_name="  "`, `source_label=" s "`)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Context != "syo" || got.Instance != "prod" || got.UpdatedAt != "2026-04-21T18:30:00Z" {
		t.Errorf("required fields not stripped: %+v", got)
	}
	// No other field is stripped.
	if got.TargetName != " syo prod " || got.ProjectName != "  " || got.SourceLabel != " s " {
		t.Errorf("optional text fields changed: %q %q %q", got.TargetName, got.ProjectName, got.SourceLabel)
	}
	if got.TargetType != "application" {
		t.Errorf("TargetType = %q", got.TargetType)
	}
	if v := got.Payload().Values["context"]; v != "syo" {
		t.Errorf("payload context = %v, want stripped", v)
	}

	min, err := DecodeDokployTarget([]byte(`{"context": "c", "instance": "i", "updated_at": "u"}`))
	if err != nil {
		t.Fatal(err)
	}
	if min.TargetType != "compose" || min.TargetName != "" || min.ProjectName != "" || min.SourceLabel != "" {
		t.Errorf("defaults: %+v", min)
	}
	if v := min.Payload().Values["schema_version"]; v != int64(1) {
		t.Errorf("payload schema_version = %#v, want int64(1)", v)
	}

	// The default payload builder decodes to itself.
	def := NewDokployTargetPayload("c", "i", "u")
	d, err := DokployTargetFromObject(def)
	if err != nil {
		t.Fatal(err)
	}
	if string(EncodePython(d.Payload())) != string(EncodePython(def)) {
		t.Errorf("default payload changed by decoding:\n%s", EncodePython(d.Payload()))
	}
}

func TestDecodeDokployTargetLaxForms(t *testing.T) {
	tests := []struct {
		edit, key string
		want      any
	}{
		{`require_test_gate="yes"`, "require_test_gate", true},
		{`require_test_gate="TRUE"`, "require_test_gate", true},
		{`require_test_gate="On"`, "require_test_gate", true},
		{`require_test_gate="t"`, "require_test_gate", true},
		{`require_test_gate="Y"`, "require_test_gate", true},
		{`require_test_gate="1"`, "require_test_gate", true},
		{`require_test_gate=1`, "require_test_gate", true},
		{`require_test_gate=1.0`, "require_test_gate", true},
		{`require_test_gate=1e0`, "require_test_gate", true},
		{`require_prod_gate="off"`, "require_prod_gate", false},
		{`require_prod_gate="F"`, "require_prod_gate", false},
		{`require_prod_gate="no"`, "require_prod_gate", false},
		{`require_prod_gate="n"`, "require_prod_gate", false},
		{`require_prod_gate="0"`, "require_prod_gate", false},
		{`require_prod_gate=0`, "require_prod_gate", false},
		{`require_prod_gate=-0.0`, "require_prod_gate", false},
		{`healthcheck_enabled="false"`, "healthcheck_enabled", false},
		{`enable_submodules=null`, "enable_submodules", nil},
		{`enable_submodules="yes"`, "enable_submodules", true},
		{`deploy_timeout_seconds="30"`, "deploy_timeout_seconds", int64(30)},
		{`deploy_timeout_seconds=30.0`, "deploy_timeout_seconds", int64(30)},
		{`deploy_timeout_seconds=null`, "deploy_timeout_seconds", nil},
		{`healthcheck_timeout_seconds=" 5 "`, "healthcheck_timeout_seconds", int64(5)},
		{`healthcheck_timeout_seconds=true`, "healthcheck_timeout_seconds", int64(1)},
	}
	for _, tt := range tests {
		t.Run(tt.edit, func(t *testing.T) {
			d, err := DecodeDokployTarget([]byte(with(targetBase, tt.edit)))
			if err != nil {
				t.Fatal(err)
			}
			v, ok := d.Payload().Get(tt.key)
			if !ok {
				t.Fatalf("payload has no %s", tt.key)
			}
			if v != tt.want {
				t.Errorf("payload %s = %#v, want %#v", tt.key, v, tt.want)
			}
		})
	}
}

func TestDecodeDokployTargetPublicHosts(t *testing.T) {
	d, err := DecodeDokployTarget([]byte(with(targetBase,
		`public_hosts=[" WWW.Example.com ", "a.example.com", "xn--caf-dma.example", "a-1.b2.io"]`)))
	if err != nil {
		t.Fatal(err)
	}
	got := string(EncodePython(d.Payload().Values["public_hosts"]))
	want := "[\n  \"a-1.b2.io\",\n  \"a.example.com\",\n  \"www.example.com\",\n  \"xn--caf-dma.example\"\n]"
	if got != want {
		t.Errorf("public_hosts = %s, want %s (lower-cased, stripped, sorted)", got, want)
	}
	sixtyFour := make([]string, 64)
	for i := range sixtyFour {
		sixtyFour[i] = fmt.Sprintf(`"h%d.example.com"`, i)
	}
	if _, err := DecodeDokployTarget([]byte(with(targetBase, "public_hosts=["+strings.Join(sixtyFour, ",")+"]"))); err != nil {
		t.Errorf("64 hosts: %v", err)
	}
	label63 := strings.Repeat("a", 63)
	if _, err := DecodeDokployTarget([]byte(with(targetBase, `public_hosts=["`+label63+`.com"]`))); err != nil {
		t.Errorf("63-char label: %v", err)
	}
}

func TestDecodeDokployTargetInvalid(t *testing.T) {
	sixtyFive := make([]string, 65)
	for i := range sixtyFive {
		sixtyFive[i] = fmt.Sprintf(`"h%d.example.com"`, i)
	}
	long := strings.Repeat(strings.Repeat("a", 60)+".", 4) + "com" // 247 chars
	tooLong := strings.Repeat(strings.Repeat("a", 62)+".", 4) + "com"
	tests := []struct {
		name, in, field, msg string
	}{
		{"unknown key", with(targetBase, `provider_id="dokploy"`), "provider_id", "unknown key"},
		{"context missing", with(targetBase, "-context"), "context", "required field is missing"},
		{"context empty", with(targetBase, `context=""`), "context", "Dokploy target record requires a non-empty value"},
		{"instance empty after strip", with(targetBase, `instance="\u001d\u00a0"`), "instance", "Dokploy target record requires a non-empty value"},
		{"updated_at empty after strip", with(targetBase, `updated_at=" "`), "updated_at", "Dokploy target record requires a non-empty value"},
		{"updated_at missing", with(targetBase, "-updated_at"), "updated_at", "required field is missing"},
		{"target_type not in the enum", with(targetBase, `target_type="docker"`), "target_type", `must be "compose" or "application", got "docker"`},
		{"target_type is case-sensitive", with(targetBase, `target_type="Compose"`), "target_type", `must be "compose" or "application"`},
		{"target_type null", with(targetBase, `target_type=null`), "target_type", "expected a string, got null"},
		{"target_name number", with(targetBase, `target_name=5`), "target_name", "expected a string, got number"},
		{"project_name object", with(targetBase, `project_name={}`), "project_name", "expected a string, got object"},
		{"healthcheck_path number", with(targetBase, `healthcheck_path=1`), "healthcheck_path", "expected a string"},
		{"watch_paths string", with(targetBase, `watch_paths="a"`), "watch_paths", "expected an array of strings, got string"},
		{"domains element", with(targetBase, `domains=["a.com", 1]`), "domains[1]", "expected a string, got number"},
		{"bool with spaces", with(targetBase, `require_prod_gate=" true "`), "require_prod_gate", "expected a boolean"},
		{"bool 2", with(targetBase, `require_prod_gate=2`), "require_prod_gate", "expected a boolean, got number"},
		{"bool string 1.0", with(targetBase, `require_test_gate="1.0"`), "require_test_gate", "expected a boolean"},
		{"bool empty string", with(targetBase, `healthcheck_enabled=""`), "healthcheck_enabled", "expected a boolean"},
		{"bool null not allowed", with(targetBase, `healthcheck_enabled=null`), "healthcheck_enabled", "expected a boolean, got null"},
		{"nullable bool still typed", with(targetBase, `enable_submodules=[]`), "enable_submodules", "expected a boolean, got array"},
		{"timeout zero", with(targetBase, `deploy_timeout_seconds=0`), "deploy_timeout_seconds", "must be >= 1, got 0"},
		{"timeout fraction", with(targetBase, `healthcheck_timeout_seconds=1.5`), "healthcheck_timeout_seconds", "expected an integer"},
		{"env value", with(targetBase, `env={"A": 1}`), "env.A", "expected a string, got number"},
		{"env not an object", with(targetBase, `env=[]`), "env", "expected an object of strings, got array"},
		{"public_hosts one label", with(targetBase, `public_hosts=["localhost"]`), "public_hosts[0]", `"localhost" is not a DNS hostname`},
		{"public_hosts empty label", with(targetBase, `public_hosts=["a.com", "a..com"]`), "public_hosts[1]", "is not a DNS hostname"},
		{"public_hosts leading hyphen", with(targetBase, `public_hosts=["-a.com"]`), "public_hosts[0]", "is not a DNS hostname"},
		{"public_hosts underscore", with(targetBase, `public_hosts=["a_b.com"]`), "public_hosts[0]", "is not a DNS hostname"},
		{"public_hosts 64-char label", with(targetBase, `public_hosts=["`+strings.Repeat("a", 64)+`.com"]`), "public_hosts[0]", "is not a DNS hostname"},
		{"public_hosts numeric TLD", with(targetBase, `public_hosts=["10.0.0.1"]`), "public_hosts[0]", "numeric top-level label"},
		{"public_hosts duplicate after normalising", with(targetBase, `public_hosts=["A.com", " a.com"]`), "public_hosts[1]", `duplicate host "a.com"`},
		{"public_hosts too many", with(targetBase, "public_hosts=["+strings.Join(sixtyFive, ",")+"]"), "public_hosts", "at most 64 hosts are allowed, got 65"},
		{"public_hosts too long", with(targetBase, `public_hosts=["`+long+`", "`+tooLong+`"]`), "public_hosts[1]", "is not a DNS hostname"},
		{"public_hosts null", with(targetBase, `public_hosts=null`), "public_hosts", "expected an array of strings, got null"},
		{"policies not an object", with(targetBase, `policies="x"`), "policies", "expected an object, got string"},
		{"policies unknown key", with(targetBase, `policies={"shopify": {}, "github": {}}`), "policies.github", "unknown key"},
		{"shopify unknown key", with(targetBase, `policies={"shopify": {"keys": []}}`), "policies.shopify.keys", "unknown key"},
		{"shopify null", with(targetBase, `policies={"shopify": null}`), "policies.shopify", "expected an object, got null"},
		{"protected key empty", with(targetBase, `policies={"shopify": {"protected_store_keys": ["a", " "]}}`), "policies.shopify.protected_store_keys[1]", "must be non-empty"},
		{"protected key number", with(targetBase, `policies={"shopify": {"protected_store_keys": [1]}}`), "policies.shopify.protected_store_keys[0]", "expected a string"},
		{"allowances not an array", with(targetBase, `policies={"integration_allowances": {}}`), "policies.integration_allowances", "expected an array, got object"},
		{"allowance bad integration", with(targetBase, `policies={"integration_allowances": [{"integration": "Bad Name", "kind": "dev_store", "reason": "r"}]}`), "policies.integration_allowances[0].integration", `"bad name" is not a valid integration name`},
		{"allowance integration starts with digit", with(targetBase, `policies={"integration_allowances": [{"integration": "1x", "kind": "dev_store", "reason": "r"}]}`), "policies.integration_allowances[0].integration", "is not a valid integration name"},
		{"allowance bad kind", with(targetBase, `policies={"integration_allowances": [{"integration": "shopify", "kind": "live", "reason": "r"}]}`), "policies.integration_allowances[0].kind", `got "live"`},
		{"allowance missing reason", with(targetBase, `policies={"integration_allowances": [{"integration": "shopify", "kind": "pre_live"}]}`), "policies.integration_allowances[0].reason", "required field is missing"},
		{"allowance blank reason", with(targetBase, `policies={"integration_allowances": [{"integration": "shopify", "kind": "pre_live", "reason": "  "}]}`), "policies.integration_allowances[0].reason", "must be non-empty"},
		{"read_only_source needs evidence", with(targetBase, `policies={"integration_allowances": [{"integration": "shopify", "kind": "read_only_source", "reason": "r", "evidence": " "}]}`), "policies.integration_allowances[0].evidence", "required for read_only_source"},
		{"allowance duplicate integration", with(targetBase, `policies={"integration_allowances": [{"integration": "shopify", "kind": "dev_store", "reason": "r"}, {"integration": " Shopify ", "kind": "pre_live", "reason": "r"}]}`), "policies.integration_allowances[1].integration", `duplicate integration "shopify"`},
		{"allowance unknown key", with(targetBase, `policies={"integration_allowances": [{"integration": "shopify", "kind": "dev_store", "reason": "r", "by": "x"}]}`), "policies.integration_allowances[0].by", "unknown key"},
		{"allowance recorded_by number", with(targetBase, `policies={"integration_allowances": [{"integration": "shopify", "kind": "dev_store", "reason": "r", "recorded_by": 1}]}`), "policies.integration_allowances[0].recorded_by", "expected a string"},
		{"hold blank reason", with(targetBase, `policies={"staff_testing_hold": {"reason": "\t"}}`), "policies.staff_testing_hold.reason", "must be non-empty"},
		{"hold missing reason", with(targetBase, `policies={"staff_testing_hold": {"recorded_by": "me"}}`), "policies.staff_testing_hold.reason", "required field is missing"},
		{"hold unknown key", with(targetBase, `policies={"staff_testing_hold": {"reason": "r", "until": "x"}}`), "policies.staff_testing_hold.until", "unknown key"},
		{"hold not an object", with(targetBase, `policies={"staff_testing_hold": "r"}`), "policies.staff_testing_hold", "expected an object, got string"},
		{"duplicate key", with(targetBase, `+env={}`), "", `duplicate key "env"`},
		{"trailing data", with(targetBase) + `,`, "", "unexpected data"},
		{"not an object", `"target"`, "", "payload must be a JSON object, got string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeDokployTarget([]byte(tt.in))
			wantFieldError(t, err, tt.field, tt.msg)
		})
	}
}

func TestDecodeDokployTargetValidPolicies(t *testing.T) {
	in := with(targetBase, `policies={
		"shopify": {"protected_store_keys": [" a ", "a", "b"]},
		"integration_allowances": [
			{"integration": " Shopify ", "kind": "read_only_source", "reason": "r", "evidence": "ticket-1"},
			{"integration": "stripe", "kind": "pre_live", "reason": "r", "recorded_by": "me", "recorded_at": "now"}
		],
		"staff_testing_hold": {"reason": "freeze", "recorded_by": "", "recorded_at": ""}
	}`)
	if _, err := DecodeDokployTarget([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeDokployTarget([]byte(with(targetBase, `policies={"staff_testing_hold": null}`))); err != nil {
		t.Errorf("null hold: %v", err)
	}
}

func TestRecordID(t *testing.T) {
	tests := []struct{ context, instance, want string }{
		// From the reference.
		{"syo", "prod", "syo-prod-83b575abf264"},
		{"verireel", "testing", "verireel-testing-0455263e805e"},
		{"a/b", `c\d`, "a-b-c-d-ee6692d234eb"},
		{" syo ", "prod", "syo-prod-83b575abf264"},
		// Computed once with Python's hashlib.
		{"\u00a0syo\u001c", "prod\t", "syo-prod-83b575abf264"},
		{"my ctx", "a b", "my ctx-a b-e8b268ce43d1"},
		{"café", "ü", "café-ü-5bd3aa890c39"},
		{"日本", "😀", "日本-😀-6a4dc782daa3"},
		{"a.b", "..", "a.b-..-9f0328400b7e"},
		{"x/y/z", "w", "x-y-z-w-b61b0086aa28"},
		// The digest tells apart ids whose readable part collides.
		{"a-b", "c", "a-b-c-e09594074df4"},
		{"a", "b-c", "a-b-c-6726a65c4d13"},
	}
	for _, tt := range tests {
		if got := RecordID(tt.context, tt.instance); got != tt.want {
			t.Errorf("RecordID(%q, %q) = %q, want %q", tt.context, tt.instance, got, tt.want)
		}
		if got := FileName(tt.context, tt.instance); got != tt.want+".json" {
			t.Errorf("FileName(%q, %q) = %q", tt.context, tt.instance, got)
		}
	}
}

func TestKindNames(t *testing.T) {
	want := map[Kind][2]string{
		KindDokployTarget:   {"dokploy_targets", "launchplane_dokploy_targets"},
		KindDokployTargetID: {"dokploy_target_ids", "launchplane_dokploy_target_ids"},
		KindProviderTarget:  {"launchplane_provider_targets", "launchplane_provider_targets"},
	}
	for k, w := range want {
		if k.Dir() != w[0] || k.Table() != w[1] {
			t.Errorf("%s: Dir %q Table %q, want %q %q", k, k.Dir(), k.Table(), w[0], w[1])
		}
	}
	if Kind("x").Dir() != "" || Kind("x").Table() != "" {
		t.Error("unknown kind has a directory or table")
	}
}

// pair decodes a Dokploy target and target-id built from the bases.
func pair(t *testing.T, targetEdits, idEdits []string) (*DokployTarget, *DokployTargetID) {
	t.Helper()
	tg, err := DecodeDokployTarget([]byte(with(targetBase, targetEdits...)))
	if err != nil {
		t.Fatalf("target: %v", err)
	}
	id, err := DecodeDokployTargetID([]byte(with(targetIDBase, idEdits...)))
	if err != nil {
		t.Fatalf("target id: %v", err)
	}
	return tg, id
}

func TestProject(t *testing.T) {
	tg, id := pair(t, nil, nil)
	got, err := Project(tg, id)
	if err != nil {
		t.Fatal(err)
	}
	want := ProviderTarget{SchemaVersion: 1, Context: "syo", Instance: "prod", ProviderID: "dokploy",
		TargetCategory: "application", TargetID: "app-syo-prod", DisplayName: "syo-prod",
		ProviderTargetType: "application", ProviderEvidence: map[string]string{"project_name": "sellyouroutboard"},
		UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test:target"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
	// The projection of a pair is exactly what DecodeProviderTarget reads
	// back from its Launchplane dump.
	back, err := DecodeProviderTarget(EncodePython(got.Payload()))
	if err != nil || !reflect.DeepEqual(back, got) {
		t.Errorf("projection does not round-trip: %v %+v", err, back)
	}
}

func TestProjectRules(t *testing.T) {
	tests := []struct {
		name          string
		targetEdits   []string
		idEdits       []string
		check         func(t *testing.T, p *ProviderTarget)
		wantErrSubstr string
	}{
		{
			name:        "compose target: category and type both compose",
			targetEdits: []string{`target_type="compose"`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.TargetCategory != "compose" || p.ProviderTargetType != "compose" {
					t.Errorf("category %q type %q", p.TargetCategory, p.ProviderTargetType)
				}
			},
		},
		{
			name:        "default target_type is compose",
			targetEdits: []string{"-target_type"},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.TargetCategory != "compose" || p.ProviderTargetType != "compose" {
					t.Errorf("category %q type %q", p.TargetCategory, p.ProviderTargetType)
				}
			},
		},
		{
			name:        "empty target_name falls back to the instance",
			targetEdits: []string{`target_name=""`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.DisplayName != "prod" {
					t.Errorf("DisplayName = %q, want instance", p.DisplayName)
				}
			},
		},
		{
			name:        "target_name is stripped after choosing it",
			targetEdits: []string{`target_name=" syo prod\t"`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.DisplayName != "syo prod" {
					t.Errorf("DisplayName = %q", p.DisplayName)
				}
			},
		},
		{
			name:          "whitespace-only target_name is truthy and strips to empty",
			targetEdits:   []string{`target_name="   "`},
			wantErrSubstr: "display_name",
		},
		{
			name:        "empty project_name gives no evidence",
			targetEdits: []string{`project_name=""`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.ProviderEvidence == nil || len(p.ProviderEvidence) != 0 {
					t.Errorf("evidence = %#v, want empty map", p.ProviderEvidence)
				}
				if js := string(EncodePython(p.Payload().Values["provider_evidence"])); js != "{}" {
					t.Errorf("evidence dumps as %s", js)
				}
			},
		},
		{
			name:        "whitespace project_name gives an empty evidence value",
			targetEdits: []string{`project_name="  "`},
			check: func(t *testing.T, p *ProviderTarget) {
				if !reflect.DeepEqual(p.ProviderEvidence, map[string]string{"project_name": ""}) {
					t.Errorf("evidence = %#v", p.ProviderEvidence)
				}
			},
		},
		{
			name:        "project_name is stripped",
			targetEdits: []string{`project_name=" syo "`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.ProviderEvidence["project_name"] != "syo" {
					t.Errorf("evidence = %#v", p.ProviderEvidence)
				}
			},
		},
		{
			name:        "updated_at is the string maximum: later target-id wins",
			targetEdits: []string{`updated_at="2026-04-21T18:30:00Z"`},
			idEdits:     []string{`updated_at="2026-04-21T18:31:00+00:00"`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.UpdatedAt != "2026-04-21T18:31:00+00:00" {
					t.Errorf("UpdatedAt = %q", p.UpdatedAt)
				}
			},
		},
		{
			name:        "updated_at string maximum: same instant, Z sorts after +",
			targetEdits: []string{`updated_at="2026-04-21T18:31:00Z"`},
			idEdits:     []string{`updated_at="2026-04-21T18:31:00+00:00"`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.UpdatedAt != "2026-04-21T18:31:00Z" {
					t.Errorf("UpdatedAt = %q", p.UpdatedAt)
				}
			},
		},
		{
			name:        "updated_at string maximum ignores time zones",
			targetEdits: []string{`updated_at="2026-04-21T18:30:00Z"`},
			idEdits:     []string{`updated_at="2026-04-21T19:00:00+05:00"`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.UpdatedAt != "2026-04-21T19:00:00+05:00" {
					t.Errorf("UpdatedAt = %q (an earlier instant, but the larger string)", p.UpdatedAt)
				}
			},
		},
		{
			name:        "source_label from the target, stripped",
			targetEdits: []string{`source_label=" t "`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.SourceLabel != "t" {
					t.Errorf("SourceLabel = %q", p.SourceLabel)
				}
			},
		},
		{
			name:        "blank target source_label falls back to the target-id's",
			targetEdits: []string{`source_label=" "`},
			idEdits:     []string{`source_label=" id-label\u001f"`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.SourceLabel != "id-label" {
					t.Errorf("SourceLabel = %q", p.SourceLabel)
				}
			},
		},
		{
			name:        "both labels empty",
			targetEdits: []string{`source_label=""`},
			idEdits:     []string{"-source_label"},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.SourceLabel != "" {
					t.Errorf("SourceLabel = %q", p.SourceLabel)
				}
			},
		},
		{
			name:    "target_id comes from the target-id record",
			idEdits: []string{`target_id=" cmp-1 "`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.TargetID != "cmp-1" || p.ProviderID != "dokploy" || p.SchemaVersion != 1 {
					t.Errorf("%+v", p)
				}
			},
		},
		{
			name:          "context mismatch",
			idEdits:       []string{`context="other"`},
			wantErrSubstr: "context",
		},
		{
			name:          "instance mismatch",
			idEdits:       []string{`instance="testing"`},
			wantErrSubstr: "instance",
		},
		{
			name:        "parts that match after stripping are the same route",
			targetEdits: []string{`context=" syo"`},
			idEdits:     []string{`context="syo\u00a0"`},
			check: func(t *testing.T, p *ProviderTarget) {
				if p.Context != "syo" {
					t.Errorf("Context = %q", p.Context)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, id := pair(t, tt.targetEdits, tt.idEdits)
			p, err := Project(tg, id)
			if tt.wantErrSubstr != "" {
				if err == nil {
					t.Fatalf("Project succeeded: %+v", p)
				}
				var pe *ProjectionError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v is %T, want *ProjectionError", err, err)
				}
				if !strings.Contains(err.Error(), tt.wantErrSubstr) {
					t.Errorf("error %q does not mention %q", err, tt.wantErrSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func TestAuthorityEqual(t *testing.T) {
	base := func() *ProviderTarget {
		p, err := DecodeProviderTarget([]byte(with(providerBase)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := base()
	b := base()
	b.UpdatedAt, b.SourceLabel, b.SchemaVersion = "2000", "other", 7
	if !a.AuthorityEqual(b) {
		t.Error("updated_at, source_label and schema_version must not count")
	}
	edits := map[string]func(p *ProviderTarget){
		"provider_id":          func(p *ProviderTarget) { p.ProviderID = "x" },
		"target_category":      func(p *ProviderTarget) { p.TargetCategory = "compose" },
		"target_id":            func(p *ProviderTarget) { p.TargetID = "x" },
		"display_name":         func(p *ProviderTarget) { p.DisplayName = "x" },
		"provider_target_type": func(p *ProviderTarget) { p.ProviderTargetType = "x" },
		"evidence value":       func(p *ProviderTarget) { p.ProviderEvidence = map[string]string{"project_name": "x"} },
		"evidence extra key":   func(p *ProviderTarget) { p.ProviderEvidence["k"] = "" },
		"evidence empty":       func(p *ProviderTarget) { p.ProviderEvidence = map[string]string{} },
	}
	for name, edit := range edits {
		c := base()
		edit(c)
		if a.AuthorityEqual(c) || c.AuthorityEqual(a) {
			t.Errorf("%s differs but AuthorityEqual is true", name)
		}
	}
	if !EvidenceEqual(nil, map[string]string{}) {
		t.Error("nil and empty evidence differ")
	}
	if EvidenceEqual(map[string]string{"a": ""}, map[string]string{"b": ""}) {
		t.Error("different keys compare equal")
	}
}

func TestProviderTargetJSONRoundTrip(t *testing.T) {
	p, err := DecodeProviderTarget([]byte(with(providerBase, `display_name="<café & \"x\">"`)))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 11 {
		t.Errorf("marshalled %d keys, want 11: %s", len(keys), data)
	}
	var back ProviderTarget
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, p) {
		t.Errorf("round trip: %+v\nwant %+v", back, *p)
	}
	// A nil evidence map still marshals as an object.
	q := *p
	q.ProviderEvidence = nil
	data, _ = json.Marshal(q)
	if !strings.Contains(string(data), `"provider_evidence":{}`) {
		t.Errorf("nil evidence: %s", data)
	}
	// Unmarshal validates.
	if err := json.Unmarshal([]byte(`{"context": ""}`), &back); err == nil {
		t.Error("UnmarshalJSON accepted an invalid record")
	}
}
