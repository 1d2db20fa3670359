package lanes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lanegate/lanegate/internal/safeio"
)

// Allowed keys per mapping, in the order they are listed in messages.
var (
	fileKeys        = []string{"schema_version", "tracking_issue", "retire_window", "defaults", "lanes"}
	defaultsKeys    = []string{"evidence"}
	laneKeys        = []string{"route", "product", "driver", "wave", "stage", "requires", "evidence", "base_url", "health_url", "health", "paths"}
	requirementKeys = []string{"max_age"}
	healthKeys      = []string{"expect_status", "allow_private", "timeout"}
)

// MaxFileBytes caps a lanes file. A thousand-lane plan is well under 1 MiB;
// the cap keeps a huge or endless file from costing gigabytes and minutes.
const MaxFileBytes = safeio.MaxLanesBytes

// Load reads and parses the lanes file at path. If the file cannot be read
// (missing, not a regular file, a symbolic link, larger than MaxFileBytes)
// the error is a *ReadError; if it is invalid the error is Errors.
func Load(path string) (*File, error) {
	data, err := safeio.ReadRegularFile(path, MaxFileBytes)
	if err != nil {
		return nil, &ReadError{Path: path, Err: err}
	}
	return Parse(path, data)
}

// Parse parses and validates a lanes file; path is only used in messages.
// It returns either a valid *File or every problem found, as Errors.
func Parse(path string, data []byte) (*File, error) {
	p := &parser{file: path}
	f := p.parse(data)
	if len(p.errs) > 0 {
		p.errs.sort()
		return nil, p.errs
	}
	f.buildIndex()
	return f, nil
}

type parser struct {
	file string
	errs Errors
}

// laneSrc keeps the nodes that cross-lane checks report against.
type laneSrc struct {
	lane  *Lane
	path  string
	route *yaml.Node
	reqs  []reqRef // the well-formed entries of requires
}

type reqRef struct {
	key  string
	node *yaml.Node
	path string
}

func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: p.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

func (p *parser) parse(data []byte) *File {
	doc := p.decode(data)
	if doc == nil {
		return nil
	}
	if len(doc.Content) == 0 {
		p.errorf(nil, "", "file is empty")
		return nil
	}
	p.rejectAliases(doc, "")
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		if root.Kind != yaml.AliasNode {
			p.errorf(root, "", "top level must be a mapping, got %s", describe(root))
		}
		return nil
	}
	m, _ := p.fields(root, "", "key", fileKeys, []string{"schema_version", "lanes"})
	f := &File{Path: p.file, RetireWindow: DefaultRetireWindow}
	if n := m["schema_version"]; n != nil {
		if v, ok := p.intRange(n, "schema_version", math.MinInt, math.MaxInt, "the integer 1"); ok {
			f.SchemaVersion = v
			if v != SchemaVersion {
				p.errorf(n, "schema_version", "unsupported schema version %d (this lanegate reads version %d)", v, SchemaVersion)
			}
		}
	}
	if n := m["tracking_issue"]; n != nil {
		f.TrackingIssue, _ = p.intRange(n, "tracking_issue", 1, math.MaxInt, "an integer > 0")
	}
	if n := m["retire_window"]; n != nil {
		if d, ok := p.duration(n, "retire_window"); ok {
			f.RetireWindow = d
		}
	}
	var defaults []EvidenceRequirement
	if n := m["defaults"]; n != nil {
		dm, _ := p.fields(n, "defaults", "key", defaultsKeys, nil)
		if e := dm["evidence"]; e != nil {
			defaults = p.evidence(e, "defaults.evidence")
		}
	}
	f.Defaults = defaults
	var srcs []*laneSrc
	if n := m["lanes"]; n != nil {
		items, ok := p.seq(n, "lanes")
		if ok && len(items) == 0 {
			p.errorf(n, "lanes", "must list at least one lane")
		}
		for i, item := range items {
			if ls := p.lane(item, fmt.Sprintf("lanes[%d]", i), defaults); ls != nil {
				srcs = append(srcs, ls)
				f.Lanes = append(f.Lanes, ls.lane)
			}
		}
	}
	p.checkGraph(srcs)
	return f
}

// decode reads the single YAML document in data. It returns nil after
// recording an error when there is nothing usable.
func (p *parser) decode(data []byte) (doc *yaml.Node) {
	defer func() {
		// A lint tool must report bad input, not crash on it, even if the
		// YAML library panics on some byte sequence.
		if r := recover(); r != nil {
			doc = nil
			p.errorf(nil, "", "invalid YAML: parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	doc = new(yaml.Node)
	if err := dec.Decode(doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(nil, "", "file is empty")
		} else {
			p.syntaxError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.errorf(&extra, "", "multiple YAML documents are not supported; keep one plan per file")
	case !errors.Is(err, io.EOF):
		p.syntaxError(err)
	}
	return doc
}

// syntaxError converts a yaml.v3 error ("yaml: line 3: msg", or "yaml: msg"
// when the library knows no line) into an *Error with only a line.
func (p *parser) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: p.file}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(num); err == nil && line > 0 {
				e.Line, msg = line, text
			}
		}
	}
	e.Msg = "invalid YAML: " + msg
	p.errs = append(p.errs, e)
}

// rejectAliases reports every alias and merge key once, up front, so the
// typed walk below can skip them silently. Aliases and merge keys make a
// reviewer chase references to know what a lane really says.
func (p *parser) rejectAliases(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			p.rejectAliases(c, path)
		}
	case yaml.AliasNode:
		p.errorf(n, path, "YAML aliases (*%s) are not supported; write the value out", n.Value)
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p.rejectAliases(c, index(path, i))
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if isMergeKey(k) {
				p.errorf(k, join(path, k.Value), "YAML merge keys (<<) are not supported; write the keys out")
				continue
			}
			p.rejectAliases(k, path)
			vp := path
			if k.Kind == yaml.ScalarNode {
				vp = join(path, k.Value)
			}
			p.rejectAliases(v, vp)
		}
	}
}

func isMergeKey(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.Tag == "!!merge" }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// fields checks that n is a mapping with unique keys drawn from allowed and
// containing every key in required, and returns its values by key. noun
// names the keys in the unknown-key message ("key", "evidence kind").
func (p *parser) fields(n *yaml.Node, path, noun string, allowed, required []string) (map[string]*yaml.Node, bool) {
	if !p.kind(n, path, yaml.MappingNode, "a mapping") {
		return nil, false
	}
	vals := map[string]*yaml.Node{}
	keys := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode || isMergeKey(k) {
			continue // reported by rejectAliases
		}
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, path, "mapping keys must be strings, got %s", describe(k))
			continue
		}
		kp := join(path, k.Value)
		if first, dup := keys[k.Value]; dup {
			p.errorf(k, kp, "duplicate key %q (first defined at line %d)", k.Value, first.Line)
			continue
		}
		keys[k.Value] = k
		if !slices.Contains(allowed, k.Value) {
			p.errorf(k, kp, "unknown %s %q (allowed: %s)", noun, k.Value, strings.Join(allowed, ", "))
			continue
		}
		vals[k.Value] = v
	}
	for _, r := range required {
		if _, ok := keys[r]; !ok {
			p.errorf(n, join(path, r), "missing required key")
		}
	}
	return vals, true
}

// kind checks the node kind. Aliases fail silently: rejectAliases has
// already reported them.
func (p *parser) kind(n *yaml.Node, path string, want yaml.Kind, wantName string) bool {
	if n.Kind == want {
		return true
	}
	if n.Kind != yaml.AliasNode {
		p.errorf(n, path, "expected %s, got %s", wantName, describe(n))
	}
	return false
}

func (p *parser) seq(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	if !p.kind(n, path, yaml.SequenceNode, "a sequence") {
		return nil, false
	}
	return n.Content, true
}

func (p *parser) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind == yaml.AliasNode {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		p.errorf(n, path, "expected a string, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) nonEmptyStr(n *yaml.Node, path string) (string, bool) {
	s, ok := p.str(n, path)
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(n, path, "must be a non-empty string")
		return "", false
	}
	return s, ok
}

func (p *parser) enum(n *yaml.Node, path, what string, allowed []string) (string, bool) {
	s, ok := p.str(n, path)
	if ok && !slices.Contains(allowed, s) {
		p.errorf(n, path, "unknown %s %q (allowed: %s)", what, s, strings.Join(allowed, ", "))
		return "", false
	}
	return s, ok
}

// intRange accepts only YAML integers (so "1" in quotes is an error) within
// [lo, hi]; want describes the accepted values in the message.
func (p *parser) intRange(n *yaml.Node, path string, lo, hi int, want string) (int, bool) {
	if n.Kind == yaml.AliasNode {
		return 0, false
	}
	var v int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil || v < lo || v > hi {
		p.errorf(n, path, "must be %s, got %s", want, describe(n))
		return 0, false
	}
	return v, true
}

func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	if n.Kind == yaml.AliasNode {
		return false, false
	}
	var v bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		p.errorf(n, path, "expected true or false, got %s", describe(n))
		return false, false
	}
	return v, true
}

func (p *parser) duration(n *yaml.Node, path string) (time.Duration, bool) {
	if n.Kind == yaml.AliasNode {
		return 0, false
	}
	d, ok := time.Duration(0), n.Kind == yaml.ScalarNode && n.Tag == "!!str"
	if ok {
		d, ok = parseDuration(n.Value)
	}
	if !ok {
		p.errorf(n, path, `must be a positive duration such as "72h" or "7d", got %s`, describe(n))
	}
	return d, ok
}

// maxDays keeps "Nd" from overflowing time.Duration.
const maxDays = math.MaxInt64 / int64(24*time.Hour)

// parseDuration accepts Go durations ("90m", "72h") and whole days ("7d"),
// which Go durations lack but evidence ages are naturally written in.
func parseDuration(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if days == "" || strings.Trim(days, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n <= 0 || n > maxDays {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, false
	}
	return d, true
}

func (p *parser) url(n *yaml.Node, path string) (string, bool) {
	s, ok := p.str(n, path)
	if !ok {
		return "", false
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "":
		p.errorf(n, path, "must be an absolute http(s) URL, got %q", s)
		return "", false
	case u.User != nil:
		// Credentials would end up in logs and issue comments.
		p.errorf(n, path, "must not contain credentials")
		return "", false
	}
	return s, true
}

func (p *parser) lane(n *yaml.Node, path string, defaults []EvidenceRequirement) *laneSrc {
	m, ok := p.fields(n, path, "key", laneKeys, []string{"route", "product", "driver", "wave"})
	if !ok {
		return nil
	}
	l := &Lane{Stage: Stages[0], Line: n.Line, Column: n.Column}
	ls := &laneSrc{lane: l, path: path, route: m["route"]}
	if v := m["route"]; v != nil {
		if s, ok := p.str(v, path+".route"); ok {
			if c, i, err := ParseRoute(s); err != nil {
				p.errorf(v, path+".route", "%v", err)
			} else {
				l.Key, l.Context, l.Instance = s, c, i
			}
		}
	}
	if v := m["product"]; v != nil {
		l.Product, _ = p.nonEmptyStr(v, path+".product")
	}
	if v := m["driver"]; v != nil {
		l.Driver, _ = p.enum(v, path+".driver", "driver", Drivers)
	}
	if v := m["wave"]; v != nil {
		l.Wave, _ = p.intRange(v, path+".wave", 1, math.MaxInt, "an integer >= 1")
	}
	if v := m["stage"]; v != nil {
		if s, ok := p.enum(v, path+".stage", "stage", Stages); ok {
			l.Stage = s
		}
	}
	if v := m["requires"]; v != nil {
		ls.reqs = p.requires(v, path+".requires")
		for _, r := range ls.reqs {
			l.Requires = append(l.Requires, r.key)
		}
	}
	if v, set := m["evidence"]; set {
		l.Evidence = p.evidence(v, path+".evidence")
	} else {
		l.Evidence = slices.Clone(defaults)
	}
	if v := m["base_url"]; v != nil {
		l.BaseURL, _ = p.url(v, path+".base_url")
	}
	if v := m["health_url"]; v != nil {
		l.HealthURL, _ = p.url(v, path+".health_url")
	}
	if v := m["health"]; v != nil {
		l.Health = p.health(v, path+".health")
	}
	if v := m["paths"]; v != nil {
		items, _ := p.seq(v, path+".paths")
		for i, item := range items {
			ip := index(path+".paths", i)
			if s, ok := p.str(item, ip); ok {
				if err := checkGlob(s); err != nil {
					p.errorf(item, ip, "invalid glob %q: %v", s, err)
				} else {
					l.Paths = append(l.Paths, s)
				}
			}
		}
	}
	return ls
}

// requires returns the well-formed, first-seen entries of a requires list.
// Whether they name real lanes is checked later, once all lanes are known.
func (p *parser) requires(n *yaml.Node, path string) []reqRef {
	items, _ := p.seq(n, path)
	var refs []reqRef
	seen := map[string]bool{}
	for i, item := range items {
		ip := index(path, i)
		s, ok := p.str(item, ip)
		if !ok {
			continue
		}
		if _, _, err := ParseRoute(s); err != nil {
			p.errorf(item, ip, "%v", err)
			continue
		}
		if seen[s] {
			p.errorf(item, ip, "duplicate requirement %q", s)
			continue
		}
		seen[s] = true
		refs = append(refs, reqRef{key: s, node: item, path: ip})
	}
	return refs
}

func (p *parser) evidence(n *yaml.Node, path string) []EvidenceRequirement {
	m, ok := p.fields(n, path, "evidence kind", EvidenceKinds, nil)
	if !ok {
		return nil
	}
	var out []EvidenceRequirement
	for _, kind := range EvidenceKinds { // canonical order
		v := m[kind]
		if v == nil {
			continue
		}
		rm, _ := p.fields(v, path+"."+kind, "key", requirementKeys, requirementKeys)
		if a := rm["max_age"]; a != nil {
			if d, ok := p.duration(a, path+"."+kind+".max_age"); ok {
				out = append(out, EvidenceRequirement{Kind: kind, MaxAge: d})
			}
		}
	}
	return out
}

func (p *parser) health(n *yaml.Node, path string) Health {
	var h Health
	m, _ := p.fields(n, path, "key", healthKeys, nil)
	if v := m["expect_status"]; v != nil {
		items, ok := p.seq(v, path+".expect_status")
		if ok && len(items) == 0 {
			p.errorf(v, path+".expect_status", "must list at least one status (leave it out to accept any 2xx)")
		}
		for i, item := range items {
			ip := index(path+".expect_status", i)
			code, ok := p.intRange(item, ip, 100, 599, "an HTTP status between 100 and 599")
			if !ok {
				continue
			}
			if slices.Contains(h.ExpectStatus, code) {
				p.errorf(item, ip, "duplicate status %d", code)
				continue
			}
			h.ExpectStatus = append(h.ExpectStatus, code)
		}
		slices.Sort(h.ExpectStatus)
	}
	if v := m["allow_private"]; v != nil {
		h.AllowPrivate, _ = p.boolean(v, path+".allow_private")
	}
	if v := m["timeout"]; v != nil {
		h.Timeout, _ = p.duration(v, path+".timeout")
	}
	return h
}

// checkGraph runs the checks that need every lane: duplicate routes, what
// requires points at, and dependency cycles.
func (p *parser) checkGraph(srcs []*laneSrc) {
	byKey := map[string]*laneSrc{}
	var order []*laneSrc
	for _, ls := range srcs {
		key := ls.lane.Key
		if key == "" {
			continue // invalid or missing route, already reported
		}
		if first, dup := byKey[key]; dup {
			p.errorf(ls.route, ls.path+".route", "duplicate lane %q (first defined at line %d)", key, first.route.Line)
			continue
		}
		byKey[key] = ls
		order = append(order, ls)
	}
	for _, ls := range order {
		l := ls.lane
		for _, r := range ls.reqs {
			dep, known := byKey[r.key]
			switch {
			case r.key == l.Key:
				p.errorf(r.node, r.path, "lane %q cannot require itself", l.Key)
			case !known:
				p.errorf(r.node, r.path, "requires unknown lane %q", r.key)
			case l.Wave > 0 && dep.lane.Wave > l.Wave:
				p.errorf(r.node, r.path, "requires %q from wave %d, but this lane is in wave %d; a lane may only require lanes in the same or an earlier wave",
					r.key, dep.lane.Wave, l.Wave)
			}
		}
	}
	p.checkCycles(order, byKey)
}

// checkCycles reports each cycle once, at the requires entry that closes it,
// by depth-first search in file order.
func (p *parser) checkCycles(order []*laneSrc, byKey map[string]*laneSrc) {
	const (
		unvisited = iota
		onStack
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(ls *laneSrc)
	visit = func(ls *laneSrc) {
		key := ls.lane.Key
		state[key] = onStack
		stack = append(stack, key)
		for _, r := range ls.reqs {
			dep := byKey[r.key]
			if dep == nil || r.key == key {
				continue // unknown or self, reported elsewhere
			}
			switch state[r.key] {
			case onStack:
				cycle := append(slices.Clone(stack[slices.Index(stack, r.key):]), r.key)
				p.errorf(r.node, r.path, "dependency cycle: %s", strings.Join(cycle, " -> "))
			case unvisited:
				visit(dep)
			}
		}
		stack = stack[:len(stack)-1]
		state[key] = done
	}
	for _, ls := range order {
		if state[ls.lane.Key] == unvisited {
			visit(ls)
		}
	}
}

// describe renders a node for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return strconv.Quote(n.Value)
		case "!!null":
			return "null"
		case "!!int", "!!float", "!!bool":
			return n.Value
		}
		return n.Tag + " " + strconv.Quote(n.Value)
	}
	return "a document"
}
