package pyjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf16"
)

// EncodePython writes v exactly as Python's
// json.dumps(v, indent=2, sort_keys=True) does with its defaults
// (ensure_ascii=True), which is how Launchplane writes state files. No
// trailing newline is added.
func EncodePython(v any) []byte {
	var b bytes.Buffer
	encodePy(&b, v, 0)
	return b.Bytes()
}

func encodePy(b *bytes.Buffer, v any, indent int) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		WritePyString(b, t)
	case json.Number:
		b.WriteString(t.String())
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case int:
		b.WriteString(strconv.Itoa(t))
	case []any:
		if len(t) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[")
		for i, e := range t {
			if i > 0 {
				b.WriteString(",")
			}
			newline(b, indent+1)
			encodePy(b, e, indent+1)
		}
		newline(b, indent)
		b.WriteString("]")
	case []string:
		arr := make([]any, len(t))
		for i, s := range t {
			arr[i] = s
		}
		encodePy(b, arr, indent)
	case map[string]string:
		obj := NewObject()
		for k, s := range t {
			obj.Set(k, s)
		}
		encodePy(b, obj, indent)
	case *Object:
		if len(t.Keys) == 0 {
			b.WriteString("{}")
			return
		}
		keys := append([]string(nil), t.Keys...)
		sort.Strings(keys) // byte order == code-point order == Python's sort
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			newline(b, indent+1)
			WritePyString(b, k)
			b.WriteString(": ")
			encodePy(b, t.Values[k], indent+1)
		}
		newline(b, indent)
		b.WriteString("}")
	default:
		panic(fmt.Sprintf("pyjson: cannot encode %T", v))
	}
}

const indentSpaces = "                                "

func newline(b *bytes.Buffer, indent int) {
	b.WriteByte('\n')
	for n := 2 * indent; n > 0; n -= len(indentSpaces) {
		b.WriteString(indentSpaces[:min(n, len(indentSpaces))])
	}
}

// writePyString follows Python's ASCII-only JSON escaping: everything outside
// printable ASCII becomes \uXXXX (with surrogate pairs above U+FFFF, and a
// lone surrogate as its own \udXXX).
func WritePyString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	// Most strings are printable ASCII without quotes or backslashes and
	// are written as they are.
	plain := 0
	for plain < len(s) && s[plain] >= 0x20 && s[plain] <= 0x7e && s[plain] != '"' && s[plain] != '\\' {
		plain++
	}
	b.WriteString(s[:plain])
	for i := plain; i < len(s); {
		r, size := decodeRune(s[i:])
		i += size
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r >= 0x20 && r <= 0x7e:
				b.WriteRune(r)
			case r > 0xffff:
				r1, r2 := utf16.EncodeRune(r)
				b.WriteString(`\u` + padHex(int(r1), 4) + `\u` + padHex(int(r2), 4))
			default:
				b.WriteString(`\u` + padHex(int(r), 4))
			}
		}
	}
	b.WriteByte('"')
}

// PyString returns s as WritePyString writes it.
func PyString(s string) []byte {
	var b bytes.Buffer
	WritePyString(&b, s)
	return b.Bytes()
}
