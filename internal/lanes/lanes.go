// Package lanes parses and validates lanes.yaml, the plan that lists a
// deploy control plane's migration lanes, the wave each one cuts over in,
// what it depends on and what evidence it needs.
//
// Parsing works on yaml.v3 nodes rather than structs so that every problem
// can name the file, line, column and key path, and so that duplicate keys,
// unknown keys and aliases are caught instead of silently accepted.
package lanes

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SchemaVersion is the only schema_version this package understands.
const SchemaVersion = 1

// DefaultRetireWindow applies when the file sets no retire_window.
const DefaultRetireWindow = 14 * 24 * time.Hour

// Drivers are the allowed values of a lane's driver.
var Drivers = []string{"odoo", "verireel", "generic-web"}

// Stages are the allowed values of a lane's stage, in migration order.
var Stages = []string{"dokploy", "provider-target", "retired"}

// EvidenceKinds are the evidence kinds a lane may require, in canonical
// order. New kinds are appended, so the plan digest of a lane that does not
// require them never changes.
var EvidenceKinds = []string{"deploy", "promotion", "health", "authority"}

// StageIndex returns the position of stage in Stages, or -1 if it is not a
// known stage.
func StageIndex(stage string) int { return slices.Index(Stages, stage) }

// File is a parsed, valid lanes file.
type File struct {
	Path          string
	SchemaVersion int
	TrackingIssue int           // 0 when unset
	RetireWindow  time.Duration // DefaultRetireWindow when unset
	// Defaults is defaults.evidence as written (nil when unset); lanes
	// without their own evidence list already carry a copy.
	Defaults []EvidenceRequirement
	Lanes    []*Lane // in file order

	index map[string]*Lane // built by Parse; nil for hand-built files
}

// Lane is one migration lane.
type Lane struct {
	Key, Context, Instance string // Key == Context + "/" + Instance
	Product, Driver        string
	Wave                   int
	Stage                  string   // "dokploy" when unset
	Requires               []string // lane keys, in file order
	// Evidence is sorted in EvidenceKinds order. A lane without an evidence
	// key gets defaults.evidence; "evidence: {}" means none.
	Evidence           []EvidenceRequirement
	BaseURL, HealthURL string
	Health             Health
	Paths              []string
	Line, Column       int // position of the lane's mapping
}

// Health configures the health probe of a lane.
type Health struct {
	ExpectStatus []int // sorted; nil means any 2xx
	AllowPrivate bool  // allow probing loopback and private addresses
	Timeout      time.Duration
}

// EvidenceRequirement asks for evidence of Kind no older than MaxAge.
type EvidenceRequirement struct {
	Kind   string
	MaxAge time.Duration
}

// Lane returns the lane with the given key.
func (f *File) Lane(key string) (*Lane, bool) {
	// The index keeps per-route lookups constant-time for large fleets.
	if f.index != nil {
		l, ok := f.index[key]
		return l, ok
	}
	for _, l := range f.Lanes {
		if l.Key == key {
			return l, true
		}
	}
	return nil, false
}

func (f *File) buildIndex() {
	f.index = make(map[string]*Lane, len(f.Lanes))
	for _, l := range f.Lanes {
		f.index[l.Key] = l
	}
}

// compareLanes orders lanes by (context, instance) in byte order. Comparing
// the parts rather than the key keeps "a/x" before "a-b/x".
func compareLanes(a, b *Lane) int {
	return cmp.Or(strings.Compare(a.Context, b.Context), strings.Compare(a.Instance, b.Instance))
}

func (f *File) sortedLanes() []*Lane {
	out := slices.Clone(f.Lanes)
	slices.SortStableFunc(out, compareLanes)
	return out
}

// Keys returns every lane key sorted by (context, instance).
func (f *File) Keys() []string {
	keys := make([]string, 0, len(f.Lanes))
	for _, l := range f.sortedLanes() {
		keys = append(keys, l.Key)
	}
	return keys
}

// Waves groups the lanes by wave, lowest wave first; the lanes of a wave are
// in Keys order.
func (f *File) Waves() [][]*Lane {
	lanes := f.sortedLanes()
	slices.SortStableFunc(lanes, func(a, b *Lane) int { return cmp.Compare(a.Wave, b.Wave) })
	var waves [][]*Lane
	for i, l := range lanes {
		if i == 0 || l.Wave != lanes[i-1].Wave {
			waves = append(waves, nil)
		}
		waves[len(waves)-1] = append(waves[len(waves)-1], l)
	}
	return waves
}

// WavePlan renders the cutover order for humans, one line per wave header
// and one per lane:
//
//	wave 1:
//	  a/x (generic-web, dokploy)
//	wave 2:
//	  b/y (odoo, dokploy) requires a/x, c/z
func (f *File) WavePlan() string {
	var b strings.Builder
	for _, wave := range f.Waves() {
		fmt.Fprintf(&b, "wave %d:\n", wave[0].Wave)
		for _, l := range wave {
			fmt.Fprintf(&b, "  %s (%s, %s)", l.Key, l.Driver, l.Stage)
			if len(l.Requires) > 0 {
				b.WriteString(" requires " + strings.Join(sortedCopy(l.Requires), ", "))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Digest is the sha256 (hex) of a canonical encoding of the plan: lanes
// sorted by key, lists whose order carries no meaning sorted, defaults
// already applied and positions left out. Comments, formatting, key order
// and lane order therefore do not change it; any change to what a lane
// means does.
func (f *File) Digest() string {
	type evidence struct {
		Kind   string `json:"kind"`
		MaxAge int64  `json:"max_age_ns"`
	}
	type lane struct {
		Key          string     `json:"key"`
		Product      string     `json:"product"`
		Driver       string     `json:"driver"`
		Wave         int        `json:"wave"`
		Stage        string     `json:"stage"`
		Requires     []string   `json:"requires"`
		Evidence     []evidence `json:"evidence"`
		BaseURL      string     `json:"base_url"`
		HealthURL    string     `json:"health_url"`
		ExpectStatus []int      `json:"expect_status"`
		AllowPrivate bool       `json:"allow_private"`
		Timeout      int64      `json:"timeout_ns"`
		Paths        []string   `json:"paths"`
	}
	plan := struct {
		SchemaVersion int    `json:"schema_version"`
		TrackingIssue int    `json:"tracking_issue"`
		RetireWindow  int64  `json:"retire_window_ns"`
		Lanes         []lane `json:"lanes"`
	}{f.SchemaVersion, f.TrackingIssue, int64(f.RetireWindow), []lane{}}
	for _, l := range f.sortedLanes() {
		ev := []evidence{}
		for _, e := range l.Evidence {
			ev = append(ev, evidence{e.Kind, int64(e.MaxAge)})
		}
		slices.SortStableFunc(ev, func(a, b evidence) int {
			return cmp.Compare(slices.Index(EvidenceKinds, a.Kind), slices.Index(EvidenceKinds, b.Kind))
		})
		plan.Lanes = append(plan.Lanes, lane{
			Key: l.Key, Product: l.Product, Driver: l.Driver, Wave: l.Wave, Stage: l.Stage,
			Requires: sortedCopy(l.Requires), Evidence: ev,
			BaseURL: l.BaseURL, HealthURL: l.HealthURL,
			ExpectStatus: sortedCopy(l.Health.ExpectStatus), AllowPrivate: l.Health.AllowPrivate,
			Timeout: int64(l.Health.Timeout), Paths: sortedCopy(l.Paths),
		})
	}
	data, err := json.Marshal(plan)
	if err != nil {
		panic(err) // only plain strings and numbers: cannot happen
	}
	sum := sha256.Sum256(append([]byte("lanegate lanes digest v1\n"), data...))
	return hex.EncodeToString(sum[:])
}

// LanesForPaths returns the keys (in Keys order) of the lanes that have a
// paths glob matching at least one of the changed files.
func (f *File) LanesForPaths(changed []string) []string {
	keys := []string{}
	for _, l := range f.sortedLanes() {
		if lanesMatch(l.Paths, changed) {
			keys = append(keys, l.Key)
		}
	}
	return keys
}

func lanesMatch(globs, names []string) bool {
	for _, g := range globs {
		for _, n := range names {
			if MatchPath(g, n) {
				return true
			}
		}
	}
	return false
}

// sortedCopy returns a sorted, never-nil copy so that nil and empty encode
// the same way in the digest.
func sortedCopy[T cmp.Ordered](s []T) []T {
	out := append([]T{}, s...)
	slices.Sort(out)
	return out
}
