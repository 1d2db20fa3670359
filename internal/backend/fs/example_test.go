package fs

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/lanegate/lanegate/internal/record"
)

var update = flag.Bool("update", false, "rewrite examples/state from exampleState()")

type exampleRoute struct {
	context, instance        string
	targetType, targetName   string
	projectName, targetID    string
	withTarget, withTargetID bool
	provider                 func(p *record.ProviderTarget) // nil = no provider-target row
}

// exampleState is the phase-two fleet as the README's first command audits
// it: most lanes complete, plus one of each interesting failure.
func exampleState() []exampleRoute {
	asIs := func(*record.ProviderTarget) {}
	return []exampleRoute{
		{"discord-blue", "prod", "application", "discord-blue-prod", "discord-blue", "app-discord-blue-prod", true, true, asIs},
		{"sellyouroutboard", "testing", "application", "syo-testing", "sellyouroutboard", "app-syo-testing", true, true, asIs},
		// Pair recorded, explicit row never written: backfill will create it.
		{"sellyouroutboard", "prod", "application", "syo-prod", "sellyouroutboard", "app-syo-prod", true, true, nil},
		{"verireel", "testing", "compose", "verireel-testing", "verireel", "cmp-verireel-testing", true, true, asIs},
		// Explicit row still names the compose replaced in 2025: identity mismatch.
		{"verireel", "prod", "compose", "verireel-prod", "verireel", "cmp-verireel-prod", true, true, func(p *record.ProviderTarget) {
			p.TargetID = "cmp-verireel-prod-2025"
		}},
		{"cm", "testing", "compose", "cm-testing", "odoo-cm", "cmp-cm-testing", true, true, asIs},
		// Target-id record lost: the route is incomplete.
		{"cm", "prod", "compose", "cm-prod", "odoo-cm", "cmp-cm-prod", true, false, asIs},
		{"opw", "testing", "compose", "opw-testing", "odoo-opw", "cmp-opw-testing", true, true, asIs},
		{"opw", "prod", "compose", "opw-prod", "odoo-opw", "cmp-opw-prod", true, true, asIs},
		// A route lanes.yaml does not declare, already on another provider.
		{"legacy-site", "prod", "application", "legacy-site", "", "legacy-site", false, false, func(p *record.ProviderTarget) {
			p.ProviderID = "static-host"
			p.TargetCategory = "static"
			p.ProviderTargetType = "bucket"
			p.TargetID = "bucket-legacy-site"
		}},
	}
}

func writeExampleState(t *testing.T, dir string) {
	t.Helper()
	s := &Store{Dir: dir}
	for i, r := range exampleState() {
		tsT := "2026-10-0" + string(rune('1'+i%9)) + "T09:00:00Z"
		tsI := "2026-10-0" + string(rune('1'+i%9)) + "T09:05:00Z"
		payload := record.NewDokployTargetPayload(r.context, r.instance, tsT)
		payload.Set("target_type", r.targetType)
		payload.Set("target_name", r.targetName)
		payload.Set("project_name", r.projectName)
		payload.Set("source_label", "launchplane:dokploy-target-sync")
		payload.Set("domains", []any{r.targetName + ".example.com"})
		tgt, err := record.DokployTargetFromObject(payload)
		if err != nil {
			t.Fatal(err)
		}
		tid := &record.DokployTargetID{SchemaVersion: 1, Context: r.context, Instance: r.instance,
			TargetID: r.targetID, UpdatedAt: tsI, SourceLabel: "launchplane:dokploy-target-id-sync"}
		if r.withTarget {
			if err := s.WriteDokployTarget(tgt); err != nil {
				t.Fatal(err)
			}
		}
		if r.withTargetID {
			if err := s.WriteDokployTargetID(tid); err != nil {
				t.Fatal(err)
			}
		}
		if r.provider != nil {
			p, err := record.Project(tgt, tid)
			if err != nil {
				t.Fatal(err)
			}
			p.SourceLabel = "launchplane:dual-write"
			r.provider(p)
			if err := s.WriteProviderTarget(p); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestExampleState keeps examples/state byte-identical to what
// exampleState() produces in Launchplane's format (go test -update rewrites).
func TestExampleState(t *testing.T) {
	want := t.TempDir()
	writeExampleState(t, want)
	dir := filepath.Join("..", "..", "..", "examples", "state")
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		writeExampleState(t, dir)
	}
	wantFiles := listFiles(t, want)
	gotFiles := listFiles(t, dir)
	if len(wantFiles) != len(gotFiles) {
		t.Fatalf("examples/state has %d files, want %d (run go test ./internal/backend/fs -run TestExampleState -update)", len(gotFiles), len(wantFiles))
	}
	for name, data := range wantFiles {
		if !bytes.Equal(gotFiles[name], data) {
			t.Errorf("%s differs from the generated example", name)
		}
	}
}

func listFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	return out
}
