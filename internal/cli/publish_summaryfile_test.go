package cli_test

import (
	"github.com/lanegate/lanegate/internal/testkit"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPublishSummaryFileImpliesSummary: issue #15. --summary-file without
// --summary used to write nothing and exit 0; naming the file asks for it.
func TestPublishSummaryFileImpliesSummary(t *testing.T) {
	t.Parallel()
	dir := testkit.ExampleWorkDir(t)
	pubAudit(t, dir, "r.json")
	o := lanegate.In(dir, map[string]string{}, "publish", "--summary-file", "sum.md", "--state-dir", "state", "r.json")
	testkit.Want(t, o, 0)
	sum, err := os.ReadFile(filepath.Join(dir, "sum.md"))
	if err != nil {
		t.Fatalf("--summary-file alone wrote no summary: %v\n%s", err, o)
	}
	if !strings.Contains(string(sum), "## lanegate migration evidence\n") {
		t.Errorf("summary lacks the evidence report:\n%s", sum)
	}
}
