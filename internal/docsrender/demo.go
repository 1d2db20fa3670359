package docsrender

import (
	"bytes"
	"errors"
	"strings"
)

// The README embeds the evidence-comment demo between these markers, and
// internal/report's TestREADMEDemo pins that block to the renderer's output
// for its demo fixture, so the block is the comment exactly as rendered.
const (
	demoBeginPrefix = "<!-- demo:begin"
	demoEnd         = "<!-- demo:end -->"
)

// DemoComment returns the evidence comment shown in the README's demo block,
// with the headings moved back up the two levels the README adds so they
// nest under its "### Demo" heading: the result is the comment body as it is
// posted on a pull request.
func DemoComment(readme []byte) ([]byte, error) {
	s := string(readme)
	i := strings.Index(s, demoBeginPrefix)
	if i < 0 {
		return nil, errors.New("docsrender: README has no \"" + demoBeginPrefix + "\" marker")
	}
	nl := strings.IndexByte(s[i:], '\n')
	if nl < 0 {
		return nil, errors.New("docsrender: README demo begin marker is the last line")
	}
	start := i + nl + 1
	j := strings.Index(s[start:], demoEnd)
	if j < 0 {
		return nil, errors.New("docsrender: README has no \"" + demoEnd + "\" after the demo begin marker")
	}
	block := strings.TrimSpace(s[start : start+j])
	if block == "" {
		return nil, errors.New("docsrender: README demo block is empty")
	}
	var b bytes.Buffer
	fence := false
	for _, line := range strings.SplitAfter(block+"\n", "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(line, "###") {
			line = line[2:]
		}
		b.WriteString(line)
	}
	return b.Bytes(), nil
}
