package evidence

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/lanes"
)

// Level is how far a lane is from its cutover, as one icon per lane.
type Level string

const (
	// Done: at provider-target (or retired), audit clean, required evidence fresh.
	Done Level = "done"
	// Ready: still at dokploy, but nothing stops its cutover.
	Ready Level = "ready"
	// Waiting: the lane itself is fine; an earlier-wave or required lane is not cut over yet.
	Waiting Level = "waiting"
	// Blocked: the audit blocks, or required evidence is missing, failed or stale.
	Blocked Level = "blocked"
	// Unknown: required evidence was not read, so readiness cannot be claimed.
	Unknown Level = "unknown"
)

// Icon is the one mark the comment shows per lane.
func (l Level) Icon() string {
	switch l {
	case Done:
		return "✅"
	case Ready:
		return "🚀"
	case Waiting:
		return "⏳"
	case Unknown:
		return "❔"
	}
	return "❌" // blocked, or anything undecided: fail closed
}

// KindState is one required evidence kind's latest record, as judged by
// Evaluate.
type KindState struct {
	Kind                   string
	Present, Passed, Fresh bool
}

// LaneFacts is everything readiness depends on for one declared lane.
type LaneFacts struct {
	Lane          string
	Wave          int
	Stage         string
	Requires      []string
	AuditStatus   string // the lane's worst audit status
	AuditSeverity string
	// EvidenceRead is false when no store was read: evidence is unknown.
	EvidenceRead bool
	// Required lists the lane's required evidence kinds in EvidenceKinds
	// order, with their state.
	Required []KindState
}

// Readiness is a lane's level and the one next step that moves it on ("" when done).
type Readiness struct {
	Level Level
	Next  string
}

// Decide combines the audit, required evidence and stage of every lane into
// one readiness each, plus the one-line next step. Lanes are judged in wave
// order because a lane waits for every earlier-wave lane and every lane it
// requires to be cut over and done (the gate's rule). Pure: facts in,
// readiness out.
func Decide(facts []LaneFacts) map[string]Readiness {
	fs := append([]LaneFacts(nil), facts...)
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Wave != fs[j].Wave {
			return fs[i].Wave < fs[j].Wave
		}
		return fs[i].Lane < fs[j].Lane
	})
	out := make(map[string]Readiness, len(fs))
	byLane := make(map[string]LaneFacts, len(fs))
	for _, f := range fs {
		byLane[f.Lane] = f
	}
	// notDone holds the lanes of finished earlier waves that are not done,
	// so each lane's check is linear in what it reports, not in the fleet.
	var notDone, waveNotDone []string
	for i, f := range fs {
		if i > 0 && f.Wave != fs[i-1].Wave {
			notDone = append(notDone, waveNotDone...)
			waveNotDone = waveNotDone[:0]
		}
		r := own(f)
		if r.Level == Ready { // a lane already cut over waits for nothing
			if w := waitingFor(f, notDone, byLane, out); w != "" {
				r = Readiness{Level: Waiting, Next: w}
			}
		}
		out[f.Lane] = r
		if r.Level != Done {
			waveNotDone = append(waveNotDone, fmt.Sprintf("%s (wave %d)", f.Lane, f.Wave))
		}
	}
	return out
}

// own judges a lane on its own facts: audit first (evidence about a wrong
// record proves nothing), then required evidence, then stage.
func own(f LaneFacts) Readiness {
	if f.AuditSeverity == audit.SeverityBlocked || f.AuditSeverity == "" {
		return Readiness{Level: Blocked, Next: auditStep(f)}
	}
	if len(f.Required) > 0 && !f.EvidenceRead {
		return Readiness{Level: Unknown, Next: "publish with the record store (--database-url or --state-dir) to read evidence"}
	}
	for _, k := range f.Required {
		switch {
		case !k.Present && k.Kind == KindAuthority:
			return Readiness{Level: Blocked, Next: "collect authority evidence from the Launchplane service (lanegate evidence collect)"}
		case !k.Present:
			return Readiness{Level: Blocked, Next: fmt.Sprintf("record %s evidence (lanegate evidence record --kind %s)", k.Kind, k.Kind)}
		case !k.Passed:
			return Readiness{Level: Blocked, Next: fmt.Sprintf("fix the failed %s and record a passing one", k.Kind)}
		case !k.Fresh:
			return Readiness{Level: Blocked, Next: fmt.Sprintf("record fresh %s evidence (the latest is stale or predates the row)", k.Kind)}
		}
	}
	if lanes.StageIndex(f.Stage) >= lanes.StageIndex("provider-target") {
		return Readiness{Level: Done}
	}
	if lanes.StageIndex(f.Stage) < 0 {
		return Readiness{Level: Blocked, Next: fmt.Sprintf("set a known stage for the lane in lanes.yaml (got %q)", f.Stage)}
	}
	return Readiness{Level: Ready, Next: "open the cutover pull request (stage: provider-target in lanes.yaml)"}
}

// auditStep is the next step for a blocked audit status.
func auditStep(f LaneFacts) string {
	switch f.AuditStatus {
	case audit.StatusMissingProviderTarget:
		return "run the provider-target backfill: dry run, review, apply"
	case audit.StatusMissingDokployPair, audit.StatusMissingDokployTarget, audit.StatusMissingTargetID:
		return "fix the Dokploy pair: record the missing Dokploy target / target-id for the route"
	case audit.StatusIdentityMismatch, audit.StatusCategoryMismatch, audit.StatusDisplayNameMismatch,
		audit.StatusProviderTargetTypeMismatch, audit.StatusProviderEvidenceMismatch:
		return "fix the Dokploy pair or the provider-target row so they agree (see finding details)"
	case audit.StatusDuplicateTargetIdentity:
		return "give each route its own target identity (see finding details)"
	case audit.StatusInvalidRecord:
		return "repair the unreadable record (see finding details)"
	case audit.StatusMissingRoute, audit.StatusNoMatchingRoutes:
		return "create the route's records in Launchplane or fix the lane key in lanes.yaml"
	case "":
		return "re-run the audit: the lane has no audit result"
	}
	return "resolve the audit finding `" + strings.ReplaceAll(f.AuditStatus, "`", "'") + "`"
}

// waitingFor names the earlier-wave lanes not yet done (notDone) and the
// required lanes not yet done, or "".
func waitingFor(f LaneFacts, notDone []string, byLane map[string]LaneFacts, decided map[string]Readiness) string {
	var pending []string
	total := len(notDone)
	pending = append(pending, notDone[:min(3, len(notDone))]...)
	reqs := append([]string(nil), f.Requires...)
	sort.Strings(reqs)
	for _, req := range reqs {
		o, ok := byLane[req]
		var entry string
		switch {
		case !ok:
			entry = req + " (not declared)"
		case o.Wave < f.Wave:
			continue // already among the earlier waves
		default:
			if r, ok := decided[req]; ok && r.Level == Done {
				continue
			}
			entry = fmt.Sprintf("%s (wave %d)", o.Lane, o.Wave)
		}
		total++
		if len(pending) < 3 {
			pending = append(pending, entry)
		}
	}
	if total == 0 {
		return ""
	}
	if total > len(pending) {
		pending = append(pending, fmt.Sprintf("%d more", total-len(pending)))
	}
	return "wait for the earlier lanes to cut over: " + strings.Join(pending, ", ")
}
