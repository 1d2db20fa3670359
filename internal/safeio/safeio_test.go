package safeio

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
}

// within fails the test if f does not return within d: the point of
// several tests is that nothing blocks.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("blocked for more than %v", d)
	}
}

func TestReadRegularFile(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg.json")
	os.WriteFile(reg, []byte("hello"), 0o644)
	big := filepath.Join(dir, "big.json")
	os.WriteFile(big, bytes.Repeat([]byte("x"), 101), 0o644)
	exact := filepath.Join(dir, "exact.json")
	os.WriteFile(exact, bytes.Repeat([]byte("x"), 100), 0o644)
	link := filepath.Join(dir, "link.json")
	os.Symlink(reg, link)
	fifo := filepath.Join(dir, "fifo.json")
	mkfifo(t, fifo)
	sub := filepath.Join(dir, "sub.json")
	os.Mkdir(sub, 0o755)

	cases := []struct {
		name    string
		path    string
		want    string
		wantErr error
		text    string
	}{
		{"regular", reg, "hello", nil, ""},
		{"at the cap", exact, strings.Repeat("x", 100), nil, ""},
		{"over the cap", big, "", ErrTooLarge, "larger than the 100 bytes limit"},
		{"symlink", link, "", ErrNotRegular, "symbolic link"},
		{"fifo", fifo, "", ErrNotRegular, "named pipe"},
		{"directory", sub, "", ErrNotRegular, "directory"},
		{"missing", filepath.Join(dir, "nope"), "", fs.ErrNotExist, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var data []byte
			var err error
			within(t, 5*time.Second, func() { data, err = ReadRegularFile(c.path, 100) })
			if c.wantErr == nil {
				if err != nil || string(data) != c.want {
					t.Fatalf("got %q, %v; want %q", data, err, c.want)
				}
				return
			}
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q should name %s and say %q", err, c.path, c.text)
			}
		})
	}
}

// A symlink to an endless device is refused before any read; the test uses
// a link to a FIFO in the temp dir rather than touching /dev.
func TestReadRegularFileLinkToFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	mkfifo(t, fifo)
	link := filepath.Join(dir, "x.json")
	os.Symlink(fifo, link)
	within(t, 5*time.Second, func() {
		if _, err := ReadRegularFile(link, 1<<20); !errors.Is(err, ErrNotRegular) {
			t.Errorf("err = %v, want ErrNotRegular", err)
		}
	})
}

func TestOpenRegularLimited(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	os.WriteFile(p, bytes.Repeat([]byte("y"), 50), 0o644)
	if _, _, err := OpenRegularLimited(p, 49); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the cap at open: %v", err)
	}
	r, c, err := OpenRegularLimited(p, 50)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if b, err := io.ReadAll(r); err != nil || len(b) != 50 {
		t.Errorf("read %d, %v", len(b), err)
	}
	// A stream that grows past the cap after the open is cut off.
	lr := &LimitedReader{R: bytes.NewReader(make([]byte, 200)), Path: "grown.json", Max: 100}
	if _, err := io.ReadAll(lr); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "grown.json") {
		t.Errorf("grown stream: %v", err)
	}
}

func TestCleanRel(t *testing.T) {
	good := []string{"a", "a/b.json", ".lanegate/backfills/x.json", ".env-prod-abc.json"}
	bad := []string{"", "/etc/passwd", "../victim", "a/../../b", "a//b", "./a", "a/.", "a\\b", "a\x00b", "a/"}
	for _, g := range good {
		if _, err := CleanRel(g); err != nil {
			t.Errorf("CleanRel(%q) = %v", g, err)
		}
	}
	for _, b := range bad {
		if _, err := CleanRel(b); !errors.Is(err, ErrUnsafePath) {
			t.Errorf("CleanRel(%q) = %v, want ErrUnsafePath", b, err)
		}
	}
}

func FuzzCleanRel(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "/abs", "a/./b", ".hidden/x.json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		clean, err := CleanRel(rel)
		if err != nil {
			return
		}
		// Whatever passes stays inside any root.
		root := "/state/root"
		joined := filepath.Join(root, clean)
		if !strings.HasPrefix(joined, root+string(filepath.Separator)) {
			t.Fatalf("CleanRel(%q) = %q escapes: %s", rel, clean, joined)
		}
		if filepath.Clean(joined) != joined {
			t.Fatalf("CleanRel(%q) is not clean: %s", rel, joined)
		}
	})
}

func TestMkdirAllUnder(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := MkdirAllUnder(root, "a/b/c", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(filepath.Join(root, "a", "b", "c")); err != nil {
		t.Fatal(err)
	}
	os.Symlink(outside, filepath.Join(root, "link"))
	if err := MkdirAllUnder(root, "link/x", 0o755); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("through a symlink: %v", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a directory was created outside the root")
	}
	if err := CheckDirsUnder(root, "link/x/y.json"); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("CheckDirsUnder through a symlink: %v", err)
	}
	if err := CheckDirsUnder(root, "a/missing/y.json"); err != nil {
		t.Errorf("CheckDirsUnder stops at a missing dir: %v", err)
	}
	if err := MkdirAllUnder(root, "../escape", 0o755); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("..: %v", err)
	}
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestWriteFileRegularAndNew(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "out.json")
	if err := WriteFile(p, writeString("one"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, writeString("two"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Errorf("content %q", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
	// A failed write leaves the old content and no temp file.
	if err := WriteFile(p, func(io.Writer) error { return errors.New("boom") }, WriteOptions{}); err == nil {
		t.Fatal("want the writer's error")
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Errorf("content after a failed write %q", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
		t.Errorf("temp files left after failure: %v", entries)
	}
}

func TestWriteFileStdout(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFile("-", writeString("report"), WriteOptions{Stdout: &buf}); err != nil || buf.String() != "report" {
		t.Errorf("got %q, %v", buf.String(), err)
	}
	if err := WriteFile("-", writeString("report"), WriteOptions{}); !errors.Is(err, ErrRefused) {
		t.Errorf("- without stdout: %v", err)
	}
}

// readFIFO starts a reader on a FIFO and returns what it read.
func readFIFO(t *testing.T, path string) <-chan string {
	ch := make(chan string, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			ch <- "open error: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		ch <- string(b)
	}()
	return ch
}

func TestWriteFileFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	mkfifo(t, fifo)
	got := readFIFO(t, fifo)
	within(t, 10*time.Second, func() {
		if err := WriteFile(fifo, writeString("through the pipe"), WriteOptions{}); err != nil {
			t.Error(err)
		}
	})
	if s := <-got; s != "through the pipe" {
		t.Errorf("reader got %q", s)
	}
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v %v", fi.Mode(), err)
	}
	// Through a symlink (the /dev/stdout shape) it is still written into.
	link := filepath.Join(dir, "stdout")
	os.Symlink(fifo, link)
	got = readFIFO(t, fifo)
	within(t, 10*time.Second, func() {
		if err := WriteFile(link, writeString("via link"), WriteOptions{}); err != nil {
			t.Error(err)
		}
	})
	if s := <-got; s != "via link" {
		t.Errorf("reader got %q", s)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced")
	}
}

func TestWriteFileRefusals(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.json")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link.json")
	os.Symlink(target, link)
	dangling := filepath.Join(dir, "dangling.json")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	sub := filepath.Join(dir, "adir")
	os.Mkdir(sub, 0o755)
	for _, p := range []string{link, dangling, sub} {
		err := WriteFile(p, writeString("x"), WriteOptions{})
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), p) {
			t.Errorf("WriteFile(%s) = %v, want a refusal naming it", p, err)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("link target changed: %q", b)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("link replaced")
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dangling link target created")
	}
}
