package docsrender

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const sample = "## Title\n\n" +
	"| | lane | status |\n|---|---|---|\n| ✅ | `a/prod`<br><sub>odoo</sub> | `complete` |\n\n" +
	"<details><summary>Finding details (1)</summary>\n\n- `a/prod`: fine\n\n</details>\n\n" +
	"```mermaid\nflowchart LR\n  A[\"a<b>\"] --> B\n```\n\n" +
	"```\nplain & code\n```\n"

func TestPageRendersTablesDetailsAndMermaidCaption(t *testing.T) {
	page, err := Page("t & u", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{
		"<!DOCTYPE html>",
		"<title>t &amp; u</title>",
		"<table>", "<th>lane</th>", "<td><code>a/prod</code><br><sub>odoo</sub></td>",
		"<details><summary>Finding details (1)</summary>", "</details>",
		`<figure class="mermaid">`, "<figcaption>" + MermaidCaption + "</figcaption>",
		`<pre><code class="language-mermaid">flowchart LR` + "\n" + `  A[&#34;a&lt;b&gt;&#34;] --&gt; B` + "\n</code></pre>",
		"<pre><code>plain &amp; code\n</code></pre>",
		"width: 760px",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q\n%s", want, s)
		}
	}
	// Only the Mermaid block gets the caption.
	if n := strings.Count(s, "<figcaption>"); n != 1 {
		t.Errorf("%d captions, want 1", n)
	}
}

func TestDemoCommentRendersWithoutRawTableSyntax(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := DemoComment(readme)
	if err != nil {
		t.Fatal(err)
	}
	// Headings are back at the comment's own levels, Mermaid untouched.
	if !strings.HasPrefix(string(md), "## lanegate migration evidence\n") {
		t.Errorf("demo comment starts %q", strings.SplitN(string(md), "\n", 2)[0])
	}
	if !strings.Contains(string(md), "\n### Wave 1\n") || strings.Contains(string(md), "#####") {
		t.Error("demo headings not moved back up two levels")
	}
	html, err := Markdown(md)
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	if n := strings.Count(s, "<table>"); n != 3 {
		t.Errorf("%d tables, want 3 (one per wave)", n)
	}
	for _, want := range []string{"<details><summary>Finding details (3)</summary>", MermaidCaption, "<h2>lanegate migration evidence</h2>"} {
		if !strings.Contains(s, want) {
			t.Errorf("rendered demo lacks %q", want)
		}
	}
	// Outside code blocks and the hidden state comment, a leftover "|" means a
	// table row goldmark did not recognise.
	visible := regexp.MustCompile(`(?s)<pre>.*?</pre>|<!--.*?-->`).ReplaceAllString(s, "")
	for i, line := range strings.Split(visible, "\n") {
		if strings.Contains(line, "|") {
			t.Errorf("rendered line %d keeps raw table syntax: %q", i+1, line)
		}
	}
}

func TestDemoCommentRefusesMissingOrEmptyBlock(t *testing.T) {
	for name, in := range map[string]string{
		"no begin":  "text\n<!-- demo:end -->\n",
		"no end":    "<!-- demo:begin x -->\n## a\n",
		"empty":     "<!-- demo:begin x -->\n\n<!-- demo:end -->\n",
		"end first": "<!-- demo:end -->\n<!-- demo:begin x -->\n## a\n",
	} {
		if _, err := DemoComment([]byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzDemoComment(f *testing.F) {
	f.Add("<!-- demo:begin x -->\n#### a\n```\n### kept\n```\n<!-- demo:end -->\n")
	f.Add("<!-- demo:begin -->\n<!-- demo:end -->")
	f.Add("<!-- demo:begin x -->")
	f.Fuzz(func(t *testing.T, in string) {
		md, err := DemoComment([]byte(in))
		if err != nil {
			return
		}
		if len(md) == 0 || strings.Contains(string(md), demoEnd) {
			t.Fatalf("DemoComment(%q) = %q", in, md)
		}
		if _, err := Page("fuzz", md); err != nil {
			t.Fatal(err)
		}
	})
}
