package cli_test

import (
	"os"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/cli"
)

// TestReadmeSetupOutput: issue #15. The README's "Expected output of the
// first command" is what `lanegate audit --state-dir examples/state` prints
// from the repository root, byte for byte, with the exit code it states.
func TestReadmeSetupOutput(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const cmd = "go run ./cmd/lanegate audit --state-dir examples/state"
	if !strings.Contains(string(readme), "```sh\n"+cmd+"\n```") {
		t.Fatalf("README no longer shows the first set-up command %q", cmd)
	}
	_, after, ok := strings.Cut(string(readme), "Expected output of the first command:\n\n```\n")
	if !ok {
		t.Fatal("README has no expected-output block for the first set-up command")
	}
	want, _, ok := strings.Cut(after, "```\n")
	if !ok {
		t.Fatal("the expected-output block is not closed")
	}
	r := lanegate.In(mustAbs(t, "../.."), nil, "audit", "--state-dir", "examples/state")
	if r.Code != cli.ExitBlocked {
		t.Errorf("exit %d, the README says it exits 1\n%s", r.Code, r.Stderr)
	}
	if r.Stdout != want {
		t.Errorf("README expected output differs from the program:\n--- README ---\n%s--- program ---\n%s", want, r.Stdout)
	}
}
