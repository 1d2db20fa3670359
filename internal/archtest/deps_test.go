// Package archtest checks the direction of the project's dependencies
// against the real build graph (go list), so a layering mistake fails CI
// instead of waiting for a reviewer.
package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/lanegate/lanegate/"

type pkg struct {
	ImportPath string
	Imports    []string // non-test imports
	Deps       []string // transitive non-test dependencies
}

func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Imports,Deps", module+"...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, module)] = p
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; the module layout is not what this test expects", len(pkgs))
	}
	return pkgs
}

func under(path string, roots ...string) bool {
	for _, r := range roots {
		if path == r || strings.HasPrefix(path, r+"/") {
			return true
		}
	}
	return false
}

// Decision packages decide; they never reach a store, GitHub, the Actions
// runtime or the network, directly or through another package.
var decisionPackages = []string{
	"internal/audit", "internal/backfill", "internal/gate", "internal/evidence", "internal/preflight",
	"internal/lanes", "internal/verdict", "internal/store", "internal/record", "internal/pyjson",
}

var ioOnly = []string{
	module + "internal/backend", module + "internal/actions", module + "internal/ghapi", module + "internal/cli",
	module + "internal/dokploy", module + "internal/probe",
	"net/http", "github.com/jackc/pgx/v5", "github.com/google/go-github/v62", "github.com/sethvargo/go-githubactions",
}

func TestDecisionPackagesDoNoIO(t *testing.T) {
	pkgs := listPackages(t)
	for _, name := range decisionPackages {
		p, ok := pkgs[name]
		if !ok {
			t.Errorf("decision package %s not found", name)
			continue
		}
		for _, d := range p.Deps {
			if under(d, ioOnly...) {
				t.Errorf("%s depends on %s: decisions must not reach I/O", name, d)
			}
		}
	}
}

// pgx is imported by the Postgres backend only: everything else reaches
// Postgres through internal/backend's interfaces. The benchmark harness is
// the one exception: it creates, seeds and times databases around lanegate
// (like a test), and is not built into lanegate.
func TestOnlyThePostgresBackendImportsPgx(t *testing.T) {
	for name, p := range listPackages(t) {
		if under(name, "internal/backend/pg", "bench") {
			continue
		}
		for _, imp := range p.Imports {
			if under(imp, "github.com/jackc/pgx/v5") {
				t.Errorf("%s imports %s; only internal/backend/pg may", name, imp)
			}
		}
	}
}

// The command layer talks to backends through internal/backend and the
// registry, never a concrete backend; the Actions runtime is the command
// layer's alone.
func TestCommandLayerEdges(t *testing.T) {
	pkgs := listPackages(t)
	for _, imp := range pkgs["internal/cli"].Imports {
		if under(imp, module+"internal/backend") && imp != module+"internal/backend" && imp != module+"internal/backend/registry" {
			t.Errorf("internal/cli imports the concrete backend %s; use internal/backend and the registry", imp)
		}
	}
	for name, p := range pkgs {
		if slices.Contains(p.Imports, module+"internal/actions") && name != "internal/cli" {
			t.Errorf("%s imports internal/actions; only the command layer (internal/cli) may", name)
		}
		if under(name, "internal/backend") && slices.Contains(p.Deps, module+"internal/cli") {
			t.Errorf("%s depends on internal/cli: backends sit below the command layer", name)
		}
	}
}
