package cli

import (
	"bytes"
	"io"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The GitHub Actions runner reads a step's stdout and stderr line by line
// (a line ends at \n or \r) and runs two kinds of line as workflow commands:
//
//   - a line that starts with "::" once leading whitespace is trimmed
//     (ActionCommand.TryParseV2: message.TrimStart().StartsWith("::"));
//   - a line that contains "##[" anywhere (the legacy ActionCommand.TryParse
//     form, still tried when the first one fails).
//
// Record contents, file names and other untrusted values reach both streams
// (the terminal table, error messages), so in action mode every byte lanegate
// prints goes through a cmdEscapeWriter, which breaks both forms by
// inserting a zero-width space (U+200B):
//
//	"::warning title=X::y"  ->  ":\u200b:warning title=X::y"
//	"see ##[error]x"        ->  "see ##\u200b[error]x"
//
// A human still reads the same text, JSON and Markdown stay valid, and the
// runner sees neither "::" at the start nor "##[". lanegate's own workflow
// commands (::add-mask::, ::group::, annotations) are written by the actions
// Runtime to the raw stream and never pass through this writer.
const cmdBreak = "\u200b"

// maxHeldLine bounds how many bytes of leading whitespace the writer keeps
// back while it waits to see how a line starts. Past it, the line is broken
// pre-emptively, which is always safe.
const maxHeldLine = 64 << 10

// cmdEscapeWriter neutralises workflow commands in a stream (see cmdBreak).
// It keeps back only the bytes it cannot decide on yet: a line's leading
// whitespace and a first ':', a trailing "#" or "##", or an incomplete UTF-8
// sequence. Flush writes them out.
type cmdEscapeWriter struct {
	mu      sync.Mutex
	w       io.Writer
	midLine bool   // the current line's start is already decided and written
	held    []byte // undecided bytes, written on the next Write or Flush
}

func newCmdEscapeWriter(w io.Writer) *cmdEscapeWriter { return &cmdEscapeWriter{w: w} }

func (c *cmdEscapeWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	buf := append(c.held, p...)
	c.held = nil
	out := make([]byte, 0, len(buf)+8)
	for len(buf) > 0 {
		end := bytes.IndexAny(buf, "\r\n")
		if end < 0 {
			var keep []byte
			out, keep = c.escapeTail(out, buf)
			c.held = append([]byte(nil), keep...)
			break
		}
		out = c.escapeLine(out, buf[:end], true)
		out = append(out, buf[end])
		c.midLine = false
		buf = buf[end+1:]
	}
	if _, err := c.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes whatever is held back, escaped as if the line ended there.
func (c *cmdEscapeWriter) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.held) == 0 {
		return nil
	}
	// Not settled: should more bytes follow on the same line, a line start
	// left open must not be completable into "::".
	out := c.escapeLine(nil, c.held, false)
	c.held = nil
	c.midLine = true
	_, err := c.w.Write(out)
	return err
}

// escapeTail escapes the unterminated end of the input and returns what it
// must keep back until more bytes arrive.
func (c *cmdEscapeWriter) escapeTail(out, seg []byte) ([]byte, []byte) {
	if !c.midLine {
		rest := seg[leadingSpace(seg):]
		undecided := len(rest) == 0 || (len(rest) == 1 && rest[0] == ':') || !utf8.FullRune(rest)
		if undecided && len(seg) < maxHeldLine {
			return out, seg
		}
	}
	// Keep back what could still become "##[", or a rune cut short (which
	// could be a line break or white space).
	keep, hashes := partialRune(seg), false
	switch {
	case bytes.HasSuffix(seg, []byte("##")):
		keep, hashes = 2, true
	case bytes.HasSuffix(seg, []byte("#")):
		keep, hashes = 1, true
	}
	// A held '#' settles the line start (no "::" can follow it); anything
	// else held at a line start that is still open gets a break first.
	out = c.escapeLine(out, seg[:len(seg)-keep], hashes)
	c.midLine = true
	return out, seg[len(seg)-keep:]
}

// escapeLine appends seg (no line break inside) with both command forms
// broken. A segment that starts a line has its leading "::" broken; when
// settled is false and the line start is still undecided (seg is white space
// and at most one more byte), a break is appended so whatever follows cannot
// complete a "::".
func (c *cmdEscapeWriter) escapeLine(out, seg []byte, settled bool) []byte {
	if !c.midLine {
		k := leadingSpace(seg)
		rest := seg[k:]
		switch {
		case bytes.HasPrefix(rest, []byte("::")):
			out = append(out, seg[:k+1]...)
			out = append(out, cmdBreak...)
			seg = seg[k+1:]
		case !settled && len(rest) <= 1:
			out = append(out, seg...)
			return append(out, cmdBreak...)
		}
	}
	for {
		i := bytes.Index(seg, []byte("##["))
		if i < 0 {
			return append(out, seg...)
		}
		out = append(out, seg[:i+2]...)
		out = append(out, cmdBreak...)
		seg = seg[i+2:]
	}
}

// leadingSpace returns the length of b's leading run of runes the runner
// could trim, counted generously: Unicode white space, control characters
// and invisible format characters (anything .NET's TrimStart might drop).
func leadingSpace(b []byte) int {
	n := 0
	for n < len(b) {
		r, size := utf8.DecodeRune(b[n:])
		if r == utf8.RuneError && size <= 1 {
			return n
		}
		if !unicode.IsSpace(r) && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Zs, r) {
			return n
		}
		n += size
	}
	return n
}

// partialRune returns how many trailing bytes of b form the start of a
// multi-byte UTF-8 sequence that is not complete yet.
func partialRune(b []byte) int {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return 0
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(b[len(b)-i:]) {
				return 0
			}
			return i
		}
	}
	return 0
}
