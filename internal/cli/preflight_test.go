package cli_test

// Tests of `lanegate preflight`: every record disagreement, missing and
// invalid records, and the live Dokploy lookup against a fake Dokploy API.

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/testkit"
)

const pfKey = "dk_live_SECRET_5f3a9c0e11aa"

// pfRoutes holds one route per scenario; preflight reads only its own.
func pfRoutes() []fixture.Route {
	complete := func(ctx, inst, typ string) fixture.Route {
		t := fixture.Target(ctx, inst, typ, ctx+"-"+inst, ctx+"-project")
		i := fixture.TargetID(ctx, inst, typ[:3]+"-"+ctx+"-"+inst)
		return fixture.Route{Target: t, TargetID: i, Provider: fixture.Projected(t, i)}
	}
	mutate := func(r fixture.Route, fn func(p *record.ProviderTarget)) fixture.Route {
		p := *r.Provider
		fn(&p)
		r.Provider = &p
		return r
	}
	without := func(r fixture.Route, fn func(r *fixture.Route)) fixture.Route {
		fn(&r)
		return r
	}
	return []fixture.Route{
		complete("ok", "app", "application"),
		complete("ok", "compose", "compose"),
		mutate(complete("bad", "provider", "application"), func(p *record.ProviderTarget) { p.ProviderID = "fly" }),
		mutate(complete("bad", "type", "application"), func(p *record.ProviderTarget) { p.ProviderTargetType = "compose" }),
		mutate(complete("bad", "category", "application"), func(p *record.ProviderTarget) { p.TargetCategory = "compose" }),
		mutate(complete("bad", "id", "application"), func(p *record.ProviderTarget) { p.TargetID = "app-somewhere-else" }),
		mutate(complete("bad", "unsupported", "application"), func(p *record.ProviderTarget) {
			p.ProviderTargetType, p.TargetCategory = "container", "container"
		}),
		without(complete("missing", "row", "application"), func(r *fixture.Route) { r.Provider = nil }),
		without(complete("missing", "target", "application"), func(r *fixture.Route) { r.Target = nil }),
		without(complete("missing", "targetid", "application"), func(r *fixture.Route) { r.TargetID = nil }),
		complete("dk", "missing", "application"),
		complete("dk", "renamed", "compose"),
	}
}

// pfDokploy is a fake Dokploy API. It answers application.one and
// compose.one for the ids it knows, checks the x-api-key header and the id
// query parameters, and records anything unexpected.
type pfDokploy struct {
	srv      *httptest.Server
	wantKey  string
	mode     string // "", "500", "hang"
	apps     map[string]string
	composes map[string]string

	mu       sync.Mutex
	seenKeys []string
	problems []string
	requests []string
}

func pfNewDokploy(t *testing.T, mode, wantKey string) *pfDokploy {
	t.Helper()
	d := &pfDokploy{wantKey: wantKey, mode: mode,
		apps:     map[string]string{"app-ok-app": "ok-app"},
		composes: map[string]string{"com-ok-compose": "ok-compose", "com-dk-renamed": "dk-renamed-v2"},
	}
	release := make(chan struct{})
	d.srv = httptest.NewUnstartedServer(http.HandlerFunc(d.serve(release)))
	d.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	d.srv.Start()
	t.Cleanup(func() {
		close(release)
		d.srv.Close()
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, p := range d.problems {
			t.Errorf("fake Dokploy: %s", p)
		}
	})
	return d
}

func (d *pfDokploy) serve(release chan struct{}) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("x-api-key")
		d.mu.Lock()
		d.seenKeys = append(d.seenKeys, key)
		d.requests = append(d.requests, r.Method+" "+r.URL.RequestURI())
		d.mu.Unlock()
		problem := func(format string, args ...any) {
			d.mu.Lock()
			d.problems = append(d.problems, fmt.Sprintf(format, args...))
			d.mu.Unlock()
		}
		reply := func(status int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(v)
		}
		if r.Method != http.MethodGet {
			problem("method %s", r.Method)
		}
		if key != d.wantKey {
			// Echo the presented key: lanegate must never print it.
			reply(http.StatusUnauthorized, map[string]string{"message": "Unauthorized: key " + key + " is not valid", "code": "UNAUTHORIZED"})
			return
		}
		switch d.mode {
		case "500":
			reply(http.StatusInternalServerError, map[string]string{"message": "internal error while using key " + key, "code": "INTERNAL_SERVER_ERROR"})
			return
		case "hang":
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		var param, idField string
		var known map[string]string
		switch r.URL.Path {
		case "/api/application.one":
			param, idField, known = "applicationId", "applicationId", d.apps
		case "/api/compose.one":
			param, idField, known = "composeId", "composeId", d.composes
		default:
			problem("unexpected path %s", r.URL.Path)
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if len(q) != 1 || q.Get(param) == "" {
			problem("%s: want exactly the %s parameter, got %q", r.URL.Path, param, r.URL.RawQuery)
		}
		id := q.Get(param)
		name, ok := known[id]
		if !ok {
			reply(http.StatusNotFound, map[string]string{"message": "Not found", "code": "NOT_FOUND"})
			return
		}
		reply(http.StatusOK, map[string]any{idField: id, "name": name, "appName": name + "-x1y2z3", "env": "SECRET_ENV=" + key})
	}
}

func (d *pfDokploy) snapshot() (keys, requests []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string{}, d.seenKeys...), append([]string{}, d.requests...)
}

type pfCase struct {
	lane   string
	code   int
	stdout []string // substrings of stdout
	stderr []string // substrings of stderr
}

func pfCheck(t *testing.T, name string, out testkit.Result, tc pfCase) {
	t.Helper()
	if out.Code != tc.code {
		t.Errorf("%s: want exit %d, got %s", name, tc.code, out)
		return
	}
	for _, s := range tc.stdout {
		if !strings.Contains(out.Stdout, s) {
			t.Errorf("%s: stdout lacks %q:\n%s", name, s, out)
		}
	}
	for _, s := range tc.stderr {
		if !strings.Contains(out.Stderr, s) {
			t.Errorf("%s: stderr lacks %q:\n%s", name, s, out)
		}
	}
	// Each message says its thing once (issue #15).
	for _, line := range strings.Split(out.Stdout+out.Stderr, "\n") {
		if strings.Count(line, "Dokploy has no") > 1 || doubled.MatchString(line) {
			t.Errorf("%s: a line says its thing twice: %q", name, line)
		}
	}
}

func TestPreflightRecords(t *testing.T) {
	cases := []pfCase{
		{lane: "ok/app", code: 0, stdout: []string{
			"ok    provider-target: ", "ok    provider: ", "ok    type: ", "ok    category: ", "ok    target-id: ", "ok    supported-type: ",
			"skip  dokploy: live Dokploy check skipped (no --dokploy-url)", "preflight passed for ok/app"}},
		{lane: "ok/compose", code: 0, stdout: []string{"provider_target_type 'compose' matches", "preflight passed"}},
		{lane: "bad/provider", code: 1,
			stdout: []string{"FAIL  provider", "provider_id expected 'dokploy', provider-target has 'fly'", "preflight BLOCKED for bad/provider"},
			stderr: []string{"Provider-target identity mismatch for bad/provider: provider_id expected 'dokploy', provider-target has 'fly'."}},
		{lane: "bad/type", code: 1,
			stdout: []string{"FAIL  type", "ok    category"},
			stderr: []string{"Provider-target type mismatch for bad/type: provider_target_type is 'compose' in the provider-target row, the Dokploy target record has target_type 'application'."}},
		{lane: "bad/category", code: 1,
			stdout: []string{"ok    type", "FAIL  category"},
			stderr: []string{"Provider-target category mismatch for bad/category: target_category is 'compose' in the provider-target row, the Dokploy target record has target_type 'application'."}},
		{lane: "bad/id", code: 1,
			stdout: []string{"FAIL  target-id"},
			stderr: []string{"Provider-target id mismatch for bad/id: target_id is 'app-somewhere-else' in the provider-target row, the Dokploy target-id record has 'app-bad-id'."}},
		{lane: "bad/unsupported", code: 1,
			stdout: []string{"FAIL  supported-type", "Dokploy execution only supports provider_target_type 'application' or 'compose'; bad/unsupported has 'container'."}},
		{lane: "missing/row", code: 1,
			stdout: []string{"FAIL  provider-target: Missing provider-target authority for missing/row. Run provider-target audit/backfill before deploying."},
			stderr: []string{"lanegate: Missing provider-target authority for missing/row. Run provider-target audit/backfill before deploying."}},
		{lane: "nowhere/at-all", code: 1,
			stderr: []string{"Missing provider-target authority for nowhere/at-all."}},
		{lane: "missing/target", code: 1, stdout: []string{"FAIL  dokploy-target", "Missing Dokploy target record for missing/target"}},
		{lane: "missing/targetid", code: 1, stdout: []string{"FAIL  dokploy-target-id", "Missing Dokploy target-id record for missing/targetid"}},
	}
	evBoth(t, evLanesYAML, pfRoutes(), func(t *testing.T, s evStore) {
		for _, tc := range cases {
			out := s.run(nil, "preflight", "--lane", tc.lane)
			pfCheck(t, tc.lane, out, tc)
		}

		// JSON names the field and both values.
		out := s.run(nil, "preflight", "--lane", "bad/type", "--format", "json")
		testkit.Want(t, out, 1)
		var rep struct {
			Lane   string `json:"lane"`
			Status string `json:"status"`
			Checks []struct {
				Check, Status, Field, Actual, Expected, Message string
			} `json:"checks"`
		}
		if err := json.Unmarshal([]byte(out.Stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		found := false
		for _, c := range rep.Checks {
			if c.Check == "type" {
				found = c.Status == "fail" && c.Field == "provider_target_type" && c.Actual == "compose" && c.Expected == "application"
			}
		}
		if rep.Lane != "bad/type" || rep.Status != "blocked" || !found {
			t.Fatalf("json report = %+v", rep)
		}

		// Preflight is read-only: it writes no evidence.
		if recs := s.list(t, evidence.Query{}); len(recs) != 0 {
			t.Fatalf("preflight wrote evidence: %+v", recs)
		}
	})
}

func TestPreflightInvalidRecord(t *testing.T) {
	s := evNewFS(t, evLanesYAML, pfRoutes())
	// A provider-target file with a key Launchplane would reject.
	path := filepath.Join(s.dir, "state", record.KindProviderTarget.Dir(), record.FileName("ok", "app"))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "{", "{\n  \"bogus\": 1,", 1)
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out := s.run(nil, "preflight", "--lane", "ok/app")
	pfCheck(t, "invalid", out, pfCase{code: 1, stdout: []string{"FAIL  records", "Invalid record for ok/app: invalid provider_target record"}})
	if strings.Contains(out.Stdout, "Missing provider-target authority") {
		t.Errorf("an invalid row is reported as missing:\n%s", out)
	}
}

func TestPreflightDokploy(t *testing.T) {
	env := map[string]string{"DOKPLOY_API_KEY": pfKey}
	evBoth(t, evLanesYAML, pfRoutes(), func(t *testing.T, s evStore) {
		d := pfNewDokploy(t, "", pfKey)
		cases := []pfCase{
			{lane: "ok/app", code: 0, stdout: []string{"ok    dokploy: ", "Dokploy application 'app-ok-app' exists", "ok    dokploy-name", "preflight passed"}},
			{lane: "ok/compose", code: 0, stdout: []string{"Dokploy compose 'com-ok-compose' exists", "preflight passed"}},
			{lane: "dk/missing", code: 1, stdout: []string{"FAIL  dokploy: "},
				stderr: []string{"Dokploy has no application with id 'app-dk-missing' for dk/missing"}},
			{lane: "dk/renamed", code: 1, stdout: []string{"ok    dokploy: ", "FAIL  dokploy-name"},
				stderr: []string{"Provider-target name mismatch for dk/renamed: display_name is 'dk-renamed' in the provider-target row, Dokploy compose 'com-dk-renamed' is named 'dk-renamed-v2'."}},
			// Disagreeing records are not sent to Dokploy.
			{lane: "bad/id", code: 1, stdout: []string{"skip  dokploy: live Dokploy check skipped: the records disagree"}},
		}
		for _, tc := range cases {
			out := s.run(env, "preflight", "--lane", tc.lane, "--dokploy-url", d.srv.URL)
			pfCheck(t, tc.lane, out, tc)
		}
		keys, reqs := d.snapshot()
		wantReqs := []string{"GET /api/application.one?applicationId=app-ok-app", "GET /api/compose.one?composeId=com-ok-compose",
			"GET /api/application.one?applicationId=app-dk-missing", "GET /api/compose.one?composeId=com-dk-renamed"}
		if strings.Join(reqs, "\n") != strings.Join(wantReqs, "\n") {
			t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(reqs, "\n"), strings.Join(wantReqs, "\n"))
		}
		for _, k := range keys {
			if k != pfKey {
				t.Errorf("x-api-key sent = %q", k)
			}
		}
	})

	s := evNewFS(t, evLanesYAML, pfRoutes())
	t.Run("401", func(t *testing.T) {
		d := pfNewDokploy(t, "", "some-other-key")
		out := s.run(env, "preflight", "--lane", "ok/app", "--dokploy-url", d.srv.URL)
		pfCheck(t, "401", out, pfCase{code: 3, stdout: []string{"ERROR dokploy", "preflight could not complete"},
			stderr: []string{"Dokploy refused the preflight lookup of application 'app-ok-app' for ok/app: Dokploy rejected the API key (401)"}})
	})
	t.Run("5xx", func(t *testing.T) {
		d := pfNewDokploy(t, "500", pfKey)
		out := s.run(env, "preflight", "--lane", "ok/app", "--dokploy-url", d.srv.URL)
		pfCheck(t, "5xx", out, pfCase{code: 3, stderr: []string{"Dokploy is unavailable: HTTP 500", "not a pass"}})
	})
	t.Run("timeout", func(t *testing.T) {
		d := pfNewDokploy(t, "hang", pfKey)
		start := time.Now()
		out := s.run(env, "preflight", "--lane", "ok/app", "--dokploy-url", d.srv.URL, "--dokploy-timeout", "300ms")
		pfCheck(t, "timeout", out, pfCase{code: 3, stderr: []string{"Dokploy is unavailable: request timed out"}})
		if time.Since(start) > 10*time.Second {
			t.Errorf("timeout took %s", time.Since(start))
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		out := s.run(env, "preflight", "--lane", "ok/app", "--dokploy-url", url)
		pfCheck(t, "unreachable", out, pfCase{code: 3, stderr: []string{"Dokploy is unavailable"}})
	})
	t.Run("usage", func(t *testing.T) {
		for _, tc := range []struct {
			env  map[string]string
			args []string
			want string
		}{
			{nil, []string{"preflight", "--lane", "ok/app", "--dokploy-url", "http://127.0.0.1:1"}, "DOKPLOY_API_KEY"},
			{env, []string{"preflight", "--lane", "ok/app", "--dokploy-url", "ftp://dokploy.example.com"}, "http or https"},
			{env, []string{"preflight", "--lane", "ok/app", "--dokploy-timeout", "0s"}, "--dokploy-timeout"},
			{env, []string{"preflight"}, "--lane"},
			{env, []string{"preflight", "--lane", "noslash"}, "context/instance"},
			{env, []string{"preflight", "--lane", "ok/app", "--format", "yaml"}, "--format"},
		} {
			out := s.run(tc.env, tc.args...)
			if out.Code != 2 || !strings.Contains(out.Stderr, tc.want) {
				t.Errorf("%v: want exit 2 mentioning %q, got %s", tc.args, tc.want, out)
			}
		}
		// No store at all.
		if out := lanegate.In(s.dir, env, "preflight", "--lane", "ok/app"); out.Code != 2 {
			t.Errorf("no store: %s", out)
		}
	})
}

// TestPreflightNeverPrintsKey runs every Dokploy outcome, in both formats,
// inside and outside Actions, with a fake Dokploy that echoes the key in
// its answers; the key must appear in no output.
func TestPreflightNeverPrintsKey(t *testing.T) {
	s := evNewFS(t, evLanesYAML, pfRoutes())
	ok := pfNewDokploy(t, "", pfKey)
	wrongKey := pfNewDokploy(t, "", "another-key")
	broken := pfNewDokploy(t, "500", pfKey)
	hang := pfNewDokploy(t, "hang", pfKey)
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()
	targets := []struct {
		name, url, lane string
	}{
		{"found", ok.srv.URL, "ok/app"},
		{"not found", ok.srv.URL, "dk/missing"},
		{"renamed", ok.srv.URL, "dk/renamed"},
		{"401", wrongKey.srv.URL, "ok/app"},
		{"500", broken.srv.URL, "ok/app"},
		{"timeout", hang.srv.URL, "ok/app"},
		{"unreachable", goneURL, "ok/app"},
	}
	envs := map[string]map[string]string{
		"terminal": {"DOKPLOY_API_KEY": pfKey},
		"actions": {"DOKPLOY_API_KEY": pfKey, "GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "1", "GITHUB_REPOSITORY": "o/r",
			"GITHUB_STEP_SUMMARY": filepath.Join(s.dir, "summary.md"), "GITHUB_OUTPUT": filepath.Join(s.dir, "output.txt")},
		"action input": {"LANEGATE_INPUT_DOKPLOY_API_KEY": pfKey},
	}
	for envName, env := range envs {
		for _, tg := range targets {
			for _, format := range []string{"table", "json"} {
				out := s.run(env, "preflight", "--lane", tg.lane, "--dokploy-url", tg.url, "--dokploy-timeout", "300ms", "--format", format)
				if out.Code == 2 || out.Code == 0 && tg.lane != "ok/app" {
					t.Errorf("%s/%s/%s: unexpected %s", envName, tg.name, format, out)
				}
				// The one place the key must appear is the ::add-mask:: command
				// that tells the runner to hide it.
				if strings.Contains(out.Stdout, pfKey) || strings.Contains(withoutMaskCommands(out.Stderr), pfKey) {
					t.Errorf("%s/%s/%s: the Dokploy key leaked:\n%s", envName, tg.name, format, out)
				}
				for _, part := range []string{pfKey[:12], pfKey[len(pfKey)-12:]} {
					if strings.Contains(out.Stdout, part) {
						t.Errorf("%s/%s/%s: part of the Dokploy key leaked on stdout:\n%s", envName, tg.name, format, out)
					}
				}
			}
		}
	}
	for _, f := range []string{"summary.md", "output.txt"} {
		if data, err := os.ReadFile(filepath.Join(s.dir, f)); err == nil && strings.Contains(string(data), pfKey) {
			t.Errorf("%s holds the key", f)
		}
	}
	// The key really was sent, so the checks above are not vacuous.
	keys, _ := ok.snapshot()
	if len(keys) == 0 || keys[0] != pfKey {
		t.Fatalf("fake Dokploy saw keys %q", keys)
	}
	keys, _ = wrongKey.snapshot()
	if len(keys) == 0 || keys[0] != pfKey {
		t.Fatalf("fake Dokploy (401) saw keys %q", keys)
	}
}

// withoutMaskCommands drops ::add-mask:: lines, which carry secrets by design.
func withoutMaskCommands(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
