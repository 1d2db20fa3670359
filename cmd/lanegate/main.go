// Command lanegate audits, backfills and gates Launchplane's provider-target
// migration, lane by lane. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/lanegate/lanegate/internal/cli"
)

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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, &cli.Env{
		Args:   os.Args[1:],
		Getenv: os.Getenv,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	})
	stop()
	os.Exit(code)
}
