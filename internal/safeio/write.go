package safeio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrRefused reports an output path lanegate will not write: a directory,
// socket, block device or a symbolic link to something it would replace.
var ErrRefused = errors.New("refused output path")

// WriteOptions tune WriteFile.
type WriteOptions struct {
	// Stdout receives the output when the path is "-". With Stdout nil, "-"
	// is refused.
	Stdout io.Writer
}

func refuse(path, why string) error {
	return &fs.PathError{Op: "write", Path: path, Err: fmt.Errorf("%w: %s", ErrRefused, why)}
}

// WriteFile writes an output file (a report, a scope file) by what the path
// already is:
//
//   - "-": written to opts.Stdout.
//   - missing or a regular file: written to a temp file in the same
//     directory and renamed over the path, so a reader never sees half a file.
//   - a character device or FIFO (/dev/null, a pipe a reader holds open):
//     written into directly. Renaming over it would replace the device with
//     a regular file.
//   - a symbolic link: followed only when it ends at a character device or
//     FIFO (/dev/stdout, /dev/fd/N); a link to a regular file or to nothing
//     is refused, because an atomic replace would swap the link itself, not
//     the file it names. Pass the target path instead.
//   - a directory, socket or block device: refused (ErrRefused).
func WriteFile(path string, write func(io.Writer) error, opts WriteOptions) error {
	if path == "-" {
		if opts.Stdout == nil {
			return refuse(path, "standard output is not available for this file")
		}
		return write(opts.Stdout)
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeReplace(path, write)
	case err != nil:
		return err
	case fi.Mode().IsRegular():
		return writeReplace(path, write)
	case writeInto(fi.Mode()):
		return writeDirect(path, write)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Stat(path)
		if err == nil && writeInto(target.Mode()) {
			return writeDirect(path, write)
		}
		return refuse(path, "it is a symbolic link (lanegate follows links only to a device or FIFO); pass the path it points to")
	}
	return refuse(path, "it is "+kindOf(fi.Mode())+", not a file lanegate can write a report to")
}

// writeInto reports the kinds written in place instead of replaced.
func writeInto(m fs.FileMode) bool {
	return m&fs.ModeNamedPipe != 0 || (m&fs.ModeDevice != 0 && m&fs.ModeCharDevice != 0)
}

// writeDirect writes into an existing device or FIFO. It never creates or
// truncates, and re-checks the kind on the opened descriptor so a path
// swapped for a regular file in between is not overwritten in place.
func writeDirect(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if !writeInto(fi.Mode()) {
		f.Close()
		return refuse(path, "it changed to "+kindOf(fi.Mode())+" while being opened")
	}
	w := bufio.NewWriterSize(f, 64<<10)
	if err := write(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeReplace writes a temp file next to path and renames it into place.
// The temp name ends in ".tmp", never ".json", so no reader that globs
// "*.json" (Launchplane among them) can pick up a half-written file.
func writeReplace(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 64<<10)
	if err := write(w); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
