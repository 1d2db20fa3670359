package cli

import (
	"runtime/debug"
	"sync"
)

// VersionString is lanegate's version as printed by `lanegate version` and
// recorded in every run record: the -ldflags value when a release build set
// one, otherwise what the Go toolchain stamped into the binary.
func VersionString() string { return buildVersion() }

var buildVersion = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return versionFrom(Version, bi)
})

// versionFrom picks the most specific version known: ldflags, then the main
// module's version (a tag or the pseudo-version go build derives from VCS),
// then the VCS revision. "dev" only when nothing is known, so a record never
// claims a version it cannot back.
func versionFrom(ldflags string, bi *debug.BuildInfo) string {
	if ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	if bi == nil {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	if at != "" {
		rev += " " + at
	}
	return rev
}
