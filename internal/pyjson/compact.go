package pyjson

import (
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string exactly as encoding/json does
// with HTML escaping off, except that a lone surrogate decoded from a JSON
// escape (see wtf8.go) is written as that escape again. Reports are written
// through it because reflection dominated the cost of large audits.
//
// Measured (bench_test.go) on a display_name_mismatch finding with both
// records, the largest spool line: 2.9 µs and no allocation through the
// AppendJSON methods built on this; encoding/json by reflection 4.9 µs
// (1.7×), encoding/json/v2 Marshal 7.2 µs (2.5×), jsontext tokens 12 µs
// (4.2×) (minimum of 3-5 runs at a load of 12-18 on the shared 2-core
// machine). Neither library writes a lone surrogate as Python does
// (encoding/json writes U+FFFD; v2 refuses the string as invalid UTF-8).
// Reproduce with
//
//	GOEXPERIMENT=jsonv2 go test ./internal/pyjson -run '^$' -bench AppendFinding -benchmem -count 5
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		if r, ok := surrogateAt(s[i:]); ok {
			// A lone surrogate from a JSON escape: written back as that
			// escape, as Python's json.dumps does (encoding/json would
			// write three U+FFFD).
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
			i += 3
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
