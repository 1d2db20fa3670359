package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunWritesDemoPage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c.html")
	if rc := run([]string{"-demo", filepath.Join("..", "..", "README.md"), "-o", out}); rc != 0 {
		t.Fatalf("exit %d", rc)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<h2>lanegate migration evidence</h2>") {
		t.Errorf("page lacks the comment heading:\n%s", page)
	}
}

func TestRunUsageErrors(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "a.md")
	if err := os.WriteFile(md, []byte("no demo markers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "o.html")
	for name, args := range map[string][]string{
		"no input":     {"-o", out},
		"both inputs":  {"-in", md, "-demo", md, "-o", out},
		"no output":    {"-in", md},
		"missing file": {"-in", filepath.Join(dir, "nope.md"), "-o", out},
		"no demo":      {"-demo", md, "-o", out},
		"extra arg":    {"-in", md, "-o", out, "x"},
	} {
		if rc := run(args); rc != 2 {
			t.Errorf("%s: exit %d, want 2", name, rc)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("an output was written on a usage error: %v", err)
	}
}
