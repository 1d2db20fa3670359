// Package gate decides whether a cutover pull request may merge. It is pure:
// the base and head lane plans, what the pull request declares and changes,
// each lane's audit verdict and evidence verdicts go in; a verdict per lane
// and one overall verdict come out. Anything the gate cannot establish is a
// blocked verdict that says why, never a pass.
package gate

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/verdict"
)

// Schema identifies lanegate's gate report format.
const Schema = "lanegate.gate/v1"

// StatusContext is the commit status context the gate posts.
const StatusContext = "lanegate/cutover"

// Verdicts.
const (
	Pass    = "pass"
	Blocked = "blocked"
)

// Stage names, in order.
const (
	StageDokploy        = "dokploy"
	StageProviderTarget = "provider-target"
	StageRetired        = "retired"
)

// LaneHealth is what the gate knows about one lane's records and evidence.
type LaneHealth struct {
	AuditClean      bool     // zero blocked findings
	ProviderPresent bool     // the explicit provider-target row exists
	AuditProblems   []string // statuses/details when not clean
	// EvidenceProblems lists required evidence that is missing, failed or
	// stale; empty means every required kind is fresh.
	EvidenceProblems []string
	// Window is the retire check: clean audits over the lane's retire window
	// with no regression in it.
	WindowProblems []string
}

// Clean reports whether the lane is fully clean for provider-target.
func (h LaneHealth) Clean() bool {
	return h.AuditClean && h.ProviderPresent && len(h.EvidenceProblems) == 0
}

// Input is everything one decision needs. Base is the trusted plan (the
// base branch's, or for a merge group the queue's base commit); Head is the
// pull request's, read only for each lane's requested stage.
type Input struct {
	Base, Head   *lanes.File // base may be nil only when the PR adds lanes.yaml
	Labels       []string
	Body         string
	ChangedFiles []string
	FilesCapped  bool // the changed-file listing hit GitHub's cap
	Fork         bool // the PR comes from a fork and this run has no trusted scope
	Health       map[string]LaneHealth
	// Problems are failures to gather inputs (no token, no database, API
	// errors); any of them blocks.
	Problems []string
	Now      time.Time
}

// LaneVerdict is the decision for one lane in scope.
type LaneVerdict struct {
	Lane      string   `json:"lane"`
	Why       []string `json:"in_scope_because"`
	FromStage string   `json:"from_stage"`
	ToStage   string   `json:"to_stage"`
	Verdict   string   `json:"verdict"`
	Reasons   []string `json:"reasons"`
}

// Result is the gate's decision.
type Result struct {
	Schema   string        `json:"schema"`
	Verdict  string        `json:"verdict"`
	Summary  string        `json:"summary"`
	Problems []string      `json:"problems"`
	Lanes    []LaneVerdict `json:"lanes"`
}

var trailerRe = regexp.MustCompile(`(?mi)^\s*Cutover-Lanes:\s*(.+?)\s*$`)

// DeclaredLanes returns the lanes a pull request names through
// `cutover:<context>/<instance>` labels and `Cutover-Lanes:` body trailers
// (comma or space separated).
func DeclaredLanes(labels []string, body string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, l := range labels {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "cutover:"); ok {
			add(rest)
		}
	}
	for _, m := range trailerRe.FindAllStringSubmatch(body, -1) {
		for _, f := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			add(f)
		}
	}
	return out
}

func stageOf(f *lanes.File, key string) (string, bool) {
	if f == nil {
		return "", false
	}
	l, ok := f.Lane(key)
	if !ok {
		return "", false
	}
	return l.Stage, true
}

// RuleChangeReason starts every reason that blocks a pull request for
// changing the rules it would be judged by.
const RuleChangeReason = "rule changes must land before the cutover that relies on them"

// scope works out which lanes the pull request touches and why. Only the
// stage is read from the head: paths, the lane list used for the file cap
// and everything else come from the base, so deleting a lane's paths cannot
// take it out of scope.
func scope(in Input) (map[string][]string, []string) {
	why := map[string][]string{}
	var problems []string
	add := func(k, reason string) { why[k] = append(why[k], reason) }
	if in.Base != nil {
		for _, l := range in.Base.Lanes {
			hs, ok := stageOf(in.Head, l.Key)
			switch {
			case !ok:
				add(l.Key, "removed from lanes.yaml")
			case hs != l.Stage:
				add(l.Key, fmt.Sprintf("stage %s → %s", l.Stage, hs))
			}
		}
	}
	for _, l := range in.Head.Lanes {
		if _, ok := stageOf(in.Base, l.Key); !ok && l.Stage != StageDokploy {
			add(l.Key, "added at stage "+l.Stage)
		}
	}
	for _, k := range DeclaredLanes(in.Labels, in.Body) {
		_, inBase := stageOf(in.Base, k)
		if _, inHead := in.Head.Lane(k); !inBase && !inHead {
			problems = append(problems, fmt.Sprintf("the pull request declares lane %q, which lanes.yaml does not have", k))
			continue
		}
		add(k, "declared by label or Cutover-Lanes trailer")
	}
	if in.Base != nil {
		if in.FilesCapped {
			for _, l := range in.Base.Lanes {
				add(l.Key, "the changed-file list hit GitHub's listing cap, so every lane is in scope")
			}
		} else {
			for _, k := range in.Base.LanesForPaths(in.ChangedFiles) {
				add(k, "changed files match its paths")
			}
		}
	}
	return why, problems
}

// ruleChanges lists what the head changes in the plan as a whole: file-wide
// rules and the lanes it adds or removes. Empty without a base plan, where
// every lane is new and has no trusted rules at all.
func ruleChanges(base, head *lanes.File) []planChange {
	if base == nil || head == nil {
		return nil
	}
	var out []planChange
	for _, d := range base.FileRuleDiffs(head) {
		out = append(out, planChange{"", "lanes.yaml changes " + d})
	}
	for _, l := range head.Lanes {
		if _, ok := base.Lane(l.Key); !ok {
			out = append(out, planChange{l.Key, "lanes.yaml adds lane " + l.Key})
		}
	}
	for _, l := range base.Lanes {
		if _, ok := head.Lane(l.Key); !ok {
			out = append(out, planChange{l.Key, "lanes.yaml removes lane " + l.Key})
		}
	}
	return out
}

// planChange is one plan-wide rule change; lane is the lane it adds or
// removes, whose own verdict already says so.
type planChange struct{ lane, text string }

// Decide makes the gate's decision. Every rule (waves, requires, evidence,
// paths, retire window, defaults) comes from the base plan; the head
// contributes only each lane's requested stage. A head that changes the
// rules while any lane is in scope is blocked: the change has to merge on
// its own first, so that a pull request cannot loosen the checks it is
// judged by.
func Decide(in Input) Result {
	res := Result{Schema: Schema, Problems: append([]string{}, in.Problems...), Lanes: []LaneVerdict{}}
	if in.Head == nil {
		res.Problems = append(res.Problems, "the head lanes.yaml could not be read")
	}
	if in.Fork {
		res.Problems = append(res.Problems, "the pull request comes from a fork: this run has no trusted credentials; the privileged workflow_run gate decides it")
	}
	if in.Head != nil {
		why, problems := scope(in)
		res.Problems = append(res.Problems, problems...)
		keys := make([]string, 0, len(why))
		for k := range why {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		planChanges := ruleChanges(in.Base, in.Head)
		for _, k := range keys {
			res.Lanes = append(res.Lanes, decideLane(in, k, dedupe(why[k]), planChanges))
		}
	}
	res.Verdict = Pass
	blocked := 0
	for _, l := range res.Lanes {
		if l.Verdict == Blocked {
			blocked++
		}
	}
	if blocked > 0 || len(res.Problems) > 0 {
		res.Verdict = Blocked
	}
	switch {
	case len(res.Problems) > 0:
		res.Summary = "blocked: " + res.Problems[0]
	case len(res.Lanes) == 0:
		res.Summary = "no lanes in scope: nothing to gate"
	case blocked > 0:
		res.Summary = fmt.Sprintf("blocked: %d of %d lane(s) not ready", blocked, len(res.Lanes))
	default:
		res.Summary = fmt.Sprintf("%d lane(s) ready to cut over", len(res.Lanes))
	}
	return res
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// decideLane applies the base plan's rules to one lane in scope.
func decideLane(in Input, key string, why []string, planChanges []planChange) LaneVerdict {
	v := LaneVerdict{Lane: key, Why: why, Reasons: []string{}}
	block := func(format string, args ...any) { v.Reasons = append(v.Reasons, fmt.Sprintf(format, args...)) }
	var baseLane *lanes.Lane
	inBase := false
	if in.Base != nil {
		baseLane, inBase = in.Base.Lane(key)
	}
	headLane, inHead := in.Head.Lane(key)
	baseStage := StageDokploy
	if inBase {
		baseStage = baseLane.Stage
	}
	v.FromStage = baseStage
	if inHead {
		v.ToStage = headLane.Stage
		if headLane.Stage == baseStage {
			// Declared or path-matched without a stage change: the pull
			// request performs the lane's next step elsewhere.
			if next := lanes.StageIndex(baseStage) + 1; next < len(lanes.Stages) {
				v.ToStage = lanes.Stages[next]
			}
		}
	} else {
		v.ToStage = "(removed)"
	}

	// The rules themselves must not move under the decision.
	switch {
	case !inBase && in.Base == nil:
		block("%s has no trusted rules: the base branch has no lanes.yaml, so a lane can only be added at stage %s", key, StageDokploy)
	case !inBase:
		block("%s: the pull request adds %s, which has no trusted rules until it is on the base branch (add it at stage %s on its own first)", RuleChangeReason, key, StageDokploy)
	case !inHead:
		block("%s: the pull request removes %s from lanes.yaml", RuleChangeReason, key)
	default:
		if diffs := baseLane.RuleDiffs(headLane); len(diffs) > 0 {
			block("%s: %s changes %s", RuleChangeReason, key, strings.Join(diffs, "; "))
		}
	}
	for _, c := range planChanges {
		if c.lane != key {
			block("%s: %s", RuleChangeReason, c.text)
		}
	}
	if !inBase {
		return finish(v)
	}

	switch {
	case !inHead:
		if baseStage != StageDokploy {
			block("a lane at stage %s cannot be removed from lanes.yaml", baseStage)
		}
	case v.ToStage == baseStage:
		block("the lane is already %s; there is no later stage to cut over to", baseStage)
	default:
		from, to := lanes.StageIndex(baseStage), lanes.StageIndex(v.ToStage)
		switch {
		case to < from:
			block("stage cannot go back from %s to %s", baseStage, v.ToStage)
		case to > from+1:
			block("a lane cannot skip a stage: %s → %s skips %s", baseStage, v.ToStage, lanes.Stages[from+1])
		case v.ToStage == StageProviderTarget:
			checkProviderTarget(in, baseLane, block)
		case v.ToStage == StageRetired:
			checkRetired(in, baseLane, block)
		}
	}
	return finish(v)
}

func finish(v LaneVerdict) LaneVerdict {
	v.Verdict = Pass
	if len(v.Reasons) > 0 {
		v.Verdict = Blocked
	}
	return v
}

func health(in Input, key string) (LaneHealth, bool) {
	h, ok := in.Health[key]
	return h, ok
}

func checkClean(in Input, key, who string, block func(string, ...any)) {
	h, ok := health(in, key)
	if !ok {
		block("%s%s: no audit or evidence was gathered for it", who, key)
		return
	}
	if !h.ProviderPresent {
		block("%s%s: the provider-target row is missing", who, key)
	}
	if !h.AuditClean {
		block("%s%s: the audit is not clean (%s)", who, key, strings.Join(h.AuditProblems, "; "))
	}
	for _, p := range h.EvidenceProblems {
		block("%s%s: %s", who, key, p)
	}
}

// checkProviderTarget: the lane is clean, and everything that must go first
// already runs on provider-target with clean evidence. l is the base plan's
// lane, and the earlier waves are the base plan's. Required lanes are named
// one by one; earlier-wave lanes are summarised in one reason per kind of
// problem, so a large fleet does not multiply reasons per lane.
func checkProviderTarget(in Input, l *lanes.Lane, block func(string, ...any)) {
	checkClean(in, l.Key, "", block)
	required := map[string]bool{}
	reqs := append([]string(nil), l.Requires...)
	sort.Strings(reqs)
	for _, r := range reqs {
		required[r] = true
		if !atProviderTarget(in.Base, r) {
			block("required lane %s must already be at provider-target on the base branch (it is %s)", r, baseStageText(in.Base, r))
			continue
		}
		checkClean(in, r, "required lane ", block)
	}
	var notCutOver, unclean []string
	for _, o := range in.Base.Lanes {
		if o.Wave >= l.Wave || required[o.Key] {
			continue
		}
		if !atProviderTarget(in.Base, o.Key) {
			notCutOver = append(notCutOver, fmt.Sprintf("%s (wave %d, %s)", o.Key, o.Wave, baseStageText(in.Base, o.Key)))
			continue
		}
		var problems []string
		checkClean(in, o.Key, "", func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) })
		if len(problems) > 0 {
			unclean = append(unclean, strings.Join(problems, "; "))
		}
	}
	sort.Strings(notCutOver)
	sort.Strings(unclean)
	if len(notCutOver) > 0 {
		block("earlier-wave lanes must already be at provider-target on the base branch: %s", listSome(notCutOver, 10))
	}
	if len(unclean) > 0 {
		block("earlier-wave lanes are not clean: %s", listSome(unclean, 5))
	}
}

func atProviderTarget(base *lanes.File, key string) bool {
	st, ok := stageOf(base, key)
	return ok && lanes.StageIndex(st) >= lanes.StageIndex(StageProviderTarget)
}

func baseStageText(base *lanes.File, key string) string {
	if st, ok := stageOf(base, key); ok {
		return st
	}
	return "not on the base branch"
}

// listSome joins the first n items and counts the rest.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

// checkRetired: the lane has run on provider-target, cleanly, for the whole
// retire window of the base plan.
func checkRetired(in Input, l *lanes.Lane, block func(string, ...any)) {
	checkClean(in, l.Key, "", block)
	if h, ok := health(in, l.Key); ok {
		for _, p := range h.WindowProblems {
			block("%s", p)
		}
	}
}

// Outcome is the gate's verdict in lanegate's shared vocabulary: pass is
// verdict.OK, anything else verdict.Blocked. The gate JSON keeps its
// "pass"/"blocked" values for compatibility.
func (r Result) Outcome() verdict.Verdict {
	if r.Verdict == Pass {
		return verdict.OK
	}
	return verdict.Blocked
}

// StatusState maps the verdict to a commit status state.
func (r Result) StatusState() string {
	if r.Verdict == Pass {
		return "success"
	}
	return "failure"
}

// StatusDescription is the ≤140-character commit status text.
func (r Result) StatusDescription() string {
	d := r.Summary
	if n := len([]rune(d)); n > 140 {
		d = string([]rune(d)[:139]) + "…"
	}
	return d
}
