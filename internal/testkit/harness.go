package testkit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/fixture"
)

// Main is a package's TestMain: it runs the tests with the PostgreSQL
// harness (pgtest), then stops its throwaway cluster and removes the binary
// Build built, and exits with the tests' status.
func Main(m *testing.M) {
	code := pgtest.Run(m)
	if err := removeBuild(); err != nil {
		fmt.Fprintf(os.Stderr, "testkit: removing the built binary: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Postgres returns the URL of a fresh, empty database on the harness's
// server (a throwaway cluster, or LANEGATE_TEST_DATABASE_URL's), dropped
// when the test ends. Without a server the test fails; it is never skipped.
func Postgres(t testing.TB) string {
	t.Helper()
	return pgtest.NewDatabase(t)
}

// LaunchplaneDatabase returns the URL of a fresh database with Launchplane's
// tables, holding routes.
func LaunchplaneDatabase(t testing.TB, routes ...fixture.Route) string {
	t.Helper()
	url := pgtest.NewLaunchplaneDatabase(t)
	if len(routes) > 0 {
		if err := fixture.LoadPostgres(context.Background(), url, routes); err != nil {
			t.Fatalf("testkit: %v", err)
		}
	}
	return url
}

// StateDir writes routes as a Launchplane state directory under a fresh
// temporary directory and returns its path.
func StateDir(t testing.TB, routes ...fixture.Route) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	WriteState(t, dir, routes...)
	return dir
}

// WriteState writes routes as a state directory at dir.
func WriteState(t testing.TB, dir string, routes ...fixture.Route) {
	t.Helper()
	if err := fixture.WriteState(dir, routes); err != nil {
		t.Fatalf("testkit: %v", err)
	}
}

// RepoFile returns the content of a file of the repository, by its path
// relative to the module root.
func RepoFile(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ModuleRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ExampleWorkDir is a scratch directory holding the repository's lanes.yaml
// and state/, a copy of examples/state.
func ExampleWorkDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "state"), os.DirFS(filepath.Join(ModuleRoot(t), "examples", "state"))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lanes.yaml"), []byte(RepoFile(t, "lanes.yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
