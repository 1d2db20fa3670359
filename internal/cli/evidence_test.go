package cli_test

// Tests of `lanegate evidence` (record, probe, list, show) on both stores.
// Helpers are prefixed "ev" and are shared with preflight_test.go. The
// package's TestMain (pgtest.Main) lives in backfill_main_test.go.

import (
	"context"
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
	"sync/atomic"
	"testing"
	"time"

	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/testkit"
)

// evLanesYAML declares the lanes the evidence tests use.
const evLanesYAML = `schema_version: 1
defaults:
  evidence:
    deploy: {max_age: 7d}
    health: {max_age: 24h}
lanes:
  - {route: shop/prod, product: shop, driver: generic-web, wave: 1}
  - {route: shop/testing, product: shop, driver: generic-web, wave: 1}
  - {route: blog/prod, product: blog, driver: odoo, wave: 2}
`

// evStore is one of the two stores with the lanes file in its work dir.
type evStore struct {
	name string
	dir  string   // working directory, holds lanes.yaml
	args []string // store flags
	open func(t *testing.T) evidence.Store
}

func evWorkDir(t *testing.T, lanesYAML string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lanes.yaml"), []byte(lanesYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func evNewFS(t *testing.T, lanesYAML string, routes []fixture.Route) evStore {
	t.Helper()
	dir := evWorkDir(t, lanesYAML)
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fixture.WriteState(state, routes); err != nil {
		t.Fatal(err)
	}
	return evStore{name: "filesystem", dir: dir, args: []string{"--state-dir", "state"}, open: func(t *testing.T) evidence.Store {
		st, err := fsstore.OpenEvidence(state)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}}
}

func evNewPG(t *testing.T, lanesYAML string, routes []fixture.Route, migrate bool) evStore {
	t.Helper()
	dir := evWorkDir(t, lanesYAML)
	url := pgtest.NewLaunchplaneDatabase(t)
	if migrate {
		testkit.Want(t, lanegate.In(dir, nil, "migrate", "--database-url", url), 0)
	}
	if len(routes) > 0 {
		if err := fixture.LoadPostgres(context.Background(), url, routes); err != nil {
			t.Fatal(err)
		}
	}
	return evStore{name: "postgres", dir: dir, args: []string{"--database-url", url}, open: func(t *testing.T) evidence.Store {
		ctx := context.Background()
		conn, err := pgtest.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		st, err := pgstore.OpenEvidence(ctx, conn)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}}
}

func evBoth(t *testing.T, lanesYAML string, routes []fixture.Route, fn func(t *testing.T, s evStore)) {
	t.Run("filesystem", func(t *testing.T) { fn(t, evNewFS(t, lanesYAML, routes)) })
	t.Run("postgres", func(t *testing.T) { fn(t, evNewPG(t, lanesYAML, routes, true)) })
}

func (s evStore) run(env map[string]string, args ...string) testkit.Result {
	return lanegate.In(s.dir, env, append(args, s.args...)...)
}

func (s evStore) list(t *testing.T, q evidence.Query) []evidence.Record {
	t.Helper()
	recs, err := s.open(t).List(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestEvidenceRecord(t *testing.T) {
	evBoth(t, evLanesYAML, nil, func(t *testing.T, s evStore) {
		out := s.run(nil, "evidence", "record", "--lane", "shop/prod", "--kind", "deploy", "--status", "pass",
			"--run-id", "1001", "--run-attempt", "2", "--sha", "ABCDEF1234", "--actor", "dev", "--trace", "tr-9",
			"--detail", "image=shop:1.4", "--detail", "status_code=200", "--format", "json")
		testkit.Want(t, out, 0)
		var got struct {
			Created bool            `json:"created"`
			Record  evidence.Record `json:"record"`
		}
		if err := json.Unmarshal([]byte(out.Stdout), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		r := got.Record
		if !got.Created || r.Lane != "shop/prod" || r.Kind != "deploy" || !r.Passed || r.RunID != "1001" || r.RunAttempt != "2" ||
			r.SHA != "abcdef1234" || r.Actor != "dev" || r.TraceID != "tr-9" || r.Detail["image"] != "shop:1.4" || r.Detail["status_code"] != "200" {
			t.Fatalf("record = %+v", got)
		}

		// The same run attempt again: nothing new, the first record is kept
		// and a differing status is called out.
		out = s.run(nil, "evidence", "record", "--lane", "shop/prod", "--kind", "deploy", "--status", "fail",
			"--run-id", "1001", "--run-attempt", "2")
		testkit.Want(t, out, 0)
		if !strings.Contains(out.Stdout, "already recorded") || !strings.Contains(out.Stderr, "already recorded as pass") {
			t.Fatalf("duplicate: %s", out)
		}
		stored := s.list(t, evidence.Query{})
		if len(stored) != 1 || !stored[0].Passed {
			t.Fatalf("stored = %+v", stored)
		}

		// Inside Actions the source defaults to the current run.
		actionsEnv := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "555", "GITHUB_RUN_ATTEMPT": "3",
			"GITHUB_REPOSITORY": "acme/deploys", "GITHUB_SERVER_URL": "https://github.example.com", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
			"GITHUB_ACTOR": "octo"}
		out = s.run(actionsEnv, "evidence", "record", "--lane", "shop/testing", "--kind", "promotion", "--status", "fail")
		testkit.Want(t, out, 0)
		recs := s.list(t, evidence.Query{Lanes: []string{"shop/testing"}})
		if len(recs) != 1 {
			t.Fatalf("records = %+v", recs)
		}
		r = recs[0]
		want := evidence.Source{RunURL: "https://github.example.com/acme/deploys/actions/runs/555/attempts/3", RunID: "555", RunAttempt: "3",
			SHA: "0123456789abcdef0123456789abcdef01234567", Actor: "octo"}
		if r.Source != want || r.Passed || r.Kind != "promotion" {
			t.Fatalf("actions record = %+v", r)
		}
		// A run flag replaces the whole run triple; SHA and actor still
		// default from the environment.
		out = s.run(actionsEnv, "evidence", "record", "--lane", "shop/testing", "--kind", "health", "--status", "pass", "--run-id", "x-1")
		testkit.Want(t, out, 0)
		recs = s.list(t, evidence.Query{Lanes: []string{"shop/testing"}, Kinds: []string{"health"}})
		if len(recs) != 1 || recs[0].RunURL != "" || recs[0].RunID != "x-1" || recs[0].RunAttempt != "1" || recs[0].Actor != "octo" {
			t.Fatalf("override record = %+v", recs)
		}
		// A run URL alone is a source.
		out = s.run(nil, "evidence", "record", "--lane", "blog/prod", "--kind", "backup-gate", "--status", "pass",
			"--run-url", "https://github.com/acme/deploys/actions/runs/77")
		testkit.Want(t, out, 0)
		if recs := s.list(t, evidence.Query{Lanes: []string{"blog/prod"}}); len(recs) != 1 || recs[0].RunID != "77" {
			t.Fatalf("run-url record = %+v", recs)
		}
	})
}

func TestEvidenceRecordInvalid(t *testing.T) {
	const secret = "dk-very-secret-api-key-0123"
	env := map[string]string{"DOKPLOY_API_KEY": secret}
	base := []string{"evidence", "record", "--lane", "shop/prod", "--kind", "deploy", "--status", "pass", "--run-id", "1"}
	with := func(args ...string) []string { return append(append([]string{}, base...), args...) }
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"lane not in lanes.yaml", []string{"evidence", "record", "--lane", "other/prod", "--kind", "deploy", "--status", "pass", "--run-id", "1"}, "not declared"},
		{"malformed lane", []string{"evidence", "record", "--lane", "shop", "--kind", "deploy", "--status", "pass", "--run-id", "1"}, "context/instance"},
		{"missing lane", []string{"evidence", "record", "--kind", "deploy", "--status", "pass", "--run-id", "1"}, "needs --lane"},
		{"unknown kind", []string{"evidence", "record", "--lane", "shop/prod", "--kind", "smoke", "--status", "pass", "--run-id", "1"}, "--kind"},
		{"bad status", []string{"evidence", "record", "--lane", "shop/prod", "--kind", "deploy", "--status", "ok", "--run-id", "1"}, "--status"},
		{"missing source", []string{"evidence", "record", "--lane", "shop/prod", "--kind", "deploy", "--status", "pass"}, "run id or a run URL"},
		{"run URL with credentials", []string{"evidence", "record", "--lane", "shop/prod", "--kind", "deploy", "--status", "pass", "--run-url", "https://u:p@ci.example.com/1"}, "credentials"},
		{"bad attempt", with("--run-attempt", "zero"), "run_attempt"},
		{"bad sha", with("--sha", "not-a-sha"), "sha"},
		{"detail without =", with("--detail", "oops"), "key=value"},
		{"detail key naming a token", with("--detail", "github_token=x"), "credentials"},
		{"detail key naming a password", with("--detail", "db_password=x"), "credentials"},
		{"detail key with upper case", with("--detail", "Image=x"), "[a-z0-9_.-]+"},
		{"detail value too long", with("--detail", "note="+strings.Repeat("x", 257)), "longer than 256"},
		{"duplicate detail key", with("--detail", "a=1", "--detail", "a=2"), "twice"},
		{"detail value holding a known secret", with("--detail", "note=key is "+secret), "secret"},
		{"bad observed-at", with("--observed-at", "yesterday"), "RFC 3339"},
		{"future observed-at", with("--observed-at", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)), "future"},
		{"bad format", with("--format", "yaml"), "--format"},
		{"unknown flag", with("--bogus"), ""},
		{"missing lanes file", with("--lanes", "missing.yaml"), "missing.yaml"},
	}
	many := append([]string{}, base...)
	for i := range 17 {
		many = append(many, "--detail", fmt.Sprintf("k%d=v", i))
	}
	tests = append(tests, struct {
		name string
		args []string
		want string
	}{"17 details", many, "at most 16"})

	evBoth(t, evLanesYAML, nil, func(t *testing.T, s evStore) {
		for _, tc := range tests {
			out := s.run(env, tc.args...)
			if out.Code != 2 {
				t.Errorf("%s: want exit 2, got %s", tc.name, out)
				continue
			}
			if !strings.Contains(out.Stderr, tc.want) {
				t.Errorf("%s: stderr %q does not mention %q", tc.name, out.Stderr, tc.want)
			}
			if strings.Contains(out.Stdout+out.Stderr, secret) {
				t.Errorf("%s: the secret leaked: %s", tc.name, out)
			}
		}
		if recs := s.list(t, evidence.Query{}); len(recs) != 0 {
			t.Fatalf("invalid input wrote %d records: %+v", len(recs), recs)
		}
	})

	t.Run("no store", func(t *testing.T) {
		dir := evWorkDir(t, evLanesYAML)
		testkit.Want(t, lanegate.In(dir, nil, base...), 2)
	})
	t.Run("postgres without lanegate migrations", func(t *testing.T) {
		s := evNewPG(t, evLanesYAML, nil, false)
		out := s.run(nil, base...)
		testkit.Want(t, out, 3)
		if !strings.Contains(out.Stderr, "lanegate migrate") {
			t.Fatalf("stderr does not say to migrate: %s", out)
		}
	})
	t.Run("missing state dir", func(t *testing.T) {
		dir := evWorkDir(t, evLanesYAML)
		testkit.Want(t, lanegate.In(dir, nil, append(base, "--state-dir", "nope")...), 3)
		if _, err := os.Stat(filepath.Join(dir, "nope")); !os.IsNotExist(err) {
			t.Fatalf("state dir was created: %v", err)
		}
	})
}

// TestEvidenceRecordConcurrentProcesses runs 16 `lanegate evidence record`
// processes at once: 8 with distinct run ids and 8 with the same one. Every
// distinct record must be stored, the shared one exactly once.
func TestEvidenceRecordConcurrentProcesses(t *testing.T) {
	bin := testkit.Build(t)
	evBoth(t, evLanesYAML, nil, func(t *testing.T, s evStore) {
		const n = 8
		type result struct {
			runID string
			out   []byte
			err   error
		}
		results := make([]result, 2*n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 * n {
			runID := "shared-run"
			if i < n {
				runID = fmt.Sprintf("run-%d", i)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := bin.Command(testkit.Invocation{Args: append([]string{"evidence", "record", "--lane", "shop/prod", "--kind", "deploy",
					"--status", "pass", "--run-id", runID, "--detail", fmt.Sprintf("proc=%d", i)}, s.args...),
					Dir: s.dir, Env: map[string]string{"PATH": os.Getenv("PATH"), "HOME": s.dir}})
				<-start
				out, err := cmd.CombinedOutput()
				results[i] = result{runID, out, err}
			}()
		}
		close(start)
		wg.Wait()
		recordedShared := 0
		for _, r := range results {
			if r.err != nil {
				t.Fatalf("run %s: %v\n%s", r.runID, r.err, r.out)
			}
			// Combined output: the store line comes first on stderr.
			if r.runID == "shared-run" && strings.Contains("\n"+string(r.out), "\nrecorded ") {
				recordedShared++
			}
		}
		if recordedShared != 1 {
			t.Errorf("%d processes reported recording the shared run, want 1", recordedShared)
		}
		recs := s.list(t, evidence.Query{})
		seen := map[string]int{}
		for _, r := range recs {
			seen[r.RunID]++
		}
		if len(recs) != n+1 || seen["shared-run"] != 1 {
			t.Fatalf("stored %d records (%v), want %d with one shared-run", len(recs), seen, n+1)
		}
		for i := range n {
			if seen[fmt.Sprintf("run-%d", i)] != 1 {
				t.Errorf("run-%d stored %d times", i, seen[fmt.Sprintf("run-%d", i)])
			}
		}
	})
}

// evHealthServer answers /ok with 200, /down with 503 and /nocontent with
// 204; each body holds a marker that must never be recorded.
const evBodyMarker = "BODY-MARKER-never-recorded"

func evHealthServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(http.StatusOK)
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/nocontent":
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			w.WriteHeader(http.StatusNotFound)
		}
		io.WriteString(w, evBodyMarker)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &hits
}

func evProbeLanes(base string) string {
	return fmt.Sprintf(`schema_version: 1
lanes:
  - route: shop/prod
    product: shop
    driver: generic-web
    wave: 1
    health_url: %[1]s/ok
    health: {allow_private: true, timeout: 5s}
  - route: shop/testing
    product: shop
    driver: generic-web
    wave: 1
    health_url: %[1]s/down
    health: {allow_private: true}
  - route: blog/prod
    product: blog
    driver: generic-web
    wave: 1
    health_url: %[1]s/ok
  - route: blog/testing
    product: blog
    driver: generic-web
    wave: 1
    health_url: %[1]s/nocontent
    health: {allow_private: true, expect_status: [204]}
  - {route: docs/prod, product: docs, driver: generic-web, wave: 2}
`, base)
}

type evProbeRow struct {
	Lane       string `json:"lane"`
	Result     string `json:"result"`
	StatusCode int    `json:"status_code"`
	LatencyMS  int64  `json:"latency_ms"`
	Redirects  int    `json:"redirects"`
	Error      string `json:"error"`
	Note       string `json:"note"`
	Recorded   bool   `json:"recorded"`
}

func TestEvidenceProbe(t *testing.T) {
	srv, hits := evHealthServer(t)
	lanesYAML := evProbeLanes(srv.URL)
	evBoth(t, lanesYAML, nil, func(t *testing.T, s evStore) {
		out := s.run(nil, "evidence", "probe", "--run-id", "probe-1", "--concurrency", "2", "--format", "json")
		testkit.Want(t, out, 1) // shop/testing answers 503, blog/prod is refused
		var rep struct {
			Status  string       `json:"status"`
			Probed  int          `json:"probed"`
			Failed  int          `json:"failed"`
			Results []evProbeRow `json:"results"`
		}
		if err := json.Unmarshal([]byte(out.Stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if rep.Status != "blocked" || rep.Probed != 4 || rep.Failed != 2 || len(rep.Results) != 5 {
			t.Fatalf("report = %+v", rep)
		}
		byLane := map[string]evProbeRow{}
		for _, r := range rep.Results {
			byLane[r.Lane] = r
		}
		check := func(lane, result string, code int, errPart string) {
			t.Helper()
			r := byLane[lane]
			if r.Result != result || r.StatusCode != code || !strings.Contains(r.Error, errPart) {
				t.Errorf("%s = %+v, want %s %d %q", lane, r, result, code, errPart)
			}
		}
		check("shop/prod", "pass", 200, "")
		check("shop/testing", "fail", 503, "unexpected status 503 (want 2xx)")
		check("blog/prod", "fail", 0, "refusing to probe private address 127.0.0.1")
		check("blog/testing", "pass", 204, "")
		if r := byLane["docs/prod"]; r.Result != "skipped" || r.Recorded || !strings.Contains(r.Note, "no health_url") {
			t.Errorf("docs/prod = %+v", r)
		}

		recs := s.list(t, evidence.Query{Kinds: []string{"health"}})
		if len(recs) != 4 {
			t.Fatalf("stored %d health records: %+v", len(recs), recs)
		}
		for _, r := range recs {
			want, ok := map[string]struct {
				passed bool
				code   string
			}{"shop/prod": {true, "200"}, "shop/testing": {false, "503"}, "blog/prod": {false, "0"}, "blog/testing": {true, "204"}}[r.Lane]
			if !ok || r.Passed != want.passed || r.Detail["status_code"] != want.code || r.Detail["latency_ms"] == "" || r.RunID != "probe-1" {
				t.Errorf("record %+v", r)
			}
			for k, v := range r.Detail {
				if strings.Contains(v, evBodyMarker) {
					t.Errorf("detail %s holds the response body", k)
				}
			}
		}
		if strings.Contains(out.Stdout+out.Stderr, evBodyMarker) {
			t.Errorf("output holds the response body")
		}

		// --lane filters; an allowed private lane passes and exits 0.
		out = s.run(nil, "evidence", "probe", "--run-id", "probe-2", "--lane", "shop/prod")
		testkit.Want(t, out, 0)
		if !strings.Contains(out.Stdout, "shop/prod") || strings.Contains(out.Stdout, "shop/testing") {
			t.Fatalf("filtered table:\n%s", out)
		}
		if recs := s.list(t, evidence.Query{Kinds: []string{"health"}}); len(recs) != 5 {
			t.Fatalf("after filtered probe: %d records", len(recs))
		}
		// A lane without health_url is skipped with a note; a run that
		// probed nothing proved nothing, so its verdict is blocked.
		out = s.run(nil, "evidence", "probe", "--run-id", "probe-3", "--lane", "docs/prod")
		testkit.Want(t, out, 1)
		if !strings.Contains(out.Stdout, "no health_url") || !strings.HasPrefix(out.Stdout, "BLOCKED: 0 probed") ||
			!strings.Contains(out.Stderr, "nothing was probed") {
			t.Fatalf("empty probe not blocked:\n%s", out)
		}
		// The same run again records nothing new.
		testkit.Want(t, s.run(nil, "evidence", "probe", "--run-id", "probe-2", "--lane", "shop/prod"), 0)
		if recs := s.list(t, evidence.Query{Kinds: []string{"health"}}); len(recs) != 5 {
			t.Fatalf("after repeated probe: %d records", len(recs))
		}

		// Configuration errors cost no requests and write nothing.
		before := hits.Load()
		for _, args := range [][]string{
			{"evidence", "probe"}, // no source
			{"evidence", "probe", "--run-id", "p", "--lane", "nope/prod"},
			{"evidence", "probe", "--run-id", "p", "--concurrency", "0"},
			{"evidence", "probe", "--run-id", "p", "--format", "xml"},
		} {
			testkit.Want(t, s.run(nil, args...), 2)
		}
		if hits.Load() != before {
			t.Errorf("invalid probe invocations sent %d requests", hits.Load()-before)
		}
		if recs := s.list(t, evidence.Query{}); len(recs) != 5 {
			t.Fatalf("invalid probes wrote records: %d", len(recs))
		}
	})

	t.Run("no-record needs no store or source", func(t *testing.T) {
		dir := evWorkDir(t, lanesYAML)
		out := lanegate.In(dir, nil, "evidence", "probe", "--no-record", "--lane", "shop/prod", "--lane", "blog/prod")
		testkit.Want(t, out, 1)
		if !strings.Contains(out.Stdout, "refusing to probe private address") {
			t.Fatalf("table:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(dir, "state")); !os.IsNotExist(err) {
			t.Fatal("a state was created")
		}
	})
}

func TestEvidenceListShow(t *testing.T) {
	evBoth(t, evLanesYAML, nil, func(t *testing.T, s evStore) {
		at := func(d time.Duration) string { return time.Now().Add(-d).UTC().Format(time.RFC3339) }
		for _, args := range [][]string{
			{"--lane", "shop/prod", "--kind", "deploy", "--status", "pass", "--run-id", "1", "--observed-at", at(50 * time.Hour)},
			{"--lane", "shop/prod", "--kind", "deploy", "--status", "fail", "--run-id", "2", "--observed-at", at(3 * time.Hour)},
			{"--lane", "shop/prod", "--kind", "health", "--status", "pass", "--run-id", "3", "--observed-at", at(10 * time.Minute), "--detail", "status_code=200"},
			{"--lane", "blog/prod", "--kind", "audit", "--status", "pass", "--run-id", "4", "--detail", "verdict=complete", "--detail", "counts=complete:1"},
		} {
			testkit.Want(t, s.run(nil, append([]string{"evidence", "record"}, args...)...), 0)
		}

		out := s.run(nil, "evidence", "list")
		testkit.Want(t, out, 0)
		lines := strings.Split(strings.TrimSpace(out.Stdout), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "LANE") {
			t.Fatalf("list:\n%s", out.Stdout)
		}
		if !strings.Contains(lines[1], "blog/prod") || !strings.Contains(lines[2], "shop/prod  deploy") || !strings.Contains(lines[2], "fail") || !strings.Contains(lines[2], "3h") {
			t.Fatalf("list rows:\n%s", out.Stdout)
		}
		if !strings.Contains(lines[3], "health") || !strings.Contains(lines[3], "10m") || !strings.Contains(lines[3], "status_code=200") {
			t.Fatalf("list rows:\n%s", out.Stdout)
		}

		out = s.run(nil, "evidence", "show", "--lane", "shop/prod", "--kind", "deploy", "--format", "json")
		testkit.Want(t, out, 0)
		var shown struct {
			Evidence map[string]map[string][]struct {
				RunID      string `json:"run_id"`
				Status     string `json:"status"`
				AgeSeconds int64  `json:"age_seconds"`
			} `json:"evidence"`
		}
		if err := json.Unmarshal([]byte(out.Stdout), &shown); err != nil {
			t.Fatal(err)
		}
		deploys := shown.Evidence["shop/prod"]["deploy"]
		if len(shown.Evidence) != 1 || len(deploys) != 2 || deploys[0].RunID != "2" || deploys[0].Status != "fail" ||
			deploys[1].RunID != "1" || deploys[1].AgeSeconds < 50*3600-60 {
			t.Fatalf("show = %+v", shown)
		}

		out = s.run(nil, "evidence", "list", "--since", "1h")
		testkit.Want(t, out, 0)
		if strings.Contains(out.Stdout, "deploy") || !strings.Contains(out.Stdout, "health") {
			t.Fatalf("--since 1h:\n%s", out.Stdout)
		}
		out = s.run(nil, "evidence", "list", "--lane", "docs/prod")
		testkit.Want(t, out, 0)
		if strings.TrimSpace(out.Stdout) != "no evidence recorded" {
			t.Fatalf("empty list:\n%s", out.Stdout)
		}
		for _, args := range [][]string{
			{"evidence", "show"},
			{"evidence", "show", "--lane", "a/b", "--lane", "c/d"},
			{"evidence", "list", "--kind", "smoke"},
			{"evidence", "list", "--since", "soon"},
			{"evidence", "list", "--limit", "-1"},
			{"evidence", "list", "--lane", "bad"},
			{"evidence", "frobnicate"},
		} {
			testkit.Want(t, s.run(nil, args...), 2)
		}
	})
}
