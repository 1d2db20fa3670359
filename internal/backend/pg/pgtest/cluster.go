//go:build unix

package pgtest

// Throwaway cluster lifecycle.
//
// startCluster creates <tmp>/lanegate-pgtest-*/ and, inside it, runs
//
//	initdb -D <dir>/data -A trust -U postgres --no-sync -E UTF8 --locale=C
//	pg_ctl start -w -D <dir>/data -l <dir>/postgres.log -o "-p <free port> -k <dir>
//	       -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
//
// as the "postgres" (else "nobody") system user when the test runs as root,
// because initdb and pg_ctl refuse to run as root. Main stops it with
// "pg_ctl stop -m immediate" and removes the directory.
//
// A test binary that dies without reaching the end of Main (panic, test
// timeout, SIGKILL, os.Exit in a test) must not leave a server behind. Two
// independent safeguards handle that:
//
//  1. Before initdb, a tiny watchdog shell process is started in its own
//     session with a pipe from the test binary as its stdin. When the binary
//     exits for any reason the pipe reaches EOF; unless Main already wrote
//     "done" to it, the watchdog sends SIGQUIT (immediate shutdown) to the
//     postmaster listed in postmaster.pid and removes the directory.
//  2. The data directory lives inside that temporary directory. PostgreSQL
//     re-checks its postmaster.pid lock file once a minute and performs an
//     immediate shutdown when it is gone, so deleting the temporary directory
//     (by the watchdog, by hand or by a tmp cleaner) also stops a stray server.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

const installHint = "install Debian's postgresql package or set " + EnvDatabaseURL

type cluster struct {
	binDir    string
	root      string // temporary directory holding data/, postgres.log and the socket
	dataDir   string
	url       string
	owner     *syscall.Credential // nil unless running as root
	ownerName string
	started   bool

	watchdog   *exec.Cmd
	watchdogIn io.WriteCloser
}

// watchdogScript: $1 = data dir, $2 = temporary root directory.
const watchdogScript = `IFS= read -r line
[ "$line" = done ] && exit 0
if [ -f "$1/postmaster.pid" ] && IFS= read -r pid < "$1/postmaster.pid" && [ -n "$pid" ]; then
	kill -QUIT "$pid" 2>/dev/null
	i=0
	while [ -f "$1/postmaster.pid" ] && [ "$i" -lt 100 ]; do
		sleep 0.1 2>/dev/null || sleep 1
		i=$((i+1))
	done
	[ -f "$1/postmaster.pid" ] && kill -KILL "$pid" 2>/dev/null
fi
rm -rf "$2"
`

func startCluster() (_ *cluster, err error) {
	binDir, err := findBinaries(os.Getenv("PATH"), "/usr/lib/postgresql")
	if err != nil {
		return nil, err
	}
	owner, ownerName, err := clusterOwner()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp(tempBase(owner != nil), "lanegate-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	c := &cluster{binDir: binDir, root: root, dataDir: filepath.Join(root, "data"), owner: owner, ownerName: ownerName}
	if owner != nil {
		if err := os.Chown(root, int(owner.Uid), int(owner.Gid)); err != nil {
			os.RemoveAll(root)
			return nil, fmt.Errorf("chown %s to %s: %w", root, ownerName, err)
		}
	}
	if err := c.startWatchdog(); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()

	if out, err := c.run("initdb", "-D", c.dataDir, "-A", "trust", "-U", "postgres",
		"--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		return nil, fmt.Errorf("initdb (as %s) failed: %v\n%s", ownerName, err, out)
	}
	logFile := filepath.Join(root, "postgres.log")
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off",
			port, shellQuote(root))
		c.started = true // from now on stop() tries pg_ctl stop, falling back to the watchdog
		out, err := c.run("pg_ctl", "start", "-w", "-t", "60", "-D", c.dataDir, "-l", logFile, "-o", opts)
		if err == nil {
			c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return c, nil
		}
		logText, _ := os.ReadFile(logFile)
		if attempt < 3 && bytes.Contains(logText, []byte("already in use")) {
			continue // lost the race for the port
		}
		return nil, fmt.Errorf("pg_ctl start failed: %v\n%s\n%s", err, out, tail(logText, 4000))
	}
}

// stop shuts the server down immediately and removes the directory. If that
// fails the watchdog is left to clean up.
func (c *cluster) stop() error {
	var errs []error
	if c.started {
		if out, err := c.run("pg_ctl", "stop", "-w", "-t", "30", "-D", c.dataDir, "-m", "immediate"); err != nil {
			errs = append(errs, fmt.Errorf("pg_ctl stop: %v\n%s", err, out))
		} else {
			c.started = false
		}
	}
	if len(errs) == 0 {
		if err := os.RemoveAll(c.root); err != nil {
			errs = append(errs, err)
		}
	}
	if c.watchdogIn != nil {
		if len(errs) == 0 {
			io.WriteString(c.watchdogIn, "done\n")
		}
		c.watchdogIn.Close() // without "done" the watchdog kills the server and removes the directory
		c.watchdog.Wait()
		c.watchdogIn = nil
	}
	return errors.Join(errs...)
}

func (c *cluster) startWatchdog() error {
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "pgtest-watchdog", c.dataDir, c.root)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // survive Ctrl-C to the test's process group
	in, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("start cluster watchdog: %w", err)
	}
	// Stdout/Stderr stay nil (/dev/null): an inherited pipe would keep "go test" waiting.
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start cluster watchdog: %w", err)
	}
	c.watchdog, c.watchdogIn = cmd, in
	return nil
}

// run executes a PostgreSQL binary as the cluster owner.
func (c *cluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.binDir, name), args...)
	cmd.Dir = c.root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") { // PGDATA, PGPORT, ... must not leak into the cluster
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if c.owner != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.owner}
	}
	return cmd.CombinedOutput()
}

// clusterOwner returns the credentials to run the cluster with when running
// as root, nil otherwise.
func clusterOwner() (*syscall.Credential, string, error) {
	if os.Geteuid() != 0 {
		return nil, "current user", nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, name, nil
	}
	return nil, "", errors.New("running as root but there is no postgres or nobody user to run initdb as; " + installHint)
}

// findBinaries returns the first directory holding both initdb and pg_ctl:
// PATH entries in order, then <libRoot>/<version>/bin, newest version first.
func findBinaries(pathEnv, libRoot string) (string, error) {
	var dirs []string
	for _, d := range filepath.SplitList(pathEnv) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	versions, _ := filepath.Glob(filepath.Join(libRoot, "*", "bin"))
	sort.SliceStable(versions, func(i, j int) bool {
		return versionLess(filepath.Base(filepath.Dir(versions[j])), filepath.Base(filepath.Dir(versions[i])))
	})
	for _, d := range append(dirs, versions...) {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL server binaries (initdb and pg_ctl) not found in PATH or %s/*/bin: %s",
		libRoot, installHint)
}

// versionLess compares dotted version strings numerically ("9.6" < "15");
// non-numeric parts ("16beta1") count as -1.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if na, nb := atoiOr(pa[i], -1), atoiOr(pb[i], -1); na != nb {
			return na < nb
		}
	}
	return len(pa) < len(pb)
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// tempBase picks the parent of the cluster directory: os.TempDir() unless its
// path is unusable for a Unix socket, needs shell quoting, or (as root) is not
// traversable by the unprivileged cluster owner.
func tempBase(asRoot bool) string {
	base := os.TempDir()
	if len(base) > 64 || strings.ContainsFunc(base, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		return "/tmp"
	}
	if asRoot {
		for d := base; ; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err != nil || fi.Mode().Perm()&0o001 == 0 {
				return "/tmp"
			}
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	return base
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
