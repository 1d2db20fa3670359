package pyjson

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Launchplane is written in Python, so its normalisation uses Python's
// str.strip(), str.lower() and repr(). Go's equivalents differ in small ways
// that would change verdicts on odd data; these helpers close the gap.

// isPySpace reports whether Python's str.isspace() is true for r. Python also
// treats the ASCII information separators U+001C..U+001F as whitespace; Go's
// unicode.IsSpace does not.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// PyStrip mirrors Python's str.strip() with no arguments.
func PyStrip(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

// PyLower mirrors Python's str.lower(). Two things differ from Go's simple
// per-rune mapping: U+0130 (capital I with dot above) lowers to "i" followed
// by U+0307, and U+03A3 (capital sigma) lowers to the final form U+03C2 when
// it ends a word (Unicode's Final_Sigma context, which Python applies).
//
// A lone surrogate (wtf8.go) is kept as it is: it has no case, and Go's
// strings.ToLower would turn its bytes into U+FFFD.
func PyLower(s string) string {
	if !strings.ContainsRune(s, '\u0130') && !strings.ContainsRune(s, '\u03a3') && !hasSurrogate(s) {
		return strings.ToLower(s)
	}
	rs := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, size := decodeRune(s[i:])
		rs = append(rs, r)
		i += size
	}
	b := make([]byte, 0, len(s))
	for i, r := range rs {
		switch r {
		case '\u0130':
			b = append(b, "i\u0307"...)
		case '\u03a3':
			if finalSigma(rs, i) {
				b = utf8.AppendRune(b, '\u03c2')
			} else {
				b = utf8.AppendRune(b, '\u03c3')
			}
		default:
			b = appendRune(b, unicode.ToLower(r))
		}
	}
	return string(b)
}

// finalSigma reports whether rs[i] is in the Final_Sigma context: preceded by
// a cased letter and not followed by one (case-ignorable runes are skipped
// on both sides).
func finalSigma(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && isCaseIgnorable(rs[j]) {
		j--
	}
	if j < 0 || !isCased(rs[j]) {
		return false
	}
	j = i + 1
	for j < len(rs) && isCaseIgnorable(rs[j]) {
		j++
	}
	return j == len(rs) || !isCased(rs[j])
}

// isCased is Unicode's Cased property.
func isCased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// isCaseIgnorable is Unicode's Case_Ignorable property: marks, format
// characters, modifiers, and the Word_Break MidLetter, MidNumLet and
// Single_Quote characters.
func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '\u00b7', '\u0387', '\u055f', '\u05f4', '\u2018', '\u2019', '\u2024',
		'\u2027', '\ufe13', '\ufe52', '\ufe55', '\uff07', '\uff0e', '\uff1a':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// PyRepr mirrors Python's repr() of a str, which Launchplane embeds in
// mismatch details ("target_id physical='a' projected='b'").
func PyRepr(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := decodeRune(s[i:]) // a lone surrogate shows as \udXXX, as in Python
		if r == utf8.RuneError && size == 1 {
			// Invalid UTF-8 cannot come from Python; show the byte escaped.
			b.WriteString(`\x`)
			b.WriteString(hex2(int(s[i])))
			i++
			continue
		}
		i += size
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(int(r)))
		case r < 0x80 || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			b.WriteString(`\x`)
			b.WriteString(hex2(int(r)))
		case r <= 0xffff:
			b.WriteString(`\u`)
			b.WriteString(padHex(int(r), 4))
		default:
			b.WriteString(`\U`)
			b.WriteString(padHex(int(r), 8))
		}
	}
	b.WriteByte(quote)
	return b.String()
}

func hex2(v int) string { return padHex(v, 2) }

func padHex(v, width int) string {
	h := strconv.FormatInt(int64(v), 16)
	for len(h) < width {
		h = "0" + h
	}
	return h
}
