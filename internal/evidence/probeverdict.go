package evidence

import (
	"fmt"

	"github.com/lanegate/lanegate/internal/verdict"
)

// ProbeVerdict decides the health-probe report once: blocked when any probe
// failed, and blocked when nothing was probed at all (no selected lane has a
// health_url), because an empty probe run proves nothing. The reason is ""
// for ok.
func ProbeVerdict(probed, failed int) (verdict.Verdict, string) {
	switch {
	case probed == 0:
		return verdict.Blocked, "no selected lane has a health_url: nothing was probed"
	case failed > 0:
		return verdict.Blocked, fmt.Sprintf("%d of %d health probe(s) failed", failed, probed)
	}
	return verdict.OK, ""
}
