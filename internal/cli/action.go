package cli

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// ApplyConfirmation is the exact phrase a backfill-apply must carry.
const ApplyConfirmation = "APPLY PROVIDER TARGET BACKFILL"

// actionCommands are the values of the command input that the action maps
// to flags itself. Any other lanegate command runs only with the args input.
var actionCommands = []string{"audit", "backfill", "merge", "gate", "publish", "evidence", "preflight"}

// actionSecretFlags are flags whose value is never printed, not even in a
// dry run.
var actionSecretFlags = []string{"database-url", "github-token", "dokploy-api-key"}

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

// actionArgv maps the inputs to a lanegate command and its arguments.
func actionArgv(env *Env) (string, []string, error) {
	in := func(name string) string { return env.rt.Input(name) }
	command := in("command")
	if command == "" {
		command = "audit"
		if strings.HasPrefix(in("mode"), "backfill") {
			command = "backfill"
		}
	}
	if command == "backfill" && in("mode") == "audit" {
		command = "audit"
	}
	// argv is sub + flags + the args input + "--" + positional: report
	// paths come last and after "--", so neither a path starting with "-"
	// nor an extra flag is taken for the other.
	var sub, flags, positional []string
	add := func(flag, value string) {
		if value != "" {
			flags = append(flags, "--"+flag, value)
		}
	}
	addBool := func(flag, input string) error {
		on, err := env.rt.BoolInput(input)
		if err != nil {
			return usageErr("%v", err)
		}
		if on {
			flags = append(flags, "--"+flag)
		}
		return nil
	}
	// The default lanes.yaml is optional where the command allows it; only
	// a path the workflow set on purpose is passed (and must exist).
	addLanesFile := func() {
		if l := in("lanes"); l != "lanes.yaml" {
			add("lanes", l)
		}
	}
	// no-lanes audits the store alone; with it, a missing lanes.yaml is not
	// an error in a workflow (loadPlan), and a lanes path would contradict it.
	addScope := func() error {
		noLanes, err := env.rt.BoolInput("no-lanes")
		if err != nil {
			return usageErr("%v", err)
		}
		if noLanes {
			if l := in("lanes"); l != "lanes.yaml" && l != "" {
				return usageErr("inputs lanes and no-lanes contradict each other: set one")
			}
			flags = append(flags, "--no-lanes")
		} else {
			addLanesFile()
		}
		for _, l := range env.rt.MultilineInput("lane") {
			add("lane", l)
		}
		add("context", in("context"))
		add("instance", in("instance"))
		add("provider-id", in("provider-id"))
		return nil
	}
	addStore := func() {
		add("database-url", in("database-url"))
		add("state-dir", in("state-dir"))
		add("statement-timeout", in("statement-timeout"))
	}
	oneLane := func(what string) (string, error) {
		ls := env.rt.MultilineInput("lane")
		if len(ls) != 1 {
			return "", usageErr("%s needs exactly one route in the lane input (CONTEXT/INSTANCE), got %d", what, len(ls))
		}
		return ls[0], nil
	}
	reports := func() error {
		positional = env.rt.MultilineInput("reports")
		if len(positional) == 0 {
			return usageErr("command %s needs the reports input (one report path per line)", command)
		}
		return nil
	}
	reportPath := in("report-path")
	if reportPath == "" {
		reportPath = "lanegate-report.json"
	}
	failOn := in("fail-on")
	if failOn == "" {
		failOn = "blocked"
	}
	switch command {
	case "audit":
		if err := addScope(); err != nil {
			return "", nil, err
		}
		addStore()
		add("shard", in("shard"))
		add("out", reportPath)
		add("fail-on", failOn)
		if err := addBool("record", "record"); err != nil {
			return "", nil, err
		}
	case "backfill":
		mode := in("mode")
		if mode == "" {
			mode = "backfill-dry-run"
		}
		switch mode {
		case "backfill-dry-run":
		case "backfill-apply":
			// Checked here, before any store is opened.
			if in("confirmation") != ApplyConfirmation {
				return "", nil, usageErr("mode backfill-apply requires the input confirmation to be exactly %q", ApplyConfirmation)
			}
			if strings.TrimSpace(in("reason")) == "" {
				return "", nil, usageErr("mode backfill-apply requires a non-blank reason input")
			}
			if in("plan-digest") == "" {
				return "", nil, usageErr("mode backfill-apply requires the plan-digest input from the reviewed dry run")
			}
			flags = append(flags, "--apply")
			add("plan-digest", in("plan-digest"))
			add("reason", in("reason"))
		default:
			return "", nil, usageErr("input mode %q: want backfill-dry-run or backfill-apply for command backfill", mode)
		}
		if err := addScope(); err != nil {
			return "", nil, err
		}
		addStore()
		add("out", reportPath)
		add("fail-on", failOn)
	case "merge":
		add("out", reportPath)
		addLanesFile()
		add("fail-on", failOn)
		if err := reports(); err != nil {
			return "", nil, err
		}
	case "gate":
		// The gate reads lanes.yaml at the pull request's base and head
		// through the API; the lanes input names its path in the repository.
		add("pr", in("pr"))
		addLanesFile()
		if err := addBool("scope-only", "scope-only"); err != nil {
			return "", nil, err
		}
		add("scope-from", in("scope-from"))
		add("status-context", in("status-context"))
		add("target-url", in("run-url"))
		addStore()
		add("out", reportPath)
	case "publish":
		if in("issue") != "" && in("pr") != "" {
			return "", nil, usageErr("command publish writes to one place: set the issue input or the pr input, not both")
		}
		add("issue", in("issue"))
		add("pr", in("pr"))
		flags = append(flags, "--summary")
		addLanesFile()
		add("run-url", in("run-url"))
		add("artifact", in("artifact"))
		addStore()
		if err := reports(); err != nil {
			return "", nil, err
		}
	case "evidence":
		action := in("evidence-action")
		if action == "" {
			action = "record"
		}
		switch action {
		case "record":
			lane, err := oneLane("evidence record")
			if err != nil {
				return "", nil, err
			}
			if in("evidence-kind") == "" {
				return "", nil, usageErr("evidence record needs the evidence-kind input")
			}
			if in("evidence-status") == "" {
				return "", nil, usageErr("evidence record needs the evidence-status input (pass or fail)")
			}
			sub = []string{"record"}
			add("lane", lane)
			add("kind", in("evidence-kind"))
			add("status", in("evidence-status"))
		case "probe":
			// A probe decides pass or fail itself and records health only.
			if k := in("evidence-kind"); k != "" && k != "health" {
				return "", nil, usageErr("evidence probe records health evidence; leave evidence-kind empty (got %q)", k)
			}
			if in("evidence-status") != "" {
				return "", nil, usageErr("evidence probe decides pass or fail itself; leave evidence-status empty")
			}
			sub = []string{"probe"}
			for _, l := range env.rt.MultilineInput("lane") {
				add("lane", l)
			}
		default:
			return "", nil, usageErr("input evidence-action %q: want record or probe", action)
		}
		addLanesFile()
		add("run-url", in("run-url"))
		add("trace", in("trace"))
		addStore()
	case "preflight":
		lane, err := oneLane("command preflight")
		if err != nil {
			return "", nil, err
		}
		add("lane", lane)
		add("dokploy-url", in("dokploy-url"))
		addStore()
	default:
		if in("args") == "" {
			return "", nil, usageErr("input command %q is not supported by this version of the action (want one of %s, or pass the args input)",
				command, strings.Join(actionCommands, ", "))
		}
	}
	argv := append(sub, flags...)
	if extra := strings.Fields(in("args")); len(extra) > 0 {
		if err := checkArgsInput(command, extra); err != nil {
			return "", nil, err
		}
		argv = append(argv, extra...)
	}
	if len(positional) > 0 {
		argv = append(argv, "--")
		argv = append(argv, positional...)
	}
	return command, argv, nil
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
