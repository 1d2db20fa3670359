package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Kind names what a command reports. A command checks its --format against
// its kind before it reads anything, so a bad flag fails before any store is
// opened; the doc it renders later has the same kind.
type Kind string

// The kinds of report lanegate renders.
const (
	KindAudit     Kind = "audit"     // audit and merge: AuditDoc
	KindBackfill  Kind = "backfill"  // BackfillDoc
	KindGate      Kind = "gate"      // GateDoc
	KindEvidence  Kind = "evidence"  // EvidenceRecordDoc, EvidenceProbeDoc, EvidenceListDoc
	KindPreflight Kind = "preflight" // PreflightDoc
)

// Doc is one report value a command renders in the format its --format
// names. The doc types are in format_docs.go.
type Doc interface {
	Kind() Kind
}

// Format is one value of --format: the kinds of report it renders and its
// renderer. Render is called only with a doc of one of Kinds.
type Format struct {
	Name   string
	Kinds  []Kind
	Render func(w io.Writer, doc Doc) error
}

func (f Format) renders(k Kind) bool { return slices.Contains(f.Kinds, k) }

// formats is the registry of output formats, in the order usage messages
// list them. A new format is one renderer file (format_NAME.go) and one line
// here; no command changes.
var formats = []Format{
	tableFormat,
	jsonFormat,
	markdownFormat,
}

// Formats returns the names of the formats a kind of report can be rendered
// in, in registry order.
func Formats(kind Kind) []string {
	var names []string
	for _, f := range formats {
		if f.renders(kind) {
			names = append(names, f.Name)
		}
	}
	return names
}

// CheckFormat returns nil when a report of this kind can be rendered in the
// named format, and otherwise the usage message naming the formats it can:
// `--format "x": want table, json or markdown`.
func CheckFormat(kind Kind, name string) error {
	names := Formats(kind)
	if slices.Contains(names, name) {
		return nil
	}
	return fmt.Errorf("--format %q: want %s", name, orList(names))
}

// Render writes doc to w in the named format. A format that cannot render
// the doc's kind is an error (CheckFormat refuses it first).
func Render(w io.Writer, name string, doc Doc) error {
	for _, f := range formats {
		if f.Name != name {
			continue
		}
		if !f.renders(doc.Kind()) {
			return fmt.Errorf("format %s cannot render a %s report", name, doc.Kind())
		}
		return f.Render(w, doc)
	}
	return fmt.Errorf("unknown format %q", name)
}

// unsupported is what a renderer returns for a doc type it does not know:
// a doc whose Kind claims a format that has no rendering for it.
func unsupported(format string, doc Doc) error {
	return fmt.Errorf("format %s has no rendering for %T", format, doc)
}

// orList joins names as "a", "a or b", "a, b or c".
func orList(names []string) string {
	switch len(names) {
	case 0:
		return "nothing"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
