package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildLanegate builds this command into a temporary directory.
func buildLanegate(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lanegate")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cleanEnv is a minimal environment: nothing of the test process's own.
func cleanEnv(t *testing.T, extra ...string) []string {
	return append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "TMPDIR=" + t.TempDir()}, extra...)
}

// waitExit waits for cmd and returns its exit code and how long it took
// from since.
func waitExit(t *testing.T, cmd *exec.Cmd, since time.Time) (int, time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("lanegate did not exit within 10s of the signal")
	}
	return cmd.ProcessState.ExitCode(), time.Since(since)
}

// TestSignalCancelsACommand: a command waiting on the network (here: a
// GitHub API that never answers) stops within a second of SIGINT or
// SIGTERM, exits 130 or 143, and says so once.
func TestSignalCancelsACommand(t *testing.T) {
	bin := buildLanegate(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		name string
		code int
	}{{syscall.SIGINT, "SIGINT", 130}, {syscall.SIGTERM, "SIGTERM", 143}} {
		t.Run(tc.name, func(t *testing.T) {
			asked := make(chan struct{}, 16)
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked <- struct{}{}
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			defer srv.Close()
			defer close(release)
			cmd := exec.Command(bin, "gate", "--pr", "1", "--repo", "octo/fleet", "--no-comment", "--no-status")
			cmd.Dir = t.TempDir()
			cmd.Env = cleanEnv(t, "GITHUB_TOKEN=ghs_signaltest0000", "GITHUB_API_URL="+srv.URL+"/")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-asked:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("lanegate never asked the API\n%s", stderr.String())
			}
			sent := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			code, took := waitExit(t, cmd, sent)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, stderr.String())
			}
			if took > 2*time.Second {
				t.Errorf("exited %v after the signal, want < 2s", took)
			}
			if n := strings.Count(stderr.String(), "lanegate: interrupted by "+tc.name+"\n"); n != 1 {
				t.Errorf("stderr says %q %d times, want once:\n%s", "interrupted by "+tc.name, n, stderr.String())
			}
		})
	}
}

// stalledStdout starts lanes check of a large lanes file with stdout on a
// pipe nobody drains after the first line: the process ends up blocked in a
// write, which no context can interrupt.
func stalledStdout(t *testing.T, bin string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("schema_version: 1\nlanes:\n")
	for i := 0; i < 6000; i++ {
		fmt.Fprintf(&b, "  - route: fleet/app%05d\n    product: fleet\n    driver: generic-web\n    wave: 1\n", i)
	}
	lanesPath := filepath.Join(dir, "lanes.yaml")
	if err := os.WriteFile(lanesPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	cmd := exec.Command(bin, "lanes", "check", "--lanes", lanesPath)
	cmd.Dir = dir
	cmd.Env = cleanEnv(t)
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// The summary line comes first; the wave plan (far more than a pipe
	// holds) is the write that stalls.
	if _, err := bufio.NewReaderSize(r, 16).ReadString('\n'); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("reading the first line: %v\n%s", err, stderr.String())
	}
	time.Sleep(300 * time.Millisecond)
	return cmd, &stderr
}

// TestSignalExitsAStalledCommand: when the command cannot notice the
// cancellation, the process still exits about a second after the signal,
// with the signal's exit code.
func TestSignalExitsAStalledCommand(t *testing.T) {
	bin := buildLanegate(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		name string
		code int
	}{{syscall.SIGINT, "SIGINT", 130}, {syscall.SIGTERM, "SIGTERM", 143}} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, stderr := stalledStdout(t, bin)
			sent := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			code, took := waitExit(t, cmd, sent)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, stderr.String())
			}
			if took < 900*time.Millisecond || took > 2*time.Second {
				t.Errorf("exited %v after the signal, want the ~1s grace (< 2s)", took)
			}
			if n := strings.Count(stderr.String(), "lanegate: interrupted by "+tc.name+"\n"); n != 1 {
				t.Errorf("stderr says it %d times, want once:\n%s", n, stderr.String())
			}
		})
	}
	t.Run("second signal", func(t *testing.T) {
		cmd, stderr := stalledStdout(t, bin)
		sent := time.Now()
		cmd.Process.Signal(syscall.SIGINT)
		time.Sleep(100 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGINT)
		code, took := waitExit(t, cmd, sent)
		if code != 130 {
			t.Errorf("exit %d, want 130\n%s", code, stderr.String())
		}
		if took > 700*time.Millisecond {
			t.Errorf("exited %v after the first signal; the second should end the wait", took)
		}
	})
}
