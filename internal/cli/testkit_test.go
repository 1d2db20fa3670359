package cli_test

import (
	"context"

	"github.com/lanegate/lanegate/internal/cli"
	"github.com/lanegate/lanegate/internal/testkit"
)

// lanegate runs the command in process (testkit.Runner cannot name cli.Env:
// testkit must not import cli, whose tests import testkit).
var lanegate = testkit.Runner{Main: func(ctx context.Context, p testkit.Process) int {
	return cli.Run(ctx, &cli.Env{Args: p.Args, Getenv: p.Getenv, Stdin: p.Stdin, Stdout: p.Stdout, Stderr: p.Stderr, Dir: p.Dir})
}}
