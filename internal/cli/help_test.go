package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// subcommands lists the subcommands of the commands that dispatch on their
// first argument; each is held to the same help and flag conventions.
var subcommands = map[string][]string{
	"lanes":    {"check"},
	"evidence": {"record", "probe", "list", "show"},
}

// runArgs runs one invocation with an empty environment, so nothing from
// the machine running the test (a store URL, GITHUB_ACTIONS) leaks in.
func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	r := lanegateInternal.In(t.TempDir(), nil, args...)
	return r.Code, r.Stdout, r.Stderr
}

// everyInvocation is every command of the table plus every subcommand, as
// the argument prefix that names it.
func everyInvocation(t *testing.T) [][]string {
	t.Helper()
	var all [][]string
	for _, c := range commands() {
		all = append(all, []string{c.name})
		for _, sub := range subcommands[c.name] {
			all = append(all, []string{c.name, sub})
		}
	}
	if len(all) < 15 {
		t.Fatalf("only %d invocations found: the command table looks incomplete", len(all))
	}
	return all
}

func TestHelpGoesToStdoutAndExitsZero(t *testing.T) {
	for _, inv := range everyInvocation(t) {
		for _, h := range []string{"--help", "-h"} {
			args := append(append([]string(nil), inv...), h)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, stdout, stderr := runArgs(t, args...)
				if code != ExitOK {
					t.Errorf("exit %d, want 0; stderr:\n%s", code, stderr)
				}
				if stderr != "" {
					t.Errorf("stderr not empty:\n%s", stderr)
				}
				if !strings.HasPrefix(stdout, "usage: lanegate "+strings.Join(inv, " ")) {
					t.Errorf("stdout does not start with the usage of %q:\n%s", strings.Join(inv, " "), stdout)
				}
				// A dispatcher's help lists subcommands: each must be in
				// the subcommands table so it is tested here too.
				if len(inv) == 1 && strings.Contains(stdout, "subcommands:") && len(subcommands[inv[0]]) == 0 {
					t.Errorf("%s has subcommands: add them to the subcommands table of this test", inv[0])
				}
			})
		}
	}
}

func TestHelpCommandPrintsThatCommandsHelp(t *testing.T) {
	for _, inv := range everyInvocation(t) {
		args := append([]string{"help"}, inv...)
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runArgs(t, args...)
			_, want, _ := runArgs(t, append(append([]string(nil), inv...), "--help")...)
			if code != ExitOK || stderr != "" {
				t.Errorf("exit %d, stderr %q; want 0 and empty", code, stderr)
			}
			if stdout != want || want == "" {
				t.Errorf("lanegate help %s printed\n%s\nwant the output of --help:\n%s", strings.Join(inv, " "), stdout, want)
			}
		})
	}
}

func TestBadFlagIsOneLineAndAHint(t *testing.T) {
	for _, inv := range everyInvocation(t) {
		args := append(append([]string(nil), inv...), "--no-such-flag")
		name := strings.Join(inv, " ")
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runArgs(t, args...)
			if code != ExitConfig {
				t.Errorf("exit %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout not empty:\n%s", stdout)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) > 2 {
				t.Errorf("stderr has %d lines, want at most 2:\n%s", len(lines), stderr)
			}
			if !strings.HasPrefix(lines[0], "lanegate "+name+": ") || !strings.Contains(lines[0], "no-such-flag") {
				t.Errorf("first line %q does not name the command and the flag", lines[0])
			}
			hint := "run 'lanegate " + name + " --help' for usage"
			if !strings.Contains(stderr, hint) {
				t.Errorf("stderr lacks the hint %q:\n%s", hint, stderr)
			}
		})
	}
}

func TestBadFlagValueIsOneLineAndAHint(t *testing.T) {
	code, stdout, stderr := runArgs(t, "evidence", "list", "--limit", "many")
	if code != ExitConfig || stdout != "" {
		t.Errorf("exit %d, stdout %q; want 2 and empty", code, stdout)
	}
	want := "lanegate evidence list: invalid value \"many\" for flag -limit: parse error\n" +
		"run 'lanegate evidence list --help' for usage\n"
	if stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

func TestTopLevelUsage(t *testing.T) {
	for _, h := range []string{"--help", "-h", "help"} {
		code, stdout, stderr := runArgs(t, h)
		if code != ExitOK || stderr != "" || !strings.HasPrefix(stdout, "usage: lanegate <command>") {
			t.Errorf("lanegate %s: exit %d, stderr %q, stdout %q; want 0, usage on stdout", h, code, stderr, stdout)
		}
	}
	// Without arguments it is a usage error: usage on stderr, exit 2.
	code, stdout, stderr := runArgs(t)
	if code != ExitConfig || stdout != "" || !strings.HasPrefix(stderr, "usage: lanegate <command>") {
		t.Errorf("lanegate: exit %d, stdout %q, stderr %q; want 2, usage on stderr", code, stdout, stderr)
	}
}

func TestUnknownCommandIsOneLineAndAHint(t *testing.T) {
	for _, args := range [][]string{{"nosuch"}, {"help", "nosuch"}, {"--no-such-flag"}} {
		code, stdout, stderr := runArgs(t, args...)
		want := "lanegate: unknown command \"" + args[len(args)-1] + "\"\nrun 'lanegate --help' for usage\n"
		if code != ExitConfig || stdout != "" || stderr != want {
			t.Errorf("lanegate %v: exit %d, stdout %q, stderr %q; want 2 and %q", args, code, stdout, stderr, want)
		}
	}
}

func TestUnknownSubcommandIsOneLineAndAHint(t *testing.T) {
	for cmd := range subcommands {
		code, stdout, stderr := runArgs(t, cmd, "nosuch")
		want := "lanegate " + cmd + ": unknown subcommand \"nosuch\"\nrun 'lanegate " + cmd + " --help' for usage\n"
		if code != ExitConfig || stdout != "" || stderr != want {
			t.Errorf("lanegate %s nosuch: exit %d, stdout %q, stderr %q; want 2 and %q", cmd, code, stdout, stderr, want)
		}
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	vcs := func(kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}
		for i := 0; i < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name    string
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"ldflags win", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}}, "v1.2.3"},
		{"module version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0"},
		{"pseudo-version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20260101120000-0123456789ab+dirty"}}, "v0.0.0-20260101120000-0123456789ab+dirty"},
		{"revision and time", "dev", vcs("vcs.revision", rev, "vcs.time", "2026-01-01T12:00:00Z", "vcs.modified", "false"), "0123456789ab 2026-01-01T12:00:00Z"},
		{"dirty revision", "dev", vcs("vcs.revision", rev, "vcs.time", "2026-01-01T12:00:00Z", "vcs.modified", "true"), "0123456789ab-dirty 2026-01-01T12:00:00Z"},
		{"revision without time", "dev", vcs("vcs.revision", "abc"), "abc"},
		{"nothing known", "dev", vcs(), "dev"},
		{"no build info", "dev", nil, "dev"},
		{"empty ldflags", "", nil, "dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionFrom(tc.ldflags, tc.bi); got != tc.want {
				t.Errorf("versionFrom = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestBuiltBinaryVersion builds lanegate: only a real build carries VCS
// build info, a test binary does not.
func TestBuiltBinaryVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		// CI and every session run in a git checkout; outside one the
		// version under test cannot be known, so this is a failure.
		t.Fatalf("not inside a git checkout: %v", err)
	}
	src := strings.TrimSpace(string(root))
	if fi, err := os.Stat(filepath.Join(src, ".git")); err != nil || !fi.IsDir() {
		// A linked worktree's .git is a file, and the go command stamps VCS
		// info only from a .git directory: build the same files from a
		// fresh repository instead.
		src = freshRepository(t, src)
	}
	head := strings.TrimSpace(gitOut(t, src, "rev-parse", "HEAD"))[:12]

	v := buildAndVersion(t, src)
	if v == "lanegate dev" || !strings.HasPrefix(v, "lanegate ") {
		t.Errorf("version = %q, want the build's VCS version", v)
	}
	if !strings.Contains(v, head) {
		t.Errorf("version %q does not name the checked-out revision %s", v, head)
	}
	if src != strings.TrimSpace(string(root)) {
		// The fresh repository is clean, so the version must not say dirty;
		// after an edit it must.
		if strings.Contains(v, "dirty") {
			t.Errorf("clean build: version %q says dirty", v)
		}
		if err := os.WriteFile(filepath.Join(src, "untracked.txt"), []byte("edit\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if v := buildAndVersion(t, src); !strings.Contains(v, head) || !strings.Contains(v, "dirty") {
			t.Errorf("build with an uncommitted change: version %q, want revision %s marked dirty", v, head)
		}
	}
}

// buildAndVersion builds lanegate from the module in src and returns what
// `lanegate version` printed, after checking `--version` prints the same.
func buildAndVersion(t *testing.T, src string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lanegate")
	build := exec.Command("go", "build", "-buildvcs=true", "-trimpath", "-o", bin, "./cmd/lanegate")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("lanegate %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	v, vv := run("version"), run("--version")
	t.Logf("built from %s: %s", src, v)
	if v != vv {
		t.Errorf("version printed %q, --version printed %q", v, vv)
	}
	return v
}

// freshRepository copies the checkout's tracked and untracked (not ignored)
// files into a new repository with one commit and returns its directory.
func freshRepository(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range strings.Split(strings.TrimSpace(gitOut(t, from, "ls-files", "-co", "--exclude-standard")), "\n") {
		b, err := os.ReadFile(filepath.Join(from, name))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitOut(t, dir, "init", "-q")
	gitOut(t, dir, "add", "-A")
	gitOut(t, dir, "-c", "user.name=lanegate test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "snapshot")
	return dir
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v in %s: %v", args, dir, err)
	}
	return string(out)
}
