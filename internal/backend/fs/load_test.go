package fs_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// ldNode is what a directory tree looks like to a reader: reading must not
// change any of it.
type ldNode struct {
	mode  fs.FileMode
	size  int64
	mtime time.Time
	sum   [32]byte
}

func ldTree(t *testing.T, dir string) map[string]ldNode {
	t.Helper()
	out := map[string]ldNode{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n := ldNode{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime()}
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n.sum = sha256.Sum256(data)
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ldWrite(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ldLoad(t *testing.T, dir string) *fsstore.Snapshot {
	t.Helper()
	s, err := fsstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func ldKeys(snap *fsstore.Snapshot) []string {
	out := []string{}
	for _, rr := range snap.Routes {
		out = append(out, rr.Context+"|"+rr.Instance)
	}
	return out
}

// ldOdd is a state with odd route names and every partial combination.
func ldOdd() []fixture.Route {
	onlyTarget := fixture.Target("only", "target", "compose", "", "")
	onlyID := fixture.TargetID("only", "target-id", "cmp-1")
	onlyRow := fixture.Complete("only", "row").Provider
	return []fixture.Route{
		fixture.Complete("syo", "prod"),
		fixture.Complete("a/b", `c\d`),
		fixture.Complete("my ctx", "a b"),
		fixture.Complete("café", "ü"),
		fixture.Complete("café", "u"),
		fixture.Complete("cafe", "ü"),
		fixture.Complete("Z", "x"),
		fixture.Complete("a", "b/c"),
		{Target: onlyTarget},
		{TargetID: onlyID},
		{Provider: onlyRow},
	}
}

func TestLoadGroupsAndSortsRoutes(t *testing.T) {
	dir := t.TempDir()
	routes := ldOdd()
	if err := fixture.WriteState(dir, routes); err != nil {
		t.Fatal(err)
	}
	snap := ldLoad(t, dir)
	// (context, instance) in byte order: upper case before lower, "a" before
	// "a/b" before "cafe" before "café", "u" before "ü".
	want := []string{
		"Z|x", "a|b/c", "a/b|c\\d", "cafe|ü", "café|u", "café|ü", "my ctx|a b",
		"only|row", "only|target", "only|target-id", "syo|prod",
	}
	if got := ldKeys(snap); !reflect.DeepEqual(got, want) {
		t.Fatalf("routes\n got %q\nwant %q", got, want)
	}
	byKey := map[string]*store.RouteRecords{}
	for _, rr := range snap.Routes {
		byKey[rr.Context+"|"+rr.Instance] = rr
		if len(rr.Invalid) > 0 {
			t.Errorf("%s: unexpected invalid records %v", rr.Key(), rr.Invalid)
		}
	}
	for _, r := range routes {
		var key string
		switch {
		case r.Target != nil:
			key = r.Target.Context + "|" + r.Target.Instance
		case r.TargetID != nil:
			key = r.TargetID.Context + "|" + r.TargetID.Instance
		default:
			key = r.Provider.Context + "|" + r.Provider.Instance
		}
		rr := byKey[key]
		if rr == nil {
			t.Errorf("route %s missing", key)
			continue
		}
		if (rr.Target != nil) != (r.Target != nil) || (rr.TargetID != nil) != (r.TargetID != nil) || (rr.Provider != nil) != (r.Provider != nil) {
			t.Errorf("%s: records T=%v I=%v P=%v, want T=%v I=%v P=%v", key, rr.Target != nil, rr.TargetID != nil,
				rr.Provider != nil, r.Target != nil, r.TargetID != nil, r.Provider != nil)
		}
		if r.Provider != nil && !reflect.DeepEqual(rr.Provider, r.Provider) {
			t.Errorf("%s: provider row read back as %+v, want %+v", key, rr.Provider, r.Provider)
		}
		if r.TargetID != nil && *rr.TargetID != *r.TargetID {
			t.Errorf("%s: target-id read back as %+v", key, rr.TargetID)
		}
		if r.Target != nil && rr.Target.TargetName != r.Target.TargetName {
			t.Errorf("%s: target read back as %+v", key, rr.Target)
		}
	}
	if len(snap.Bindings) != 0 {
		t.Errorf("bindings %v, want none", snap.Bindings)
	}
}

func TestWritersUseLaunchplaneLayoutAndFormat(t *testing.T) {
	dir := t.TempDir()
	s := &fsstore.Store{Dir: dir}
	p := &record.ProviderTarget{SchemaVersion: 1, Context: "café", Instance: "ü", ProviderID: "dokploy",
		TargetCategory: "application", TargetID: "app-café", DisplayName: "Café Ü", ProviderTargetType: "application",
		ProviderEvidence: map[string]string{"project_name": "café"}, UpdatedAt: "2026-04-21T18:31:00Z", SourceLabel: "test"}
	if err := s.WriteProviderTarget(p); err != nil {
		t.Fatal(err)
	}
	id := &record.DokployTargetID{SchemaVersion: 1, Context: "a/b", Instance: `c\d`, TargetID: "x", UpdatedAt: "u"}
	if err := s.WriteDokployTargetID(id); err != nil {
		t.Fatal(err)
	}
	tg := fixture.Target("syo", "prod", "application", "syo-prod", "syo")
	if err := s.WriteDokployTarget(tg); err != nil {
		t.Fatal(err)
	}
	// Printed by Python's json.dumps(payload, indent=2, sort_keys=True).
	wantFiles := map[string]string{
		"launchplane_provider_targets/café-ü-5bd3aa890c39.json": `{
  "context": "caf\u00e9",
  "display_name": "Caf\u00e9 \u00dc",
  "instance": "\u00fc",
  "provider_evidence": {
    "project_name": "caf\u00e9"
  },
  "provider_id": "dokploy",
  "provider_target_type": "application",
  "schema_version": 1,
  "source_label": "test",
  "target_category": "application",
  "target_id": "app-caf\u00e9",
  "updated_at": "2026-04-21T18:31:00Z"
}`,
		"dokploy_target_ids/a-b-c-d-ee6692d234eb.json": `{
  "context": "a/b",
  "instance": "c\\d",
  "schema_version": 1,
  "source_label": "",
  "target_id": "x",
  "updated_at": "u"
}`,
		"dokploy_targets/syo-prod-83b575abf264.json": string(record.EncodePython(tg.Payload())),
	}
	for rel, want := range wantFiles {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if string(data) != want {
			t.Errorf("%s:\n%s\nwant:\n%s", rel, data, want)
		}
	}
	// No temp file is left behind.
	for rel := range ldTree(t, dir) {
		if strings.HasSuffix(rel, ".tmp") {
			t.Errorf("leftover temp file %s", rel)
		}
	}
}

func TestLoadIgnoresTempAndOtherSuffixes(t *testing.T) {
	dir := t.TempDir()
	if err := fixture.WriteState(dir, []fixture.Route{fixture.Complete("syo", "prod")}); err != nil {
		t.Fatal(err)
	}
	junk := `{"this": "is not a record"}`
	for _, rel := range []string{
		"launchplane_provider_targets/.syo-prod-83b575abf264.json.0a1b2c3d4e5f.tmp",
		"launchplane_provider_targets/syo-prod-83b575abf264.json.tmp",
		"dokploy_targets/README.md",
		"dokploy_targets/notes.JSON",
		"dokploy_target_ids/x.json~",
		"other_records/syo-prod-83b575abf264.json",
		"syo-prod-83b575abf264.json",
	} {
		ldWrite(t, dir, rel, junk)
	}
	snap := ldLoad(t, dir)
	if got := ldKeys(snap); !reflect.DeepEqual(got, []string{"syo|prod"}) {
		t.Fatalf("routes %q", got)
	}
	rr := snap.Routes[0]
	if len(rr.Invalid) != 0 || rr.Target == nil || rr.TargetID == nil || rr.Provider == nil {
		t.Errorf("route %+v", rr)
	}
}

// Launchplane's pathlib glob("*.json") matches dot-names, directories
// included, so a hidden junk file or a directory named like a record is an
// invalid record, not nothing.
func TestLoadReportsHiddenJSONNames(t *testing.T) {
	dir := t.TempDir()
	if err := fixture.WriteState(dir, []fixture.Route{fixture.Complete("syo", "prod")}); err != nil {
		t.Fatal(err)
	}
	ldWrite(t, dir, "launchplane_provider_targets/.hidden.json", `{"this": "is not a record"}`)
	if err := os.Mkdir(filepath.Join(dir, "dokploy_targets", ".cache.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	snap := ldLoad(t, dir)
	want := []string{"(unreadable)|dokploy_targets/.cache.json", "(unreadable)|launchplane_provider_targets/.hidden.json", "syo|prod"}
	if got := ldKeys(snap); !reflect.DeepEqual(got, want) {
		t.Fatalf("routes %q, want %q", got, want)
	}
	if inv := snap.Routes[0].Invalid; len(inv) != 1 || !strings.Contains(inv[0].Err.Error(), "directory") {
		t.Errorf("directory named like a record: %+v", inv)
	}
}

func TestLoadMissingDirectories(t *testing.T) {
	dir := t.TempDir()
	empty, err := fsstore.OpenWith(dir, fsstore.Options{AllowEmpty: true})
	if err != nil {
		t.Fatal(err)
	}
	if snap, err := empty.Load(); err != nil || len(snap.Routes) != 0 || len(snap.Bindings) != 0 {
		t.Errorf("empty state: %+v, %v", snap, err)
	}
	// Only the target-id directory exists.
	if err := fixture.WriteState(dir, []fixture.Route{{TargetID: fixture.TargetID("syo", "prod", "x")}}); err != nil {
		t.Fatal(err)
	}
	snap := ldLoad(t, dir)
	if len(snap.Routes) != 1 || snap.Routes[0].TargetID == nil || snap.Routes[0].Target != nil || snap.Routes[0].Provider != nil {
		t.Errorf("routes %+v", snap.Routes)
	}
}

func TestOpenErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "does-not-exist")
	_, err := fsstore.Open(missing)
	var se *store.Error
	if !errors.As(err, &se) {
		t.Fatalf("Open(missing) = %v (%T), want *store.Error", err, err)
	}
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("error %v should wrap ErrNotExist and name the directory", err)
	}
	file := filepath.Join(t.TempDir(), "state")
	ldWrite(t, filepath.Dir(file), "state", "")
	_, err = fsstore.Open(file)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Open(file) = %v", err)
	}
	s, err := fsstore.OpenWith(t.TempDir(), fsstore.Options{AllowEmpty: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Describe(), s.Dir) || s.Close() != nil {
		t.Errorf("Describe %q", s.Describe())
	}
}

func TestLoadFileNameMustMatchRecordID(t *testing.T) {
	dir := t.TempDir()
	r := fixture.Complete("syo", "prod")
	if err := fixture.WriteState(dir, []fixture.Route{r}); err != nil {
		t.Fatal(err)
	}
	right := "launchplane_provider_targets/syo-prod-83b575abf264.json"
	data, err := os.ReadFile(filepath.Join(dir, right))
	if err != nil {
		t.Fatal(err)
	}
	// A copy under another name: Launchplane never reads it.
	ldWrite(t, dir, "launchplane_provider_targets/syo-prod-copy.json", string(data))
	// A record under another route's name.
	other := fixture.Complete("cm", "prod")
	ldWrite(t, dir, "dokploy_target_ids/opw-prod-9d4b16a7b39d.json", string(record.EncodePython(other.TargetID.Payload())))

	snap := ldLoad(t, dir)
	if got := ldKeys(snap); !reflect.DeepEqual(got, []string{"cm|prod", "syo|prod"}) {
		t.Fatalf("routes %q", got)
	}
	cm, syo := snap.Routes[0], snap.Routes[1]
	if syo.Provider == nil || syo.Target == nil || syo.TargetID == nil {
		t.Errorf("the correctly named records were not used: %+v", syo)
	}
	if len(syo.Invalid) != 1 || syo.Invalid[0].Source != "launchplane_provider_targets/syo-prod-copy.json" ||
		syo.Invalid[0].Kind != record.KindProviderTarget ||
		!strings.Contains(syo.Invalid[0].Err.Error(), "file name does not match the record's route (Launchplane reads it as syo-prod-83b575abf264.json)") {
		t.Errorf("syo invalid: %+v", syo.Invalid)
	}
	if cm.TargetID != nil || len(cm.Invalid) != 1 || cm.Invalid[0].Source != "dokploy_target_ids/opw-prod-9d4b16a7b39d.json" ||
		cm.Invalid[0].Kind != record.KindDokployTargetID || !strings.Contains(cm.Invalid[0].Err.Error(), "cm-prod-") {
		t.Errorf("cm: %+v", cm)
	}
}

func TestLoadSameRouteAfterStripping(t *testing.T) {
	dir := t.TempDir()
	// " syo " strips to "syo": the file name Launchplane uses is the same.
	r := fixture.Complete("syo", "prod")
	if err := fixture.WriteState(dir, []fixture.Route{r}); err != nil {
		t.Fatal(err)
	}
	payload := record.NewDokployTargetPayload(" syo\t", "\u00a0prod", "2026-04-21T18:30:00Z")
	ldWrite(t, dir, "dokploy_targets/syo-prod-83b575abf264.json", string(record.EncodePython(payload)))
	snap := ldLoad(t, dir)
	if got := ldKeys(snap); !reflect.DeepEqual(got, []string{"syo|prod"}) || len(snap.Routes[0].Invalid) != 0 {
		t.Fatalf("routes %q %+v", got, snap.Routes)
	}
	if snap.Routes[0].Target.Context != "syo" {
		t.Errorf("context %q", snap.Routes[0].Target.Context)
	}
}

func TestLoadMalformedRecords(t *testing.T) {
	dir := t.TempDir()
	if err := fixture.WriteState(dir, []fixture.Route{fixture.Complete("syo", "prod")}); err != nil {
		t.Fatal(err)
	}
	good := func(edit func(o *record.Object)) string {
		p := fixture.Complete("cm", "prod").Provider.Payload()
		edit(p)
		return string(record.EncodePython(p))
	}
	unreadable := func(rel string) store.Route { return store.Route{Context: "(unreadable)", Instance: rel} }
	cm := store.Route{Context: "cm", Instance: "prod"}
	tests := []struct {
		name    string
		rel     string // relative path; "" content + dir=true makes a directory
		content string
		dir     bool
		kind    record.Kind
		route   store.Route
		field   string // FieldError.Field; "-" when the error is not a FieldError
		msg     string
	}{
		{
			name: "bad JSON reports line and column", rel: "launchplane_provider_targets/bad-json.json",
			content: "{\n  \"context\": \"cm\",\n  \"instance\": prod\n}", kind: record.KindProviderTarget,
			route: unreadable("launchplane_provider_targets/bad-json.json"), field: "", msg: "invalid JSON at line 3, column 15",
		},
		{
			name: "truncated JSON", rel: "launchplane_provider_targets/truncated.json",
			content: "{\n  \"context\": \"cm\",\n", kind: record.KindProviderTarget,
			route: unreadable("launchplane_provider_targets/truncated.json"), field: "", msg: "unexpected end of JSON input",
		},
		{
			name: "empty file", rel: "dokploy_target_ids/empty.json", kind: record.KindDokployTargetID,
			route: unreadable("dokploy_target_ids/empty.json"), field: "", msg: "invalid JSON at line 1, column 1",
		},
		{
			name: "unknown key", rel: "launchplane_provider_targets/unknown-key.json",
			content: good(func(o *record.Object) { o.Set("region", "eu") }), kind: record.KindProviderTarget,
			route: cm, field: "region", msg: "unknown key",
		},
		{
			name: "wrong type", rel: "launchplane_provider_targets/wrong-type.json",
			content: good(func(o *record.Object) { o.Set("target_id", int64(5)) }), kind: record.KindProviderTarget,
			route: cm, field: "target_id", msg: "expected a string, got number",
		},
		{
			name: "instance of the wrong type", rel: "launchplane_provider_targets/instance-type.json",
			content: good(func(o *record.Object) { o.Set("instance", []any{"prod"}) }), kind: record.KindProviderTarget,
			route: unreadable("launchplane_provider_targets/instance-type.json"), field: "instance", msg: "expected a string, got array",
		},
		{
			name: "empty context", rel: "launchplane_provider_targets/empty-context.json",
			content: good(func(o *record.Object) { o.Set("context", " \u001f ") }), kind: record.KindProviderTarget,
			route: unreadable("launchplane_provider_targets/empty-context.json"), field: "context", msg: "requires a non-empty context",
		},
		{
			name: "category outside the enum", rel: "launchplane_provider_targets/category.json",
			content: good(func(o *record.Object) { o.Set("target_category", "bucket") }), kind: record.KindProviderTarget,
			route: cm, field: "target_category", msg: `got "bucket"`,
		},
		{
			name: "empty evidence key", rel: "launchplane_provider_targets/evidence.json",
			content: good(func(o *record.Object) {
				o.Set("provider_evidence", record.NewObject())
				o.Values["provider_evidence"].(*record.Object).Set(" ", "x")
			}),
			kind: record.KindProviderTarget, route: cm, field: "provider_evidence", msg: "evidence keys must be non-empty",
		},
		{
			name: "duplicate key", rel: "launchplane_provider_targets/duplicate.json",
			content: `{"context": "cm", "instance": "prod", "context": "cm"}`, kind: record.KindProviderTarget,
			route: unreadable("launchplane_provider_targets/duplicate.json"), field: "", msg: `duplicate key "context"`,
		},
		{
			name: "trailing data", rel: "launchplane_provider_targets/trailing.json",
			content: good(func(*record.Object) {}) + "\n{}", kind: record.KindProviderTarget,
			route: unreadable("launchplane_provider_targets/trailing.json"), field: "", msg: "unexpected data after the JSON value",
		},
		{
			name: "not an object", rel: "dokploy_targets/array.json", content: `[{"context": "cm"}]`,
			kind: record.KindDokployTarget, route: unreadable("dokploy_targets/array.json"), field: "", msg: "payload must be a JSON object, got array",
		},
		{
			name: "invalid UTF-8", rel: "dokploy_targets/latin1.json", content: "{\"context\": \"caf\xe9\"}",
			kind: record.KindDokployTarget, route: unreadable("dokploy_targets/latin1.json"), field: "", msg: "not valid UTF-8",
		},
		{
			name: "Dokploy target type outside the enum", rel: "dokploy_targets/target-type.json",
			content: `{"context": "cm", "instance": "prod", "updated_at": "u", "target_type": "swarm"}`,
			kind:    record.KindDokployTarget, route: cm, field: "target_type", msg: `must be "compose" or "application", got "swarm"`,
		},
		{
			name: "Dokploy target bad public host", rel: "dokploy_targets/hosts.json",
			content: `{"context": "cm", "instance": "prod", "updated_at": "u", "public_hosts": ["cm.example.com", "localhost"]}`,
			kind:    record.KindDokployTarget, route: cm, field: "public_hosts[1]", msg: "is not a DNS hostname",
		},
		{
			name: "target-id without target_id", rel: "dokploy_target_ids/no-target-id.json",
			content: `{"context": "cm", "instance": "prod", "updated_at": "u"}`,
			kind:    record.KindDokployTargetID, route: cm, field: "target_id", msg: "required field is missing",
		},
		{
			name: "target-id with blank updated_at", rel: "dokploy_target_ids/blank-updated.json",
			content: `{"context": "cm", "instance": "prod", "target_id": "x", "updated_at": "\t"}`,
			kind:    record.KindDokployTargetID, route: cm, field: "updated_at", msg: "requires a non-empty value",
		},
		{
			name: "directory named like a record", rel: "launchplane_provider_targets/x.json", dir: true,
			kind: record.KindProviderTarget, route: unreadable("launchplane_provider_targets/x.json"), field: "-", msg: "is a directory",
		},
	}
	for _, tt := range tests {
		if tt.dir {
			if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(tt.rel)), 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		ldWrite(t, dir, tt.rel, tt.content)
	}
	snap := ldLoad(t, dir)
	// Index every invalid record by its source.
	type found struct {
		inv   store.Invalid
		route store.Route
	}
	bySource := map[string]found{}
	for _, rr := range snap.Routes {
		for _, inv := range rr.Invalid {
			if _, dup := bySource[inv.Source]; dup {
				t.Errorf("%s reported twice", inv.Source)
			}
			bySource[inv.Source] = found{inv, rr.Route}
		}
	}
	if len(bySource) != len(tests) {
		t.Errorf("%d invalid records, want %d", len(bySource), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := bySource[tt.rel]
			if !ok {
				t.Fatalf("no invalid record with Source %q", tt.rel)
			}
			if f.inv.Kind != tt.kind {
				t.Errorf("kind %s, want %s", f.inv.Kind, tt.kind)
			}
			if f.route != tt.route {
				t.Errorf("filed under %v, want %v", f.route, tt.route)
			}
			if !strings.Contains(f.inv.Err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", f.inv.Err, tt.msg)
			}
			var fe *record.FieldError
			if tt.field == "-" {
				if errors.As(f.inv.Err, &fe) {
					t.Errorf("unexpected FieldError %v", fe)
				}
			} else if !errors.As(f.inv.Err, &fe) {
				t.Errorf("error %v (%T) is not a *record.FieldError", f.inv.Err, f.inv.Err)
			} else if fe.Field != tt.field {
				t.Errorf("field %q, want %q", fe.Field, tt.field)
			}
			if d := f.inv.Detail(); !strings.HasPrefix(d, "invalid "+string(tt.kind)+" record "+tt.rel+": ") {
				t.Errorf("Detail() = %q", d)
			}
		})
	}
	// The valid route is untouched by its broken neighbours.
	for _, rr := range snap.Routes {
		if rr.Route == (store.Route{Context: "syo", Instance: "prod"}) {
			if len(rr.Invalid) != 0 || rr.Provider == nil || rr.Target == nil || rr.TargetID == nil {
				t.Errorf("syo/prod: %+v", rr)
			}
		}
	}
}

func TestLoadRefusesPublishingBundleStage(t *testing.T) {
	for _, tt := range []struct {
		manifest string
		refuse   bool
		msg      string
	}{
		{`{"state": "publishing", "stage_id": "s1"}`, true, "interrupted while publishing"},
		{`{"status": "publishing"}`, true, "interrupted while publishing"},
		{`{"state": "ready"}`, false, ""},
		{`{"state": "published"}`, false, ""},
		{`{"state": `, true, "is not valid JSON"},
	} {
		dir := t.TempDir()
		if err := fixture.WriteState(dir, []fixture.Route{fixture.Complete("syo", "prod")}); err != nil {
			t.Fatal(err)
		}
		ldWrite(t, dir, ".product_authority_bundle_stages/stage-1/manifest.json", tt.manifest)
		ldWrite(t, dir, ".product_authority_bundle_stages/stage-1/records/launchplane_provider_targets/x.json", "{}")
		// A stage without a manifest and a stray file are ignored.
		ldWrite(t, dir, ".product_authority_bundle_stages/stage-0/records/x.json", "{}")
		ldWrite(t, dir, ".product_authority_bundle_stages/README", "x")
		s, err := fsstore.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := s.Load()
		if !tt.refuse {
			if err != nil || len(snap.Routes) != 1 {
				t.Errorf("%s: %v", tt.manifest, err)
			}
			continue
		}
		var se *store.Error
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: Load = %v, want *store.Error containing %q", tt.manifest, err, tt.msg)
		}
		if err := s.Scan(context.Background(), store.Scope{}, &ldVisitor{}); !errors.As(err, &se) {
			t.Errorf("%s: Scan = %v", tt.manifest, err)
		}
	}
}

func TestCreateProviderTargetIsExclusive(t *testing.T) {
	dir := t.TempDir()
	s := &fsstore.Store{Dir: dir}
	first := fixture.Complete("syo", "prod").Provider
	path, err := s.CreateProviderTarget(first)
	if err != nil {
		t.Fatal(err)
	}
	wantPath := filepath.Join(dir, "launchplane_provider_targets", "syo-prod-83b575abf264.json")
	if path != wantPath {
		t.Errorf("path %s, want %s", path, wantPath)
	}
	firstBytes := fsstore.Encode(first.Payload())
	before := ldTree(t, dir)

	second := *first
	second.TargetID, second.DisplayName = "app-other", "other"
	_, err = s.CreateProviderTarget(&second)
	if !errors.Is(err, fsstore.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	data, err := os.ReadFile(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != string(firstBytes) {
		t.Errorf("first file changed:\n%s", data)
	}
	// Only directory timestamps may change (the temp file came and went).
	after := ldTree(t, dir)
	for rel, n := range after {
		b, ok := before[rel]
		if !ok {
			t.Errorf("a refused create left %s behind", rel)
		} else if n.mode.IsRegular() && n != b {
			t.Errorf("a refused create changed %s", rel)
		}
	}
	// A create for another route still works; an upsert replaces.
	if _, err := s.CreateProviderTarget(fixture.Complete("syo", "testing").Provider); err != nil {
		t.Error(err)
	}
	if err := s.WriteProviderTarget(&second); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(wantPath)
	if string(data) != string(fsstore.Encode(second.Payload())) {
		t.Error("WriteProviderTarget did not replace the row")
	}
}

type ldVisitor struct {
	bindings store.Bindings
	routes   []store.Route
	order    []string
}

func (v *ldVisitor) Bindings(b store.Bindings) error {
	v.bindings = b
	v.order = append(v.order, "bindings")
	return nil
}

func (v *ldVisitor) Route(rr *store.RouteRecords) error {
	v.routes = append(v.routes, rr.Route)
	v.order = append(v.order, "route")
	return nil
}

func TestScanAndBindings(t *testing.T) {
	dir := t.TempDir()
	a := fixture.Complete("a", "x")
	b := fixture.Complete("b", "y")
	c := fixture.Complete("c", "z")
	// b and c claim a's target.
	for _, r := range []fixture.Route{b, c} {
		r.Provider.TargetID = a.Provider.TargetID
	}
	if err := fixture.WriteState(dir, []fixture.Route{c, a, b, fixture.Complete("d", "w")}); err != nil {
		t.Fatal(err)
	}
	s, err := fsstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	v := &ldVisitor{}
	if err := s.Scan(context.Background(), store.Scope{}, v); err != nil {
		t.Fatal(err)
	}
	wantRoutes := []store.Route{{Context: "a", Instance: "x"}, {Context: "b", Instance: "y"}, {Context: "c", Instance: "z"}, {Context: "d", Instance: "w"}}
	if !reflect.DeepEqual(v.routes, wantRoutes) || v.order[0] != "bindings" {
		t.Errorf("visited %v (%v)", v.routes, v.order)
	}
	want := store.Bindings{a.Provider.Identity(): wantRoutes[:3]}
	if !reflect.DeepEqual(v.bindings, want) {
		t.Errorf("bindings %v, want %v", v.bindings, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Scan(ctx, store.Scope{}, &ldVisitor{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled scan: %v", err)
	}
}

func TestReadingNeverWrites(t *testing.T) {
	dir := t.TempDir()
	if err := fixture.WriteState(dir, ldOdd()); err != nil {
		t.Fatal(err)
	}
	ldWrite(t, dir, "launchplane_provider_targets/broken.json", "{")
	ldWrite(t, dir, "launchplane_provider_targets/.x.json.abc.tmp", "{")
	ldWrite(t, dir, ".product_authority_bundle_stages/s/manifest.json", `{"state": "ready"}`)
	// Make every timestamp old, so a rewrite would show even on coarse clocks.
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			os.Chtimes(p, old, old)
		}
		return err
	})
	before := ldTree(t, dir)
	s, err := fsstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := s.Load(); err != nil {
			t.Fatal(err)
		}
		if err := s.Scan(context.Background(), store.Scope{Context: "syo"}, &ldVisitor{}); err != nil {
			t.Fatal(err)
		}
	}
	after := ldTree(t, dir)
	if !reflect.DeepEqual(before, after) {
		for k, v := range after {
			if w, ok := before[k]; !ok || w != v {
				t.Errorf("changed or created: %s", k)
			}
		}
		for k := range before {
			if _, ok := after[k]; !ok {
				t.Errorf("removed: %s", k)
			}
		}
	}
}
