//go:build unix

package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mkBin(t *testing.T, dir string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindBinaries(t *testing.T) {
	tmp := t.TempDir()
	lib := filepath.Join(tmp, "lib")
	mkBin(t, filepath.Join(lib, "9.6", "bin"), "initdb", "pg_ctl")
	mkBin(t, filepath.Join(lib, "15", "bin"), "initdb", "pg_ctl")
	mkBin(t, filepath.Join(lib, "10", "bin"), "initdb", "pg_ctl")
	mkBin(t, filepath.Join(lib, "17", "bin"), "initdb") // incomplete: no pg_ctl
	noExec := filepath.Join(lib, "18", "bin")
	mkBin(t, noExec, "initdb", "pg_ctl")
	os.Chmod(filepath.Join(noExec, "pg_ctl"), 0o644)

	pathOnlyInitdb := filepath.Join(tmp, "p1")
	mkBin(t, pathOnlyInitdb, "initdb")
	pathBoth := filepath.Join(tmp, "p2")
	mkBin(t, pathBoth, "initdb", "pg_ctl")

	for _, tc := range []struct{ path, lib, want string }{
		{"", lib, filepath.Join(lib, "15", "bin")},
		{pathOnlyInitdb, lib, filepath.Join(lib, "15", "bin")},
		{pathOnlyInitdb + string(os.PathListSeparator) + pathBoth, lib, pathBoth},
	} {
		got, err := findBinaries(tc.path, tc.lib)
		if err != nil || got != tc.want {
			t.Errorf("findBinaries(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}

	_, err := findBinaries(pathOnlyInitdb, filepath.Join(tmp, "missing"))
	if err == nil || !strings.Contains(err.Error(), "install Debian's postgresql package or set LANEGATE_TEST_DATABASE_URL") {
		t.Errorf("missing binaries: err = %v, want the install hint", err)
	}
}

func TestVersionLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"9.6", "10", true}, {"10", "9.6", false}, {"15", "16", true}, {"16", "16", false},
		{"16beta1", "15", true}, {"15", "15.1", true},
	} {
		if got := versionLess(tc.a, tc.b); got != tc.want {
			t.Errorf("versionLess(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

const lifecycleHelperEnv = "LANEGATE_PGTEST_LIFECYCLE_HELPER"

// TestLifecycleHelper runs only as a child of TestClusterLifecycle: it starts
// a throwaway cluster, reports it, and then returns normally or kills itself.
func TestLifecycleHelper(t *testing.T) {
	mode := os.Getenv(lifecycleHelperEnv)
	if mode == "" {
		return
	}
	NewDatabase(t)
	c := srv.cluster
	pid, err := os.ReadFile(filepath.Join(c.dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("CLUSTER %s %s\n", strings.SplitN(string(pid), "\n", 2)[0], c.root)
	if mode == "kill" {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	}
}

// TestClusterLifecycle checks that the throwaway cluster is gone after the test
// binary exits, both normally (Main) and when killed (watchdog).
func TestClusterLifecycle(t *testing.T) {
	if _, err := findBinaries(os.Getenv("PATH"), "/usr/lib/postgresql"); err != nil && os.Getenv(EnvDatabaseURL) != "" {
		t.Skipf("throwaway clusters unavailable while using %s: %v", EnvDatabaseURL, err)
	}
	for _, mode := range []string{"exit", "kill"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLifecycleHelper$", "-test.count=1")
			cmd.WaitDelay = 10 * time.Second // fail instead of hanging if a server inherited stdout
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, EnvDatabaseURL+"=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, lifecycleHelperEnv+"="+mode)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			var exitErr *exec.ExitError
			switch {
			case mode == "exit" && err != nil, mode == "kill" && !errors.As(err, &exitErr):
				t.Fatalf("helper: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.Bytes())
			}
			var pid int
			var root string
			if _, err := fmt.Sscanf(string(out[bytes.Index(out, []byte("CLUSTER ")):]), "CLUSTER %d %s", &pid, &root); err != nil || pid <= 0 {
				t.Fatalf("helper output %q: %v", out, err)
			}
			if _, err := os.Stat(root); mode == "exit" && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Main returned without removing %s (stat err=%v)", root, err)
			}
			deadline := time.Now().Add(20 * time.Second) // watchdog: SIGQUIT, wait, rm -rf
			if mode == "exit" {
				deadline = time.Now().Add(3 * time.Second) // postmaster may still be exiting
			}
			for {
				_, statErr := os.Stat(root)
				alive := processAlive(pid)
				if !alive && errors.Is(statErr, os.ErrNotExist) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("after %s: postmaster %d alive=%v, %s stat err=%v\nhelper stderr:\n%s",
						mode, pid, alive, root, statErr, stderr.Bytes())
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}

// processAlive reports whether pid runs; zombies (no reaper in some
// containers) count as dead.
func processAlive(pid int) bool {
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
			return stat[i+2] != 'Z'
		}
		return true
	}
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		return false // Linux: no /proc entry means no process
	}
	return syscall.Kill(pid, 0) == nil
}
