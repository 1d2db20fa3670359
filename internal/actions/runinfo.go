package actions

import (
	"strconv"
	"strings"
)

// RunInfo is the provenance lanegate records with every run.
type RunInfo struct {
	SHA        string
	RunURL     string
	RunID      string
	RunAttempt string
	Actor      string
	Repository string
	EventName  string
	Workflow   string
}

// RunInfo reads the provenance of the current workflow run from GITHUB_SHA,
// GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_ACTOR, GITHUB_REPOSITORY,
// GITHUB_EVENT_NAME and GITHUB_WORKFLOW. RunURL is
// GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID, with
// "/attempts/N" appended when GITHUB_RUN_ATTEMPT is greater than 1; the
// server defaults to https://github.com, and RunURL stays empty when the
// repository or a numeric run ID is missing. Outside Actions every field is
// empty.
func (r *Runtime) RunInfo() RunInfo {
	if !r.inActions {
		return RunInfo{}
	}
	env := func(k string) string { return strings.TrimSpace(r.getenv(k)) }
	info := RunInfo{
		SHA:        env("GITHUB_SHA"),
		RunID:      env("GITHUB_RUN_ID"),
		RunAttempt: env("GITHUB_RUN_ATTEMPT"),
		Actor:      env("GITHUB_ACTOR"),
		Repository: env("GITHUB_REPOSITORY"),
		EventName:  env("GITHUB_EVENT_NAME"),
		Workflow:   env("GITHUB_WORKFLOW"),
	}
	if info.Repository != "" && isDigits(info.RunID) {
		server := strings.TrimRight(env("GITHUB_SERVER_URL"), "/")
		if server == "" {
			server = "https://github.com"
		}
		info.RunURL = server + "/" + info.Repository + "/actions/runs/" + info.RunID
		if n, err := strconv.Atoi(info.RunAttempt); err == nil && n > 1 {
			info.RunURL += "/attempts/" + strconv.Itoa(n)
		}
	}
	return info
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
