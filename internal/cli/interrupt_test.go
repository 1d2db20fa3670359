package cli

import (
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"
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
		var stdout, stderr bytes.Buffer
		// version succeeds, and still the run counts as interrupted.
		code := Run(ctx, &Env{Args: []string{"version"}, Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr})
		if code != tc.code || stderr.Len() != 0 {
			t.Errorf("%s: Run = %d, stderr %q; want %d and nothing", tc.name, code, stderr.String(), tc.code)
		}
		if got := exitCode(&stderr, fmt.Errorf("read: %w", stop)); got != tc.code {
			t.Errorf("%s: exitCode = %d, want %d", tc.name, got, tc.code)
		}
	}
}
