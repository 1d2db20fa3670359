package report

import "io"

// markdownFormat is --format markdown: the GitHub-flavoured report the job
// summary and the comments carry.
var markdownFormat = Format{
	Name:   "markdown",
	Kinds:  []Kind{KindAudit, KindBackfill, KindGate},
	Render: renderMarkdown,
}

func renderMarkdown(w io.Writer, doc Doc) error {
	switch d := doc.(type) {
	case AuditDoc:
		return d.Builder.WriteMarkdown(w, d.Header, MarkdownOptions{ReportPath: d.ReportPath})
	case BackfillDoc:
		return d.Backfill.WriteMarkdown(w, d.Budget)
	case GateDoc:
		_, err := io.WriteString(w, GateMarkdown(d.Result, d.RunURL, d.HeadSHA, d.Limit))
		return err
	}
	return unsupported("markdown", doc)
}
