package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/lanegate/lanegate/internal/dokploy"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// dokployKeyEnv are the variables the Dokploy API key is read from, in
// order. Both are registered secrets (secrets.go).
var dokployKeyEnv = []string{"DOKPLOY_API_KEY", "LANEGATE_INPUT_DOKPLOY_API_KEY"}

// Preflight check statuses.
const (
	checkPass  = "pass"
	checkFail  = "fail"  // the deploy must not go ahead (exit 1)
	checkError = "error" // the check could not be made (exit 3)
	checkSkip  = "skip"
)

// preflightCheck is one line of the preflight.
type preflightCheck struct {
	Check    string `json:"check"`
	Status   string `json:"status"`
	Field    string `json:"field,omitempty"`
	Actual   string `json:"actual,omitempty"`   // the provider-target row's value
	Expected string `json:"expected,omitempty"` // what it must equal
	Message  string `json:"message"`
}

type preflightReport struct {
	Lane   string           `json:"lane"`
	Status string           `json:"status"` // pass, blocked or error
	Checks []preflightCheck `json:"checks"`
}

func (r *preflightReport) add(c preflightCheck) { r.Checks = append(r.Checks, c) }

func (r *preflightReport) first(status string) *preflightCheck {
	for i := range r.Checks {
		if r.Checks[i].Status == status {
			return &r.Checks[i]
		}
	}
	return nil
}

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
	if err := checkFormat(f.format); err != nil {
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

	st, err := openStore(ctx, env, &f.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	col := &routeCollector{route: route}
	if err := st.Scan(ctx, store.Scope{Context: route.Context, Instance: route.Instance}, col); err != nil {
		return err
	}

	rep := &preflightReport{Lane: route.Key()}
	recordChecks(rep, route, col.found)
	if rep.first(checkFail) != nil {
		if client != nil {
			rep.add(preflightCheck{Check: "dokploy", Status: checkSkip, Message: "live Dokploy check skipped: the records disagree"})
		}
	} else if client == nil {
		rep.add(preflightCheck{Check: "dokploy", Status: checkSkip, Message: "live Dokploy check skipped (no --dokploy-url)"})
	} else {
		dokployChecks(ctx, rep, route, col.found.Provider, client)
	}

	rep.Status = "pass"
	var result error
	if c := rep.first(checkError); c != nil {
		rep.Status, result = "error", runtimeErr("%s", c.Message)
	} else if c := rep.first(checkFail); c != nil {
		rep.Status, result = "blocked", &exitError{code: ExitBlocked, msg: c.Message}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := writePreflight(env, f.format, rep); err != nil {
		return err
	}
	return result
}

// recordChecks compares the stored records the way Launchplane's
// generic-web Dokploy provider does before it deploys: the provider-target
// row must exist and agree with the Dokploy target and target-id records on
// provider, type, category and id, and its type must be one Dokploy runs.
func recordChecks(rep *preflightReport, route store.Route, rr *store.RouteRecords) {
	key := route.Key()
	if rr != nil && len(rr.Invalid) > 0 {
		for _, inv := range rr.Invalid {
			rep.add(preflightCheck{Check: "records", Status: checkFail,
				Message: fmt.Sprintf("Invalid record for %s: %s. Fix the record before deploying.", key, inv.Detail())})
		}
	}
	var p *record.ProviderTarget
	var t *record.DokployTarget
	var id *record.DokployTargetID
	if rr != nil {
		p, t, id = rr.Provider, rr.Target, rr.TargetID
	}
	if p == nil {
		if !invalidOf(rr, record.KindProviderTarget) {
			rep.add(preflightCheck{Check: "provider-target", Status: checkFail,
				Message: fmt.Sprintf("Missing provider-target authority for %s. Run provider-target audit/backfill before deploying.", key)})
		}
	} else {
		rep.add(preflightCheck{Check: "provider-target", Status: checkPass,
			Message: fmt.Sprintf("provider-target row for %s: %s %s %s", key, p.ProviderID, p.ProviderTargetType, record.PyRepr(p.TargetID))})
	}
	if t == nil && !invalidOf(rr, record.KindDokployTarget) {
		rep.add(preflightCheck{Check: "dokploy-target", Status: checkFail,
			Message: fmt.Sprintf("Missing Dokploy target record for %s: Dokploy execution has no target configuration.", key)})
	}
	if id == nil && !invalidOf(rr, record.KindDokployTargetID) {
		rep.add(preflightCheck{Check: "dokploy-target-id", Status: checkFail,
			Message: fmt.Sprintf("Missing Dokploy target-id record for %s: Dokploy execution has no target id.", key)})
	}
	if p == nil {
		return
	}
	compare := func(check, field, actual, expected string, mismatch string) {
		if actual == expected {
			rep.add(preflightCheck{Check: check, Status: checkPass, Field: field, Actual: actual, Expected: expected,
				Message: fmt.Sprintf("%s %s matches", field, record.PyRepr(actual))})
			return
		}
		rep.add(preflightCheck{Check: check, Status: checkFail, Field: field, Actual: actual, Expected: expected, Message: mismatch})
	}
	compare("provider", "provider_id", p.ProviderID, record.ProviderIDDokploy,
		fmt.Sprintf("Provider-target identity mismatch for %s: provider_id expected %s, provider-target has %s.",
			key, record.PyRepr(record.ProviderIDDokploy), record.PyRepr(p.ProviderID)))
	if t != nil {
		compare("type", "provider_target_type", p.ProviderTargetType, t.TargetType,
			fmt.Sprintf("Provider-target type mismatch for %s: provider_target_type is %s in the provider-target row, the Dokploy target record has target_type %s.",
				key, record.PyRepr(p.ProviderTargetType), record.PyRepr(t.TargetType)))
		compare("category", "target_category", p.TargetCategory, t.TargetType,
			fmt.Sprintf("Provider-target category mismatch for %s: target_category is %s in the provider-target row, the Dokploy target record has target_type %s.",
				key, record.PyRepr(p.TargetCategory), record.PyRepr(t.TargetType)))
	}
	if id != nil {
		compare("target-id", "target_id", p.TargetID, id.TargetID,
			fmt.Sprintf("Provider-target id mismatch for %s: target_id is %s in the provider-target row, the Dokploy target-id record has %s.",
				key, record.PyRepr(p.TargetID), record.PyRepr(id.TargetID)))
	}
	switch p.ProviderTargetType {
	case dokploy.TypeApplication, dokploy.TypeCompose:
		rep.add(preflightCheck{Check: "supported-type", Status: checkPass, Field: "provider_target_type", Actual: p.ProviderTargetType,
			Message: fmt.Sprintf("provider_target_type %s is deployable through Dokploy", record.PyRepr(p.ProviderTargetType))})
	default:
		rep.add(preflightCheck{Check: "supported-type", Status: checkFail, Field: "provider_target_type", Actual: p.ProviderTargetType,
			Expected: "application or compose",
			Message: fmt.Sprintf("Dokploy execution only supports provider_target_type 'application' or 'compose'; %s has %s.",
				key, record.PyRepr(p.ProviderTargetType))})
	}
}

func invalidOf(rr *store.RouteRecords, kind record.Kind) bool {
	if rr == nil {
		return false
	}
	for _, inv := range rr.Invalid {
		if inv.Kind == kind {
			return true
		}
	}
	return false
}

// dokployChecks asks Dokploy for the application or compose the row names
// and compares its name with the row's display_name.
func dokployChecks(ctx context.Context, rep *preflightReport, route store.Route, p *record.ProviderTarget, c *dokploy.Client) {
	key := route.Key()
	live, err := c.Get(ctx, p.ProviderTargetType, p.TargetID)
	var (
		authErr  *dokploy.AuthError
		unavErr  *dokploy.UnavailableError
		checkMsg string
	)
	switch {
	case err == nil:
	case errors.Is(err, dokploy.ErrNotFound):
		rep.add(preflightCheck{Check: "dokploy", Status: checkFail, Field: "target_id", Actual: p.TargetID,
			// err says the same ("Dokploy has no … with id …"): once is enough.
			Message: fmt.Sprintf("Dokploy has no %s with id %s for %s.", p.ProviderTargetType, record.PyRepr(p.TargetID), key)})
		return
	case errors.As(err, &authErr):
		checkMsg = fmt.Sprintf("Dokploy refused the preflight lookup of %s %s for %s: %v", p.ProviderTargetType, record.PyRepr(p.TargetID), key, authErr)
	case errors.As(err, &unavErr):
		checkMsg = fmt.Sprintf("cannot confirm %s %s for %s: %v (not a pass; retry when Dokploy answers)", p.ProviderTargetType, record.PyRepr(p.TargetID), key, unavErr)
	case errors.Is(err, context.Canceled):
		checkMsg = fmt.Sprintf("Dokploy lookup for %s interrupted", key)
	default:
		checkMsg = fmt.Sprintf("cannot confirm %s %s for %s: %v", p.ProviderTargetType, record.PyRepr(p.TargetID), key, err)
	}
	if err != nil {
		rep.add(preflightCheck{Check: "dokploy", Status: checkError, Message: checkMsg})
		return
	}
	rep.add(preflightCheck{Check: "dokploy", Status: checkPass, Field: "target_id", Actual: p.TargetID,
		Message: fmt.Sprintf("Dokploy %s %s exists", live.Type, record.PyRepr(live.ID))})
	name := strings.TrimSpace(live.Name)
	if name == p.DisplayName {
		rep.add(preflightCheck{Check: "dokploy-name", Status: checkPass, Field: "display_name", Actual: p.DisplayName, Expected: name,
			Message: fmt.Sprintf("Dokploy name %s matches display_name", record.PyRepr(name))})
		return
	}
	rep.add(preflightCheck{Check: "dokploy-name", Status: checkFail, Field: "display_name", Actual: p.DisplayName, Expected: name,
		Message: fmt.Sprintf("Provider-target name mismatch for %s: display_name is %s in the provider-target row, Dokploy %s %s is named %s.",
			key, record.PyRepr(p.DisplayName), live.Type, record.PyRepr(live.ID), record.PyRepr(name))})
}

func writePreflight(env *Env, format string, rep *preflightReport) error {
	if format == "json" {
		return writeJSON(env.Stdout, rep)
	}
	labels := map[string]string{checkPass: "ok", checkFail: "FAIL", checkError: "ERROR", checkSkip: "skip"}
	for _, c := range rep.Checks {
		fmt.Fprintf(env.Stdout, "%-5s %s: %s\n", labels[c.Status], c.Check, c.Message)
	}
	switch rep.Status {
	case "pass":
		fmt.Fprintf(env.Stdout, "preflight passed for %s\n", rep.Lane)
	case "blocked":
		fmt.Fprintf(env.Stdout, "preflight BLOCKED for %s: do not deploy\n", rep.Lane)
	default:
		fmt.Fprintf(env.Stdout, "preflight could not complete for %s: do not deploy\n", rep.Lane)
	}
	return nil
}
