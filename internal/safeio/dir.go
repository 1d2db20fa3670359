package safeio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrUnsafePath reports a relative path that leaves its root, or a path
// component under the root that is a symbolic link or not a directory.
var ErrUnsafePath = errors.New("unsafe path")

func unsafePath(path, why string) error {
	return &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w: %s", ErrUnsafePath, why)}
}

// CleanRel checks that rel (slash-separated) names a path strictly inside
// its root: not empty, not absolute, no "..", "." or empty components, no
// backslashes or NUL bytes. It returns rel in the OS's separator.
func CleanRel(rel string) (string, error) {
	if rel == "" {
		return "", unsafePath(rel, "empty path")
	}
	if strings.ContainsAny(rel, "\\\x00") || strings.HasPrefix(rel, "/") || filepath.IsAbs(rel) {
		return "", unsafePath(rel, "not a plain relative path")
	}
	for _, part := range strings.Split(rel, "/") {
		if part == "" || part == "." || part == ".." {
			return "", unsafePath(rel, "not a plain relative path")
		}
	}
	return filepath.FromSlash(rel), nil
}

// CheckDir reports whether path is a real directory: it exists, and is
// neither a symbolic link nor anything other than a directory. A missing
// directory is reported as fs.ErrNotExist.
func CheckDir(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return unsafePath(path, "it is "+kindOf(fi.Mode())+", not a directory")
	}
	return nil
}

// CheckDirsUnder checks every directory from root down to root/rel (rel
// slash-separated, relative): each that exists must be a real directory, not
// a symbolic link. It stops quietly at the first missing one. root itself is
// trusted (the operator chose it) and may be a link.
func CheckDirsUnder(root, rel string) error {
	clean, err := CleanRel(rel)
	if err != nil {
		return err
	}
	cur := root
	for _, part := range strings.Split(clean, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		if err := CheckDir(cur); errors.Is(err, fs.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
	}
	return nil
}

// MkdirAllUnder creates root/rel and its parents like os.MkdirAll, but
// refuses to pass through a symbolic link or non-directory under root, so a
// write meant for the state directory never lands outside it.
func MkdirAllUnder(root, rel string, perm fs.FileMode) error {
	clean, err := CleanRel(rel)
	if err != nil {
		return err
	}
	cur := root
	for _, part := range strings.Split(clean, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		err := CheckDir(cur)
		if errors.Is(err, fs.ErrNotExist) {
			if err = os.Mkdir(cur, perm); err == nil || errors.Is(err, fs.ErrExist) {
				// Created here, or by a concurrent writer: check what is there.
				err = CheckDir(cur)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
