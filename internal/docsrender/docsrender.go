// Package docsrender turns the Markdown lanegate writes for GitHub (PR
// comments, job summaries) into a standalone HTML page that looks roughly
// like GitHub's rendering, so the docs can carry screenshots of what
// operators see. It is a documentation tool only: the lanegate binary must
// not import it (goldmark stays out of the shipped dependency graph).
package docsrender

import (
	"bytes"
	"fmt"
	"html"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// MermaidCaption labels a Mermaid block: no JavaScript runs in the offline
// screenshot, so the diagram source is shown the way a reader without
// Mermaid support would see it, and the caption says GitHub draws it.
const MermaidCaption = "Mermaid diagram (rendered by GitHub)"

// Markdown converts GitHub-flavoured Markdown to an HTML fragment. Raw HTML
// (<br>, <sub>, <details>) is passed through as GitHub does: the input is
// lanegate's own output, not untrusted text.
func Markdown(src []byte) ([]byte, error) {
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithRendererOptions(
			gmhtml.WithUnsafe(),
			renderer.WithNodeRenderers(util.Prioritized(fencedRenderer{}, 100)),
		),
	)
	var out bytes.Buffer
	if err := md.Convert(src, &out); err != nil {
		return nil, fmt.Errorf("docsrender: convert Markdown: %w", err)
	}
	return out.Bytes(), nil
}

// Page wraps the rendered Markdown in a complete HTML document with the
// stylesheet below.
func Page(title string, src []byte) ([]byte, error) {
	body, err := Markdown(src)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n<main class=\"markdown-body\">\n", html.EscapeString(title), stylesheet)
	b.Write(body)
	b.WriteString("</main>\n</body>\n</html>\n")
	return b.Bytes(), nil
}

// fencedRenderer replaces goldmark's fenced-code renderer so that Mermaid
// blocks get a caption; other languages render as plain code blocks.
type fencedRenderer struct{}

func (fencedRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, renderFenced)
}

func renderFenced(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	lang := strings.ToLower(string(n.Language(source)))
	var code strings.Builder
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		code.Write(seg.Value(source))
	}
	if lang == "mermaid" {
		_, _ = w.WriteString("<figure class=\"mermaid\">\n<figcaption>" + html.EscapeString(MermaidCaption) + "</figcaption>\n")
	}
	_, _ = w.WriteString("<pre><code")
	if lang != "" {
		_, _ = w.WriteString(` class="language-` + html.EscapeString(lang) + `"`)
	}
	_, _ = w.WriteString(">" + html.EscapeString(code.String()) + "</code></pre>\n")
	if lang == "mermaid" {
		_, _ = w.WriteString("</figure>\n")
	}
	return ast.WalkSkipChildren, nil
}

// stylesheet approximates GitHub's Markdown look at a 760 px viewport:
// system fonts, bordered tables with striped rows, boxed <details>.
const stylesheet = `* { box-sizing: border-box; }
html { background: #ffffff; }
body { margin: 0; padding: 0; color: #1f2328; font-family: -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif, "Noto Color Emoji"; font-size: 14px; line-height: 1.5; }
.markdown-body { width: 760px; max-width: 760px; padding: 16px 20px; word-wrap: break-word; }
h1, h2, h3, h4, h5, h6 { margin: 20px 0 12px; font-weight: 600; line-height: 1.25; }
h2 { font-size: 1.5em; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0; }
h3 { font-size: 1.25em; }
h4 { font-size: 1em; }
h5 { font-size: .875em; }
p, ul, ol, table, pre, details, blockquote, figure { margin: 0 0 12px; }
ul, ol { padding-left: 2em; }
a { color: #0969da; text-decoration: none; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 85%; background: rgba(129,139,152,.12); border-radius: 6px; padding: .2em .4em; }
pre { background: #f6f8fa; border-radius: 6px; padding: 12px; overflow: hidden; font-size: 12px; line-height: 1.45; white-space: pre-wrap; }
pre code { background: transparent; padding: 0; font-size: 100%; }
sub { font-size: 75%; color: #59636e; }
blockquote { padding: 0 1em; color: #59636e; border-left: .25em solid #d1d9e0; }
table { border-collapse: collapse; border-spacing: 0; display: block; width: max-content; max-width: 100%; overflow: auto; }
th, td { padding: 6px 10px; border: 1px solid #d1d9e0; vertical-align: top; }
th { font-weight: 600; background: #f6f8fa; }
tr:nth-child(2n) td { background: #f6f8fa; }
details { border: 1px solid #d1d9e0; border-radius: 6px; padding: 8px 12px; }
details > summary { cursor: pointer; font-weight: 600; }
details[open] > summary { margin-bottom: 8px; }
figure.mermaid { border: 1px dashed #d1d9e0; border-radius: 6px; padding: 8px; }
figure.mermaid figcaption { font-size: 12px; color: #59636e; margin-bottom: 6px; font-style: italic; }
`
