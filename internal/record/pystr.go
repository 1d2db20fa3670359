package record

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

// PyLower mirrors Python's str.lower(). The only unconditional full-case
// lowering that differs from Go's simple mapping is U+0130 (capital I with dot
// above), which Python lowers to "i" followed by U+0307.
func PyLower(s string) string {
	if !strings.ContainsRune(s, '\u0130') {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\u0130' {
			b.WriteString("i\u0307")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
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
		r, size := utf8.DecodeRuneInString(s[i:])
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
