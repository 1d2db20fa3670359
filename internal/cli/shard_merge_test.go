package cli_test

// A sharded audit merged back together must be the unsharded audit, byte
// for byte, on both stores: whatever the filters, including a filter that
// matches nothing, and with a duplicated provider-target identity whose two
// routes fall into different shards (each shard must still see the whole
// store's identity bindings). merge must refuse anything that is not one
// complete set of shards of one sharded audit.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/cli"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/store"
)

const arShards = 3

// arShardOf is the shard of N that route r belongs to.
func arShardOf(t *testing.T, r store.Route, n int) int {
	t.Helper()
	found := 0
	for i := 1; i <= n; i++ {
		if (audit.Shard{Index: i, Count: n}).Contains(r) {
			if found != 0 {
				t.Fatalf("route %s is in shards %d and %d of %d", r.Key(), found, i, n)
			}
			found = i
		}
	}
	if found == 0 {
		t.Fatalf("route %s is in no shard of %d", r.Key(), n)
	}
	return found
}

// arFleet is the store content of the shard tests.
type arFleet struct {
	routes    []fixture.Route
	dupA      store.Route // bound to the same identity as dupB
	dupB      store.Route
	invalid   store.Route // its target-id record is stored invalid
	invalidID *record.Object
	declared  []string // lanes declared in the lanes file
}

func arRouteOf(r fixture.Route) store.Route {
	switch {
	case r.Target != nil:
		return store.Route{Context: r.Target.Context, Instance: r.Target.Instance}
	case r.TargetID != nil:
		return store.Route{Context: r.TargetID.Context, Instance: r.TargetID.Instance}
	}
	return store.Route{Context: r.Provider.Context, Instance: r.Provider.Instance}
}

// arNewFleet builds 60 routes in every state the audit knows, one identity
// bound to two routes of different shards and one invalid record.
func arNewFleet(t *testing.T) *arFleet {
	t.Helper()
	f := &arFleet{}
	var complete []int
	for i := 0; i < 60; i++ {
		ctx, inst := fmt.Sprintf("app%02d", i/3), []string{"prod", "preview", "testing"}[i%3]
		r := fixture.Complete(ctx, inst)
		switch i % 12 {
		case 3:
			r.Provider = nil // missing_provider_target
		case 5:
			r.TargetID = nil // missing_target_id
		case 7:
			p := *r.Provider
			p.ProviderID = "static-host" // future_provider (a warning)
			r.Provider = &p
		case 9:
			p := *r.Provider
			p.DisplayName = "renamed by hand" // display_name_mismatch
			r.Provider = &p
		case 11:
			r.Target, r.TargetID = nil, nil // missing_dokploy_pair
		default:
			complete = append(complete, len(f.routes))
		}
		f.routes = append(f.routes, r)
	}
	// The first two complete routes that fall into different shards share
	// one identity: the second route's target id is the first one's.
	a, b := -1, -1
	for _, i := range complete {
		if a < 0 {
			a = i
			continue
		}
		if arShardOf(t, arRouteOf(f.routes[i]), arShards) != arShardOf(t, arRouteOf(f.routes[a]), arShards) {
			b = i
			break
		}
	}
	if b < 0 {
		t.Fatal("no two complete routes in different shards")
	}
	ra, rb := f.routes[a], f.routes[b]
	f.dupA, f.dupB = arRouteOf(ra), arRouteOf(rb)
	id := fixture.TargetID(f.dupB.Context, f.dupB.Instance, ra.TargetID.TargetID)
	f.routes[b] = fixture.Route{Target: rb.Target, TargetID: id, Provider: fixture.Projected(rb.Target, id)}

	// A complete route whose target-id record is replaced, once stored, by
	// one with a key Launchplane does not know.
	for _, i := range complete {
		if i != a && i != b && i > 30 {
			f.invalid = arRouteOf(f.routes[i])
			f.invalidID = f.routes[i].TargetID.Payload()
			f.invalidID.Set("surprise", "not a Launchplane key")
			break
		}
	}
	// Declared: stored lanes, the duplicate pair, the invalid one, and lanes
	// with no record before, between and after the stored routes.
	seen := map[string]bool{}
	for _, l := range []string{"aaa/first", "app00/prod", "app01/preview", "app05/staging", f.dupA.Key(), f.invalid.Key(), "zzz/last"} {
		if !seen[l] {
			seen[l] = true
			f.declared = append(f.declared, l)
		}
	}
	return f
}

func (f *arFleet) lanesYAML() string { return arLanesYAML(f.declared...) }

// arStoreUnderTest is a store loaded with the fleet, as lanegate flags.
type arStoreUnderTest struct {
	name string
	args []string
}

func arFleetFS(t *testing.T, f *arFleet) arStoreUnderTest {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	if err := fixture.WriteState(dir, f.routes); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, record.KindDokployTargetID.Dir(), record.FileName(f.invalid.Context, f.invalid.Instance))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the record to spoil is not where expected: %v", err)
	}
	if err := os.WriteFile(p, record.EncodePython(f.invalidID), 0o644); err != nil {
		t.Fatal(err)
	}
	return arStoreUnderTest{"filesystem", []string{"--state-dir", dir}}
}

func arFleetPG(t *testing.T, f *arFleet) arStoreUnderTest {
	t.Helper()
	url := pgtest.NewLaunchplaneDatabase(t)
	ctx := context.Background()
	if err := fixture.LoadPostgres(ctx, url, f.routes); err != nil {
		t.Fatal(err)
	}
	conn, err := pgtest.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tag, err := conn.Exec(ctx, `UPDATE launchplane_dokploy_target_ids SET payload = $3::jsonb WHERE context = $1 AND instance = $2`,
		f.invalid.Context, f.invalid.Instance, string(record.EncodePython(f.invalidID)))
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("spoil %s: %v (%d rows)", f.invalid.Key(), err, tag.RowsAffected())
	}
	return arStoreUnderTest{"postgres", []string{"--database-url", url}}
}

// arShardRun audits every shard into dir/prefix-I.json and returns the paths.
func arShardRun(t *testing.T, dir, prefix string, n int, base []string) []string {
	t.Helper()
	var paths []string
	for i := 1; i <= n; i++ {
		r := lanegate.In(dir, nil, append(append([]string{}, base...), "--shard", fmt.Sprintf("%d/%d", i, n), "--format", "json")...)
		if r.Code != cli.ExitOK && r.Code != cli.ExitBlocked {
			t.Fatalf("shard %d/%d: %s", i, n, r)
		}
		p := filepath.Join(dir, fmt.Sprintf("%s-%d.json", prefix, i))
		if err := os.WriteFile(p, []byte(r.Stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func arDecode(t *testing.T, text string) *report.AuditReport {
	t.Helper()
	rep, err := report.ReadAuditReport(strings.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return rep
}

func TestShardMergeEqualsUnsharded(t *testing.T) {
	fleet := arNewFleet(t)
	if arShardOf(t, fleet.dupA, arShards) == arShardOf(t, fleet.dupB, arShards) {
		t.Fatal("the duplicate pair must span two shards")
	}
	stores := []struct {
		name string
		open func(*testing.T, *arFleet) arStoreUnderTest
	}{{"filesystem", arFleetFS}, {"postgres", arFleetPG}}
	for _, sut := range stores {
		t.Run(sut.name, func(t *testing.T) {
			st := sut.open(t, fleet)
			dir := t.TempDir()
			lanesPath := filepath.Join(dir, "lanes.yaml")
			arWriteFile(t, lanesPath, fleet.lanesYAML())
			filters := []struct {
				name  string
				args  []string
				check func(t *testing.T, rep *report.AuditReport)
			}{
				{"everything", nil, func(t *testing.T, rep *report.AuditReport) {
					want := map[string]int{
						audit.StatusComplete: 34, audit.StatusMissingProviderTarget: 5, audit.StatusMissingTargetID: 5,
						audit.StatusFutureProvider: 5, audit.StatusDisplayNameMismatch: 5, audit.StatusMissingDokployPair: 5,
						audit.StatusMissingRoute: 3, audit.StatusDuplicateTargetIdentity: 2, audit.StatusInvalidRecord: 1,
					}
					if fmt.Sprint(rep.Counts) != fmt.Sprint(want) || rep.InspectedRouteCount != 63 {
						t.Errorf("counts %v inspected %d\nwant   %v inspected 63", rep.Counts, rep.InspectedRouteCount, want)
					}
					dups := map[string]string{}
					for _, f := range rep.Findings {
						if f.Status == audit.StatusDuplicateTargetIdentity {
							dups[f.Route().Key()] = f.Detail
						}
					}
					if !strings.HasSuffix(dups[fleet.dupA.Key()], "is also bound to "+fleet.dupB.Key()) ||
						!strings.HasSuffix(dups[fleet.dupB.Key()], "is also bound to "+fleet.dupA.Key()) {
						t.Errorf("duplicate identity findings %v", dups)
					}
				}},
				{"context matching nothing", []string{"--context", "nope"}, func(t *testing.T, rep *report.AuditReport) {
					if len(rep.Findings) != 1 || rep.Findings[0].Status != audit.StatusNoMatchingRoutes ||
						rep.Findings[0].Route().Key() != "nope/*" || len(rep.Lanes) != 0 || rep.InspectedRouteCount != 0 {
						t.Errorf("report %+v", rep)
					}
				}},
				{"one context", []string{"--context", fleet.dupB.Context}, nil},
				{"provider", []string{"--provider-id", "dokploy"}, nil},
				{"lanes, one unknown", []string{"--lane", "nope/x", "--lane", fleet.dupA.Key(), "--lane", fleet.dupB.Key(), "--lane", "zzz/last"},
					func(t *testing.T, rep *report.AuditReport) {
						if rep.Counts[audit.StatusNoMatchingRoutes] != 1 || rep.Counts[audit.StatusDuplicateTargetIdentity] != 2 || len(rep.Lanes) != 3 {
							t.Errorf("counts %v, %d lanes", rep.Counts, len(rep.Lanes))
						}
					}},
			}
			for _, flt := range filters {
				t.Run(flt.name, func(t *testing.T) {
					base := append(append([]string{"audit", "--lanes", lanesPath}, st.args...), flt.args...)
					whole := lanegate.In(dir, nil, append(base, "--format", "json")...)
					if whole.Code != cli.ExitBlocked && whole.Code != cli.ExitOK {
						t.Fatalf("unsharded: %s", whole)
					}
					rep := arDecode(t, whole.Stdout)
					if rep.Shard != nil {
						t.Errorf("the unsharded report has shard info")
					}
					if flt.check != nil {
						flt.check(t, rep)
					}
					// N=3 is the case under test; 2 and 1 (a one-job matrix)
					// must hold too.
					for _, n := range []int{arShards, 2, 1} {
						prefix := fmt.Sprintf("%s-of%d", strings.ReplaceAll(flt.name, " ", "-"), n)
						paths := arShardRun(t, dir, prefix, n, base)
						sum := 0
						for i, p := range paths {
							s := arDecode(t, arRead(t, p))
							if s.Shard == nil || s.Shard.Index != i+1 || s.Shard.Count != n {
								t.Fatalf("%s: shard info %+v", p, s.Shard)
							}
							sum += s.InspectedRouteCount
							for _, f := range s.Findings {
								if f.Status == audit.StatusNoMatchingRoutes {
									t.Errorf("%s: a shard decided no_matching_routes on its own", p)
								}
								if arShardOf(t, f.Route(), n) != i+1 {
									t.Errorf("%s: finding of %s from another shard", p, f.Route().Key())
								}
							}
						}
						if sum != rep.InspectedRouteCount {
							t.Errorf("N=%d: the shards inspected %d routes, the whole audit %d", n, sum, rep.InspectedRouteCount)
						}
						out := filepath.Join(dir, prefix+"-merged.json")
						// Any order of the shard reports gives the same result.
						reversed := make([]string, 0, n)
						for i := n - 1; i >= 0; i-- {
							reversed = append(reversed, paths[i])
						}
						for _, order := range [][]string{paths, reversed} {
							merged := lanegate.In(dir, nil, append([]string{"merge", "--format", "json", "--out", out}, order...)...)
							if merged.Code != whole.Code {
								t.Errorf("N=%d: merge exit %d, the unsharded audit %d\n%s", n, merged.Code, whole.Code, merged.Stderr)
							}
							if merged.Stdout != whole.Stdout {
								t.Fatalf("N=%d: merge of %v differs from the unsharded audit:\n%s", n, order, arFirstDiff(whole.Stdout, merged.Stdout))
							}
							if got := arRead(t, out); got != whole.Stdout {
								t.Errorf("N=%d: merge --out differs from the unsharded audit:\n%s", n, arFirstDiff(whole.Stdout, got))
							}
						}
					}
				})
			}
		})
	}
}

// arFirstDiff shows where two texts start to differ.
func arFirstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return fmt.Sprintf("line %d\nwant %q\n got %q", i+1, w, g)
		}
	}
	return "(identical)"
}

func TestShardMergeRefusals(t *testing.T) {
	fleet := arNewFleet(t)
	st := arFleetFS(t, fleet)
	dir := t.TempDir()
	lanesPath := filepath.Join(dir, "lanes.yaml")
	arWriteFile(t, lanesPath, fleet.lanesYAML())
	base := append([]string{"audit", "--lanes", lanesPath}, st.args...)
	of3 := arShardRun(t, dir, "of3", 3, base)
	of2 := arShardRun(t, dir, "of2", 2, base)
	other := arShardRun(t, dir, "ctx", 3, append(base, "--context", fleet.dupA.Context))
	whole := filepath.Join(dir, "whole.json")
	if r := lanegate.In(dir, nil, append(base, "--out", whole)...); r.Code != cli.ExitBlocked {
		t.Fatalf("unsharded audit: %s", r)
	}
	if r := lanegate.In(dir, nil, "merge", "--format", "json", of3[0], of3[1], of3[2]); r.Code != cli.ExitBlocked {
		t.Fatalf("the complete set must merge: %s", r)
	}
	tests := []struct {
		name   string
		paths  []string
		stderr string
	}{
		{"missing shard", []string{of3[0], of3[2]}, "shard 2/3 is missing"},
		{"only one shard", []string{of3[1]}, "shard 1/3 is missing"},
		{"duplicated shard", []string{of3[0], of3[1], of3[1], of3[2]}, "shard 2/3 appears twice: " + of3[1] + " and " + of3[1]},
		{"shards of different N", []string{of3[0], of3[1], of3[2], of2[0]}, of2[0] + " comes from a different sharded audit than " + of3[0]},
		{"a complete set of each N", []string{of2[0], of2[1], of3[0], of3[1], of3[2]}, of3[0] + " comes from a different sharded audit than " + of2[0]},
		{"shards of different filters", []string{of3[0], other[1], of3[2]}, other[1] + " comes from a different sharded audit than " + of3[0]},
		{"a non-shard report last", []string{of3[0], of3[1], of3[2], whole}, whole + " is not a shard report"},
		{"a non-shard report first", []string{whole, of3[0], of3[1], of3[2]}, whole + " is not a shard report"},
		{"a non-shard report alone", []string{whole}, whole + " is not a shard report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "refused.json")
			summary := filepath.Join(dir, "summary.md")
			output := filepath.Join(dir, "output.txt")
			vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output}
			r := lanegate.In(dir, vars, append([]string{"merge", "--format", "json", "--out", out}, tt.paths...)...)
			if r.Code != cli.ExitConfig {
				t.Fatalf("want exit 2\n%s", r)
			}
			if !strings.Contains(r.Stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.Stderr)
			}
			if r.Stdout != "" {
				t.Errorf("stdout: %q", r.Stdout)
			}
			for _, p := range []string{out, summary, output} {
				arNoFile(t, p)
			}
		})
	}
}
