// Package registry is the one list of lanegate's backends and the one rule
// that picks among them. Adding a backend is one package under
// internal/backend that exports a backend.Driver, plus one line in drivers
// below: its flag, environment variables and messages follow from the
// Driver.
package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/fs"
	"github.com/lanegate/lanegate/internal/backend/launchplane"
	"github.com/lanegate/lanegate/internal/backend/pg"
)

// drivers in the order messages mention them.
var drivers = []backend.Driver{
	fs.Driver,
	pg.Driver,
	launchplane.Driver,
}

// Drivers returns the registered drivers, in the order messages mention
// them.
func Drivers() []backend.Driver { return append([]backend.Driver(nil), drivers...) }

// Lookup returns the driver of a kind.
func Lookup(kind string) (backend.Driver, bool) {
	for _, d := range drivers {
		if d.Kind == kind {
			return d, true
		}
	}
	return backend.Driver{}, false
}

// ErrNoStore is Choose's answer when neither a flag nor the environment
// names a store. Its text is NoStoreMessage.
var ErrNoStore = errors.New(NoStoreMessage())

// NoStoreMessage says how to name a store:
// "no record store chosen: pass --state-dir DIR or --database-url URL (or
// set LAUNCHPLANE_STATE_DIR / LANEGATE_DATABASE_URL)".
func NoStoreMessage() string {
	var flags, envs []string
	for _, d := range drivers {
		flags = append(flags, "--"+d.Flag+" "+d.Metavar)
		envs = append(envs, d.Env[0])
	}
	return "no record store chosen: pass " + OrList(flags) + " (or set " + strings.Join(envs, " / ") + ")"
}

// OrList joins "a", "a or b", "a, b or c", as the choice messages do.
func OrList(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

func usage(format string, args ...any) error {
	return &backend.ConfigError{Err: fmt.Errorf(format, args...)}
}

// Choose applies the one precedence rule to the store flags (by driver
// Kind: the value given to that driver's flag, "" when not given) and the
// environment: an explicit flag always wins over the environment; two flags
// naming stores, two environment variables of one driver with different
// values, two drivers named by the environment, and no store at all are
// errors (*backend.ConfigError; ErrNoStore for the last). Nothing is
// guessed: a run reads exactly the store it names. The Spec has Kind,
// Target, Name, Source and Path set; the caller adds the options.
func Choose(flags map[string]string, getenv func(string) string) (backend.Spec, error) {
	var chosen []backend.Driver
	for _, d := range drivers {
		if flags[d.Kind] != "" {
			chosen = append(chosen, d)
		}
	}
	switch len(chosen) {
	case 0:
	case 1:
		d := chosen[0]
		return spec(d, flags[d.Kind], "--"+d.Flag), nil
	default:
		return backend.Spec{}, usage("--%s and --%s name two record stores: pass only one", chosen[0].Flag, chosen[1].Flag)
	}
	var found []backend.Spec
	var from []backend.Driver
	for _, d := range drivers {
		s, err := FromEnv(d, getenv)
		if err != nil {
			return backend.Spec{}, err
		}
		if s.Target != "" {
			found = append(found, s)
			from = append(from, d)
		}
	}
	switch len(found) {
	case 0:
		return backend.Spec{}, ErrNoStore
	case 1:
		return found[0], nil
	}
	// Named later first: "LANEGATE_DATABASE_URL and LAUNCHPLANE_STATE_DIR".
	a, b := len(found)-1, len(found)-2
	return backend.Spec{}, usage("%s and %s name two record stores: pass --%s or --%s to pick one, or unset one of them",
		found[a].Source, found[b].Source, from[a].Flag, from[b].Flag)
}

// FromEnv reads one driver's environment variables. Set to different
// values they are an error, not a priority list: a stale variable must not
// silently pick the wrong store. No variable set gives a zero Spec.
func FromEnv(d backend.Driver, getenv func(string) string) (backend.Spec, error) {
	var first string
	var firstVal string
	for _, k := range d.Env {
		v := getenv(k)
		switch {
		case v == "":
		case first == "":
			first, firstVal = k, v
		case v != firstVal:
			return backend.Spec{}, usage("%s and %s name different %s (%s, %s): unset one, or pass --%s",
				first, k, d.Differ, d.Name(firstVal), d.Name(v), d.Flag)
		}
	}
	if first == "" {
		return backend.Spec{}, nil
	}
	return spec(d, firstVal, first), nil
}

// FromFlag is the Spec of a store named by d's flag with value target.
func FromFlag(d backend.Driver, target string) backend.Spec {
	return spec(d, target, "--"+d.Flag)
}

func spec(d backend.Driver, target, source string) backend.Spec {
	return backend.Spec{Kind: d.Kind, Target: target, Name: d.Name(target), Source: source, Path: d.Path}
}

// Open opens the store spec names with its driver.
func Open(ctx context.Context, spec backend.Spec) (backend.Backend, error) {
	d, ok := Lookup(spec.Kind)
	if !ok {
		return nil, fmt.Errorf("no backend of kind %q", spec.Kind)
	}
	return d.Open(ctx, spec)
}
