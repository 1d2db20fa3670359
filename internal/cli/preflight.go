package cli

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/dokploy"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/preflight"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/store"
)

// dokployKeyEnv are the variables the Dokploy API key is read from, in
// order. Both are registered secrets (secrets.go).
var dokployKeyEnv = []string{"DOKPLOY_API_KEY", "LANEGATE_INPUT_DOKPLOY_API_KEY"}

// routeCollector keeps the records of one route from a scan.
type routeCollector struct {
	route store.Route
	found *store.RouteRecords
}

func (c *routeCollector) Bindings(store.Bindings) error { return nil }

func (c *routeCollector) Route(rr *store.RouteRecords) error {
	if rr.Route == c.route {
		cp := *rr
		c.found = &cp
	}
	return nil
}

type preflightFlags struct {
	storeFlags
	lane           string
	dokployURL     string
	dokployTimeout time.Duration
	format         string
}

func runPreflight(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "preflight", "preflight --lane CTX/INST [--state-dir DIR | --database-url URL] [--dokploy-url URL] [--dokploy-timeout 15s] [--format table|json]\n\nThe Dokploy API key is read from DOKPLOY_API_KEY.")
	var f preflightFlags
	addStoreFlags(fs, &f.storeFlags)
	fs.StringVar(&f.lane, "lane", "", "lane route CONTEXT/INSTANCE to check")
	fs.StringVar(&f.dokployURL, "dokploy-url", "", "Dokploy instance URL; with DOKPLOY_API_KEY, also check the live application or compose")
	fs.DurationVar(&f.dokployTimeout, "dokploy-timeout", dokploy.DefaultTimeout, "timeout of the Dokploy API request")
	fs.StringVar(&f.format, "format", "table", "stdout format: table or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormatFlag(report.KindPreflight, f.format); err != nil {
		return err
	}
	if f.lane == "" {
		return usageErr("preflight needs --lane CONTEXT/INSTANCE")
	}
	ctxName, instName, err := lanes.ParseRoute(f.lane)
	if err != nil {
		return usageErr("--lane: %v", err)
	}
	route := store.Route{Context: ctxName, Instance: instName}
	if f.dokployTimeout <= 0 {
		return usageErr("--dokploy-timeout must be positive")
	}
	var key string
	for _, k := range dokployKeyEnv {
		if v := strings.TrimSpace(env.Getenv(k)); v != "" {
			key = v
			break
		}
	}
	if key != "" {
		env.rt.Mask(key)
	}
	var client *dokploy.Client
	if f.dokployURL != "" {
		if key == "" {
			return usageErr("--dokploy-url needs the Dokploy API key in DOKPLOY_API_KEY")
		}
		client, err = dokploy.New(f.dokployURL, key, &http.Client{Timeout: f.dokployTimeout})
		if err != nil {
			return usageErr("--dokploy-url: %s", env.rt.Redact(err.Error()))
		}
	}

	// A store that cannot list routes reads exactly this lane.
	f.storeFlags.lanes = []store.Route{route}
	st, err := openStore(ctx, env, &f.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, ok := st.(backend.StoredRecords); !ok {
		return usageErr("preflight decides on the Dokploy target and target-id records as stored, which %s does not return; run preflight on --database-url or --state-dir", st.Describe())
	}
	col := &routeCollector{route: route}
	if err := st.Scan(ctx, store.Scope{Context: route.Context, Instance: route.Instance}, col); err != nil {
		return err
	}
	in := preflight.Input{Route: route, Records: col.found, LiveConfigured: client != nil}
	if client != nil && preflight.WantLookup(preflight.RecordChecks(route, col.found)) {
		lk := lookupDokploy(ctx, client, col.found.Provider)
		in.Lookup = &lk
	}
	rep := preflight.Decide(in)
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := writePreflight(env, f.format, &rep); err != nil {
		return err
	}
	switch rep.Status {
	case preflight.StatusError:
		return runtimeErr("%s", rep.Reason())
	case preflight.StatusBlocked:
		return &exitError{code: ExitBlocked, msg: rep.Reason()}
	}
	return nil
}

// lookupDokploy asks Dokploy for the application or compose the row names
// and classifies the answer for the preflight decision.
func lookupDokploy(ctx context.Context, c *dokploy.Client, p *record.ProviderTarget) preflight.Lookup {
	live, err := c.Get(ctx, p.ProviderTargetType, p.TargetID)
	var (
		authErr *dokploy.AuthError
		unavErr *dokploy.UnavailableError
	)
	switch {
	case err == nil:
		return preflight.Lookup{Outcome: preflight.Found, Type: live.Type, ID: live.ID, Name: strings.TrimSpace(live.Name)}
	case errors.Is(err, dokploy.ErrNotFound):
		return preflight.Lookup{Outcome: preflight.NotFound, Err: err.Error()}
	case errors.As(err, &authErr):
		return preflight.Lookup{Outcome: preflight.Refused, Err: authErr.Error()}
	case errors.As(err, &unavErr):
		return preflight.Lookup{Outcome: preflight.Unavailable, Err: unavErr.Error()}
	case errors.Is(err, context.Canceled):
		return preflight.Lookup{Outcome: preflight.Interrupted, Err: err.Error()}
	}
	return preflight.Lookup{Outcome: preflight.Failed, Err: err.Error()}
}

func writePreflight(env *Env, format string, rep *preflight.Report) error {
	if err := report.Render(env.Stdout, format, report.PreflightDoc{Report: rep}); err != nil {
		return runtimeErr("write report: %v", err)
	}
	return nil
}
