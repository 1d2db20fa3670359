package record

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// Seed corpora live in testdata/fuzz/<Name>/; the seeds added here cover the
// base records so a plain `go test` exercises each property too.

// checkDecodeError fails unless err is a *FieldError with a message.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is %T, want *FieldError", err, err)
	}
	if fe.Msg == "" || err.Error() == "" {
		t.Fatalf("FieldError %#v has no message", fe)
	}
}

func FuzzDecodeProviderTarget(f *testing.F) {
	f.Add([]byte(with(providerBase)))
	f.Add([]byte(with(providerBase, `provider_evidence={" a": "1", "a ": "2"}`, `provider_id=" DOKPLOYΣ "`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeProviderTarget(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		enc := EncodePython(p.Payload())
		q, err := DecodeProviderTarget(enc)
		if err != nil {
			t.Fatalf("re-decoding the dump failed: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("dump does not decode to the same record:\n%+v\n%+v", p, q)
		}
		if again := EncodePython(q.Payload()); !bytes.Equal(again, enc) {
			t.Fatalf("dump is not stable:\n%s\n%s", enc, again)
		}
	})
}

func FuzzDecodeDokployTarget(f *testing.F) {
	f.Add([]byte(with(targetBase)))
	f.Add([]byte(`{"context": " c ", "instance": "i", "updated_at": "u", "public_hosts": ["B.example", " a.example"], "enable_submodules": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := DecodeDokployTarget(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		enc := EncodePython(d.Payload())
		e, err := DecodeDokployTarget(enc)
		if err != nil {
			t.Fatalf("re-decoding the dump failed: %v\n%s", err, enc)
		}
		// The payload's key order follows the input; compare the dumps,
		// which sort keys, and the fields.
		if again := EncodePython(e.Payload()); !bytes.Equal(again, enc) {
			t.Fatalf("dump is not stable:\n%s\n%s", enc, again)
		}
		d.payload, e.payload, d.raw, e.raw = nil, nil, "", ""
		if !reflect.DeepEqual(d, e) {
			t.Fatalf("dump does not decode to the same record:\n%+v\n%+v", d, e)
		}
	})
}

func FuzzDecodeDokployTargetID(f *testing.F) {
	f.Add([]byte(with(targetIDBase)))
	f.Add([]byte(with(targetIDBase, `schema_version="1_0"`, `source_label=" x "`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeDokployTargetID(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		enc := EncodePython(r.Payload())
		s, err := DecodeDokployTargetID(enc)
		if err != nil {
			t.Fatalf("re-decoding the dump failed: %v\n%s", err, enc)
		}
		if *r != *s {
			t.Fatalf("dump does not decode to the same record:\n%+v\n%+v", r, s)
		}
	})
}

func FuzzDecodeTree(f *testing.F) {
	f.Add([]byte(`{"a": [1, "x", true, null, {}], "b": {"c": -1.5e3}}`))
	f.Add([]byte(`"\ud83d\ude00\u0000"`))
	f.Add([]byte(`{"\ud800": "a\udc00\ud800b", "k": ["\udbff\u0041"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeTree(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		enc := EncodePython(v)
		w, err := DecodeTree(enc)
		if err != nil {
			t.Fatalf("re-decoding the dump failed: %v\n%s", err, enc)
		}
		if again := EncodePython(w); !bytes.Equal(again, enc) {
			t.Fatalf("dump is not stable:\n%s\n%s", enc, again)
		}
	})
}
