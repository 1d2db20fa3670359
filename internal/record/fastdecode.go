package record

import (
	"slices"

	"github.com/lanegate/lanegate/internal/pyjson"
)

// The fast decoders below read the common shape of each record in one pass
// over the bytes (pyjson.Scanner), with no intermediate tree: that tree was
// most of a large audit's CPU time. They never decide that a record is
// invalid. Anything outside the plain shape (an unknown or repeated key, a
// lax value such as "yes" for a boolean, a value out of range, invalid JSON)
// makes them give up, and the tree decoder then decides, with its exact
// messages. A fuzz test requires every record a fast decoder accepts to
// decode identically on the tree path.
//
// Measured (pyjson's bench_test.go) on the bench's Dokploy target: 3.4 µs
// and 13 allocations here; 26 µs (7.8×) through jsontext tokens into the
// tree and the same checks; 16 µs (4.8×) through pyjson's own tree; even
// encoding/json/v2 into a plain struct with none of the checks 7.5 µs (2.2×)
// (minimum of 3-5 runs at a load of 12-18 on the shared 2-core machine).
// Decoding is about 2 µs of each route's work in the 1M-route audit (13 s
// against a 12.5 s baseline, target 1.5×); 7.8× of it would add about 15 s
// and miss the target. Reproduce with
//
//	GOEXPERIMENT=jsonv2 go test ./internal/pyjson -run '^$' -bench DokployTarget -benchmem -count 5

// repeated marks key number i in a bit set and reports whether it was
// already marked.
func repeated(set *uint64, i int) bool {
	bit := uint64(1) << i
	if *set&bit != 0 {
		return true
	}
	*set |= bit
	return false
}

// fastDokployTarget decodes the plain shape of a Dokploy target record; ok
// false means "ask the tree decoder". Its Payload is rebuilt from the raw
// bytes only when asked for (audits never ask).
func fastDokployTarget(data []byte) (*DokployTarget, bool) {
	p := pyjson.NewScanner(data)
	t := &DokployTarget{TargetType: "compose", raw: p.Source()}
	var set uint64
	var context, instance, updated string
	ok := p.Object(func(k string) bool {
		var ok bool
		switch k {
		case "schema_version":
			_, ok = p.Int(1, false)
			return ok && !repeated(&set, 0)
		case "context":
			context, ok = p.Str()
			return ok && !repeated(&set, 1)
		case "instance":
			instance, ok = p.Str()
			return ok && !repeated(&set, 2)
		case "updated_at":
			updated, ok = p.Str()
			return ok && !repeated(&set, 3)
		case "project_name":
			t.ProjectName, ok = p.Str()
			return ok && !repeated(&set, 4)
		case "target_type":
			t.TargetType, ok = p.Str()
			return ok && (t.TargetType == "compose" || t.TargetType == "application") && !repeated(&set, 5)
		case "target_name":
			t.TargetName, ok = p.Str()
			return ok && !repeated(&set, 6)
		case "source_label":
			t.SourceLabel, ok = p.Str()
			return ok && !repeated(&set, 7)
		case "git_branch", "source_git_ref", "source_type", "custom_git_url", "custom_git_branch", "compose_path", "healthcheck_path":
			_, ok = p.Str()
			return ok && !repeated(&set, 8+slices.Index(plainTextSettings, k))
		case "watch_paths":
			return p.StringArray() && !repeated(&set, 15)
		case "domains":
			return p.StringArray() && !repeated(&set, 16)
		case "enable_submodules":
			_, ok = p.Bool(true)
			return ok && !repeated(&set, 17)
		case "require_test_gate":
			_, ok = p.Bool(false)
			return ok && !repeated(&set, 18)
		case "require_prod_gate":
			_, ok = p.Bool(false)
			return ok && !repeated(&set, 19)
		case "healthcheck_enabled":
			_, ok = p.Bool(false)
			return ok && !repeated(&set, 20)
		case "deploy_timeout_seconds":
			_, ok = p.Int(1, true)
			return ok && !repeated(&set, 21)
		case "healthcheck_timeout_seconds":
			_, ok = p.Int(1, true)
			return ok && !repeated(&set, 22)
		case "env":
			return p.StringObject(func(string, string) {}) && !repeated(&set, 23)
		case "public_hosts":
			v, err := p.Value()
			if err != nil {
				return false
			}
			_, ferr := publicHosts(v)
			return ferr == nil && !repeated(&set, 24)
		case "policies":
			v, err := p.Value()
			if err != nil {
				return false
			}
			return checkPolicies(v) == nil && !repeated(&set, 25)
		}
		return false // unknown key
	})
	if !ok {
		return nil, false
	}
	if t.Context = PyStrip(context); t.Context == "" {
		return nil, false
	}
	if t.Instance = PyStrip(instance); t.Instance == "" {
		return nil, false
	}
	if t.UpdatedAt = PyStrip(updated); t.UpdatedAt == "" {
		return nil, false
	}
	return t, true
}

// plainTextSettings are the Dokploy target's text settings that only need to
// be strings (bits 8-14 of fastDokployTarget's repeat check).
var plainTextSettings = []string{"git_branch", "source_git_ref", "source_type", "custom_git_url",
	"custom_git_branch", "compose_path", "healthcheck_path"}

// fastDokployTargetID decodes the plain shape of a target-id record.
func fastDokployTargetID(data []byte) (*DokployTargetID, bool) {
	p := pyjson.NewScanner(data)
	r := &DokployTargetID{SchemaVersion: 1}
	var set uint64
	var context, instance, targetID, updated string
	ok := p.Object(func(k string) bool {
		var ok bool
		switch k {
		case "schema_version":
			var v any
			v, ok = p.Int(1, false)
			if ok {
				r.SchemaVersion = v.(int64)
			}
			return ok && !repeated(&set, 0)
		case "context":
			context, ok = p.Str()
			return ok && !repeated(&set, 1)
		case "instance":
			instance, ok = p.Str()
			return ok && !repeated(&set, 2)
		case "target_id":
			targetID, ok = p.Str()
			return ok && !repeated(&set, 3)
		case "updated_at":
			updated, ok = p.Str()
			return ok && !repeated(&set, 4)
		case "source_label":
			r.SourceLabel, ok = p.Str()
			return ok && !repeated(&set, 5)
		}
		return false
	})
	if !ok {
		return nil, false
	}
	for _, f := range []struct {
		dst *string
		val string
	}{{&r.Context, context}, {&r.Instance, instance}, {&r.TargetID, targetID}, {&r.UpdatedAt, updated}} {
		if *f.dst = PyStrip(f.val); *f.dst == "" {
			return nil, false
		}
	}
	return r, true
}

// fastProviderTarget decodes the plain shape of a provider-target record and
// normalises it exactly as the tree path does.
func fastProviderTarget(data []byte) (*ProviderTarget, bool) {
	p := pyjson.NewScanner(data)
	r := &ProviderTarget{SchemaVersion: 1, TargetCategory: "unknown"}
	var set uint64
	var evidenceKeys, evidenceVals []string
	ok := p.Object(func(k string) bool {
		var ok bool
		var dst *string
		bit := 0
		switch k {
		case "schema_version":
			var v any
			v, ok = p.Int(1, false)
			if ok {
				r.SchemaVersion = v.(int64)
			}
			return ok && !repeated(&set, 0)
		case "provider_evidence":
			ok = p.StringObject(func(k, v string) {
				evidenceKeys = append(evidenceKeys, k)
				evidenceVals = append(evidenceVals, v)
			})
			return ok && !repeated(&set, 1)
		case "context":
			dst, bit = &r.Context, 2
		case "instance":
			dst, bit = &r.Instance, 3
		case "provider_id":
			dst, bit = &r.ProviderID, 4
		case "target_category":
			dst, bit = &r.TargetCategory, 5
		case "target_id":
			dst, bit = &r.TargetID, 6
		case "display_name":
			dst, bit = &r.DisplayName, 7
		case "provider_target_type":
			dst, bit = &r.ProviderTargetType, 8
		case "updated_at":
			dst, bit = &r.UpdatedAt, 9
		case "source_label":
			dst, bit = &r.SourceLabel, 10
		default:
			return false
		}
		*dst, ok = p.Str()
		return ok && !repeated(&set, bit)
	})
	// Required keys: context, instance, provider_id, target_id,
	// display_name, updated_at.
	const required = 1<<2 | 1<<3 | 1<<4 | 1<<6 | 1<<7 | 1<<9
	if !ok || set&required != required || !contains(DeployTargetCategories, r.TargetCategory) {
		return nil, false
	}
	r.ProviderEvidence = evidenceByStrippedKey(evidenceKeys, func(i int) string { return evidenceVals[i] })
	if r.normalize() != nil {
		return nil, false
	}
	return r, true
}

// EncodePython is EncodePython(t.Payload()). A record decoded on the fast
// path is encoded straight from its raw bytes, with the fields the decoder
// normalises put in: the backfill digest encodes every planned create's
// Dokploy target, and building its tree again was the costly part.
func (t *DokployTarget) EncodePython() []byte {
	if t.payload != nil || t.raw == "" {
		return EncodePython(t.Payload())
	}
	ms, ok := pyjson.Members(t.raw)
	if !ok {
		return EncodePython(t.Payload())
	}
	hasVersion := false
	for i := range ms {
		switch ms[i].Key {
		case "context":
			ms[i].Python = pyjson.PyString(t.Context)
		case "instance":
			ms[i].Python = pyjson.PyString(t.Instance)
		case "updated_at":
			ms[i].Python = pyjson.PyString(t.UpdatedAt)
		case "schema_version":
			hasVersion = true
		case "public_hosts":
			// Normalised (lower-cased, stripped, sorted): the tree
			// path is the authority.
			return EncodePython(t.Payload())
		}
	}
	if !hasVersion {
		ms = append(ms, pyjson.Member{Key: "schema_version", Python: []byte("1")})
	}
	out, ok := pyjson.EncodePythonMembers(t.raw, ms)
	if !ok {
		return EncodePython(t.Payload())
	}
	return out
}
