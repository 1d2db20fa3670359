package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/lanegate/lanegate/internal/cli"
	"github.com/lanegate/lanegate/internal/testkit"
)

// readmeExitRows is the README's "## Exit codes" table: code → meaning.
func readmeExitRows(t *testing.T) map[int]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Exit codes\n")
	if !ok {
		t.Fatal(`README has no "## Exit codes" section`)
	}
	rows := map[int]string{}
	for _, line := range strings.Split(sec, "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 || strings.TrimSpace(cells[1]) == "code" || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
			continue
		}
		for _, c := range strings.Split(cells[1], "/") {
			n, err := strconv.Atoi(strings.TrimSpace(c))
			if err != nil {
				t.Fatalf("exit code cell %q is not a number: %v", cells[1], err)
			}
			rows[n] = strings.Join(cells[2:len(cells)-1], "|")
		}
	}
	return rows
}

// TestReadmeExitCodes: issue #15. The README's exit-code table lists
// exactly the codes the program uses, each in its place.
func TestReadmeExitCodes(t *testing.T) {
	t.Parallel()
	rows := readmeExitRows(t)
	sigint := (&cli.Interrupt{Signal: syscall.SIGINT}).ExitCode()
	sigterm := (&cli.Interrupt{Signal: syscall.SIGTERM}).ExitCode()
	want := map[int]string{
		cli.ExitOK: "nothing blocked", cli.ExitBlocked: "blocked", cli.ExitConfig: "configuration error",
		cli.ExitRuntime: "runtime error", sigint: "SIGINT", sigterm: "SIGTERM",
	}
	var got []int
	for c := range rows {
		got = append(got, c)
	}
	sort.Ints(got)
	if len(got) != len(want) {
		t.Errorf("README exit codes %v, want %d codes (0 1 2 3 130 143)", got, len(want))
	}
	for c, word := range want {
		if !strings.Contains(rows[c], word) {
			t.Errorf("README exit code %d: %q does not say %q", c, rows[c], word)
		}
	}
}

// TestReadmeGateFailsClosedOnBadLanes: the exit-code table's word on an
// invalid lanes.yaml in the gate matches what the gate does.
func TestReadmeGateFailsClosedOnBadLanes(t *testing.T) {
	t.Parallel()
	rows := readmeExitRows(t)
	m := regexp.MustCompile("the gate[^|]*?exit (\\d+)").FindStringSubmatch(rows[cli.ExitConfig])
	if m == nil || !strings.Contains(rows[cli.ExitConfig], "invalid `lanes.yaml`") {
		t.Fatalf("README exit code 2 row names invalid lanes.yaml but not what the gate does with it (want \"the gate … exit N\"): %q", rows[cli.ExitConfig])
	}
	stated, _ := strconv.Atoi(m[1])
	dir := testkit.ExampleWorkDir(t)
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("lanes: [[[\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := lanegate.In(dir, nil, "gate", "--offline", "--base-lanes", "lanes.yaml", "--head-lanes", "bad.yaml", "--state-dir", "state")
	if o.Code != stated || stated != cli.ExitBlocked {
		t.Errorf("gate with an invalid head lanes file: exit %d, README says %d, fail-closed means %d\n%s", o.Code, stated, cli.ExitBlocked, o)
	}
}
