package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/fixture"
)

const recLanes = `schema_version: 1
lanes:
  - {route: syo/prod, product: syo, driver: generic-web, wave: 1}
  - {route: syo/testing, product: syo, driver: generic-web, wave: 1}
`

// recRoutes: syo/prod complete, syo/testing missing its provider-target row,
// plus an undeclared route that must not get evidence.
func recRoutes() []fixture.Route {
	missing := fixture.Complete("syo", "testing")
	missing.Provider = nil
	return []fixture.Route{fixture.Complete("syo", "prod"), missing, fixture.Complete("other", "prod")}
}

type recEvidence struct {
	Lane   string            `json:"lane"`
	Kind   string            `json:"kind"`
	Passed bool              `json:"passed"`
	Detail map[string]string `json:"detail"`
}

func recCheckEvidence(t *testing.T, out string) {
	t.Helper()
	var list struct {
		Evidence map[string]map[string][]recEvidence `json:"evidence"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("evidence list JSON: %v\n%s", err, out)
	}
	var recs []recEvidence
	got := map[string]recEvidence{}
	for _, byKind := range list.Evidence {
		for _, rs := range byKind {
			for _, r := range rs {
				recs = append(recs, r)
				got[r.Lane] = r
			}
		}
	}
	if len(recs) != 2 || got["syo/prod"].Kind != "audit" || !got["syo/prod"].Passed ||
		got["syo/testing"].Passed || got["syo/testing"].Detail["verdict"] != "missing_provider_target" {
		t.Fatalf("audit evidence = %+v", recs)
	}
}

// TestAuditRecord: --record stores the run and one audit evidence record per
// declared lane, on both stores; without it nothing is written.
func TestAuditRecord(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lanes.yaml"), []byte(recLanes), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_ACTOR": "octo"}

	t.Run("filesystem", func(t *testing.T) {
		state := filepath.Join(dir, "state")
		if err := fixture.WriteState(state, recRoutes()); err != nil {
			t.Fatal(err)
		}
		if r := lanegate.In(dir, vars, "audit", "--state-dir", "state"); r.Code != 1 {
			t.Fatalf("audit: %s", r)
		}
		if _, err := os.Stat(filepath.Join(state, ".lanegate")); !os.IsNotExist(err) {
			t.Fatalf("an audit without --record wrote .lanegate (err=%v)", err)
		}
		if r := lanegate.In(dir, vars, "audit", "--state-dir", "state", "--record"); r.Code != 1 || !strings.Contains(r.Stderr, "recorded audit") {
			t.Fatalf("audit --record: %s", r)
		}
		runs, _ := filepath.Glob(filepath.Join(state, ".lanegate", "runs", "audit-4242-1.json"))
		if len(runs) != 1 {
			t.Fatalf("run record missing: %v", runs)
		}
		r := lanegate.In(dir, vars, "evidence", "list", "--state-dir", "state", "--kind", "audit", "--format", "json")
		if r.Code != 0 {
			t.Fatalf("evidence list: %s", r)
		}
		recCheckEvidence(t, r.Stdout)
	})

	t.Run("postgres", func(t *testing.T) {
		url := pgtest.NewLaunchplaneDatabase(t)
		if err := fixture.LoadPostgres(context.Background(), url, recRoutes()); err != nil {
			t.Fatal(err)
		}
		// Without lanegate's tables, recording fails clearly (exit 3).
		if r := lanegate.In(dir, vars, "audit", "--database-url", url, "--record"); r.Code != 3 || !strings.Contains(r.Stderr, "lanegate migrate") {
			t.Fatalf("audit --record before migrate: %s", r)
		}
		if r := lanegate.In(dir, nil, "migrate", "--database-url", url); r.Code != 0 {
			t.Fatalf("migrate: %s", r)
		}
		if r := lanegate.In(dir, vars, "audit", "--database-url", url, "--record"); r.Code != 1 {
			t.Fatalf("audit --record: %s", r)
		}
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		var status, actor, inspected string
		if err := conn.QueryRow(context.Background(),
			"SELECT count(*) OVER (), status, actor, report->>'inspected_route_count' FROM lanegate_runs WHERE kind = 'audit'").Scan(&n, &status, &actor, &inspected); err != nil {
			t.Fatal(err)
		}
		if n != 1 || status != "blocked" || actor != "octo" || inspected != "3" {
			t.Fatalf("recorded run: n=%d status=%q actor=%q inspected=%q", n, status, actor, inspected)
		}
		r := lanegate.In(dir, vars, "evidence", "list", "--database-url", url, "--kind", "audit", "--format", "json")
		if r.Code != 0 {
			t.Fatalf("evidence list: %s", r)
		}
		recCheckEvidence(t, r.Stdout)
	})
}
