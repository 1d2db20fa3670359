package cli

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/lanegate/lanegate/internal/actions"
)

// ApplyConfirmation is the exact phrase a backfill-apply must carry.
const ApplyConfirmation = "APPLY PROVIDER TARGET BACKFILL"

// actionSecretFlags are flags whose value is never printed, not even in a
// dry run.
var actionSecretFlags = []string{"database-url", "evidence-database-url", "github-token", "dokploy-api-key"}

// runAction is what action.yml runs: it reads the action's inputs (passed by
// the composite action as LANEGATE_INPUT_* variables, since composite actions
// get no INPUT_*), turns them into the same flags a terminal user would
// type, and runs that command. Nothing here touches a store.
//
// Secrets never become flags: the GitHub token is read by the commands from
// LANEGATE_INPUT_GITHUB_TOKEN, the Dokploy key from DOKPLOY_API_KEY (which
// action.yml sets from the dokploy-api-key input), and only the database URL
// travels as --database-url, hidden whenever the command line is printed.
func runAction(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "action", "action [--dry-run] (inputs come from LANEGATE_INPUT_* variables)")
	dryRun := fs.Bool("dry-run", false, "print the command line the inputs map to, as a JSON array with secret values hidden, and run nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	command, argv, err := actionArgv(env)
	if err != nil {
		return err
	}
	shown := append([]string{command}, hideSecretArgs(argv)...)
	if *dryRun {
		return writeJSON(env.Stdout, shown)
	}
	fmt.Fprintf(env.Stderr, "lanegate action: running lanegate %s\n", shellJoin(shown))
	if c, ok := lookup(command); ok && command != "action" {
		return c.run(ctx, env, argv)
	}
	return usageErr("input command %q is not a lanegate command", command)
}

// actionArgv maps the inputs to a lanegate command and its arguments:
// argv is sub + flags + the args input + "--" + positional. Report paths
// come last and after "--", so neither a path starting with "-" nor an
// extra flag is taken for the other.
func actionArgv(env *Env) (string, []string, error) {
	a := &actionInvocation{rt: env.rt}
	a.command = a.in("command")
	if a.command == "" {
		a.command = "audit"
		if strings.HasPrefix(a.in("mode"), "backfill") {
			a.command = "backfill"
		}
	}
	if a.command == "backfill" && a.in("mode") == "audit" {
		a.command = "audit"
	}
	if err := a.build(); err != nil {
		return "", nil, err
	}
	argv := append(a.sub, a.flags...)
	if extra := strings.Fields(a.in("args")); len(extra) > 0 {
		if err := checkArgsInput(a.command, extra); err != nil {
			return "", nil, err
		}
		argv = append(argv, extra...)
	}
	if len(a.positional) > 0 {
		argv = append(argv, "--")
		argv = append(argv, a.positional...)
	}
	return a.command, argv, nil
}

// actionCommands are the values of the command input that the action maps
// to flags itself, each with the helper that does it. Any other lanegate
// command runs only with the args input.
var actionCommands = []struct {
	name  string
	build func(*actionInvocation) error
}{
	{"audit", (*actionInvocation).audit},
	{"backfill", (*actionInvocation).backfill},
	{"merge", (*actionInvocation).merge},
	{"gate", (*actionInvocation).gate},
	{"publish", (*actionInvocation).publish},
	{"evidence", (*actionInvocation).evidence},
	{"preflight", (*actionInvocation).preflight},
}

// build maps the inputs to the command's flags.
func (a *actionInvocation) build() error {
	names := make([]string, len(actionCommands))
	for i, c := range actionCommands {
		if c.name == a.command {
			return c.build(a)
		}
		names[i] = c.name
	}
	if a.in("args") == "" {
		return usageErr("input command %q is not supported by this version of the action (want one of %s, or pass the args input)",
			a.command, strings.Join(names, ", "))
	}
	return nil
}

// actionInvocation is the command line the inputs map to, built up by the
// helpers below.
type actionInvocation struct {
	rt                     *actions.Runtime
	command                string
	sub, flags, positional []string
}

func (a *actionInvocation) in(name string) string { return a.rt.Input(name) }

// add passes a flag with a value, unless the value is empty.
func (a *actionInvocation) add(flag, value string) {
	if value != "" {
		a.flags = append(a.flags, "--"+flag, value)
	}
}

// addBool passes a boolean flag when its input is true.
func (a *actionInvocation) addBool(flag, input string) error {
	on, err := a.rt.BoolInput(input)
	if err != nil {
		return usageErr("%v", err)
	}
	if on {
		a.flags = append(a.flags, "--"+flag)
	}
	return nil
}

// addLanesFile passes the lanes path. The default lanes.yaml is optional
// where the command allows it; only a path the workflow set on purpose is
// passed (and must exist).
func (a *actionInvocation) addLanesFile() {
	if l := a.in("lanes"); l != "lanes.yaml" {
		a.add("lanes", l)
	}
}

// addScope passes the lanes file and the route filters. no-lanes audits the
// store alone; with it, a missing lanes.yaml is not an error in a workflow
// (loadPlan), and a lanes path would contradict it.
func (a *actionInvocation) addScope() error {
	noLanes, err := a.rt.BoolInput("no-lanes")
	if err != nil {
		return usageErr("%v", err)
	}
	if noLanes {
		if l := a.in("lanes"); l != "lanes.yaml" && l != "" {
			return usageErr("inputs lanes and no-lanes contradict each other: set one")
		}
		a.flags = append(a.flags, "--no-lanes")
	} else {
		a.addLanesFile()
	}
	a.addLanes()
	a.add("context", a.in("context"))
	a.add("instance", a.in("instance"))
	a.add("provider-id", a.in("provider-id"))
	return nil
}

// addLanes passes one --lane per line of the lane input.
func (a *actionInvocation) addLanes() {
	for _, l := range a.rt.MultilineInput("lane") {
		a.add("lane", l)
	}
}

// addStore passes the record store the inputs name: Postgres, a state
// directory or the Launchplane service (with its OIDC audience). Naming two
// is the command's usage error, not the action's.
func (a *actionInvocation) addStore() {
	a.add("database-url", a.in("database-url"))
	a.add("state-dir", a.in("state-dir"))
	a.addService()
	a.add("statement-timeout", a.in("statement-timeout"))
}

// addService passes the Launchplane service and its audience. The token is
// GitHub OIDC, minted by lanegate from the runner's ACTIONS_ID_TOKEN_*
// variables (the job needs permissions: id-token: write): no input carries
// it.
func (a *actionInvocation) addService() {
	a.add("launchplane-url", a.in("launchplane-url"))
	a.add("audience", a.in("audience"))
}

// addCollectStores passes the two stores of a command that reads the
// Launchplane service (launchplane-url) and lanegate's evidence elsewhere:
// evidence collect records into, and the gate reads from, the database-url
// or state-dir input, as --evidence-database-url or --evidence-state-dir.
func (a *actionInvocation) addCollectStores() {
	a.addService()
	a.add("evidence-database-url", a.in("database-url"))
	a.add("evidence-state-dir", a.in("state-dir"))
	a.add("statement-timeout", a.in("statement-timeout"))
}

// addReportOut passes --out, the report-path input or its default.
func (a *actionInvocation) addReportOut() {
	p := a.in("report-path")
	if p == "" {
		p = "lanegate-report.json"
	}
	a.add("out", p)
}

// addFailOn passes --fail-on, the fail-on input or its default.
func (a *actionInvocation) addFailOn() {
	f := a.in("fail-on")
	if f == "" {
		f = "blocked"
	}
	a.add("fail-on", f)
}

// oneLane is the lane input of a command that takes exactly one route.
func (a *actionInvocation) oneLane(what string) (string, error) {
	ls := a.rt.MultilineInput("lane")
	if len(ls) != 1 {
		return "", usageErr("%s needs exactly one route in the lane input (CONTEXT/INSTANCE), got %d", what, len(ls))
	}
	return ls[0], nil
}

// reports takes the report paths (the positional arguments) from the
// reports input.
func (a *actionInvocation) reports() error {
	a.positional = a.rt.MultilineInput("reports")
	if len(a.positional) == 0 {
		return usageErr("command %s needs the reports input (one report path per line)", a.command)
	}
	return nil
}

func (a *actionInvocation) audit() error {
	if err := a.addScope(); err != nil {
		return err
	}
	a.addStore()
	a.add("shard", a.in("shard"))
	a.addReportOut()
	a.addFailOn()
	return a.addBool("record", "record")
}

func (a *actionInvocation) backfill() error {
	mode := a.in("mode")
	if mode == "" {
		mode = "backfill-dry-run"
	}
	switch mode {
	case "backfill-dry-run":
	case "backfill-apply":
		if err := a.addApply(); err != nil {
			return err
		}
	default:
		return usageErr("input mode %q: want backfill-dry-run or backfill-apply for command backfill", mode)
	}
	if err := a.addScope(); err != nil {
		return err
	}
	a.addStore()
	a.addReportOut()
	a.addFailOn()
	return nil
}

// addApply passes --apply with its digest and reason. The confirmation is
// checked here, before any store is opened.
func (a *actionInvocation) addApply() error {
	if a.in("confirmation") != ApplyConfirmation {
		return usageErr("mode backfill-apply requires the input confirmation to be exactly %q", ApplyConfirmation)
	}
	if strings.TrimSpace(a.in("reason")) == "" {
		return usageErr("mode backfill-apply requires a non-blank reason input")
	}
	if a.in("plan-digest") == "" {
		return usageErr("mode backfill-apply requires the plan-digest input from the reviewed dry run")
	}
	a.flags = append(a.flags, "--apply")
	a.add("plan-digest", a.in("plan-digest"))
	a.add("reason", a.in("reason"))
	return nil
}

func (a *actionInvocation) merge() error {
	a.addReportOut()
	a.addLanesFile()
	a.addFailOn()
	return a.reports()
}

// gate reads lanes.yaml at the pull request's base and head through the
// API; the lanes input names its path in the repository.
func (a *actionInvocation) gate() error {
	a.add("pr", a.in("pr"))
	a.addLanesFile()
	if err := a.addBool("scope-only", "scope-only"); err != nil {
		return err
	}
	a.add("scope-from", a.in("scope-from"))
	a.add("status-context", a.in("status-context"))
	a.add("target-url", a.in("run-url"))
	if a.in("launchplane-url") != "" {
		// The service keeps no lanegate evidence: the database-url or
		// state-dir input is then where the gate reads evidence.
		a.addCollectStores()
	} else {
		a.addStore()
	}
	a.addReportOut()
	return nil
}

func (a *actionInvocation) publish() error {
	if a.in("issue") != "" && a.in("pr") != "" {
		return usageErr("command publish writes to one place: set the issue input or the pr input, not both")
	}
	a.add("issue", a.in("issue"))
	a.add("pr", a.in("pr"))
	a.flags = append(a.flags, "--summary")
	a.addLanesFile()
	a.add("run-url", a.in("run-url"))
	a.add("artifact", a.in("artifact"))
	a.addStore()
	return a.reports()
}

func (a *actionInvocation) evidence() error {
	action := a.in("evidence-action")
	if action == "" {
		action = "record"
	}
	var err error
	switch action {
	case "record":
		err = a.evidenceRecord()
	case "probe":
		err = a.evidenceProbe()
	case "collect":
		return a.evidenceCollect()
	default:
		err = usageErr("input evidence-action %q: want record, probe or collect", action)
	}
	if err != nil {
		return err
	}
	a.addLanesFile()
	a.add("run-url", a.in("run-url"))
	a.add("trace", a.in("trace"))
	a.addStore()
	return nil
}

// evidenceCollect: the service decides pass or fail (Launchplane's rule)
// and the kind is authority.
func (a *actionInvocation) evidenceCollect() error {
	if k := a.in("evidence-kind"); k != "" && k != "authority" {
		return usageErr("evidence collect records authority evidence; leave evidence-kind empty (got %q)", k)
	}
	if a.in("evidence-status") != "" {
		return usageErr("evidence collect decides pass or fail itself; leave evidence-status empty")
	}
	if a.in("trace") != "" {
		return usageErr("evidence collect records the service's own trace ids; leave trace empty")
	}
	if a.in("launchplane-url") == "" {
		return usageErr("evidence collect reads the Launchplane service: set the launchplane-url input")
	}
	a.sub = []string{"collect"}
	a.addLanes()
	a.addLanesFile()
	a.add("run-url", a.in("run-url"))
	a.addCollectStores()
	return nil
}

func (a *actionInvocation) evidenceRecord() error {
	lane, err := a.oneLane("evidence record")
	if err != nil {
		return err
	}
	if a.in("evidence-kind") == "" {
		return usageErr("evidence record needs the evidence-kind input")
	}
	if a.in("evidence-status") == "" {
		return usageErr("evidence record needs the evidence-status input (pass or fail)")
	}
	a.sub = []string{"record"}
	a.add("lane", lane)
	a.add("kind", a.in("evidence-kind"))
	a.add("status", a.in("evidence-status"))
	return nil
}

// evidenceProbe: a probe decides pass or fail itself and records health
// only.
func (a *actionInvocation) evidenceProbe() error {
	if k := a.in("evidence-kind"); k != "" && k != "health" {
		return usageErr("evidence probe records health evidence; leave evidence-kind empty (got %q)", k)
	}
	if a.in("evidence-status") != "" {
		return usageErr("evidence probe decides pass or fail itself; leave evidence-status empty")
	}
	a.sub = []string{"probe"}
	a.addLanes()
	return nil
}

func (a *actionInvocation) preflight() error {
	lane, err := a.oneLane("command preflight")
	if err != nil {
		return err
	}
	a.add("lane", lane)
	a.add("dokploy-url", a.in("dokploy-url"))
	a.addStore()
	return nil
}

// argsInputRefused are the flags the args input may not carry, for any
// command: each writes records or decides what a write may do, and the
// action sets them only from its dedicated inputs, so an apply happens only
// with mode backfill-apply and the exact confirmation phrase.
var argsInputRefused = map[string]string{
	"apply":            "an apply runs only with mode backfill-apply and the confirmation input",
	"recover":          "rolling back an interrupted apply is a terminal operation, not an action run",
	"plan-digest":      "use the plan-digest input with mode backfill-apply",
	"reason":           "use the reason input with mode backfill-apply",
	"replace":          "replacing a database's records is a terminal operation, not an action run",
	"confirm-database": "replacing a database's records is a terminal operation, not an action run",
	"record":           "use the record input",
}

// argsInputCommandsRefused are commands the action will not run through
// the args input because they write Launchplane's records.
var argsInputCommandsRefused = map[string]string{
	"import": "import writes Launchplane's records; run lanegate import from a run: step you review",
}

// checkArgsInput refuses an args input that could write on its own, whatever
// the other inputs say. Every spelling the flag package accepts counts:
// -apply, --apply, --apply=true, --apply=false.
func checkArgsInput(command string, extra []string) error {
	if why, ok := argsInputCommandsRefused[command]; ok {
		return usageErr("input command %q is refused: %s", command, why)
	}
	for _, a := range extra {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if why, ok := argsInputRefused[name]; ok {
			return usageErr("the args input cannot carry %s: %s", "--"+name, why)
		}
	}
	return nil
}

// hideSecretArgs returns argv with the value of every secret flag replaced
// by "***".
func hideSecretArgs(argv []string) []string {
	out := make([]string, len(argv))
	copy(out, argv)
	for i := 0; i < len(out); i++ {
		if out[i] == "--" {
			break
		}
		for _, name := range actionSecretFlags {
			for _, prefix := range []string{"--" + name, "-" + name} {
				switch {
				case out[i] == prefix && i+1 < len(out):
					out[i+1] = "***"
					i++
				case strings.HasPrefix(out[i], prefix+"="):
					out[i] = prefix + "=***"
				}
			}
		}
	}
	return out
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=@%+,-]+$`)

// shellJoin quotes argv the way a POSIX shell would read it back.
func shellJoin(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if shellSafe.MatchString(a) {
			parts[i] = a
			continue
		}
		parts[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(parts, " ")
}
