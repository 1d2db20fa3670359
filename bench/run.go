package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// sample is one measured process.
type sample struct {
	Wall   time.Duration
	CPU    time.Duration // user + system time of the process
	MaxRSS int64         // KiB, from getrusage
	Load   float64       // 1-minute load average when it ended
}

// proc is a command to run: binary, arguments and where stdout goes.
type proc struct {
	name string
	args []string
	dir  string
	// stdout is a file (for the timed runs: /dev/null) or, when nil, a
	// reader function fed through a pipe.
	stdout *os.File
	read   func(io.Reader) error
	// okCodes are the exit codes besides 0 that count as success.
	okCodes []int
}

// launcherFlag makes the bench binary a tiny launcher (see launch).
const launcherFlag = "-bench-launch"

// run starts the process through the launcher, waits and returns its wall
// time and peak RSS.
//
// Why a launcher: Go starts children with vfork semantics (CLONE_VM), and on
// exec Linux folds the high-water RSS of the memory the child shared into its
// ru_maxrss. A child started straight from the bench would report at least
// the bench's own peak (the generated routes). The launcher is a fresh,
// small process; what it starts reports only its own peak.
func (p proc) run(ctx context.Context) (sample, error) {
	self, err := os.Executable()
	if err != nil {
		return sample{}, err
	}
	report, reportW, err := os.Pipe()
	if err != nil {
		return sample{}, err
	}
	defer report.Close()
	cmd := exec.CommandContext(ctx, self, append([]string{launcherFlag, p.name}, p.args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.Dir = p.dir
	cmd.ExtraFiles = []*os.File{reportW}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	var pipe io.ReadCloser
	if p.stdout != nil {
		cmd.Stdout = p.stdout
	} else if pipe, err = cmd.StdoutPipe(); err != nil {
		reportW.Close()
		return sample{}, err
	}
	if err := cmd.Start(); err != nil {
		reportW.Close()
		return sample{}, err
	}
	reportW.Close()
	var readErr error
	if pipe != nil {
		readErr = p.read(pipe)
		io.Copy(io.Discard, pipe)
	}
	waitErr := cmd.Wait()
	var s sample
	var code int
	var wallNS, cpuNS int64
	line, _ := io.ReadAll(report)
	if _, err := fmt.Sscan(string(line), &code, &wallNS, &cpuNS, &s.MaxRSS); err != nil {
		return sample{}, fmt.Errorf("%s: launcher failed (%v): %s", p.name, waitErr, tail(stderr.String()))
	}
	s.Wall, s.CPU = time.Duration(wallNS), time.Duration(cpuNS)
	s.Load = loadAverage()
	if code != 0 && !slices.Contains(p.okCodes, code) {
		return sample{}, fmt.Errorf("%s %s: exit %d: %s", p.name, strings.Join(shorten(p.args), " "), code, tail(stderr.String()))
	}
	if readErr != nil {
		return sample{}, fmt.Errorf("%s: reading output: %w (stderr: %s)", p.name, readErr, tail(stderr.String()))
	}
	return s, nil
}

// launch is the launcher's main: run args[0] with args[1:] on the inherited
// stdio, forward SIGINT/SIGTERM, and write "exit wall_ns cpu_ns maxrss_kib"
// to fd 3.
func launch(args []string) {
	report := os.NewFile(3, "report")
	if len(args) == 0 || report == nil {
		fmt.Fprintln(os.Stderr, "bench: launcher needs a command and fd 3")
		os.Exit(2)
	}
	syscall.CloseOnExec(3) // the measured process must not hold the report pipe
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}
	go func() {
		for s := range sig {
			cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(2)
		}
		code = ee.ExitCode()
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss // KiB on Linux
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	fmt.Fprintf(report, "%d %d %d %d\n", code, wall.Nanoseconds(), cpu.Nanoseconds(), rss)
	os.Exit(0)
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return s
}

// shorten cuts long SQL arguments for error messages.
func shorten(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if len(a) > 80 {
			a = a[:77] + "..."
		}
		out[i] = a
	}
	return out
}

// summarize returns the median wall time and the largest peak RSS.
func summarize(s []sample) (time.Duration, int64) {
	walls := make([]time.Duration, len(s))
	var rss int64
	for i, x := range s {
		walls[i] = x.Wall
		rss = max(rss, x.MaxRSS)
	}
	slices.Sort(walls)
	n := len(walls)
	if n == 0 {
		return 0, 0
	}
	if n%2 == 1 {
		return walls[n/2], rss
	}
	return (walls[n/2-1] + walls[n/2]) / 2, rss
}

// walls lists the samples as "wall s (cpu s, load)".
func walls(s []sample) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = fmt.Sprintf("%.2f (cpu %.2f, load %.1f)", x.Wall.Seconds(), x.CPU.Seconds(), x.Load)
	}
	return strings.Join(parts, ", ")
}

// loadAverage is the 1-minute load average (0 where /proc is missing).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscan(string(b), &l)
	return l
}
