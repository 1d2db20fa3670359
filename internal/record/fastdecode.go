package record

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// The fast decoders below read the common shape of each record in one pass
// over the bytes, with no intermediate tree: that tree was most of a large
// audit's CPU time. They never decide that a record is invalid. Anything
// outside the plain shape (an unknown or repeated key, a lax value such as
// "yes" for a boolean, a value out of range, invalid JSON) makes them give
// up, and the tree decoder then decides, with its exact messages. A fuzz
// test requires every record a fast decoder accepts to decode identically on
// the tree path.

// eachKey walks a top-level object, calling fn with the parser positioned at
// each key's value. fn consumes the value and returns false to give up.
func (p *fastParser) eachKey(fn func(key string) bool) bool {
	if !utf8.Valid(p.data) {
		return false
	}
	p.skipSpace()
	if !p.take('{') {
		return false
	}
	p.skipSpace()
	if !p.take('}') {
		for {
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != '"' {
				return false
			}
			k, err := p.str()
			if err != nil {
				return false
			}
			p.skipSpace()
			if !p.take(':') {
				return false
			}
			p.skipSpace()
			if !fn(k) {
				return false
			}
			p.skipSpace()
			if p.take(',') {
				continue
			}
			if p.take('}') {
				break
			}
			return false
		}
	}
	p.skipSpace()
	return p.pos == len(p.data)
}

func (p *fastParser) take(c byte) bool {
	if p.pos < len(p.data) && p.data[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// strValue reads a JSON string.
func (p *fastParser) strValue() (string, bool) {
	if p.pos >= len(p.data) || p.data[p.pos] != '"' {
		return "", false
	}
	s, err := p.str()
	return s, err == nil
}

// boolValue reads true or false, or null when nullable (as nil).
func (p *fastParser) boolValue(nullable bool) (any, bool) {
	switch {
	case p.word("true"):
		return true, true
	case p.word("false"):
		return false, true
	case nullable && p.word("null"):
		return nil, true
	}
	return nil, false
}

// intValue reads a plain JSON integer >= min, or null when nullable.
func (p *fastParser) intValue(min int64, nullable bool) (any, bool) {
	if nullable && p.word("null") {
		return nil, true
	}
	start := p.pos
	for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
		p.pos++
	}
	if p.pos == start || (p.data[start] == '0' && p.pos-start > 1) {
		return nil, false
	}
	if p.pos < len(p.data) && (p.data[p.pos] == '.' || p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		return nil, false
	}
	i, err := strconv.ParseInt(p.src[start:p.pos], 10, 64)
	if err != nil || i < min {
		return nil, false
	}
	return i, true
}

func (p *fastParser) word(w string) bool {
	if len(p.data)-p.pos >= len(w) && p.src[p.pos:p.pos+len(w)] == w {
		p.pos += len(w)
		return true
	}
	return false
}

// strArray checks an array of strings.
func (p *fastParser) strArray() bool {
	if !p.take('[') {
		return false
	}
	p.skipSpace()
	if p.take(']') {
		return true
	}
	for {
		p.skipSpace()
		if _, ok := p.strValue(); !ok {
			return false
		}
		p.skipSpace()
		if p.take(',') {
			continue
		}
		return p.take(']')
	}
}

// strObject reads an object of strings, calling fn for each pair in order,
// and gives up on a repeated key.
func (p *fastParser) strObject(fn func(k, v string)) bool {
	if !p.take('{') {
		return false
	}
	p.skipSpace()
	if p.take('}') {
		return true
	}
	var seen []string
	for {
		p.skipSpace()
		k, ok := p.strValue()
		if !ok {
			return false
		}
		for _, s := range seen {
			if s == k {
				return false
			}
		}
		seen = append(seen, k)
		p.skipSpace()
		if !p.take(':') {
			return false
		}
		p.skipSpace()
		v, ok := p.strValue()
		if !ok {
			return false
		}
		fn(k, v)
		p.skipSpace()
		if p.take(',') {
			continue
		}
		return p.take('}')
	}
}

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
	p := newFastParser(data)
	t := &DokployTarget{TargetType: "compose", raw: p.src}
	var set uint64
	var context, instance, updated string
	ok := p.eachKey(func(k string) bool {
		var ok bool
		switch k {
		case "schema_version":
			_, ok = p.intValue(1, false)
			return ok && !repeated(&set, 0)
		case "context":
			context, ok = p.strValue()
			return ok && !repeated(&set, 1)
		case "instance":
			instance, ok = p.strValue()
			return ok && !repeated(&set, 2)
		case "updated_at":
			updated, ok = p.strValue()
			return ok && !repeated(&set, 3)
		case "project_name":
			t.ProjectName, ok = p.strValue()
			return ok && !repeated(&set, 4)
		case "target_type":
			t.TargetType, ok = p.strValue()
			return ok && (t.TargetType == "compose" || t.TargetType == "application") && !repeated(&set, 5)
		case "target_name":
			t.TargetName, ok = p.strValue()
			return ok && !repeated(&set, 6)
		case "source_label":
			t.SourceLabel, ok = p.strValue()
			return ok && !repeated(&set, 7)
		case "git_branch", "source_git_ref", "source_type", "custom_git_url", "custom_git_branch", "compose_path", "healthcheck_path":
			_, ok = p.strValue()
			return ok && !repeated(&set, 8+slices.Index(plainTextSettings, k))
		case "watch_paths":
			return p.strArray() && !repeated(&set, 15)
		case "domains":
			return p.strArray() && !repeated(&set, 16)
		case "enable_submodules":
			_, ok = p.boolValue(true)
			return ok && !repeated(&set, 17)
		case "require_test_gate":
			_, ok = p.boolValue(false)
			return ok && !repeated(&set, 18)
		case "require_prod_gate":
			_, ok = p.boolValue(false)
			return ok && !repeated(&set, 19)
		case "healthcheck_enabled":
			_, ok = p.boolValue(false)
			return ok && !repeated(&set, 20)
		case "deploy_timeout_seconds":
			_, ok = p.intValue(1, true)
			return ok && !repeated(&set, 21)
		case "healthcheck_timeout_seconds":
			_, ok = p.intValue(1, true)
			return ok && !repeated(&set, 22)
		case "env":
			return p.strObject(func(string, string) {}) && !repeated(&set, 23)
		case "public_hosts":
			v, err := p.value(1)
			if err != nil {
				return false
			}
			_, ferr := publicHosts(v)
			return ferr == nil && !repeated(&set, 24)
		case "policies":
			v, err := p.value(1)
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
	p := newFastParser(data)
	r := &DokployTargetID{SchemaVersion: 1}
	var set uint64
	var context, instance, targetID, updated string
	ok := p.eachKey(func(k string) bool {
		var ok bool
		switch k {
		case "schema_version":
			var v any
			v, ok = p.intValue(1, false)
			if ok {
				r.SchemaVersion = v.(int64)
			}
			return ok && !repeated(&set, 0)
		case "context":
			context, ok = p.strValue()
			return ok && !repeated(&set, 1)
		case "instance":
			instance, ok = p.strValue()
			return ok && !repeated(&set, 2)
		case "target_id":
			targetID, ok = p.strValue()
			return ok && !repeated(&set, 3)
		case "updated_at":
			updated, ok = p.strValue()
			return ok && !repeated(&set, 4)
		case "source_label":
			r.SourceLabel, ok = p.strValue()
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
	p := newFastParser(data)
	r := &ProviderTarget{SchemaVersion: 1, TargetCategory: "unknown"}
	var set uint64
	var evidenceKeys, evidenceVals []string
	ok := p.eachKey(func(k string) bool {
		var ok bool
		var dst *string
		bit := 0
		switch k {
		case "schema_version":
			var v any
			v, ok = p.intValue(1, false)
			if ok {
				r.SchemaVersion = v.(int64)
			}
			return ok && !repeated(&set, 0)
		case "provider_evidence":
			ok = p.strObject(func(k, v string) {
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
		*dst, ok = p.strValue()
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

// skip moves past one JSON value without building it.
func (p *fastParser) skip(depth int) bool {
	if depth > maxDepth || p.pos >= len(p.data) {
		return false
	}
	switch c := p.data[p.pos]; {
	case c == '"':
		_, err := p.str()
		return err == nil
	case c == '{' || c == '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		p.pos++
		p.skipSpace()
		if p.take(closing) {
			return true
		}
		for {
			p.skipSpace()
			if c == '{' {
				if _, ok := p.strValue(); !ok {
					return false
				}
				p.skipSpace()
				if !p.take(':') {
					return false
				}
				p.skipSpace()
			}
			if !p.skip(depth + 1) {
				return false
			}
			p.skipSpace()
			if p.take(',') {
				continue
			}
			return p.take(closing)
		}
	default:
		_, err := p.value(depth)
		return err == nil
	}
}

// Field is one key's value in EachField: its raw bytes and, when it is a
// string, the decoded string.
type Field struct {
	Raw   []byte
	Str   string
	IsStr bool
}

// EachField walks a JSON object lanegate wrote itself (a spool line), giving
// fn each key with its value. It reports false for anything that is not one
// valid object; callers then decode with encoding/json, which says what is
// wrong.
func EachField(data []byte, fn func(key string, v Field) bool) bool {
	p := newFastParser(data)
	return p.eachKey(func(k string) bool {
		start := p.pos
		var f Field
		if p.pos < len(p.data) && p.data[p.pos] == '"' {
			s, err := p.str()
			if err != nil {
				return false
			}
			f.Str, f.IsStr = s, true
		} else if !p.skip(1) {
			return false
		}
		f.Raw = data[start:p.pos]
		return fn(k, f)
	})
}
