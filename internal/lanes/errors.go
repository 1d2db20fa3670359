package lanes

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one validation problem in a lanes file.
//
// Line and Column are 1-based. Line 0 marks a whole-file error (empty file,
// a YAML error for which the YAML library gave no line, ...); Column 0 with
// Line > 0 means only the line is known (YAML syntax errors).
type Error struct {
	File         string
	Line, Column int
	Path         string // key path such as "lanes[2].wave"; empty for the document itself
	Msg          string
}

// Error formats the error as "file:line:col: path: msg", leaving out the
// parts that are unknown (":col" when Column is 0, ":line:col" when Line is
// 0, "path: " when Path is empty).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file, sorted by line then column
// (problems at the same position keep the order they were found in).
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the individual *Error values.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Column < es[j].Column
	})
}

// ReadError reports that the lanes file could not be read at all, as
// opposed to being read and found invalid (Errors). Callers use the
// distinction to pick an exit code.
type ReadError struct {
	Path string
	Err  error
}

func (e *ReadError) Error() string { return "reading lanes file: " + e.Err.Error() }

func (e *ReadError) Unwrap() error { return e.Err }
