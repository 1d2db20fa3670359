package cli

import (
	"context"
	"strings"
)

// ApplyConfirmation is the exact phrase a backfill-apply must carry.
const ApplyConfirmation = "APPLY PROVIDER TARGET BACKFILL"

// runAction is what action.yml runs: it reads the action's inputs (passed by
// the composite action as LANEGATE_INPUT_* variables, since composite actions
// get no INPUT_*), turns them into the same flags a terminal user would
// type, and runs that command. Nothing here touches a store.
func runAction(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "action", "action (inputs come from LANEGATE_INPUT_* variables)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
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
	var out []string
	add := func(flag, value string) {
		if value != "" {
			out = append(out, "--"+flag, value)
		}
	}
	addScope := func() {
		// The default lanes.yaml is optional; only a path the workflow set
		// on purpose must exist.
		if l := in("lanes"); l != "lanes.yaml" {
			add("lanes", l)
		}
		for _, l := range env.rt.MultilineInput("lane") {
			add("lane", l)
		}
		add("context", in("context"))
		add("instance", in("instance"))
		add("provider-id", in("provider-id"))
	}
	addStore := func() {
		add("database-url", in("database-url"))
		add("state-dir", in("state-dir"))
		add("statement-timeout", in("statement-timeout"))
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
		addScope()
		addStore()
		add("shard", in("shard"))
		add("out", reportPath)
		add("fail-on", failOn)
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
				return usageErr("mode backfill-apply requires the input confirmation to be exactly %q", ApplyConfirmation)
			}
			if strings.TrimSpace(in("reason")) == "" {
				return usageErr("mode backfill-apply requires a non-blank reason input")
			}
			if in("plan-digest") == "" {
				return usageErr("mode backfill-apply requires the plan-digest input from the reviewed dry run")
			}
			out = append(out, "--apply")
			add("plan-digest", in("plan-digest"))
			add("reason", in("reason"))
		default:
			return usageErr("input mode %q: want backfill-dry-run or backfill-apply for command backfill", mode)
		}
		addScope()
		addStore()
		add("out", reportPath)
		add("fail-on", failOn)
	case "merge":
		add("out", reportPath)
		if l := in("lanes"); l != "lanes.yaml" {
			add("lanes", l)
		}
		add("fail-on", failOn)
		reports := env.rt.MultilineInput("reports")
		if len(reports) == 0 {
			return usageErr("command merge needs the reports input (one shard report path per line)")
		}
		out = append(out, reports...)
	default:
		if extra := in("args"); extra == "" {
			return usageErr("input command %q is not supported by this version of the action", command)
		}
	}
	if extra := in("args"); extra != "" {
		out = append(out, strings.Fields(extra)...)
	}
	for _, c := range commands() {
		if c.name == command && command != "action" {
			return c.run(ctx, env, out)
		}
	}
	return usageErr("input command %q is not a lanegate command", command)
}
