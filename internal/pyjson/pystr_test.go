package pyjson

import "testing"

// Expected values in this file were printed once by Python 3.11
// (str.strip(), str.lower(), repr()) and are embedded here.

func TestPyStrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  syo  ", "syo"},
		{"\t\n\u000b\u000c\r x \r\n", "x"},
		// Python treats the ASCII information separators as whitespace;
		// Go's unicode.IsSpace does not.
		{"\u001c\u001d\u001e\u001fx\u001f", "x"},
		{"\u001cctx", "ctx"},
		{"\u00a0nbsp\u00a0", "nbsp"},
		{"\u2003em\u3000", "em"},
		{"\u0085nel\u2028\u2029", "nel"},
		{"\u1680ogham\u205f", "ogham"},
		// Not whitespace for Python: zero-width space, BOM, Mongolian vowel
		// separator.
		{"\u200bzw\u200b", "\u200bzw\u200b"},
		{"\ufeffbom\ufeff", "\ufeffbom\ufeff"},
		{"\u180emvs", "\u180emvs"},
		{"", ""},
		{"   ", ""},
		{"\u001f\u00a0 ", ""},
		{"a b", "a b"},
		{" in side ", "in side"},
	}
	for _, tt := range tests {
		if got := PyStrip(tt.in); got != tt.want {
			t.Errorf("PyStrip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPyLower(t *testing.T) {
	tests := []struct{ in, want string }{
		{"DOKPLOY", "dokploy"},
		{"Dokploy-App_1", "dokploy-app_1"},
		// U+0130 lowers to two runes in Python.
		{"ProdİX", "prodi\u0307x"},
		{"İ", "i\u0307"},
		// Python applies Unicode's Final_Sigma context.
		{"ΟΔΟΣ", "οδος"},
		{"ΟΔΟΣ ΣΟΦΙΑ", "οδος σοφια"},
		{"Σ", "σ"},
		{"ΑΣ.", "ας."},
		{"Α'Σ", "α'ς"},
		{"ΑΣΑ", "ασα"},
		{"ΑΣ\u0301", "ας\u0301"},
		{"ΑΣ\u0301Α", "ασ\u0301α"},
		{"İΣ", "i\u0307ς"},
		{"ÀÉÎ", "àéî"},
		{"ǅ", "ǆ"},
		{"ẞ", "ß"},
		{"ß", "ß"},
		{"K\u212a", "kk"},
		{"Ω", "ω"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := PyLower(tt.in); got != tt.want {
			t.Errorf("PyLower(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPyRepr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"app-syo-prod", "'app-syo-prod'"},
		{"", "''"},
		// Quote choice: double quotes only when the text has a single quote
		// and no double quote.
		{"it's", `"it's"`},
		{"'", `"'"`},
		{`"`, `'"'`},
		{`say "hi"`, `'say "hi"'`},
		{`both ' and "`, `'both \' and "'`},
		{`\'`, `"\\'"`},
		{`back\slash`, `'back\\slash'`},
		{"tab\there\nnl\rcr", `'tab\there\nnl\rcr'`},
		{"\u0000\u0007\u001b\u007f", `'\x00\x07\x1b\x7f'`},
		{"\u001f", `'\x1f'`},
		{"\u0080\u009f\u00a0\u00ad", `'\x80\x9f\xa0\xad'`},
		// Printable non-ASCII is kept as is.
		{"café ü", "'café ü'"},
		{"日本語", "'日本語'"},
		{"😀", "'😀'"},
		{"a\u0300", "'a\u0300'"},
		{"ÿĀ", "'ÿĀ'"},
		{"\ufffd", "'\ufffd'"},
		// Non-printable non-ASCII is escaped by size.
		{"\u200b\u2028\ufeff", `'\u200b\u2028\ufeff'`},
		{"\u3000x", `'\u3000x'`},
		{"\ue000", `'\ue000'`},
		{"\U000e0001", `'\U000e0001'`},
		{"\U0010ffff", `'\U0010ffff'`},
	}
	for _, tt := range tests {
		if got := PyRepr(tt.in); got != tt.want {
			t.Errorf("PyRepr(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestPyReprInvalidUTF8(t *testing.T) {
	// Python strings cannot hold invalid UTF-8; lanegate shows the byte.
	if got, want := PyRepr("a\xffb"), `'a\xffb'`; got != want {
		t.Errorf("PyRepr = %s, want %s", got, want)
	}
}
