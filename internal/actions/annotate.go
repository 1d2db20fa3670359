package actions

import (
	"fmt"
	"strconv"
	"strings"

	githubactions "github.com/sethvargo/go-githubactions"
)

// Annotation levels accepted by Annotate.
const (
	LevelError   = "error"
	LevelWarning = "warning"
	LevelNotice  = "notice"
)

// MaxAnnotationsPerLevel is how many annotations of one level Annotate emits
// per process before it collapses the rest into a single "and N more" line.
// GitHub displays at most 10 annotations per level and step; 9 plus the
// overflow line stays within that.
const MaxAnnotationsPerLevel = 9

// Annotation is one GitHub annotation. Level is error, warning or notice
// (case-insensitive; anything else is treated as warning). Line and Col are
// 1-based; zero means "not given". Col is only sent together with a Line.
type Annotation struct {
	Level   string
	Title   string
	Message string
	File    string
	Line    int
	Col     int
}

// Annotate emits annotations as workflow commands (in Actions only; outside
// it is silent). Titles and messages are redacted. Across the lifetime of
// the Runtime at most MaxAnnotationsPerLevel annotations are emitted per
// level; the first call that runs past the cap emits one extra annotation of
// that level saying how many were left out in that call. Annotations beyond
// that are dropped: GitHub would not display them, and they are in the
// report anyway.
//
// more, when given, counts further annotations of the last annotation's level
// that the caller did not build (a fleet can have thousands of blocked
// lanes); they count as left out.
func (r *Runtime) Annotate(as []Annotation, more ...int) {
	if !r.inActions || len(as) == 0 {
		return
	}

	r.mu.Lock()
	defer r.mu.Unlock()

	var cmds []*githubactions.Command
	dropped := map[string]int{}
	var order []string // levels in order of first overflow, for stable output
	for _, a := range as {
		level := normalizeLevel(a.Level)
		if r.annotated[level] >= MaxAnnotationsPerLevel {
			if dropped[level] == 0 {
				order = append(order, level)
			}
			dropped[level]++
			continue
		}
		r.annotated[level]++

		props := githubactions.CommandProperties{}
		if a.File != "" {
			props["file"] = a.File
		}
		if a.Line > 0 {
			props["line"] = strconv.Itoa(a.Line)
			if a.Col > 0 {
				props["col"] = strconv.Itoa(a.Col)
			}
		}
		if t := breakLegacyCommand(r.redactLocked(a.Title)); t != "" {
			props["title"] = t
		}
		cmds = append(cmds, &githubactions.Command{
			Name:       level,
			Message:    breakLegacyCommand(r.redactLocked(a.Message)),
			Properties: props,
		})
	}
	if len(more) > 0 && more[0] > 0 {
		level := normalizeLevel(as[len(as)-1].Level)
		if dropped[level] == 0 {
			order = append(order, level)
		}
		dropped[level] += more[0]
	}
	for _, level := range order {
		if r.overflowed[level] {
			continue
		}
		r.overflowed[level] = true
		n := dropped[level]
		cmds = append(cmds, &githubactions.Command{
			Name: level,
			Message: fmt.Sprintf("and %d more %s not shown: GitHub displays at most 10 %s annotations per step; see the lanegate report for all of them",
				n, plural(level, n), level),
			Properties: githubactions.CommandProperties{"title": "lanegate"},
		})
	}

	for _, c := range cmds {
		r.gha.IssueCommand(c)
	}
}

// breakLegacyCommand breaks every "##[" in s with a zero-width space. The
// runner also parses the legacy "##[name]data" form anywhere in a line; the
// annotation line itself parses as a "::" command first, but a record value
// quoted in an annotation should not depend on that order. (Newlines, '%',
// and in properties ':' and ',', are escaped by go-githubactions.)
func breakLegacyCommand(s string) string {
	return strings.ReplaceAll(s, "##[", "##\u200b[")
}

func normalizeLevel(level string) string {
	switch l := strings.ToLower(strings.TrimSpace(level)); l {
	case LevelError, LevelWarning, LevelNotice:
		return l
	default:
		return LevelWarning
	}
}

func plural(level string, n int) string {
	if n == 1 {
		return level
	}
	return level + "s"
}
