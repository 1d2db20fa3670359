package pyjson

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Python's json.loads keeps a lone surrogate escape ("\ud800") as that code
// point, and Launchplane compares, sorts and dumps it like any other. Go
// strings cannot hold a surrogate as valid UTF-8, so decoded strings carry
// one as its generalized UTF-8 (WTF-8) bytes ED A0 80..ED BF BF: distinct
// from U+FFFD and from each other, and in the same byte order as Python's
// code-point order. Raw input bytes are still required to be valid UTF-8,
// so these sequences only ever come from escapes.

// appendSurrogate appends the 3-byte WTF-8 encoding of surrogate r.
func appendSurrogate(dst []byte, r rune) []byte {
	return append(dst, 0xed, byte(0x80|(r>>6)&0x3f), byte(0x80|r&0x3f))
}

// surrogateAt returns the surrogate encoded at the start of s, if any.
func surrogateAt(s string) (rune, bool) {
	if len(s) < 3 || s[0] != 0xed || s[1] < 0xa0 || s[1] > 0xbf || s[2] < 0x80 || s[2] > 0xbf {
		return 0, false
	}
	return 0xd000 | rune(s[1]&0x3f)<<6 | rune(s[2]&0x3f), true
}

// decodeRune is utf8.DecodeRuneInString that also decodes a WTF-8
// surrogate (size 3).
func decodeRune(s string) (rune, int) {
	if r, ok := surrogateAt(s); ok {
		return r, 3
	}
	return utf8.DecodeRuneInString(s)
}

// appendRune is utf8.AppendRune that keeps a surrogate as WTF-8.
func appendRune(dst []byte, r rune) []byte {
	if r >= 0xd800 && r <= 0xdfff {
		return appendSurrogate(dst, r)
	}
	return utf8.AppendRune(dst, r)
}

// hasSurrogate reports whether s holds a WTF-8 surrogate.
func hasSurrogate(s string) bool {
	for {
		i := strings.IndexByte(s, 0xed)
		if i < 0 {
			return false
		}
		if _, ok := surrogateAt(s[i:]); ok {
			return true
		}
		s = s[i+1:]
	}
}

// FindLoneSurrogate returns the path (keys and indexes joined by ".") of
// the first string in a payload tree that holds a lone surrogate: Postgres
// can store neither the escape (jsonb) nor its bytes (text).
func FindLoneSurrogate(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return "", hasSurrogate(t)
	case []any:
		for i, e := range t {
			if p, ok := FindLoneSurrogate(e); ok {
				return joinPath(strconv.Itoa(i), p), true
			}
		}
	case *Object:
		for _, k := range t.Keys {
			if hasSurrogate(k) {
				return PyRepr(k), true
			}
			if p, ok := FindLoneSurrogate(t.Values[k]); ok {
				return joinPath(k, p), true
			}
		}
	}
	return "", false
}

func joinPath(a, b string) string {
	if b == "" {
		return a
	}
	return a + "." + b
}
