package lanes

import (
	"errors"
	"path"
	"strings"
)

// MatchPath reports whether the slash-separated file name matches glob.
//
// Each "/"-separated segment of glob is a path.Match pattern, except that a
// segment that is exactly "**" matches any number of whole segments,
// including none: "products/a/**" matches "products/a", "products/a/x" and
// "products/a/x/y.go". ("**" inside a longer segment acts like "*".)
// A malformed glob matches nothing.
func MatchPath(glob, name string) bool {
	pat := strings.Split(glob, "/")
	segs := strings.Split(name, "/")
	// next[j] reports whether pat[i+1:] matches segs[j:]; filling it from the
	// end keeps the work at len(pat)*len(segs) however many "**" there are.
	next := make([]bool, len(segs)+1)
	next[len(segs)] = true
	for i := len(pat) - 1; i >= 0; i-- {
		cur := make([]bool, len(segs)+1)
		for j := len(segs); j >= 0; j-- {
			switch {
			case pat[i] == "**":
				cur[j] = next[j] || (j < len(segs) && cur[j+1])
			case j < len(segs):
				ok, err := path.Match(pat[i], segs[j])
				if err != nil {
					return false
				}
				cur[j] = ok && next[j+1]
			}
		}
		next = cur
	}
	return next[0]
}

// checkGlob reports why glob cannot be used as a lane path glob, or nil.
func checkGlob(glob string) error {
	if glob == "" {
		return errors.New("must not be empty")
	}
	if strings.HasPrefix(glob, "/") {
		// Changed-file lists are relative to the repository root, so an
		// absolute glob would silently match nothing.
		return errors.New(`must be relative to the repository root (no leading "/")`)
	}
	for _, seg := range strings.Split(glob, "/") {
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return err
		}
	}
	return nil
}
