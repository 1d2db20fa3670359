package evidence

import (
	"testing"

	"github.com/lanegate/lanegate/internal/verdict"
)

func TestProbeVerdict(t *testing.T) {
	for _, c := range []struct {
		probed, failed int
		want           verdict.Verdict
		reason         string
	}{
		{0, 0, verdict.Blocked, "no selected lane has a health_url: nothing was probed"},
		{3, 0, verdict.OK, ""},
		{3, 1, verdict.Blocked, "1 of 3 health probe(s) failed"},
		{1, 1, verdict.Blocked, "1 of 1 health probe(s) failed"},
	} {
		v, r := ProbeVerdict(c.probed, c.failed)
		if v != c.want || r != c.reason {
			t.Errorf("ProbeVerdict(%d, %d) = %s %q, want %s %q", c.probed, c.failed, v, r, c.want, c.reason)
		}
	}
}
