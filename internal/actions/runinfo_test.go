package actions

import "testing"

func TestRunInfo(t *testing.T) {
	base := func() env {
		return env{
			"GITHUB_ACTIONS":     "true",
			"GITHUB_SHA":         "0123456789abcdef",
			"GITHUB_SERVER_URL":  "https://github.com",
			"GITHUB_REPOSITORY":  "lanegate/demo",
			"GITHUB_RUN_ID":      "987654321",
			"GITHUB_RUN_ATTEMPT": "1",
			"GITHUB_ACTOR":       "octocat",
			"GITHUB_EVENT_NAME":  "pull_request",
			"GITHUB_WORKFLOW":    "CI",
		}
	}

	r, _ := newTestRuntime(t, base(), Config{})
	want := RunInfo{
		SHA:        "0123456789abcdef",
		RunURL:     "https://github.com/lanegate/demo/actions/runs/987654321",
		RunID:      "987654321",
		RunAttempt: "1",
		Actor:      "octocat",
		Repository: "lanegate/demo",
		EventName:  "pull_request",
		Workflow:   "CI",
	}
	if got := r.RunInfo(); got != want {
		t.Errorf("RunInfo() =\n%+v\nwant\n%+v", got, want)
	}

	urls := []struct {
		name   string
		change env
		want   string
	}{
		{"second attempt", env{"GITHUB_RUN_ATTEMPT": "2"}, "https://github.com/lanegate/demo/actions/runs/987654321/attempts/2"},
		{"attempt 12", env{"GITHUB_RUN_ATTEMPT": "12"}, "https://github.com/lanegate/demo/actions/runs/987654321/attempts/12"},
		{"no attempt", env{"GITHUB_RUN_ATTEMPT": ""}, "https://github.com/lanegate/demo/actions/runs/987654321"},
		{"garbage attempt", env{"GITHUB_RUN_ATTEMPT": "two"}, "https://github.com/lanegate/demo/actions/runs/987654321"},
		{"GHES with trailing slash", env{"GITHUB_SERVER_URL": "https://ghe.example.com/"}, "https://ghe.example.com/lanegate/demo/actions/runs/987654321"},
		{"default server", env{"GITHUB_SERVER_URL": ""}, "https://github.com/lanegate/demo/actions/runs/987654321"},
		{"no repository", env{"GITHUB_REPOSITORY": ""}, ""},
		{"no run id", env{"GITHUB_RUN_ID": ""}, ""},
		{"non-numeric run id", env{"GITHUB_RUN_ID": "../x"}, ""},
	}
	for _, tt := range urls {
		e := base()
		for k, v := range tt.change {
			e[k] = v
		}
		r, _ := newTestRuntime(t, e, Config{})
		if got := r.RunInfo().RunURL; got != tt.want {
			t.Errorf("%s: RunURL = %q, want %q", tt.name, got, tt.want)
		}
	}

	outside := base()
	delete(outside, "GITHUB_ACTIONS")
	r, _ = newTestRuntime(t, outside, Config{})
	if got := r.RunInfo(); got != (RunInfo{}) {
		t.Errorf("outside Actions RunInfo() = %+v, want empty", got)
	}
}
