// Command docshot renders lanegate's GitHub Markdown to a standalone HTML
// page for the documentation screenshots (scripts/screenshot.sh drives it).
//
//	docshot -demo README.md -o comment.html   the README's evidence-comment demo
//	docshot -in summary.md -o summary.html    any Markdown file
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/lanegate/lanegate/internal/docsrender"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("docshot", flag.ContinueOnError)
	in := fs.String("in", "", "Markdown file to render")
	demo := fs.String("demo", "", "README whose evidence-comment demo block to render")
	out := fs.String("o", "", "HTML file to write")
	title := fs.String("title", "lanegate", "HTML page title")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if (*in == "") == (*demo == "") || *out == "" || fs.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "docshot: usage: docshot (-in FILE.md | -demo README.md) -o FILE.html [-title T]")
		return 2
	}
	src, err := os.ReadFile(*in + *demo)
	if err != nil {
		fmt.Fprintln(os.Stderr, "docshot:", err)
		return 2
	}
	if *demo != "" {
		if src, err = docsrender.DemoComment(src); err != nil {
			fmt.Fprintf(os.Stderr, "docshot: %s: %v\n", *demo, err)
			return 2
		}
	}
	page, err := docsrender.Page(*title, src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "docshot:", err)
		return 3
	}
	if err := os.WriteFile(*out, page, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "docshot:", err)
		return 3
	}
	return 0
}
