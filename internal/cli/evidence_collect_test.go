package cli_test

// Tests of `lanegate evidence collect` against the fake Launchplane service
// (lpfake: a real httptest server) and its fake OIDC endpoint, recording
// into real filesystem and Postgres evidence stores.

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	"github.com/lanegate/lanegate/internal/backend/launchplane/lpfake"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/testkit"
)

const (
	collectToken = "lp-collect-operator-0b7d2e9a4c61"
	collectJWT   = "eyJhbGciOiJSUzI1NiJ9.collect-oidc-jwt.c2lnbmF0dXJl"
)

// collectLanes: one lane per read-model variant, plus a lane whose product
// environment the service does not know (404) and one it answers 503 for.
const collectLanes = `schema_version: 1
lanes:
  - {route: shop/prod, product: shop, driver: generic-web, wave: 1}
  - {route: shop/testing, product: shop, driver: generic-web, wave: 1}
  - {route: blog/prod, product: blog, driver: odoo, wave: 1}
  - {route: api/prod, product: api, driver: generic-web, wave: 1}
  - {route: web/prod, product: web, driver: generic-web, wave: 1}
  - {route: mail/prod, product: mail, driver: generic-web, wave: 2}
  - {route: gone/prod, product: gone, driver: generic-web, wave: 2}
  - {route: down/prod, product: down, driver: generic-web, wave: 2}
`

type collectWorld struct {
	dir   string // work dir: lanes.yaml and the evidence state "ev"
	fake  *lpfake.Server
	state string
}

func newCollectWorld(t *testing.T) *collectWorld {
	t.Helper()
	dir := evWorkDir(t, collectLanes)
	state := filepath.Join(dir, "ev")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	f := lpfake.New(t, t.TempDir())
	f.Grant(collectToken, "product_environment.read")
	f.Grant(collectJWT, "product_environment.read")
	f.SetEnvironment("shop", "prod", lpfake.EnvironmentVariant("shop", lpfake.VariantRecorded))
	f.SetEnvironment("shop", "testing", lpfake.EnvironmentVariant("shop", lpfake.VariantVerified))
	f.SetEnvironment("blog", "prod", lpfake.EnvironmentVariant("blog", lpfake.VariantNoTargetID))
	f.SetEnvironment("api", "prod", lpfake.EnvironmentVariant("api", lpfake.VariantNoTargetType))
	f.SetEnvironment("web", "prod", lpfake.EnvironmentVariant("web", lpfake.VariantOtherProvider))
	f.SetEnvironment("mail", "prod", lpfake.EnvironmentVariant("mail", lpfake.VariantOtherContext))
	f.SetEnvironment("down", "prod", lpfake.EnvironmentVariant("down", lpfake.VariantRecorded))
	f.SetHook(func(r lpfake.Request, n int) lpfake.Fault {
		if strings.HasPrefix(r.Path, "/v1/products/down/") {
			return lpfake.Fault503
		}
		return lpfake.FaultNone
	})
	return &collectWorld{dir: dir, fake: f, state: state}
}

func (w *collectWorld) records(t *testing.T) []evidence.Record {
	t.Helper()
	st, err := fsstore.OpenEvidence(w.state)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.List(context.Background(), evidence.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func (w *collectWorld) run(env map[string]string, args ...string) testkit.Result {
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["LAUNCHPLANE_TOKEN"]; !ok {
		env["LAUNCHPLANE_TOKEN"] = collectToken
	}
	return lanegate.In(w.dir, env, append([]string{"evidence", "collect", "--launchplane-url", w.fake.URL}, args...)...)
}

type collectReport struct {
	Status   string                  `json:"status"`
	Reason   string                  `json:"reason"`
	Recorded string                  `json:"recorded_in"`
	Read     int                     `json:"read"`
	Passed   int                     `json:"passed"`
	Failed   int                     `json:"failed"`
	Unread   int                     `json:"unread"`
	Lanes    []evidence.AuthorityRow `json:"lanes"`
}

func TestEvidenceCollect(t *testing.T) {
	w := newCollectWorld(t)
	out := w.run(nil, "--evidence-state-dir", "ev", "--run-id", "4242", "--format", "json")
	// Two lanes could not be read: exit 3, the read ones are recorded.
	testkit.Want(t, out, 3)
	var rep collectReport
	if err := json.Unmarshal([]byte(out.Stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Status != "blocked" || rep.Read != 6 || rep.Passed != 1 || rep.Failed != 5 || rep.Unread != 2 || len(rep.Lanes) != 8 ||
		!strings.Contains(rep.Reason, "2 of 8 lane(s) could not be read") || !strings.Contains(rep.Reason, "5 of 8 lane(s) fail") {
		t.Fatalf("report %+v", rep)
	}
	wantResult := map[string]string{"shop/prod": "pass", "shop/testing": "fail", "blog/prod": "fail", "api/prod": "fail",
		"web/prod": "fail", "mail/prod": "fail", "gone/prod": "blocked", "down/prod": "blocked"}
	wantWhy := map[string]string{"shop/testing": `trust_state is "verified"`, "blog/prod": "target_id_recorded is false",
		"api/prod": "provider_target_type is empty", "web/prod": `provider is "netlify"`, "mail/prod": `not the lane's context "mail"`,
		"gone/prod": "404", "down/prod": "503"}
	for _, r := range rep.Lanes {
		if r.Result != wantResult[r.Lane] || r.Recorded != (r.Result != "blocked") {
			t.Errorf("%s: result %s recorded %v", r.Lane, r.Result, r.Recorded)
		}
		if why := wantWhy[r.Lane]; why != "" && !strings.Contains(strings.Join(r.Reasons, "; ")+r.Error, why) {
			t.Errorf("%s: reasons %q error %q, want %q", r.Lane, r.Reasons, r.Error, why)
		}
	}
	recs := w.records(t)
	if len(recs) != 6 {
		t.Fatalf("recorded %d records, want 6 (none for unread lanes): %+v", len(recs), recs)
	}
	for _, r := range recs {
		if r.Kind != evidence.KindAuthority || r.RunID != "4242" || r.Passed != (r.Lane == "shop/prod") || r.TraceID == "" {
			t.Errorf("record %+v", r)
		}
		if r.Lane == "gone/prod" || r.Lane == "down/prod" {
			t.Errorf("an unread lane was recorded: %+v", r)
		}
	}
	var pass evidence.Record
	for _, r := range recs {
		if r.Lane == "shop/prod" {
			pass = r
		}
	}
	want := map[string]string{"product": "shop", "context": "shop", "provider": "dokploy", "provider_target_type": "application",
		"trust_state": "recorded", "target_id_recorded": "true", "available_actions": "3", "runtime_settings": "2", "managed_bindings": "1"}
	if len(pass.Detail) != len(want) {
		t.Fatalf("detail %v, want %v", pass.Detail, want)
	}
	for k, v := range want {
		if pass.Detail[k] != v {
			t.Errorf("detail %s = %q, want %q", k, pass.Detail[k], v)
		}
	}
	// Never the raw response, never the token.
	for _, s := range []string{out.Stdout, out.Stderr} {
		if strings.Contains(s, "item-0") || strings.Contains(s, collectToken) {
			t.Errorf("output holds a raw response or the token:\n%s", s)
		}
	}
	// One GET per lane, nothing else.
	reqs := w.fake.Requests()
	if len(reqs) != 8 {
		t.Errorf("%d requests, want one per lane", len(reqs))
	}
	for _, r := range reqs {
		if r.Method != "GET" || !strings.HasPrefix(r.Path, "/v1/products/") {
			t.Errorf("request %s %s", r.Method, r.Path)
		}
	}
	// A re-run of the same run attempt records nothing new.
	testkit.Want(t, w.run(nil, "--evidence-state-dir", "ev", "--run-id", "4242"), 3)
	if n := len(w.records(t)); n != 6 {
		t.Errorf("re-run: %d records, want 6", n)
	}
}

func TestEvidenceCollectPassingLaneAndTable(t *testing.T) {
	w := newCollectWorld(t)
	out := w.run(nil, "--evidence-state-dir", "ev", "--run-id", "7", "--lane", "shop/prod")
	testkit.Want(t, out, 0)
	if !strings.HasPrefix(out.Stdout, "OK: 1 lane(s) read, 1 passed, 0 failed, 0 not read\n") ||
		!strings.Contains(out.Stdout, "shop/prod") || !strings.Contains(out.Stdout, "recorded 1 authority record(s)") {
		t.Fatalf("table:\n%s", out)
	}
	if recs := w.records(t); len(recs) != 1 || !recs[0].Passed || recs[0].Lane != "shop/prod" {
		t.Fatalf("records %+v", recs)
	}
	// A failing lane alone: exit 1 (read, and the rule says no).
	out = w.run(nil, "--evidence-state-dir", "ev", "--run-id", "8", "--lane", "shop/testing")
	testkit.Want(t, out, 1)
	if !strings.HasPrefix(out.Stdout, "BLOCKED: 1 lane(s) read, 0 passed, 1 failed") {
		t.Fatalf("table:\n%s", out)
	}
	// --no-record prints and writes nothing.
	out = w.run(nil, "--no-record", "--lane", "shop/prod", "--format", "json")
	testkit.Want(t, out, 0)
	if n := len(w.records(t)); n != 2 {
		t.Errorf("--no-record wrote: %d records", n)
	}
}

// A token without product_environment.read: every lane is blocked with the
// service's 403 naming the grant, exit 3, nothing recorded.
func TestEvidenceCollectNotAuthorized(t *testing.T) {
	w := newCollectWorld(t)
	w.fake.Grant("lp-audit-only-5c0e8f1a2b3d", "provider_target.audit")
	out := w.run(map[string]string{"LAUNCHPLANE_TOKEN": "lp-audit-only-5c0e8f1a2b3d"}, "--evidence-state-dir", "ev", "--run-id", "9",
		"--lane", "shop/prod", "--lane", "blog/prod", "--format", "json")
	testkit.Want(t, out, 3)
	var rep collectReport
	if err := json.Unmarshal([]byte(out.Stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Unread != 2 || rep.Read != 0 || len(rep.Lanes) != 2 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range rep.Lanes {
		if r.Result != "blocked" || !strings.Contains(r.Error, "403") || !strings.Contains(r.Error, "product_environment.read") {
			t.Errorf("%s: %+v", r.Lane, r)
		}
	}
	if n := len(w.records(t)); n != 0 {
		t.Errorf("recorded %d", n)
	}
}

// Inside Actions the token is GitHub OIDC, minted for the audience; it is
// masked and never printed.
func TestEvidenceCollectOIDC(t *testing.T) {
	w := newCollectWorld(t)
	u, _ := url.Parse(w.fake.URL)
	oidc := lpfake.NewOIDC(t, "runner-request-token-93a1", u.Hostname(), collectJWT)
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "31", "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_REPOSITORY": "acme/deploys", "GITHUB_SERVER_URL": "https://github.com",
		"ACTIONS_ID_TOKEN_REQUEST_URL": oidc.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-request-token-93a1",
		"LAUNCHPLANE_TOKEN": ""}
	out := w.run(env, "--evidence-state-dir", "ev", "--lane", "shop/prod", "--audience", u.Hostname())
	testkit.Want(t, out, 0)
	if p := oidc.Problems(); len(p) != 0 || oidc.Calls() == 0 {
		t.Fatalf("OIDC calls %d problems %q", oidc.Calls(), p)
	}
	// The runner is told to mask the token (::add-mask::); no other line
	// holds it.
	var lines []string
	for _, l := range strings.Split(out.Stdout+out.Stderr, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			lines = append(lines, l)
		}
	}
	for _, s := range lines {
		if strings.Contains(s, collectJWT) || strings.Contains(s, "runner-request-token-93a1") {
			t.Fatalf("a token was printed:\n%s", out)
		}
	}
	if recs := w.records(t); len(recs) != 1 || recs[0].RunID != "31" || !recs[0].Passed {
		t.Fatalf("records %+v", recs)
	}
	for _, r := range w.fake.Requests() {
		if r.Token != collectJWT {
			t.Errorf("request with token %q, want the OIDC token", r.Token)
		}
	}
	// Without the OIDC environment in Actions: exit 2 naming the permission.
	delete(env, "ACTIONS_ID_TOKEN_REQUEST_URL")
	delete(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	out = w.run(env, "--evidence-state-dir", "ev", "--lane", "shop/prod")
	testkit.Want(t, out, 2)
	if !strings.Contains(out.Stderr, "id-token: write") {
		t.Fatalf("stderr:\n%s", out.Stderr)
	}
}

func TestEvidenceCollectUsage(t *testing.T) {
	w := newCollectWorld(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no destination", nil, "pass --evidence-state-dir DIR, --evidence-database-url URL or --evidence-launchplane-url URL (or --no-record"},
		{"no-record and destination", []string{"--no-record", "--evidence-state-dir", "ev"}, "--no-record and --evidence-state-dir contradict"},
		{"two destinations", []string{"--evidence-state-dir", "ev", "--evidence-database-url", "postgres://x@127.0.0.1:1/db"}, "name two evidence stores"},
		{"service as destination", []string{"--evidence-launchplane-url", "http://127.0.0.1:1", "--run-id", "1"}, "keeps no lanegate evidence"},
		{"undeclared lane", []string{"--no-record", "--lane", "nope/prod"}, "--lane nope/prod is not declared"},
		{"bad format", []string{"--no-record", "--format", "markdown"}, `--format "markdown": want table or json`},
		{"no source", []string{"--no-record"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(w.fake.Requests())
			var out testkit.Result
			if c.name == "no source" {
				out = lanegate.In(w.dir, nil, "evidence", "collect", "--no-record")
				c.want = "no record store chosen"
			} else {
				out = w.run(nil, c.args...)
			}
			testkit.Want(t, out, 2)
			if !strings.Contains(out.Stderr, c.want) {
				t.Fatalf("stderr %q, want %q", out.Stderr, c.want)
			}
			if n := len(w.fake.Requests()); n != before {
				t.Errorf("a usage error reached the service (%d requests)", n-before)
			}
		})
	}
	// A store that is not the service cannot be read from.
	out := lanegate.In(w.dir, nil, "evidence", "collect", "--state-dir", "ev", "--allow-empty", "--no-record")
	testkit.Want(t, out, 2)
	if !strings.Contains(out.Stderr, "cannot serve") || !strings.Contains(out.Stderr, "--launchplane-url") {
		t.Fatalf("stderr %q", out.Stderr)
	}
}

// Postgres keeps the new kind (migration 0004), and the destination's
// password never shows.
func TestEvidenceCollectPostgres(t *testing.T) {
	w := newCollectWorld(t)
	dbURL := pgtest.NewLaunchplaneDatabase(t)
	testkit.Want(t, lanegate.In(w.dir, nil, "migrate", "--database-url", dbURL), 0)
	out := w.run(nil, "--evidence-database-url", dbURL, "--run-id", "55", "--lane", "shop/prod", "--lane", "shop/testing")
	testkit.Want(t, out, 1)
	st := evStore{dir: w.dir, args: []string{"--database-url", dbURL}}
	listed := st.run(nil, "evidence", "list", "--kind", "authority", "--format", "json")
	testkit.Want(t, listed, 0)
	if !strings.Contains(listed.Stdout, `"shop/prod"`) || !strings.Contains(listed.Stdout, `"shop/testing"`) ||
		!strings.Contains(listed.Stdout, `"trust_state": "verified"`) {
		t.Fatalf("list:\n%s", listed)
	}
	if u, err := url.Parse(dbURL); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" && (strings.Contains(out.Stdout, pw) || strings.Contains(out.Stderr, pw)) {
			t.Fatalf("the destination's password was printed:\n%s", out)
		}
	}
}
