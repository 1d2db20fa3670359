package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/registry"
	"github.com/lanegate/lanegate/internal/store"
)

// storeFlags choose the record store: one flag per registered backend
// (--state-dir, --database-url, ...), plus the options every backend may
// read.
type storeFlags struct {
	targets          map[string]*string // by backend kind: the flag's value
	options          map[string]*string // driver options (--audience, ...) by name
	optionOwner      map[string]string  // option name -> the driver kind that reads it
	lanes            []store.Route      // lanes.yaml's routes, for a backend that cannot list routes
	statementTimeout time.Duration
	allowEmpty       bool

	announced bool // the chosen store was printed on stderr
}

// addStoreFlags registers one flag per backend of the registry, so a new
// backend brings its flag to every command that reads a store.
func addStoreFlags(fs *flag.FlagSet, s *storeFlags) {
	drivers := registry.Drivers()
	s.targets = map[string]*string{}
	for _, d := range drivers {
		var others []string
		for _, o := range drivers {
			if o.Kind != d.Kind {
				others = append(others, "--"+o.Flag)
			}
		}
		usage := d.Usage
		if len(d.Env) > 0 {
			usage += " (or " + strings.Join(d.Env, ", ") + ")"
		}
		if len(others) > 0 {
			usage += "; cannot be combined with " + strings.Join(others, ", ")
		}
		s.targets[d.Kind] = fs.String(d.Flag, "", usage)
	}
	s.options, s.optionOwner = map[string]*string{}, map[string]string{}
	for _, d := range drivers {
		for _, o := range d.Options {
			s.options[o.Name] = fs.String(o.Name, "", o.Usage)
			s.optionOwner[o.Name] = d.Kind
		}
	}
	fs.DurationVar(&s.statementTimeout, "statement-timeout", backend.DefaultStatementTimeout, "Postgres statement timeout")
	fs.BoolVar(&s.allowEmpty, "allow-empty", false, "accept a state directory with none of Launchplane's record directories as an empty state")
}

// flagValues are the store flags as registry.Choose takes them.
func (s *storeFlags) flagValues() map[string]string {
	out := map[string]string{}
	for k, v := range s.targets {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

func flagWasSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// errNoStore is choose's answer when nothing names a store.
var errNoStore = usageErr("%s", registry.NoStoreMessage())

// choose applies the one precedence rule (registry.Choose): an explicit
// flag always wins over the environment; two flags naming stores, two
// environment variables naming different stores, and no store at all are
// usage errors. The Spec carries the options of the flags; its Kind, Name
// and Source are safe to print, its Target is not.
func (s *storeFlags) choose(env *Env) (backend.Spec, error) {
	c, err := registry.Choose(s.flagValues(), env.Getenv)
	if errors.Is(err, registry.ErrNoStore) {
		return c, errNoStore
	}
	if err != nil {
		return c, usageErr("%v", err)
	}
	if err := s.setOptions(&c); err != nil {
		return c, err
	}
	s.fillOptions(env, &c)
	c.AllowEmpty = s.allowEmpty
	return c, nil
}

// fillOptions sets the options every store a command opens shares: the
// working directory, lanes.yaml's routes, the environment, the statement
// timeout, the mask hook and where notes go.
func (s *storeFlags) fillOptions(env *Env, c *backend.Spec) {
	c.WorkDir = env.Dir
	c.Lanes = s.lanes
	c.Secret = env.rt.Mask
	c.StatementTimeout = s.statementTimeout
	c.Getenv = env.Getenv
	c.Notice = func(msg string) { fmt.Fprintf(env.Stderr, "lanegate: note: %s\n", msg) }
}

// setOptions copies the driver options that were given into c; an option
// of a driver other than the chosen one is a usage error, not ignored.
func (s *storeFlags) setOptions(c *backend.Spec) error {
	names := make([]string, 0, len(s.options))
	for name, v := range s.options {
		if v != nil && *v != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		owner := s.optionOwner[name]
		if owner != c.Kind {
			d, _ := registry.Lookup(owner)
			return usageErr("--%s applies to --%s only (the chosen store is %s)", name, d.Flag, c.Kind)
		}
		if c.Options == nil {
			c.Options = map[string]string{}
		}
		c.Options[name] = *s.options[name]
	}
	return nil
}

// announce prints the chosen store once per command, so a reader of the
// log knows what was read before anything else happens.
func (s *storeFlags) announce(env *Env, c backend.Spec) {
	if s.announced {
		return
	}
	s.announced = true
	fmt.Fprintf(env.Stderr, "lanegate: store: %s\n", c)
}

// chooseAndAnnounce is choose followed by announce.
func (s *storeFlags) chooseAndAnnounce(env *Env) (backend.Spec, error) {
	c, err := s.choose(env)
	if err != nil {
		return c, err
	}
	s.announce(env, c)
	return c, nil
}

// resolve says whether a store was named, for callers that only ask that:
// both results are "" when none was, the chosen store's target and source
// when one was, and "(ambiguous)" when the choice itself is an error (so
// the caller goes on to open the store and reports that error).
func (s *storeFlags) resolve(env *Env) (target, source string) {
	c, err := s.choose(env)
	switch {
	case err == errNoStore:
		return "", ""
	case err != nil:
		return "(ambiguous)", "(ambiguous)"
	}
	return c.Target, c.Source
}

// openStore opens the chosen store for reading Launchplane's records.
func openStore(ctx context.Context, env *Env, s *storeFlags) (store.Reader, error) {
	b, err := openBackend(ctx, env, s, false)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// openBackend chooses, announces and opens the store. skipRecordCheck
// opens it for lanegate's own data only (see backend.Spec).
func openBackend(ctx context.Context, env *Env, s *storeFlags, skipRecordCheck bool) (backend.Backend, error) {
	c, err := s.chooseAndAnnounce(env)
	if err != nil {
		return nil, err
	}
	c.SkipRecordCheck = skipRecordCheck
	return registry.Open(ctx, c)
}
