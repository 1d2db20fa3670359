package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/cli"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
)

// closedLoopbackURL is a database URL nothing listens on: a command that
// picks it fails with a connection error instead of reading the state.
func closedLoopbackURL(t *testing.T, db string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return fmt.Sprintf("postgres://lanegate:s3cretpw@127.0.0.1:%d/%s?connect_timeout=2", port, db)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestStoreChoicePrecedence: one rule — an explicit flag always wins over
// the environment; two explicit stores, two stores from the environment
// and two disagreeing database URL variables are usage errors. The chosen
// store is the first line of stderr, never with its password.
func TestStoreChoicePrecedence(t *testing.T) {
	db := closedLoopbackURL(t, "launchplane")
	other := closedLoopbackURL(t, "elsewhere")
	state := mustAbs(t, e2eState)
	audit := []string{"audit", "--no-lanes", "--format", "json"}
	cases := []struct {
		name      string
		vars      map[string]string
		flags     []string
		wantCode  int
		wantFirst string // exact first stderr line, when set
		wantErr   string // substring of stderr, when set
	}{
		{name: "state-dir flag wins over LAUNCHPLANE_DATABASE_URL",
			vars: map[string]string{"LAUNCHPLANE_DATABASE_URL": db}, flags: []string{"--state-dir", state},
			wantCode: cli.ExitBlocked, wantFirst: "lanegate: store: filesystem " + state + " (from --state-dir)"},
		{name: "state-dir flag wins over LANEGATE_DATABASE_URL",
			vars: map[string]string{"LANEGATE_DATABASE_URL": db}, flags: []string{"--state-dir", state},
			wantCode: cli.ExitBlocked, wantFirst: "lanegate: store: filesystem " + state + " (from --state-dir)"},
		{name: "state-dir flag picks between two environment stores",
			vars: map[string]string{"LANEGATE_DATABASE_URL": db, "LAUNCHPLANE_STATE_DIR": "/nonexistent"}, flags: []string{"--state-dir", state},
			wantCode: cli.ExitBlocked, wantFirst: "lanegate: store: filesystem " + state + " (from --state-dir)"},
		{name: "database-url flag wins over LAUNCHPLANE_STATE_DIR",
			vars: map[string]string{"LAUNCHPLANE_STATE_DIR": state}, flags: []string{"--database-url", db},
			wantCode: cli.ExitRuntime, wantFirst: "lanegate: store: postgres 127.0.0.1:" + portOf(db) + "/launchplane (from --database-url)",
			wantErr: "cannot connect"},
		{name: "database-url flag wins over disagreeing URL variables",
			vars: map[string]string{"LANEGATE_DATABASE_URL": other, "LAUNCHPLANE_DATABASE_URL": "postgres://x@y/z"}, flags: []string{"--database-url", db},
			wantCode: cli.ExitRuntime, wantFirst: "lanegate: store: postgres 127.0.0.1:" + portOf(db) + "/launchplane (from --database-url)"},
		{name: "both flags",
			flags:    []string{"--state-dir", state, "--database-url", db},
			wantCode: cli.ExitConfig, wantErr: "--state-dir and --database-url name two record stores"},
		{name: "two stores in the environment",
			vars:     map[string]string{"LANEGATE_DATABASE_URL": db, "LAUNCHPLANE_STATE_DIR": state},
			wantCode: cli.ExitConfig, wantErr: "LANEGATE_DATABASE_URL and LAUNCHPLANE_STATE_DIR name two record stores"},
		{name: "LAUNCHPLANE_DATABASE_URL and state dir in the environment",
			vars:     map[string]string{"LAUNCHPLANE_DATABASE_URL": db, "LAUNCHPLANE_STATE_DIR": state},
			wantCode: cli.ExitConfig, wantErr: "LAUNCHPLANE_DATABASE_URL and LAUNCHPLANE_STATE_DIR name two record stores"},
		{name: "disagreeing database URL variables",
			vars:     map[string]string{"LANEGATE_DATABASE_URL": db, "LAUNCHPLANE_DATABASE_URL": other},
			wantCode: cli.ExitConfig, wantErr: "LANEGATE_DATABASE_URL and LAUNCHPLANE_DATABASE_URL name different databases"},
		{name: "agreeing database URL variables",
			vars:     map[string]string{"LANEGATE_DATABASE_URL": db, "LAUNCHPLANE_DATABASE_URL": db},
			wantCode: cli.ExitRuntime, wantFirst: "lanegate: store: postgres 127.0.0.1:" + portOf(db) + "/launchplane (from LANEGATE_DATABASE_URL)"},
		{name: "state dir from the environment",
			vars:     map[string]string{"LAUNCHPLANE_STATE_DIR": state},
			wantCode: cli.ExitBlocked, wantFirst: "lanegate: store: filesystem " + state + " (from LAUNCHPLANE_STATE_DIR)"},
		{name: "no store",
			wantCode: cli.ExitConfig, wantErr: "no record store chosen"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := lanegate.In("", tc.vars, append(audit, tc.flags...)...)
			if r.Code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s", r.Code, tc.wantCode, r)
			}
			if tc.wantFirst != "" && firstLine(r.Stderr) != tc.wantFirst {
				t.Errorf("first stderr line %q, want %q", firstLine(r.Stderr), tc.wantFirst)
			}
			if tc.wantErr != "" && !strings.Contains(r.Stderr, tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, r.Stderr)
			}
			if strings.Contains(r.Stderr, "s3cretpw") {
				t.Errorf("stderr shows the password:\n%s", r.Stderr)
			}
		})
	}
}

func portOf(url string) string {
	hostPort := strings.TrimPrefix(url, "postgres://lanegate:s3cretpw@")
	hostPort, _, _ = strings.Cut(hostPort, "/")
	_, port, _ := net.SplitHostPort(hostPort)
	return port
}

// TestStoreChoiceBackfillStateDirFlagIgnoresDatabaseEnv: the reported
// defect — backfill --apply with --state-dir wrote into the database named
// by LAUNCHPLANE_DATABASE_URL. Now it writes the state directory.
func TestStoreChoiceBackfillStateDirFlagIgnoresDatabaseEnv(t *testing.T) {
	dir := t.TempDir()
	bfWriteStateQuick(t, dir, bfBaseFleet())
	vars := bfEnv()
	vars["LAUNCHPLANE_DATABASE_URL"] = closedLoopbackURL(t, "x")
	plan := lanegate.In(t.TempDir(), vars, "backfill", "--state-dir", dir, "--no-lanes", "--format", "json")
	if plan.Code != cli.ExitOK && plan.Code != cli.ExitBlocked {
		t.Fatalf("dry run: %s", plan)
	}
	if !strings.HasPrefix(plan.Stderr, "lanegate: store: filesystem "+dir+" (from --state-dir)\n") {
		t.Errorf("dry run stderr does not start with the chosen store:\n%s", plan.Stderr)
	}
}

// TestStoreChoiceEvidenceUsesSameRule: evidence commands choose the store
// by the same rule (they used to take the database URL from the
// environment over --state-dir).
func TestStoreChoiceEvidenceUsesSameRule(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"LANEGATE_DATABASE_URL": closedLoopbackURL(t, "x")}
	r := lanegate.In("", vars, "evidence", "list", "--state-dir", dir)
	if r.Code != cli.ExitOK {
		t.Fatalf("%s", r)
	}
	if want := "lanegate: store: filesystem " + dir + " (from --state-dir)"; firstLine(r.Stderr) != want {
		t.Errorf("first stderr line %q, want %q", firstLine(r.Stderr), want)
	}
	r = lanegate.In("", map[string]string{"LANEGATE_DATABASE_URL": closedLoopbackURL(t, "x"), "LAUNCHPLANE_STATE_DIR": dir},
		"evidence", "list")
	if r.Code != cli.ExitConfig || !strings.Contains(r.Stderr, "name two record stores") {
		t.Errorf("two environment stores: %s", r)
	}
}

// TestAuditLoneSurrogateDisplayNameMismatch: the row says "a\ud800b", the
// Dokploy target "a\ufffdb". Python's json keeps the two apart and
// Launchplane reports display_name_mismatch; lanegate used to decode both
// to U+FFFD and call the route complete.
func TestAuditLoneSurrogateDisplayNameMismatch(t *testing.T) {
	dir := t.TempDir()
	if err := fixture.WriteState(dir, []fixture.Route{fixture.Complete("syo", "prod")}); err != nil {
		t.Fatal(err)
	}
	edit := func(sub, from, to string) {
		t.Helper()
		p := filepath.Join(dir, sub, record.FileName("syo", "prod"))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(from)) {
			t.Fatalf("%s lacks %s:\n%s", p, from, data)
		}
		if err := os.WriteFile(p, bytes.Replace(data, []byte(from), []byte(to), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("launchplane_provider_targets", `"display_name": "syo-prod"`, `"display_name": "a\ud800b"`)
	edit("dokploy_targets", `"target_name": "syo-prod"`, `"target_name": "a\ufffdb"`)
	r := lanegate.In("", nil, "audit", "--state-dir", dir, "--no-lanes", "--format", "json")
	if r.Code != cli.ExitBlocked {
		t.Fatalf("want exit 1 (blocked)\n%s", r)
	}
	if !strings.Contains(r.Stdout, `"status":"display_name_mismatch"`) && !strings.Contains(r.Stdout, `"status": "display_name_mismatch"`) {
		t.Errorf("no display_name_mismatch finding:\n%s", r.Stdout)
	}
	if !strings.Contains(r.Stdout, `a\ud800b`) {
		t.Errorf("the report does not show the lone surrogate as Python writes it:\n%s", r.Stdout)
	}
}

// TestImportLoneSurrogateFailsWithoutWriting: Postgres cannot store a lone
// surrogate (jsonb refuses the escape, text columns the bytes), so import
// refuses a state holding one, naming file and field, before writing.
func TestImportLoneSurrogateFailsWithoutWriting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := fixture.WriteState(dir, []fixture.Route{fixture.Complete("syo", "prod"), fixture.Complete("opw", "prod")}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "launchplane_provider_targets", record.FileName("syo", "prod"))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, bytes.Replace(data, []byte(`"display_name": "syo-prod"`), []byte(`"display_name": "a\ud800b"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewLaunchplaneDatabase(t)
	r := lanegate.In("", nil, "import", "--state-dir", dir, "--database-url", url)
	if r.Code != cli.ExitConfig {
		t.Fatalf("want exit 2\n%s", r)
	}
	want := "launchplane_provider_targets/" + record.FileName("syo", "prod") + ": field display_name holds a lone surrogate"
	if !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "nothing was written") {
		t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
	}
	out := filepath.Join(t.TempDir(), "exported")
	if r := lanegate.In("", nil, "export", "--database-url", url, "--state-dir", out); r.Code != 0 {
		t.Fatalf("export: %s", r)
	}
	if files := dbRecordFiles(t, out); len(files) != 0 {
		t.Errorf("a failed import left %d record(s)", len(files))
	}
}

// TestImportReplaceRefusesEmptyState: `import --replace` of an empty state
// directory used to empty the database and exit 0. It now refuses (exit 2,
// the database untouched) unless --allow-empty says it is meant.
func TestImportReplaceRefusesEmptyState(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	if err := fixture.WriteState(src, []fixture.Route{fixture.Complete("syo", "prod")}); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewLaunchplaneDatabase(t)
	if r := lanegate.In("", nil, "import", "--state-dir", src, "--database-url", url); r.Code != 0 {
		t.Fatalf("import: %s", r)
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var name string
	if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		t.Helper()
		var n int
		if err := conn.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM launchplane_dokploy_targets) + (SELECT count(*) FROM launchplane_dokploy_target_ids) + (SELECT count(*) FROM launchplane_provider_targets)").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	empty := t.TempDir()
	r := lanegate.In("", nil, "import", "--state-dir", empty, "--database-url", url, "--replace", "--confirm-database", name)
	if r.Code != cli.ExitConfig || !(strings.Contains(r.Stderr, "holds no records") || strings.Contains(r.Stderr, "holds none of Launchplane's record directories")) || !strings.Contains(r.Stderr, "--allow-empty") {
		t.Fatalf("--replace of an empty state: want exit 2 naming --allow-empty\n%s", r)
	}
	if n := count(); n != 3 {
		t.Fatalf("refused import changed the database: %d records, want 3", n)
	}
	// A plain import of an empty state is refused too: nothing to do is
	// more likely a wrong path.
	if r := lanegate.In("", nil, "import", "--state-dir", empty, "--database-url", url); r.Code != cli.ExitConfig {
		t.Fatalf("plain import of an empty state: %s", r)
	}
	r = lanegate.In("", nil, "import", "--state-dir", empty, "--database-url", url, "--replace", "--confirm-database", name, "--allow-empty")
	if r.Code != 0 {
		t.Fatalf("--allow-empty: %s", r)
	}
	if n := count(); n != 0 {
		t.Fatalf("--replace --allow-empty left %d records", n)
	}
}

// TestMissingLanesFileIsNeverSilent: without lanes.yaml every lane reads as
// undeclared. Outside Actions that is a notice; in Actions (GITHUB_ACTIONS
// or the action command) it is an error unless --no-lanes asks for it.
func TestMissingLanesFileIsNeverSilent(t *testing.T) {
	state := mustAbs(t, e2eState)
	dir := t.TempDir()
	notice := "lanegate: notice: no lanes.yaml found in " + dir + "; lanes are reported as undeclared (pass --lanes FILE, or --no-lanes to silence)"
	r := lanegate.In(dir, nil, "audit", "--state-dir", state, "--format", "json")
	if r.Code != cli.ExitBlocked || !strings.Contains(r.Stderr, notice+"\n") {
		t.Errorf("no notice:\n%s", r)
	}
	// The notice is part of the report too, not only of the log.
	var rep struct {
		Notices []string `json:"notices"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || len(rep.Notices) != 1 || !strings.HasPrefix(notice, "lanegate: notice: "+rep.Notices[0]) {
		t.Errorf("report notices = %q (%v), want the missing lanes.yaml notice", rep.Notices, err)
	}
	r = lanegate.In(dir, nil, "backfill", "--state-dir", state, "--format", "json")
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || len(rep.Notices) != 1 {
		t.Errorf("backfill report notices = %q (%v)\n%s", rep.Notices, err, r)
	}
	if r := lanegate.In(dir, nil, "audit", "--state-dir", state, "--format", "json", "--no-lanes"); strings.Contains(r.Stderr, "notice") {
		t.Errorf("--no-lanes still prints the notice:\n%s", r)
	}
	actions := map[string]string{"GITHUB_ACTIONS": "true"}
	r = lanegate.In(dir, actions, "audit", "--state-dir", state, "--format", "json")
	if r.Code != cli.ExitConfig || !strings.Contains(r.Stderr, "no lanes.yaml found in "+dir+": in GitHub Actions") || r.Stdout != "" {
		t.Errorf("in Actions: want exit 2 and no report\n%s", r)
	}
	if r := lanegate.In(dir, actions, "audit", "--state-dir", state, "--format", "json", "--no-lanes"); r.Code != cli.ExitBlocked {
		t.Errorf("in Actions with --no-lanes: %s", r)
	}
	inputs := map[string]string{"LANEGATE_INPUT_COMMAND": "audit", "LANEGATE_INPUT_STATE_DIR": state, "LANEGATE_INPUT_LANES": "lanes.yaml"}
	r = lanegate.In(dir, inputs, "action")
	if r.Code != cli.ExitConfig || !strings.Contains(r.Stderr, "in GitHub Actions every lane would be reported as undeclared") {
		t.Errorf("action command: want exit 2\n%s", r)
	}
	// A lanes file that is there is read without a notice.
	if err := os.WriteFile(filepath.Join(dir, "lanes.yaml"), mustRead(t, e2eLanes), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := lanegate.In(dir, actions, "audit", "--state-dir", state, "--format", "json"); r.Code != cli.ExitBlocked || strings.Contains(r.Stderr, "notice") {
		t.Errorf("with lanes.yaml: %s", r)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
