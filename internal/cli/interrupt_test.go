package cli

import (
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"

	"github.com/lanegate/lanegate/internal/testkit"
)

// TestInterruptExitCodes: a run cancelled by a signal exits 128 + the
// signal, whatever the command returned, and prints nothing more (main has
// said "interrupted by ..." already).
func TestInterruptExitCodes(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{{syscall.SIGINT, 130, "SIGINT"}, {syscall.SIGTERM, 143, "SIGTERM"}} {
		stop := &Interrupt{Signal: tc.sig}
		if stop.Error() != "interrupted by "+tc.name {
			t.Errorf("Error() = %q", stop.Error())
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(stop)
		// version succeeds, and still the run counts as interrupted.
		r := lanegateInternal.RunContext(ctx, testkit.Invocation{Args: []string{"version"}})
		if r.Code != tc.code || r.Stderr != "" {
			t.Errorf("%s: Run = %d, stderr %q; want %d and nothing", tc.name, r.Code, r.Stderr, tc.code)
		}
		var stderr bytes.Buffer
		if got := exitCode(&stderr, fmt.Errorf("read: %w", stop)); got != tc.code {
			t.Errorf("%s: exitCode = %d, want %d", tc.name, got, tc.code)
		}
	}
}
