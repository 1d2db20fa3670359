package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/lanegate/lanegate/internal/actions"
	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/verdict"
)

// actionsFlags control what a command hands to the Actions runner. In a
// workflow the files come from GITHUB_STEP_SUMMARY / GITHUB_OUTPUT; the
// flags let a terminal preview exactly the same content.
type actionsFlags struct {
	summaryFile  string
	githubOutput string
	failOn       string
}

func addActionsFlags(fs *flag.FlagSet, a *actionsFlags) {
	fs.StringVar(&a.summaryFile, "summary-file", "", "append the job summary here (default: $GITHUB_STEP_SUMMARY when set)")
	fs.StringVar(&a.githubOutput, "github-output", "", "write step outputs here (default: $GITHUB_OUTPUT when set)")
	fs.StringVar(&a.failOn, "fail-on", "blocked", "exit 1 on: blocked, warning, or never")
}

func (a *actionsFlags) validate() error {
	if _, err := verdict.ParseFailOn(a.failOn); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

// runtime returns a Runtime writing to this command's summary and outputs,
// with every secret registered so outputs refuse them.
func (a *actionsFlags) runtime(env *Env) *actions.Runtime {
	stderr := env.rawStderr
	if stderr == nil {
		stderr = env.Stderr
	}
	rt := actions.New(actions.Config{Getenv: env.Getenv, Stderr: stderr,
		SummaryFile: env.path(a.summaryFile), OutputFile: env.path(a.githubOutput)})
	for _, s := range env.secrets {
		rt.Mask(s)
	}
	return rt
}

// exitFor maps a report's verdict to the exit the --fail-on policy asks
// for (verdict.FailOn.Fails decides); it never changes the verdict the
// report states.
func (a *actionsFlags) exitFor(v verdict.Verdict, warnings int) error {
	if verdict.FailOn(a.failOn).Fails(v, warnings) {
		return errBlocked
	}
	return nil
}

func setOutputs(rt *actions.Runtime, kv [][2]string) error {
	for _, p := range kv {
		if err := rt.SetOutput(p[0], p[1]); err != nil {
			return runtimeErr("set output %s: %v", p[0], err)
		}
	}
	return nil
}

// destinations reports what would receive a summary, outputs and
// annotations; with none (a terminal run without preview flags) publishing
// is skipped, since rendering a large fleet's summary is not free.
func (a *actionsFlags) destinations(env *Env) (summary, outputs, annotations bool) {
	summary = a.summaryFile != "" || env.Getenv("GITHUB_STEP_SUMMARY") != ""
	outputs = a.githubOutput != "" || env.Getenv("GITHUB_OUTPUT") != ""
	annotations = env.rt != nil && env.rt.InActions()
	return
}

// maxBuiltAnnotations bounds the annotations built per step: GitHub shows
// 10, the rest are only counted.
const maxBuiltAnnotations = actions.MaxAnnotationsPerLevel + 1

// publishAudit writes the audit's job summary, outputs and annotations.
func publishAudit(env *Env, a *actionsFlags, res *auditResult, plan *lanes.File, reportPath string) error {
	wantSummary, wantOutputs, wantAnnotations := a.destinations(env)
	if !wantSummary && !wantOutputs && !wantAnnotations {
		return nil
	}
	rt := a.runtime(env)
	if !wantSummary {
		return publishAuditRest(rt, res, plan, reportPath, wantAnnotations)
	}
	var md bytes.Buffer
	if err := res.builder.WriteMarkdown(&md, res.header(), report.MarkdownOptions{Budget: actions.SummaryBudget, ReportPath: reportPath}); err != nil {
		return runtimeErr("render summary: %v", err)
	}
	if err := rt.AddSummary(md.String()); err != nil {
		return runtimeErr("write job summary: %v", err)
	}
	return publishAuditRest(rt, res, plan, reportPath, wantAnnotations)
}

func publishAuditRest(rt *actions.Runtime, res *auditResult, plan *lanes.File, reportPath string, wantAnnotations bool) error {
	t := res.totals
	if err := setOutputs(rt, [][2]string{
		{"status", string(res.verdict)},
		{"complete-count", strconv.Itoa(t.Counts[audit.StatusComplete])},
		{"blocked-count", strconv.Itoa(t.Blocked)},
		{"warning-count", strconv.Itoa(t.Warning)},
		{"report-path", reportPath},
		{"plan-digest", ""},
		{"created-count", "0"},
	}); err != nil {
		return err
	}
	if !wantAnnotations {
		return nil
	}
	var anns []actions.Annotation
	more := 0
	err := res.builder.EachLane(func(e audit.LaneEntry) error {
		if e.Severity != audit.SeverityBlocked {
			return nil
		}
		if len(anns) >= maxBuiltAnnotations {
			more++
			return nil
		}
		an := actions.Annotation{Level: actions.LevelError, Title: "lanegate: " + e.Lane + " " + e.WorstStatus, Message: e.Detail}
		if plan != nil {
			if l, ok := plan.Lane(e.Lane); ok {
				an.File, an.Line = plan.Path, l.Line
			}
		}
		anns = append(anns, an)
		return nil
	})
	if err != nil {
		return runtimeErr("%v", err)
	}
	if len(anns) == 0 && res.verdict != verdict.OK {
		// Blocked without a blocked lane (filters that matched nothing):
		// the annotations still say what the verdict says.
		anns = append(anns, actions.Annotation{Level: actions.LevelError, Title: "lanegate: audit " + string(res.verdict),
			Message: report.Headline(res.header())})
	}
	rt.Annotate(anns, more)
	return nil
}

// annotateLanesErrors points the workflow at each lanes-file mistake.
func annotateLanesErrors(env *Env, err error) {
	var le lanes.Errors
	if env.rt == nil || !errors.As(err, &le) {
		return
	}
	anns := make([]actions.Annotation, 0, len(le))
	for _, e := range le {
		anns = append(anns, actions.Annotation{Level: actions.LevelError, Title: "lanegate: invalid lanes file",
			Message: fmt.Sprintf("%s: %s", e.Path, e.Msg), File: e.File, Line: e.Line, Col: e.Column})
	}
	env.rt.Annotate(anns)
}
