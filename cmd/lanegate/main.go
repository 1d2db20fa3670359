// Command lanegate audits, backfills and gates Launchplane's provider-target
// migration, lane by lane. See README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/lanegate/lanegate/internal/cli"
)

// graceAfterSignal is how long a command may take to wind down after SIGINT
// or SIGTERM before the process exits anyway: a read that ignores the
// context (a stalled pipe or device) must not keep a cancelled job alive.
// Every file lanegate writes is a temp file renamed into place, so exiting
// mid-command leaves nothing half-written.
const graceAfterSignal = time.Second

func main() {
	// lanegate streams: its live heap stays a few MiB however large the
	// fleet, so the default GC target collects thousands of times per audit.
	// A higher target trades a few MiB for much less GC work, and a soft
	// memory limit keeps that headroom from growing the process past what a
	// streaming run needs (it only makes the GC work harder near the limit;
	// it never fails an allocation).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(48 << 20)
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, &cli.Env{
			Args:   os.Args[1:],
			Getenv: os.Getenv,
			Stdin:  os.Stdin,
			Stdout: os.Stdout,
			Stderr: os.Stderr,
		})
	}()
	var code int
	select {
	case code = <-done:
	case sig := <-signals:
		stop := &cli.Interrupt{Signal: sig}
		// Said here, once, so it shows even when the command never returns.
		fmt.Fprintf(os.Stderr, "lanegate: %s\n", stop.Error())
		cancel(stop)
		select {
		case code = <-done:
		case <-time.After(graceAfterSignal):
			code = stop.ExitCode()
		case <-signals: // a second signal: no more waiting
			code = stop.ExitCode()
		}
	}
	cancel(nil)
	os.Exit(code)
}
