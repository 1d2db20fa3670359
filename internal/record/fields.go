package record

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// FieldError says which field of a record payload is wrong and why. Field is a
// dotted path such as "policies.shopify.protected_store_keys[2]"; it is empty
// when the payload as a whole is unusable (not JSON, not an object).
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return "field " + e.Field + ": " + e.Msg
}

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		return "number"
	case []any:
		return "array"
	case *Object:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// checkKeys enforces Pydantic's extra="forbid": every key must be known.
func checkKeys(obj *Object, prefix string, allowed []string) *FieldError {
	for _, k := range obj.Keys {
		if !contains(allowed, k) {
			return fieldErr(join(prefix, k), "unknown key (allowed: %s)", strings.Join(allowed, ", "))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func asObject(v any, field string) (*Object, *FieldError) {
	o, ok := v.(*Object)
	if !ok {
		return nil, fieldErr(field, "expected an object, got %s", typeName(v))
	}
	return o, nil
}

// str reads a string field; Pydantic does not coerce numbers to strings.
func str(obj *Object, prefix, key string, required bool, def string) (string, *FieldError) {
	v, ok := obj.Get(key)
	if !ok {
		if required {
			return "", fieldErr(join(prefix, key), "required field is missing")
		}
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fieldErr(join(prefix, key), "expected a string, got %s", typeName(v))
	}
	return s, nil
}

// integer reads an int the way Pydantic's lax mode does: JSON integers,
// booleans, floats with no fractional part and decimal strings.
func integer(v any, field string) (int64, *FieldError) {
	switch t := v.(type) {
	case int64:
		return t, nil
	case int:
		return int64(t), nil
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	case json.Number:
		if i, err := strconv.ParseInt(t.String(), 10, 64); err == nil {
			return i, nil
		}
		f, err := strconv.ParseFloat(t.String(), 64)
		if err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		return 0, fieldErr(field, "expected an integer, got %s", t.String())
	case string:
		i, ok := intString(t)
		if !ok {
			return 0, fieldErr(field, "expected an integer, got string %q", t)
		}
		return i, nil
	}
	return 0, fieldErr(field, "expected an integer, got %s", typeName(v))
}

// intString parses a string as Pydantic's lax int does: surrounding
// whitespace is ignored, an optional sign, ASCII digits with single
// underscores between them, and an optional "." followed only by zeros.
func intString(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		frac := s[dot+1:]
		if frac == "" || strings.Trim(frac, "0") != "" {
			return 0, false
		}
		s = s[:dot]
	}
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '_' {
			return 0, false
		}
	}
	i, err := strconv.ParseInt(sign+strings.ReplaceAll(s, "_", ""), 10, 64)
	return i, err == nil
}

// optInt reads an optional integer >= min; present-but-null is allowed when
// nullable. It returns the normalised value to store (int64 or nil).
func optInt(obj *Object, prefix, key string, min int64, nullable bool) (any, bool, *FieldError) {
	v, ok := obj.Get(key)
	if !ok {
		return nil, false, nil
	}
	if v == nil {
		if nullable {
			return nil, true, nil
		}
		return nil, true, fieldErr(join(prefix, key), "expected an integer, got null")
	}
	i, err := integer(v, join(prefix, key))
	if err != nil {
		return nil, true, err
	}
	if i < min {
		return nil, true, fieldErr(join(prefix, key), "must be >= %d, got %d", min, i)
	}
	return i, true, nil
}

var pyTrue = []string{"1", "on", "t", "true", "y", "yes"}
var pyFalse = []string{"0", "off", "f", "false", "n", "no"}

// boolean reads a bool the way Pydantic's lax mode does.
func boolean(v any, field string) (bool, *FieldError) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case json.Number:
		// 0 and 1 in any JSON spelling (0.0, 1e0, -0): Pydantic compares
		// the number's value.
		if f, err := strconv.ParseFloat(t.String(), 64); err == nil {
			switch f {
			case 0:
				return false, nil
			case 1:
				return true, nil
			}
		}
	case string:
		// Pydantic lower-cases but does not strip: " true " is refused.
		l := strings.ToLower(t)
		if contains(pyTrue, l) {
			return true, nil
		}
		if contains(pyFalse, l) {
			return false, nil
		}
	}
	return false, fieldErr(field, "expected a boolean, got %s", typeName(v))
}

func optBool(obj *Object, prefix, key string, nullable bool) (any, bool, *FieldError) {
	v, ok := obj.Get(key)
	if !ok {
		return nil, false, nil
	}
	if v == nil {
		if nullable {
			return nil, true, nil
		}
		return nil, true, fieldErr(join(prefix, key), "expected a boolean, got null")
	}
	b, err := boolean(v, join(prefix, key))
	if err != nil {
		return nil, true, err
	}
	return b, true, nil
}

func strList(v any, field string) ([]string, *FieldError) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fieldErr(field, "expected an array of strings, got %s", typeName(v))
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, fieldErr(fmt.Sprintf("%s[%d]", field, i), "expected a string, got %s", typeName(e))
		}
		out[i] = s
	}
	return out, nil
}

func strMap(v any, field string) (map[string]string, *FieldError) {
	obj, ok := v.(*Object)
	if !ok {
		return nil, fieldErr(field, "expected an object of strings, got %s", typeName(v))
	}
	out := make(map[string]string, len(obj.Keys))
	for _, k := range obj.Keys {
		s, ok := obj.Values[k].(string)
		if !ok {
			return nil, fieldErr(field+"."+k, "expected a string, got %s", typeName(obj.Values[k]))
		}
		out[k] = s
	}
	return out, nil
}

func strListAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

func strMapObject(m map[string]string) *Object {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := NewObject()
	for _, k := range keys {
		o.Set(k, m[k])
	}
	return o
}
