package pyjson

// AppendIndent appends src, one compact JSON value that lanegate itself
// wrote, re-indented exactly as json.Indent(dst, src, prefix, indent) would.
// json.Indent re-validates every byte with its scanner, which cost seconds on
// a million-route report; this only tracks strings and nesting. Its output is
// only defined for valid, compact JSON (no insignificant whitespace), which is
// all the spools ever hold; a fuzz test holds it to json.Indent.
//
// Measured (bench_test.go) on a spooled finding: 4.5 µs and no allocation;
// go1.26's json.Indent 21 µs (4.7×; 4.7 µs under GOEXPERIMENT=jsonv2, where
// encoding/json runs on v2's code); jsontext.AppendFormat 6.4 µs (1.4×),
// which lanegate could only use under GOEXPERIMENT=jsonv2 or through a new
// module (minimum of 3-5 runs at a load of 12-18 on the shared 2-core
// machine). Reproduce with
//
//	GOEXPERIMENT=jsonv2 go test ./internal/pyjson -run '^$' -bench Indent -benchmem -count 5
func AppendIndent(dst, src []byte, prefix, indent string) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for i := 0; i < depth; i++ {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// Copy the whole string; a backslash always escapes the next byte.
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				j = len(src) - 1
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
