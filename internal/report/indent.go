package report

import "github.com/lanegate/lanegate/internal/pyjson"

// appendIndent re-indents one compact JSON value that lanegate itself wrote,
// exactly as json.Indent(dst, src, prefix, indent) would (pyjson.AppendIndent).
func appendIndent(dst, src []byte, prefix, indent string) []byte {
	return pyjson.AppendIndent(dst, src, prefix, indent)
}
