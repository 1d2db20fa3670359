package backend

import (
	"fmt"
	"time"
)

// Logf sends one line to the request's Log, if any.
func (r ApplyRequest) Logf(format string, args ...any) {
	if r.Log != nil {
		r.Log(fmt.Sprintf(format, args...))
	}
}

// NothingToCreate is the line an apply logs when its plan creates nothing.
const NothingToCreate = "lanegate: nothing to create: every route in scope already has its provider-target row"

// Progress reports rows written at a steady cadence, not per row: to the
// request's Progress on every tick, and as a line to its Log every two
// seconds and when the last row is written.
type Progress struct {
	req   ApplyRequest
	verb  string // "created" or "staged"
	Total int    // rows the plan creates; 0 while it is being made
	last  time.Time
}

// NewProgress starts the cadence now; verb says what happens to the rows.
func NewProgress(req ApplyRequest, verb string) *Progress {
	return &Progress{req: req, verb: verb, last: time.Now()}
}

// Tick says done rows are written (or staged) so far.
func (p *Progress) Tick(done int) {
	if p.req.Progress != nil {
		p.req.Progress(done, p.Total)
	}
	switch {
	case p.Total > 0 && done == p.Total, time.Since(p.last) >= 2*time.Second:
	default:
		return
	}
	if p.Total > 0 {
		p.req.Logf("lanegate: %s %d/%d provider-target row(s)", p.verb, done, p.Total)
	} else {
		p.req.Logf("lanegate: planned and %s %d provider-target row(s) so far", p.verb, done)
	}
	p.last = time.Now()
}
