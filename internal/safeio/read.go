// Package safeio reads and writes the files lanegate touches so that a hostile
// or mistaken path cannot make it block, exhaust memory, follow a link out of
// the place it was pointed at, or replace a device with a regular file.
//
// Reading: only regular files are read, never through a symbolic link in the
// last path component, and never more than a caller-given size. The file is
// opened non-blocking and checked with fstat before the first read, so a FIFO
// or device named like a record cannot hang or flood the reader.
//
// Writing: see WriteFile.
package safeio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Documented size caps for the files lanegate reads.
const (
	// MaxRecordBytes caps one Launchplane record file. Launchplane records
	// are a few hundred bytes; 16 MiB leaves room for any real record while
	// keeping a hostile file from costing gigabytes.
	MaxRecordBytes = 16 << 20
	// MaxLanesBytes caps lanes.yaml: a thousand-lane plan is well under 1 MiB.
	MaxLanesBytes = 4 << 20
	// MaxReportBytes caps one audit or backfill JSON report read by publish
	// and merge. An indented finding with both records is about 1.2 KB, so
	// this holds some 400,000 fully mismatched routes; shard larger fleets.
	MaxReportBytes = 512 << 20
	// MaxJournalBytes caps lanegate's own backfill journal (about 100 bytes a
	// created row).
	MaxJournalBytes = 256 << 20
)

// ErrNotRegular reports a path that is not a regular file (a symbolic link,
// directory, FIFO, device or socket).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge reports a file over the caller's size cap.
var ErrTooLarge = errors.New("file too large")

// kindOf names a non-regular file mode for messages.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsRegular():
		return "a regular file"
	}
	return "not a regular file"
}

// notRegular builds the error for a path of the wrong kind.
func notRegular(path string, m fs.FileMode) error {
	return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: it is %s", ErrNotRegular, kindOf(m))}
}

// SizeText renders a byte cap the way the README documents it.
func SizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func tooLarge(path string, max int64) error {
	return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: larger than the %s limit", ErrTooLarge, SizeText(max))}
}

// OpenRegular opens path for reading if it is a regular file and not a
// symbolic link. It never blocks: the open is non-blocking (a FIFO opens at
// once and is then refused by fstat) and the kind is checked on the opened
// descriptor, so a file swapped after a check cannot slip through.
func OpenRegular(path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open" // what the caller asked for, not how it was checked
		}
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, notRegular(path, fi.Mode())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, notRegular(path, fs.ModeSymlink)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, fi.Mode())
	}
	return f, nil
}

// ReadRegularFile reads the whole of path if it is a regular file (not a
// symbolic link) of at most max bytes. A larger file is refused before its
// content is read; a file that grows while being read is refused too.
func ReadRegularFile(path string, max int64) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > max {
		return nil, tooLarge(path, max)
	}
	// Size is a hint (procfs-like files report 0); the limit is what counts.
	buf := make([]byte, 0, fi.Size()+1)
	for {
		if int64(len(buf)) > max {
			return nil, tooLarge(path, max)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(buf)) > max {
		return nil, tooLarge(path, max)
	}
	return buf, nil
}

// LimitedReader reads from r and fails with ErrTooLarge (naming path) once
// more than max bytes have been read: for streaming decoders of capped files.
type LimitedReader struct {
	R    io.Reader
	Path string
	Max  int64
	n    int64
}

func (l *LimitedReader) Read(p []byte) (int, error) {
	if l.n > l.Max {
		return 0, tooLarge(l.Path, l.Max)
	}
	if rest := l.Max + 1 - l.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.R.Read(p)
	l.n += int64(n)
	if l.n > l.Max {
		return n, tooLarge(l.Path, l.Max)
	}
	return n, err
}

// OpenRegularLimited opens path like OpenRegular and returns a reader that
// refuses more than max bytes, plus the file to close. A file already over
// the cap is refused at once.
func OpenRegularLimited(path string, max int64) (io.Reader, io.Closer, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if fi.Size() > max {
		f.Close()
		return nil, nil, tooLarge(path, max)
	}
	return &LimitedReader{R: f, Path: path, Max: max}, f, nil
}
