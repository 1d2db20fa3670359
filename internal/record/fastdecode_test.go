package record

import (
	"reflect"
	"testing"
)

// FuzzFastDecoders holds each fast decoder to the tree decoder: whatever a
// fast decoder accepts, the tree decoder accepts too and decodes to the same
// record (for a Dokploy target, the same fields and the same payload).
func FuzzFastDecoders(f *testing.F) {
	for _, s := range []string{
		string(benchTargetPayload), string(benchProviderPayload), string(benchTargetIDPayload),
		with(targetBase), with(providerBase), with(targetIDBase),
		with(providerBase, `provider_evidence={" a": "1", "a ": "2"}`, `provider_id=" DOKPLOYΣ "`),
		`{"context": " c ", "instance": "i", "updated_at": "u", "public_hosts": ["B.example", " a.example"], "enable_submodules": null}`,
		`{"context": "c", "instance": "i", "updated_at": "u", "deploy_timeout_seconds": 0}`,
		`{"context": "c", "instance": "i", "updated_at": "u", "context": "d"}`,
		`{"context": "c\u0020", "instance": "i", "target_id": "t", "updated_at": "u", "schema_version": 2}`,
		// Lone surrogates stay code points on both paths.
		with(providerBase, `display_name="a\ud800b"`, `provider_evidence={"\udc00": "\ud83d"}`),
		with(targetBase, `target_name=" \udfff "`, `context="c\udbff\udc00"`),
		with(targetIDBase, `target_id="\ud800\u0041"`),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if fast, ok := fastDokployTarget(data); ok {
			tree, err := decodeDokployTargetTree(data)
			if err != nil {
				t.Fatalf("fast Dokploy target decoder accepted what the tree refuses (%v):\n%s", err, data)
			}
			if got, want := EncodePython(fast.Payload()), EncodePython(tree.Payload()); string(got) != string(want) {
				t.Fatalf("payloads differ:\nfast %s\ntree %s", got, want)
			}
			fast.raw, tree.payload = "", nil
			if !reflect.DeepEqual(fast, tree) {
				t.Fatalf("Dokploy targets differ:\nfast %+v\ntree %+v", fast, tree)
			}
		}
		if fast, ok := fastDokployTargetID(data); ok {
			tree, err := decodeDokployTargetIDTree(data)
			if err != nil {
				t.Fatalf("fast target-id decoder accepted what the tree refuses (%v):\n%s", err, data)
			}
			if !reflect.DeepEqual(fast, tree) {
				t.Fatalf("target-ids differ:\nfast %+v\ntree %+v", fast, tree)
			}
		}
		if fast, ok := fastProviderTarget(data); ok {
			tree, err := decodeProviderTargetTree(data)
			if err != nil {
				t.Fatalf("fast provider-target decoder accepted what the tree refuses (%v):\n%s", err, data)
			}
			if !reflect.DeepEqual(fast, tree) {
				t.Fatalf("provider targets differ:\nfast %+v\ntree %+v", fast, tree)
			}
		}
	})
}

// TestFastDecodersTakeTheCommonShape fails if the fast paths stop being
// taken for ordinary records (the audit would silently get slow again).
func TestFastDecodersTakeTheCommonShape(t *testing.T) {
	if _, ok := fastDokployTarget(benchTargetPayload); !ok {
		t.Error("fast Dokploy target decoder gave up on a plain record")
	}
	if _, ok := fastDokployTarget([]byte(with(targetBase))); !ok {
		t.Error("fast Dokploy target decoder gave up on targetBase")
	}
	if _, ok := fastProviderTarget(benchProviderPayload); !ok {
		t.Error("fast provider-target decoder gave up on a plain record")
	}
	if _, ok := fastDokployTargetID(benchTargetIDPayload); !ok {
		t.Error("fast target-id decoder gave up on a plain record")
	}
	// And they give up on what only the tree decoder may judge.
	for _, s := range []string{
		`{"context": "c", "instance": "i", "updated_at": "u", "require_test_gate": "yes"}`,
		`{"context": "c", "instance": "i", "updated_at": "u", "extra": 1}`,
		`{"context": "c", "instance": "i", "updated_at": "u", "context": "c"}`,
		`{"context": "  ", "instance": "i", "updated_at": "u"}`,
	} {
		if _, ok := fastDokployTarget([]byte(s)); ok {
			t.Errorf("fast Dokploy target decoder accepted %s", s)
		}
	}
}

// FuzzDirectPythonEncoders holds the tree-free encoders to EncodePython of
// the records' payload trees.
func FuzzDirectPythonEncoders(f *testing.F) {
	f.Add("ctx", "prod", "app-1", "Name é", "proj", "2026", "label\"\\\n", int64(1), true)
	f.Add("", "", "", "", "", "", "", int64(0), false)
	f.Fuzz(func(t *testing.T, c, i, tid, name, proj, updated, label string, sv int64, evidence bool) {
		p := &ProviderTarget{SchemaVersion: sv, Context: c, Instance: i, ProviderID: "dokploy", TargetCategory: "compose",
			TargetID: tid, DisplayName: name, ProviderTargetType: "compose", ProviderEvidence: map[string]string{},
			UpdatedAt: updated, SourceLabel: label}
		if evidence {
			p.ProviderEvidence["project_name"] = proj
			p.ProviderEvidence[name] = label
		}
		if got, want := string(p.EncodePython()), string(EncodePython(p.Payload())); got != want {
			t.Fatalf("ProviderTarget.EncodePython\n got %s\nwant %s", got, want)
		}
		r := &DokployTargetID{SchemaVersion: sv, Context: c, Instance: i, TargetID: tid, UpdatedAt: updated, SourceLabel: label}
		if got, want := string(r.EncodePython()), string(EncodePython(r.Payload())); got != want {
			t.Fatalf("DokployTargetID.EncodePython\n got %s\nwant %s", got, want)
		}
	})
}

// FuzzDokployTargetEncodePython holds the raw-bytes encoder to EncodePython
// of the normalised tree, for every record the fast decoder accepts.
func FuzzDokployTargetEncodePython(f *testing.F) {
	f.Add(benchTargetPayload)
	f.Add([]byte(with(targetBase)))
	f.Add([]byte(`{"context": " c\u00e9 ", "instance": "i", "updated_at": "u", "env": {"b": "1", "a": "\ud83d\ude00"}, "deploy_timeout_seconds": 30}`))
	f.Add([]byte(`{"context": "c", "instance": "i", "updated_at": "u", "policies": {"shopify": {"protected_store_keys": ["k"]}, "integration_allowances": [{"integration": "x", "kind": "pre_live", "reason": "r"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := fastDokployTarget(data)
		if !ok {
			return
		}
		tree, err := decodeDokployTargetTree(data)
		if err != nil {
			t.Fatalf("tree decoder refused what the fast decoder accepted: %v", err)
		}
		if got, want := string(fast.EncodePython()), string(EncodePython(tree.Payload())); got != want {
			t.Fatalf("DokployTarget.EncodePython\n got %s\nwant %s", got, want)
		}
	})
}
