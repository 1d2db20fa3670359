package cli_test

// The Launchplane service backend through the command line: a real fake
// service (lpfake, an httptest server computing its answers from a real
// state directory) and a fake GitHub OIDC endpoint, driven by the in-process
// runner and by the built binary in the simulated Actions runner.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/backend/launchplane"
	"github.com/lanegate/lanegate/internal/backend/launchplane/lpfake"
	"github.com/lanegate/lanegate/internal/cli"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/store"
	"github.com/lanegate/lanegate/internal/testkit"
)

// svcToken is the operator bearer of the in-process tests; svcJWT is what
// the fake OIDC endpoint mints; svcRequestToken is the runner's
// ACTIONS_ID_TOKEN_REQUEST_TOKEN. None may appear in any output.
const (
	svcToken        = "lp-operator-7c1f0a9e3b5d42a8"
	svcJWT          = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2lnbmF0dXJlLXNlY3JldA"
	svcRequestToken = "runner-request-token-5e8d2b71"
)

// svcLanes declares every route of svcRoutes plus one without records.
const svcLanes = `schema_version: 1
lanes:
  - {route: syo/prod, product: syo, driver: generic-web, wave: 1}
  - {route: new/prod, product: new, driver: generic-web, wave: 1}
  - {route: new/testing, product: new, driver: generic-web, wave: 1}
  - {route: cm/prod, product: cm, driver: odoo, wave: 2}
  - {route: declared/only, product: d, driver: odoo, wave: 2}
`

// svcRoutes: complete, two missing provider-target rows, one without a
// Dokploy target (a blocked finding, warning in the plan).
func svcRoutes() []fixture.Route {
	a := fixture.Complete("new", "prod")
	a.Provider = nil
	b := fixture.Complete("new", "testing")
	b.Provider = nil
	c := fixture.Complete("cm", "prod")
	c.Target = nil
	return []fixture.Route{fixture.Complete("syo", "prod"), a, b, c}
}

// svcCreates is svcRoutes with only the two missing rows (a plan that
// applies).
func svcCreates() []fixture.Route {
	a := fixture.Complete("new", "prod")
	a.Provider = nil
	b := fixture.Complete("new", "testing")
	b.Provider = nil
	return []fixture.Route{fixture.Complete("syo", "prod"), a, b}
}

const svcCreatesLanes = `schema_version: 1
lanes:
  - {route: syo/prod, product: syo, driver: generic-web, wave: 1}
  - {route: new/prod, product: new, driver: generic-web, wave: 1}
  - {route: new/testing, product: new, driver: generic-web, wave: 1}
`

// svcWorld is a working directory with lanes.yaml and a state directory
// (state/) that a fake service serves.
type svcWorld struct {
	dir, state string
	fake       *lpfake.Server
}

func newSvcWorld(t *testing.T, routes []fixture.Route, lanesYAML string) *svcWorld {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	testkit.WriteState(t, state, routes...)
	if err := os.WriteFile(filepath.Join(dir, "lanes.yaml"), []byte(lanesYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	f := lpfake.New(t, state)
	f.Grant(svcToken, launchplane.GrantAudit, launchplane.GrantBackfill, launchplane.GrantRead)
	return &svcWorld{dir: dir, state: state, fake: f}
}

func (w *svcWorld) env() map[string]string { return map[string]string{"LAUNCHPLANE_TOKEN": svcToken} }

func (w *svcWorld) run(t *testing.T, env map[string]string, args ...string) testkit.Result {
	t.Helper()
	return lanegate.In(w.dir, env, args...)
}

// svcNoSecret fails when any secret of the service tests is in s.
func svcNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range []string{svcToken, svcJWT, svcRequestToken} {
		for _, part := range []string{sec, sec[:12], sec[len(sec)-12:]} {
			if strings.Contains(s, part) {
				t.Errorf("%s holds (part of) a secret %q", what, part)
			}
		}
	}
}

// svcStrip decodes a JSON report and removes the keys only the service
// backend's report has, or has differently: store, notices, trace_ids.
func svcStrip(t *testing.T, raw string) (rest map[string]any, notices []any, traces map[string]any) {
	t.Helper()
	if err := json.Unmarshal([]byte(raw), &rest); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, raw)
	}
	notices, _ = rest["notices"].([]any)
	traces, _ = rest["trace_ids"].(map[string]any)
	delete(rest, "store")
	delete(rest, "notices")
	delete(rest, "trace_ids")
	return rest, notices, traces
}

// TestServiceBackendAuditMatchesStateDir: the audit over the service prints
// the same table as --state-dir on the same state, and the same JSON except
// the store, the service's notices and the per-lane trace ids.
func TestServiceBackendAuditMatchesStateDir(t *testing.T) {
	w := newSvcWorld(t, svcRoutes(), svcLanes)
	svc := []string{"audit", "--launchplane-url", w.fake.URL}
	fs := []string{"audit", "--state-dir", "state"}

	st := w.run(t, nil, append(fs, "--format", "table")...)
	lp := w.run(t, w.env(), append(svc, "--format", "table")...)
	if st.Code != cli.ExitBlocked || lp.Code != cli.ExitBlocked {
		t.Fatalf("want exit 1 from both\nstate-dir: %s\nservice: %s", st, lp)
	}
	if lp.Stdout != st.Stdout {
		t.Errorf("table differs\n--- state-dir ---\n%s\n--- service ---\n%s", st.Stdout, lp.Stdout)
	}
	stM := w.run(t, nil, append(fs, "--format", "markdown")...)
	lpM := w.run(t, w.env(), append(svc, "--format", "markdown")...)
	if lpM.Stdout != stM.Stdout || lpM.Stdout == "" {
		t.Errorf("markdown differs\n--- state-dir ---\n%s\n--- service ---\n%s", stM.Stdout, lpM.Stdout)
	}
	if !strings.Contains(lp.Stderr, "lanegate: notice: "+launchplane.RoutesNotice(5)) {
		t.Errorf("stderr lacks the routes notice:\n%s", lp.Stderr)
	}

	stJ := w.run(t, nil, append(fs, "--format", "json")...)
	lpJ := w.run(t, w.env(), append(svc, "--format", "json")...)
	a, stNotices, stTraces := svcStrip(t, stJ.Stdout)
	b, notices, traces := svcStrip(t, lpJ.Stdout)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("JSON differs beyond store/notices/trace_ids\n--- state-dir ---\n%s\n--- service ---\n%s", stJ.Stdout, lpJ.Stdout)
	}
	if stNotices != nil || stTraces != nil {
		t.Errorf("the state-dir report gained service keys:\n%s", stJ.Stdout)
	}
	if len(notices) == 0 || notices[0] != launchplane.RoutesNotice(5) {
		t.Errorf("notices = %q, want the routes notice first", notices)
	}
	if !strings.Contains(lpJ.Stdout, `"kind": "launchplane"`) {
		t.Errorf("store is not the service:\n%s", lpJ.Stdout)
	}
	// One trace id per lane the service answered (declared/only included:
	// the service answered no_matching_routes).
	for _, lane := range []string{"syo/prod", "new/prod", "new/testing", "cm/prod", "declared/only"} {
		if id, _ := traces[lane].(string); !strings.HasPrefix(id, "launchplane_req_") {
			t.Errorf("trace_ids[%s] = %v, want the service's trace id\n%s", lane, traces[lane], lpJ.Stdout)
		}
	}
	svcNoSecret(t, "output", lp.Stdout+lp.Stderr+lpJ.Stdout+lpJ.Stderr)
}

// TestServiceBackendAuditFailedLaneBlocked: a lane whose call fails is
// blocked with the service's error code, message and trace id, never
// skipped; the other lanes are audited.
func TestServiceBackendAuditFailedLaneBlocked(t *testing.T) {
	w := newSvcWorld(t, svcRoutes(), svcLanes)
	w.fake.SetHook(func(r lpfake.Request, n int) lpfake.Fault {
		if r.Route.Key() == "syo/prod" {
			return lpfake.Fault503
		}
		return lpfake.FaultNone
	})
	res := w.run(t, w.env(), "audit", "--launchplane-url", w.fake.URL, "--format", "json")
	res.Want(t, cli.ExitBlocked)
	var rep struct {
		Findings []struct{ Context, Instance, Status, Severity, Detail string }
	}
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range rep.Findings {
		if f.Context+"/"+f.Instance == "syo/prod" {
			found = true
			if f.Severity != "blocked" || !strings.Contains(f.Detail, "database_required") || !strings.Contains(f.Detail, "trace_id launchplane_req_") {
				t.Errorf("syo/prod finding = %+v, want blocked naming database_required and the trace id", f)
			}
		}
	}
	if !found {
		t.Fatalf("syo/prod was skipped:\n%s", res.Stdout)
	}
}

// TestServiceBackendUsageErrors: what cannot run on the service is refused
// with a sentence, exit 2, before any call.
func TestServiceBackendUsageErrors(t *testing.T) {
	w := newSvcWorld(t, svcRoutes(), svcLanes)
	url := w.fake.URL
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"audit --no-lanes", w.env(), []string{"audit", "--launchplane-url", url, "--no-lanes"}, "--no-lanes cannot be used with --launchplane-url"},
		{"audit --record", w.env(), []string{"audit", "--launchplane-url", url, "--record"}, "--record needs a store that keeps lanegate's runs"},
		{"backfill --recover", w.env(), []string{"backfill", "--launchplane-url", url, "--recover"}, "--recover applies to a filesystem state only"},
		{"preflight", w.env(), []string{"preflight", "--launchplane-url", url, "--lane", "syo/prod"}, "preflight decides on the Dokploy target and target-id records as stored"},
		{"migrate", w.env(), []string{"migrate", "--launchplane-url", url}, "flag provided but not defined: -launchplane-url"},
		{"migrate from LAUNCHPLANE_URL", map[string]string{"LAUNCHPLANE_URL": url, "LAUNCHPLANE_TOKEN": svcToken}, []string{"migrate"}, "this command needs --database-url"},
		{"export", w.env(), []string{"export", "--launchplane-url", url, "--out", "x"}, "flag provided but not defined: -launchplane-url"},
		{"audience with another store", nil, []string{"audit", "--state-dir", "state", "--audience", "x"}, "--audience applies to --launchplane-url only"},
		{"no token", nil, []string{"audit", "--launchplane-url", url}, "no Launchplane token"},
		{"missing OIDC environment", map[string]string{"GITHUB_ACTIONS": "true"}, []string{"audit", "--launchplane-url", url},
			"the job needs `permissions: id-token: write`"},
		{"token file missing", nil, []string{"audit", "--launchplane-url", url, "--token-file", "absent"}, "cannot read the Launchplane token file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(w.fake.Requests())
			res := w.run(t, tc.env, tc.args...)
			res.Want(t, cli.ExitConfig)
			if !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, res.Stderr)
			}
			if n := len(w.fake.Requests()) - before; n != 0 {
				t.Errorf("%d service call(s) made", n)
			}
			svcNoSecret(t, "output", res.Stdout+res.Stderr)
		})
	}
}

// TestServiceBackendPlanDigestSameOnAllBackends: the same state gives the
// same dry run (items, totals, plan_digest) on the filesystem, Postgres
// and the service.
func TestServiceBackendPlanDigestSameOnAllBackends(t *testing.T) {
	routes := svcRoutes()
	w := newSvcWorld(t, routes, svcLanes)
	db := testkit.LaunchplaneDatabase(t, routes...)
	runs := map[string]testkit.Result{
		"filesystem":  w.run(t, nil, "backfill", "--state-dir", "state", "--format", "json"),
		"postgres":    w.run(t, nil, "backfill", "--database-url", db, "--format", "json"),
		"launchplane": w.run(t, w.env(), "backfill", "--launchplane-url", w.fake.URL, "--format", "json"),
	}
	var ref map[string]any
	for _, kind := range []string{"filesystem", "postgres", "launchplane"} {
		res := runs[kind]
		// cm/prod's audit finding (missing_dokploy_target) refuses the apply.
		res.Want(t, cli.ExitBlocked)
		rep, _, traces := svcStrip(t, res.Stdout)
		if d, _ := rep["plan_digest"].(string); !strings.HasPrefix(d, "sha256:") {
			t.Fatalf("%s: no plan digest\n%s", kind, res.Stdout)
		}
		if (kind == "launchplane") != (traces != nil) {
			t.Errorf("%s: trace_ids = %v", kind, traces)
		}
		if ref == nil {
			ref = rep
			continue
		}
		if !reflect.DeepEqual(rep, ref) {
			t.Errorf("%s dry run differs from the filesystem's\n%s\n--- filesystem ---\n%s", kind, res.Stdout, runs["filesystem"].Stdout)
		}
	}
	// The service dry run went through backfill-dry-run, once per lane.
	modes := map[string]int{}
	for _, r := range w.fake.Requests() {
		modes[r.Mode]++
	}
	if modes[launchplane.ModeBackfillDryRun] != 5 || modes[launchplane.ModeAudit] != 0 {
		t.Errorf("service calls by mode = %v, want 5 backfill-dry-run and no audit", modes)
	}
}

// svcDigest runs a dry run and returns its plan digest.
func svcDigest(t *testing.T, w *svcWorld, env map[string]string) string {
	t.Helper()
	res := w.run(t, env, "backfill", "--launchplane-url", w.fake.URL, "--format", "json")
	res.Want(t, cli.ExitOK)
	var rep struct {
		PlanDigest string `json:"plan_digest"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatal(err)
	}
	return rep.PlanDigest
}

type svcItem struct {
	Context, Instance, Status, Severity, Detail string
}

func svcItems(t *testing.T, raw string) map[string]svcItem {
	t.Helper()
	var rep struct{ Items []svcItem }
	if err := json.Unmarshal([]byte(raw), &rep); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	out := map[string]svcItem{}
	for _, it := range rep.Items {
		out[it.Context+"/"+it.Instance] = it
	}
	return out
}

// TestServiceBackendApplyStopsAtFailedLane: a lane whose apply call fails
// stops the apply; the report says per lane what happened (created,
// apply-failed, not attempted), the exit is 3 with the service's sentence,
// and a re-run (new dry run, new digest) converges.
func TestServiceBackendApplyStopsAtFailedLane(t *testing.T) {
	w := newSvcWorld(t, svcCreates(), svcCreatesLanes)
	third := fixture.Complete("new", "zz")
	third.Provider = nil
	testkit.WriteState(t, w.state, third)
	lanesYAML := svcCreatesLanes + "  - {route: new/zz, product: new, driver: generic-web, wave: 1}\n"
	if err := os.WriteFile(filepath.Join(w.dir, "lanes.yaml"), []byte(lanesYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	digest := svcDigest(t, w, w.env())
	w.fake.SetHook(func(r lpfake.Request, n int) lpfake.Fault {
		if r.Mode == launchplane.ModeBackfillApply && r.Route.Key() == "new/testing" {
			return lpfake.Fault503
		}
		return lpfake.FaultNone
	})
	res := w.run(t, w.env(), "backfill", "--launchplane-url", w.fake.URL, "--apply", "--plan-digest", digest, "--reason", "issue 14", "--format", "json")
	res.Want(t, cli.ExitRuntime)
	if !strings.Contains(res.Stderr, "database_required") || !strings.Contains(res.Stderr, "trace_id launchplane_req_") {
		t.Errorf("stderr does not give the service's sentence and trace id:\n%s", res.Stderr)
	}
	items := svcItems(t, res.Stdout)
	want := map[string][2]string{
		"new/prod":    {"created", "ok"},
		"new/testing": {"apply-failed", "blocked"},
		"new/zz":      {"would-create", "ok"},
		"syo/prod":    {"skipped-exists", "ok"},
	}
	for lane, sw := range want {
		if it := items[lane]; it.Status != sw[0] || it.Severity != sw[1] {
			t.Errorf("%s = %+v, want %s/%s", lane, it, sw[0], sw[1])
		}
	}
	if d := items["new/zz"].Detail; d != "not attempted: an earlier lane failed" {
		t.Errorf("new/zz detail = %q", d)
	}
	if !strings.Contains(items["new/testing"].Detail, "database_required") {
		t.Errorf("new/testing detail does not name the service error: %q", items["new/testing"].Detail)
	}
	for _, k := range []string{`"status": "blocked"`, `"applied": false`, `"created_count": 1`, `"mode": "apply"`, "cross-route all-or-nothing is impossible"} {
		if !strings.Contains(res.Stdout, k) {
			t.Errorf("report lacks %s:\n%s", k, res.Stdout)
		}
	}

	// The same reviewed digest no longer matches (new/prod now exists).
	w.fake.SetHook(nil)
	again := w.run(t, w.env(), "backfill", "--launchplane-url", w.fake.URL, "--apply", "--plan-digest", digest, "--reason", "issue 14")
	again.Want(t, cli.ExitBlocked)
	if !strings.Contains(again.Stderr, "the data changed since the reviewed plan") {
		t.Errorf("stale digest not refused:\n%s", again)
	}
	// A new dry run and apply converge: everything exists afterwards.
	digest2 := svcDigest(t, w, w.env())
	done := w.run(t, w.env(), "backfill", "--launchplane-url", w.fake.URL, "--apply", "--plan-digest", digest2, "--reason", "issue 14", "--format", "json")
	done.Want(t, cli.ExitOK)
	items = svcItems(t, done.Stdout)
	if items["new/testing"].Status != "created" || items["new/zz"].Status != "created" || items["new/prod"].Status != "skipped-exists" {
		t.Errorf("re-run items = %+v", items)
	}
	final := w.run(t, nil, "audit", "--state-dir", "state")
	final.Want(t, cli.ExitOK)
}

// TestServiceBackendApplyReplaysWithStableKeys: a connection dropped after
// the service ran an apply is retried with the identical body and key, and
// the service replays: the lane is reported created (replayed), written
// once. A second apply of the same plan sends the same keys.
func TestServiceBackendApplyReplaysWithStableKeys(t *testing.T) {
	w := newSvcWorld(t, svcCreates(), svcCreatesLanes)
	digest := svcDigest(t, w, w.env())
	dropped := false
	w.fake.SetHook(func(r lpfake.Request, n int) lpfake.Fault {
		if r.Mode == launchplane.ModeBackfillApply && r.Route.Key() == "new/prod" && !dropped {
			dropped = true
			return lpfake.FaultDropAfterRun
		}
		return lpfake.FaultNone
	})
	res := w.run(t, w.env(), "backfill", "--launchplane-url", w.fake.URL, "--apply", "--plan-digest", digest, "--reason", "r", "--format", "json")
	res.Want(t, cli.ExitOK)
	items := svcItems(t, res.Stdout)
	if it := items["new/prod"]; it.Status != "created" || !strings.Contains(it.Detail, "replayed") {
		t.Errorf("new/prod = %+v, want created (replayed)", it)
	}
	keys := map[string][]string{}
	bodies := map[string][]string{}
	for _, r := range w.fake.Requests() {
		if r.Mode == launchplane.ModeBackfillApply {
			keys[r.Route.Key()] = append(keys[r.Route.Key()], r.IdempotencyKey)
			bodies[r.Route.Key()] = append(bodies[r.Route.Key()], string(r.Body))
		}
	}
	if k := keys["new/prod"]; len(k) != 2 || k[0] != k[1] || k[0] != launchplane.IdempotencyKey(digest, routeOf("new/prod")) {
		t.Errorf("new/prod keys = %q, want the same derived key twice", k)
	}
	if b := bodies["new/prod"]; len(b) != 2 || b[0] != b[1] {
		t.Errorf("retry body differs: %q", b)
	}
	if w.fake.Runs(launchplane.ModeBackfillApply) != 2 {
		t.Errorf("applies run = %d, want 2 (one per lane, the retry replayed)", w.fake.Runs(launchplane.ModeBackfillApply))
	}
}

// TestServiceBackendAuthorizationDenied: a caller without the backfill
// grant gets exit 3 naming the grant to add.
func TestServiceBackendAuthorizationDenied(t *testing.T) {
	w := newSvcWorld(t, svcCreates(), svcCreatesLanes)
	const auditOnly = "lp-audit-only-93e1c0d7b2"
	w.fake.Grant(auditOnly, launchplane.GrantAudit)
	env := map[string]string{"LAUNCHPLANE_TOKEN": auditOnly}
	digest := svcDigest(t, w, env)
	res := w.run(t, env, "backfill", "--launchplane-url", w.fake.URL, "--apply", "--plan-digest", digest, "--reason", "r")
	res.Want(t, cli.ExitRuntime)
	if !strings.Contains(res.Stderr, "authorization_denied") || !strings.Contains(res.Stderr, "action provider_target.backfill") {
		t.Errorf("stderr does not name the grant:\n%s", res.Stderr)
	}
	if strings.Contains(res.Stdout+res.Stderr, auditOnly) {
		t.Errorf("the token was printed")
	}
}

// TestServiceBackendActionsRunner: the apply workflow end to end in the
// simulated runner with GitHub OIDC: dry run, apply, re-run; no token in
// any channel; missing OIDC environment is exit 2 naming id-token: write.
func TestServiceBackendActionsRunner(t *testing.T) {
	root := testkit.ModuleRoot(t)
	bin := testkit.Build(t).Path
	step := arLoadStepEnv(t, root)
	r := arNewRunner(t, bin, step)
	state := filepath.Join(r.workspace, "state")
	testkit.WriteState(t, state, svcCreates()...)
	if err := os.WriteFile(filepath.Join(r.workspace, "lanes.yaml"), []byte(svcCreatesLanes), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := lpfake.New(t, state)
	fake.Grant(svcJWT, launchplane.GrantAudit, launchplane.GrantBackfill)
	oidc := lpfake.NewOIDC(t, svcRequestToken, "127.0.0.1", svcJWT)
	// The service comes from the action's launchplane-url input, as the
	// service workflows pass it.
	r.extra = map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   oidc.RequestURL(),
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": svcRequestToken,
	}
	check := func(what string, s *arStep) {
		t.Helper()
		// The runner must see the real value in ::add-mask:: (and never
		// shows that line); every other line of every channel is clean.
		var rest []string
		masks := map[string]bool{}
		for _, line := range strings.Split(s.stderr, "\n") {
			if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
				masks[v] = true
				continue
			}
			rest = append(rest, line)
		}
		for _, sec := range []string{svcJWT, svcRequestToken} {
			if !masks[sec] {
				t.Errorf("%s: %q was not masked before use", what, sec[:8])
			}
		}
		svcNoSecret(t, what, s.stdout+strings.Join(rest, "\n")+s.summary+s.outputRaw)
	}
	dry := r.run(t, map[string]string{"command": "backfill", "mode": "backfill-dry-run", "report-path": "plan.json", "launchplane-url": fake.URL})
	if dry.code != 0 {
		t.Fatalf("dry run: want exit 0\n%s", dry)
	}
	check("dry run", dry)
	var digest string
	for _, kv := range arParseOutputs(t, dry.outputRaw) {
		if kv[0] == "plan-digest" {
			digest = kv[1]
		}
	}
	if !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("no plan digest\n%s", dry)
	}
	apply := map[string]string{"command": "backfill", "mode": "backfill-apply", "plan-digest": digest, "reason": "issue 14",
		"confirmation": "APPLY PROVIDER TARGET BACKFILL", "report-path": "apply.json", "launchplane-url": fake.URL}
	r.reset(t)
	s := r.run(t, apply)
	if s.code != 0 {
		t.Fatalf("apply: want exit 0\n%s", s)
	}
	check("apply", s)
	out := map[string]string{}
	for _, kv := range arParseOutputs(t, s.outputRaw) {
		out[kv[0]] = kv[1]
	}
	if out["status"] != "ok" || out["created-count"] != "2" {
		t.Errorf("apply outputs = %v", out)
	}
	if len(oidc.Problems()) != 0 {
		t.Errorf("OIDC requests were wrong: %v", oidc.Problems())
	}
	var firstKeys []string
	for _, req := range fake.Requests() {
		if req.Token != svcJWT {
			t.Errorf("a call carried another token")
		}
		if req.Mode == launchplane.ModeBackfillApply {
			firstKeys = append(firstKeys, req.IdempotencyKey)
		}
	}
	if len(firstKeys) != 2 {
		t.Fatalf("apply calls = %d, want 2", len(firstKeys))
	}
	// The same apply again: the plan has nothing left to create, so it
	// writes nothing and succeeds (converged).
	r.reset(t)
	s = r.run(t, apply)
	if s.code != 0 {
		t.Fatalf("re-run: want exit 0\n%s", s)
	}
	check("re-run", s)
	n := 0
	for _, req := range fake.Requests() {
		if req.Mode == launchplane.ModeBackfillApply {
			n++
		}
	}
	if n != 2 {
		t.Errorf("the re-run sent %d more apply call(s)", n-2)
	}

	// Without the OIDC environment (no id-token: write): exit 2.
	r.reset(t)
	r.extra = map[string]string{"LAUNCHPLANE_URL": fake.URL}
	s = r.run(t, map[string]string{"command": "audit"})
	if s.code != 2 || !strings.Contains(s.stderr, "`permissions: id-token: write`") {
		t.Fatalf("missing OIDC env: want exit 2 naming id-token: write\n%s", s)
	}
}

func routeOf(key string) store.Route {
	c, i, _ := strings.Cut(key, "/")
	return store.Route{Context: c, Instance: i}
}
