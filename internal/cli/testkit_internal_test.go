package cli

import (
	"context"

	"github.com/lanegate/lanegate/internal/testkit"
)

// lanegateInternal runs the command in process, for the package's internal
// tests (see lanegate in testkit_test.go).
var lanegateInternal = testkit.Runner{Main: func(ctx context.Context, p testkit.Process) int {
	return Run(ctx, &Env{Args: p.Args, Getenv: p.Getenv, Stdin: p.Stdin, Stdout: p.Stdout, Stderr: p.Stderr, Dir: p.Dir})
}}
