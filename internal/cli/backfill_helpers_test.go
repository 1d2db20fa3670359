package cli_test

// Helpers for the backfill tests: running the CLI in-process, building
// fixtures, and two store harnesses (Postgres and a filesystem state) that
// can say "nothing changed" exactly.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/backfill"
	"github.com/lanegate/lanegate/internal/cli"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/testkit"
)

// bfActor is the GITHUB_ACTOR every in-process run sees.
const bfActor = "octo-operator"

func bfClip(s string) string {
	if len(s) > 4000 {
		return s[:4000] + fmt.Sprintf("\n... (%d more bytes)", len(s)-4000)
	}
	return s
}

// bfEnv is the environment of in-process runs: only GITHUB_ACTOR, so the
// outcome never depends on the environment the tests run in (CI or not).
func bfEnv() map[string]string { return map[string]string{"GITHUB_ACTOR": bfActor} }

// bfReport is lanegate's backfill JSON report; decoding refuses unknown keys
// so the test notices keys added or renamed.
type bfReport struct {
	Applied      bool           `json:"applied"`
	BlockedCount int            `json:"blocked_count"`
	Counts       map[string]int `json:"counts"`
	CreatedCount int            `json:"created_count"`
	Inspected    int            `json:"inspected_route_count"`
	Items        []bfItem       `json:"items"`
	Mode         string         `json:"mode"`
	PlanDigest   string         `json:"plan_digest"`
	Refusal      string         `json:"refusal"`
	Notices      []string       `json:"notices"`
	Schema       string         `json:"schema"`
	Status       string         `json:"status"`
	Store        *bfStoreKey    `json:"store"`
	WarningCount int            `json:"warning_count"`
}

// bfStoreKey is the report's "store" key.
type bfStoreKey struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

type bfItem struct {
	Context    string                 `json:"context"`
	Detail     string                 `json:"detail"`
	Instance   string                 `json:"instance"`
	Physical   *record.ProviderTarget `json:"physical_record"`
	Projected  *record.ProviderTarget `json:"projected_record"`
	ProviderID string                 `json:"provider_id"`
	Severity   string                 `json:"severity"`
	Status     string                 `json:"status"`
}

func (it bfItem) key() string { return it.Context + "/" + it.Instance }

func bfDecodeReport(t testing.TB, out testkit.Result) *bfReport {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out.Stdout))
	dec.DisallowUnknownFields()
	var r bfReport
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decode the JSON report: %v\n%s", err, out)
	}
	if r.Schema != backfill.Schema {
		t.Errorf("report schema %q, want %q", r.Schema, backfill.Schema)
	}
	return &r
}

// statuses maps "context/instance" to the item's status.
func (r *bfReport) statuses() map[string]string {
	out := map[string]string{}
	for _, it := range r.Items {
		out[it.key()] = it.Status
	}
	return out
}

func (r *bfReport) item(key string) (bfItem, bool) {
	for _, it := range r.Items {
		if it.key() == key {
			return it, true
		}
	}
	return bfItem{}, false
}

// ---------------------------------------------------------------- fixtures

// bfPair is a route with its Dokploy pair and no explicit row.
func bfPair(ctx, inst, targetType, targetName, projectName, targetID string) fixture.Route {
	return fixture.Route{Target: fixture.Target(ctx, inst, targetType, targetName, projectName),
		TargetID: fixture.TargetID(ctx, inst, targetID)}
}

// bfWithRow adds the route's explicit row: the projection, changed by fn.
func bfWithRow(r fixture.Route, fn func(p *record.ProviderTarget)) fixture.Route {
	p := fixture.Projected(r.Target, r.TargetID)
	if fn != nil {
		fn(p)
	}
	r.Provider = p
	return r
}

func bfForeign(ctx, inst string) fixture.Route {
	return fixture.Route{Provider: &record.ProviderTarget{SchemaVersion: 1, Context: ctx, Instance: inst,
		ProviderID: "static-host", TargetCategory: "static", TargetID: "bucket-" + ctx, DisplayName: ctx + "-site",
		ProviderTargetType: "bucket", ProviderEvidence: map[string]string{"bucket": ctx + "-assets"},
		UpdatedAt: "2026-03-01T00:00:00Z", SourceLabel: "launchplane:static"}}
}

// bfBaseFleet has three routes to create, one that already matches (with a
// different updated_at and source label) and one on another provider. Its
// audit has no blocked finding other than missing_provider_target.
func bfBaseFleet() []fixture.Route {
	return []fixture.Route{
		bfWithRow(bfPair("syo", "prod", "application", "syo-prod", "syo-project", "app-syo-prod"), func(p *record.ProviderTarget) {
			p.UpdatedAt = "2030-12-31T23:59:59Z"
			p.SourceLabel = "launchplane:dual-write"
		}),
		bfPair("syo", "testing", "application", "syo-testing", "syo-project", "app-syo-testing"),
		bfPair("cm", "prod", "compose", "cm-prod", "odoo-cm", "cmp-cm-prod"),
		// No target_name and no project_name: display_name falls back to
		// the instance and provider_evidence is empty.
		bfPair("opw", "prod", "application", "", "", "app-opw-prod"),
		bfForeign("legacy", "prod"),
	}
}

// bfBaseCreates are the routes of bfBaseFleet a backfill creates.
var bfBaseCreates = []string{"cm/prod", "opw/prod", "syo/testing"}

// bfExpected returns the rows a backfill of routes creates, by route key,
// with the source label still empty-for-now (the caller sets the run's).
func bfExpected(routes []fixture.Route, keys ...string) map[string]*record.ProviderTarget {
	wanted := map[string]bool{}
	for _, k := range keys {
		wanted[k] = true
	}
	want := map[string]*record.ProviderTarget{}
	for _, r := range routes {
		if r.Target == nil || r.TargetID == nil || r.Provider != nil {
			continue
		}
		if k := r.Target.Context + "/" + r.Target.Instance; wanted[k] {
			// The row apply writes: the projection with lanegate's label.
			p := fixture.Projected(r.Target, r.TargetID)
			p.SourceLabel = backfill.SourceLabel
			want[k] = p
		}
	}
	return want
}

// bfManyPairs returns n routes that each lack their explicit row.
func bfManyPairs(n int, ctx string) []fixture.Route {
	out := make([]fixture.Route, n)
	for i := range out {
		inst := fmt.Sprintf("lane-%05d", i)
		out[i] = bfPair(ctx, inst, []string{"application", "compose"}[i%2], ctx+"-"+inst, ctx+"-project", fmt.Sprintf("id-%s-%05d", ctx, i))
	}
	return out
}

// ----------------------------------------------------------------- stores

// bfRunRecord is what a store recorded about one applied backfill.
type bfRunRecord struct {
	RunID, Reason, Actor, Digest, SourceLabel string
	Items                                     []string // "ctx/inst status severity detail", sorted
}

// bfStore is a record store under test, seen from outside lanegate.
type bfStore interface {
	name() string
	args() []string // the store flag(s)
	// state is a fingerprint of everything stored; equal fingerprints mean
	// nothing was written (not even rewritten with the same content).
	state(t testing.TB) string
	// created returns the rows whose source label says lanegate made them.
	created(t testing.TB) map[string]*record.ProviderTarget
	// rowBytes returns the stored form of one route's explicit row.
	rowBytes(t testing.TB, key string) string
	writeTarget(t testing.TB, tr *record.DokployTarget)
	// writeRawTargetID stores a target-id payload as is (maybe invalid).
	writeRawTargetID(t testing.TB, ctx, inst string, payload *record.Object)
	runs(t testing.TB) []bfRunRecord
}

// bfEachStore runs fn as a subtest per store, each with its own copy of routes.
func bfEachStore(t *testing.T, routes []fixture.Route, fn func(t *testing.T, s bfStore)) {
	t.Run("postgres", func(t *testing.T) { fn(t, bfNewPG(t, routes, true)) })
	t.Run("filesystem", func(t *testing.T) { fn(t, bfNewFS(t, routes)) })
}

// -------- Postgres

type bfPG struct {
	url  string
	conn *pgx.Conn
}

func bfNewPG(t testing.TB, routes []fixture.Route, migrate bool) *bfPG {
	t.Helper()
	url := pgtest.NewLaunchplaneDatabase(t)
	ctx := context.Background()
	if migrate {
		if out := lanegate.In(t.TempDir(), bfEnv(), "migrate", "--database-url", url); out.Code != 0 {
			t.Fatalf("lanegate migrate: %s", out)
		}
	}
	if len(routes) > 0 {
		if err := fixture.LoadPostgres(ctx, url, routes); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgtest.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return &bfPG{url: url, conn: conn}
}

func (s *bfPG) name() string   { return "postgres" }
func (s *bfPG) args() []string { return []string{"--database-url", s.url} }

func (s *bfPG) query(t testing.TB, sql string, args ...any) [][]string {
	t.Helper()
	rows, err := s.conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = fmt.Sprint(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func (s *bfPG) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := s.conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// state fingerprints every table of the database: each row's text and its
// xmin, so even a rewrite with identical content shows.
func (s *bfPG) state(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, tb := range s.query(t, `SELECT table_name::text FROM information_schema.tables
		WHERE table_schema = 'public' ORDER BY table_name`) {
		table := pgx.Identifier{tb[0]}.Sanitize()
		r := s.query(t, fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(x::text || ' xmin=' || x.xmin::text, E'\n' ORDER BY x::text)), '')
			FROM %s x`, table))
		fmt.Fprintf(&b, "%s: %s rows, md5 %s\n", tb[0], r[0][0], r[0][1])
	}
	return b.String()
}

const bfLanegateLabel = `payload->>'source_label' = 'lanegate:backfill'`

func (s *bfPG) created(t testing.TB) map[string]*record.ProviderTarget {
	t.Helper()
	out := map[string]*record.ProviderTarget{}
	rows := s.query(t, `SELECT context, instance, provider_id, target_category, target_id, display_name,
		provider_target_type, updated_at, payload::text, (SELECT count(*) FROM jsonb_object_keys(payload))
		FROM launchplane_provider_targets WHERE `+bfLanegateLabel+` ORDER BY context, instance`)
	for _, r := range rows {
		p, err := record.DecodeProviderTarget([]byte(r[8]))
		if err != nil {
			t.Fatalf("row %s/%s: Launchplane could not read the payload: %v", r[0], r[1], err)
		}
		if r[9] != "11" {
			t.Errorf("row %s/%s payload has %s keys, want exactly Launchplane's 11", r[0], r[1], r[9])
		}
		cols := pgstore.ProviderColumns(p)
		for i, c := range pgstore.ProviderRowColumns[:8] {
			if r[i] != cols[c] {
				t.Errorf("row %s/%s: promoted column %s=%q, payload says %q", r[0], r[1], c, r[i], cols[c])
			}
		}
		out[r[0]+"/"+r[1]] = p
	}
	return out
}

func (s *bfPG) rowBytes(t testing.TB, key string) string {
	t.Helper()
	ctx, inst, _ := strings.Cut(key, "/")
	r := s.query(t, `SELECT x::text, x.xmin::text FROM launchplane_provider_targets x WHERE context = $1 AND instance = $2`, ctx, inst)
	if len(r) == 0 {
		return ""
	}
	return r[0][0] + " xmin=" + r[0][1]
}

func (s *bfPG) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := s.conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (s *bfPG) writeTarget(t testing.TB, tr *record.DokployTarget) {
	t.Helper()
	s.exec(t, `INSERT INTO launchplane_dokploy_targets (context, instance, updated_at, payload) VALUES ($1, $2, $3, $4::jsonb)
		ON CONFLICT (context, instance) DO UPDATE SET updated_at = excluded.updated_at, payload = excluded.payload`,
		tr.Context, tr.Instance, tr.UpdatedAt, string(record.EncodePython(tr.Payload())))
}

func (s *bfPG) writeRawTargetID(t testing.TB, ctx, inst string, payload *record.Object) {
	t.Helper()
	id, _ := payload.Get("target_id")
	upd, _ := payload.Get("updated_at")
	s.exec(t, `INSERT INTO launchplane_dokploy_target_ids (context, instance, target_id, updated_at, payload) VALUES ($1, $2, $3, $4, $5::jsonb)
		ON CONFLICT (context, instance) DO UPDATE SET payload = excluded.payload`, ctx, inst, id, upd, string(record.EncodePython(payload)))
}

func (s *bfPG) runs(t testing.TB) []bfRunRecord {
	t.Helper()
	var out []bfRunRecord
	for _, r := range s.query(t, `SELECT id, kind, run_id, reason, actor, plan_digest, report->>'source_label', status, lanegate_version
		FROM lanegate_runs ORDER BY id`) {
		if r[1] != "backfill" || r[7] != "ok" || r[8] != cli.VersionString() {
			t.Errorf("lanegate_runs row %v: want kind backfill, status ok, version %s", r, cli.VersionString())
		}
		rec := bfRunRecord{RunID: r[2], Reason: r[3], Actor: r[4], Digest: r[5], SourceLabel: r[6]}
		for _, it := range s.query(t, `SELECT context || '/' || instance || ' ' || status || ' ' || severity || ' ' || detail
			FROM lanegate_backfill_items WHERE run_id = $1 ORDER BY 1`, r[0]) {
			rec.Items = append(rec.Items, it[0])
		}
		out = append(out, rec)
	}
	return out
}

// -------- filesystem

type bfFS struct {
	dir string
}

func bfNewFS(t testing.TB, routes []fixture.Route) *bfFS {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fixture.WriteState(dir, routes); err != nil {
		t.Fatal(err)
	}
	return &bfFS{dir: dir}
}

func (s *bfFS) name() string   { return "filesystem" }
func (s *bfFS) args() []string { return []string{"--state-dir", s.dir} }

// bfTree fingerprints every path under dir: kind, mode, size, mtime and a
// hash of the content. skip names top-level entries to leave out.
func bfTree(t testing.TB, dir string, withTimes bool, skip ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		for _, s := range skip {
			if rel == s {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		v := fmt.Sprintf("%s %v", map[bool]string{true: "dir", false: "file"}[d.IsDir()], fi.Mode())
		if withTimes {
			v += " mtime=" + fi.ModTime().Format(time.RFC3339Nano)
		}
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			v += fmt.Sprintf(" size=%d sha256=%s", len(b), hex.EncodeToString(sum[:]))
		}
		out[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// bfTreeDiff describes how two trees differ ("" when equal).
func bfTreeDiff(before, after map[string]string) string {
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	n := 0
	for _, k := range keys {
		x, inX := before[k]
		y, inY := after[k]
		var line string
		switch {
		case !inY:
			line = "removed " + k
		case !inX:
			line = "added " + k
		case x != y:
			line = fmt.Sprintf("changed %s: %s -> %s", k, x, y)
		default:
			continue
		}
		if n++; n <= 20 {
			b.WriteString(line + "\n")
		}
	}
	if n > 20 {
		fmt.Fprintf(&b, "... and %d more\n", n-20)
	}
	return b.String()
}

// state leaves out .locks: Launchplane's own lock files, which lanegate's
// apply opens (and creates) like every Launchplane writer does, and so the
// state directory's own mtime, which creating .locks changes. Every other
// top-level entry shows up by itself.
func (s *bfFS) state(t testing.TB) string {
	t.Helper()
	tree := bfTree(t, s.dir, true, ".locks")
	delete(tree, ".")
	keys := make([]string, 0, len(tree))
	for k := range tree {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + " " + tree[k] + "\n")
	}
	return b.String()
}

func (s *bfFS) providerDir() string { return filepath.Join(s.dir, record.KindProviderTarget.Dir()) }

func (s *bfFS) created(t testing.TB) map[string]*record.ProviderTarget {
	t.Helper()
	out := map[string]*record.ProviderTarget{}
	entries, err := os.ReadDir(s.providerDir())
	if errors.Is(err, os.ErrNotExist) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.providerDir(), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		p, err := record.DecodeProviderTarget(data)
		if err != nil {
			t.Fatalf("%s: Launchplane could not read it: %v", e.Name(), err)
		}
		if p.SourceLabel != backfill.SourceLabel {
			continue
		}
		if want := record.FileName(p.Context, p.Instance); e.Name() != want {
			t.Errorf("created %s, Launchplane reads the route from %s", e.Name(), want)
		}
		if want := fsstore.Encode(p.Payload()); !bytes.Equal(data, want) {
			t.Errorf("%s is not in Launchplane's format:\n%s\nwant\n%s", e.Name(), data, want)
		}
		out[p.Context+"/"+p.Instance] = p
	}
	return out
}

func (s *bfFS) rowBytes(t testing.TB, key string) string {
	t.Helper()
	ctx, inst, _ := strings.Cut(key, "/")
	p := filepath.Join(s.providerDir(), record.FileName(ctx, inst))
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + " mtime=" + fi.ModTime().Format(time.RFC3339Nano)
}

func (s *bfFS) writeTarget(t testing.TB, tr *record.DokployTarget) {
	t.Helper()
	if err := (&fsstore.Store{Dir: s.dir}).WriteDokployTarget(tr); err != nil {
		t.Fatal(err)
	}
}

func (s *bfFS) writeRawTargetID(t testing.TB, ctx, inst string, payload *record.Object) {
	t.Helper()
	p := filepath.Join(s.dir, record.KindDokployTargetID.Dir(), record.FileName(ctx, inst))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, record.EncodePython(payload), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s *bfFS) runs(t testing.TB) []bfRunRecord {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(s.dir, ".lanegate", "backfills", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []bfRunRecord
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			RunID       string   `json:"run_id"`
			Reason      string   `json:"reason"`
			Actor       string   `json:"actor"`
			PlanDigest  string   `json:"plan_digest"`
			SourceLabel string   `json:"source_label"`
			Items       []bfItem `json:"items"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if filepath.Base(f) != r.RunID+".json" {
			t.Errorf("run record %s holds run %q", filepath.Base(f), r.RunID)
		}
		rec := bfRunRecord{RunID: r.RunID, Reason: r.Reason, Actor: r.Actor, Digest: r.PlanDigest, SourceLabel: r.SourceLabel}
		for _, it := range r.Items {
			rec.Items = append(rec.Items, it.key()+" "+it.Status+" "+it.Severity+" "+it.Detail)
		}
		sort.Strings(rec.Items)
		out = append(out, rec)
	}
	return out
}

// --------------------------------------------------------------- running

// bfBackfill runs `lanegate backfill` on s with extra args.
func bfBackfill(t testing.TB, s bfStore, args ...string) testkit.Result {
	t.Helper()
	return lanegate.In(t.TempDir(), bfEnv(), append(append([]string{"backfill"}, s.args()...), args...)...)
}

// bfDryRun plans with --format json and returns the report.
func bfDryRun(t testing.TB, s bfStore, args ...string) (*bfReport, testkit.Result) {
	t.Helper()
	out := bfBackfill(t, s, append([]string{"--format", "json"}, args...)...)
	if out.Code != 0 && out.Code != 1 {
		t.Fatalf("dry run: %s", out)
	}
	return bfDecodeReport(t, out), out
}

// bfApply applies with digest and the standard reason.
func bfApply(t testing.TB, s bfStore, digest string, args ...string) testkit.Result {
	t.Helper()
	return bfBackfill(t, s, append([]string{"--apply", "--plan-digest", digest, "--reason", "  issue #42: backfill reviewed lanes  ", "--format", "json"}, args...)...)
}

const bfReason = "issue #42: backfill reviewed lanes"

// bfWantRows checks that exactly want (by route key) was created, each row
// the projection with source label "lanegate:backfill" (the run id is
// recorded in the run record, not in the row).
func bfWantRows(t testing.TB, s bfStore, want map[string]*record.ProviderTarget, runID string) {
	t.Helper()
	got := s.created(t)
	var gotKeys, wantKeys []string
	for k := range got {
		gotKeys = append(gotKeys, k)
	}
	for k := range want {
		wantKeys = append(wantKeys, k)
	}
	sort.Strings(gotKeys)
	sort.Strings(wantKeys)
	if !reflect.DeepEqual(gotKeys, wantKeys) {
		t.Fatalf("%s: lanegate-created rows %v, want %v", s.name(), gotKeys, wantKeys)
	}
	for k, w := range want {
		exp := *w
		exp.SourceLabel = backfill.SourceLabel
		if !reflect.DeepEqual(got[k], &exp) {
			t.Errorf("%s: row %s =\n %+v\nwant the projection with the run's label\n %+v", s.name(), k, got[k], &exp)
		}
	}
}

// bfStateDiff lists the lines of two state fingerprints that differ.
func bfStateDiff(before, after string) string {
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	b, a := set(before), set(after)
	var out []string
	for l := range b {
		if !a[l] {
			out = append(out, "- "+l)
		}
	}
	for l := range a {
		if !b[l] {
			out = append(out, "+ "+l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][2:] < out[j][2:] })
	return strings.Join(out, "\n")
}

// bfSameState fails the test when the store changed since before.
func bfSameState(t testing.TB, s bfStore, before, what string) {
	t.Helper()
	if after := s.state(t); after != before {
		t.Errorf("%s: %s changed the store:\n%s", s.name(), what, bfStateDiff(before, after))
	}
}
