package testkit

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func ghDo(t *testing.T, f *GitHub, method, path, token, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.Server.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestGitHubCommentsPaginateWithLinks(t *testing.T) {
	f := NewGitHub(t, GitHubOptions{})
	for range 5 {
		f.AddComment("a/b", 3, "octocat", "x")
	}
	f.AddComment("a/b", 4, "octocat", "other issue")
	resp, body := ghDo(t, f, "GET", "/api/v3/repos/a/b/issues/3/comments?per_page=2&page=2", f.Token, "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var items []struct {
		ID   int64 `json:"id"`
		User struct {
			Login string `json:"login"`
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(body), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].ID != 1003 || items[1].ID != 1004 || items[0].User.Login != "octocat" {
		t.Errorf("page 2: %+v", items)
	}
	link := resp.Header.Get("Link")
	for _, want := range []string{`page=3&per_page=2>; rel="next"`, `page=3&per_page=2>; rel="last"`, `page=1&per_page=2>; rel="first"`, `page=1&per_page=2>; rel="prev"`} {
		if !strings.Contains(link, want) {
			t.Errorf("Link %q lacks %q", link, want)
		}
	}
	if got := f.Log(); !slices.Equal(got, []string{"GET /repos/a/b/issues/3/comments?page=2&per_page=2"}) {
		t.Errorf("log %q", got)
	}
	if got := f.Endpoints(); !slices.Equal(got, []string{"GET /repos/a/b/issues/3/comments"}) {
		t.Errorf("endpoints %q", got)
	}
}

func TestGitHubRefusesWrongTokenAndOtherRepos(t *testing.T) {
	f := NewGitHub(t, SingleRepo)
	if resp, _ := ghDo(t, f, "GET", "/api/v3/repos/o/r/issues/1/comments", "wrong", ""); resp.StatusCode != 401 {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
	if resp, _ := ghDo(t, f, "GET", "/api/v3/repos/x/y/issues/1/comments", f.Token, ""); resp.StatusCode != 404 {
		t.Errorf("other repository: %d", resp.StatusCode)
	}
	if resp, _ := ghDo(t, f, "GET", "/repos/o/r/issues/1/comments", f.Token, ""); resp.StatusCode != 404 {
		t.Errorf("outside the prefix: %d", resp.StatusCode)
	}
	if resp, _ := ghDo(t, f, "GET", "/api/v3/user", f.Token, ""); resp.StatusCode != 403 {
		t.Errorf("GET /user: %d", resp.StatusCode)
	}
	if got := f.Calls(); len(got) != 4 || got[2].Path != "!/repos/o/r/issues/1/comments" || got[0].Auth != "Bearer wrong" {
		t.Errorf("calls %+v", got)
	}
	if env := f.Env(map[string]string{"GITHUB_TOKEN": "", "X": "1"}); env["GITHUB_REPOSITORY"] != Repo || env["GITHUB_API_URL"] != f.APIURL() || env["X"] != "1" {
		t.Errorf("env %v", env)
	} else if _, ok := env["GITHUB_TOKEN"]; ok {
		t.Errorf("env kept the deleted token: %v", env)
	}
}

func TestGitHubWritesAndFailures(t *testing.T) {
	f := NewGitHub(t, SingleRepo)
	f.Fail("POST", "/repos/o/r/issues/1/comments", 1, 403, "Resource not accessible by integration")
	if resp, body := ghDo(t, f, "POST", "/api/v3/repos/o/r/issues/1/comments", f.Token, `{"body":"hi"}`); resp.StatusCode != 403 ||
		!strings.Contains(body, "Resource not accessible by integration") {
		t.Errorf("injected failure: %d %s", resp.StatusCode, body)
	}
	if resp, body := ghDo(t, f, "POST", "/api/v3/repos/o/r/issues/1/comments", f.Token, `{"body":"hi"}`); resp.StatusCode != 201 {
		t.Errorf("create after the failure was used up: %d %s", resp.StatusCode, body)
	}
	cs := f.IssueComments(Repo, 1)
	if len(cs) != 1 || cs[0].ID != 501 || cs[0].Author != ActionsBot || cs[0].Body != "hi" {
		t.Fatalf("comments %+v", cs)
	}
	other := f.AddComment(Repo, 1, "octocat", "theirs")
	if resp, _ := ghDo(t, f, "PATCH", "/api/v3/repos/o/r/issues/comments/"+itoa(other), f.Token, `{"body":"x"}`); resp.StatusCode != 403 {
		t.Errorf("editing someone else's comment: %d", resp.StatusCode)
	}
	if resp, body := ghDo(t, f, "POST", "/api/v3/repos/o/r/statuses/abc", f.Token, `{"state":"success","context":"c","description":"`+strings.Repeat("é", 141)+`"}`); resp.StatusCode != 422 {
		t.Errorf("long description: %d %s", resp.StatusCode, body)
	}
	if resp, _ := ghDo(t, f, "POST", "/api/v3/repos/o/r/statuses/abc", f.Token, `{"state":"success","context":"c"}`); resp.StatusCode != 201 {
		t.Errorf("status: %d", resp.StatusCode)
	}
	if st := f.Statuses(); len(st) != 1 || st[0] != (Status{Repo: Repo, SHA: "abc", State: "success", Context: "c"}) {
		t.Errorf("statuses %+v", st)
	}
	if w := f.Writes(); len(w) != 5 || w[4] != "POST /repos/o/r/statuses/abc" {
		t.Errorf("writes %q", w)
	}
}

func TestGitHubContentsAndFiles(t *testing.T) {
	f := NewGitHub(t, GitHubOptions{DefaultRef: "main"})
	f.SetContent("a/b", "main", "dir/x.yaml", strings.Repeat("y", 100))
	resp, body := ghDo(t, f, "GET", "/api/v3/repos/a/b/contents/dir/x.yaml", f.Token, "")
	var doc struct {
		Content, Encoding string
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &doc) != nil || doc.Encoding != "base64" || !strings.Contains(doc.Content, "\n") {
		t.Errorf("contents at the default ref: %d %s", resp.StatusCode, body)
	}
	if resp, _ := ghDo(t, f, "GET", "/api/v3/repos/a/b/contents/dir/x.yaml?ref=dev", f.Token, ""); resp.StatusCode != 404 {
		t.Errorf("contents at another ref: %d", resp.StatusCode)
	}
	names := make([]string, 3100)
	for i := range names {
		names[i] = "f" + itoa(int64(i))
	}
	f.SetPullFiles("a/b", 9, names)
	resp, body = ghDo(t, f, "GET", "/api/v3/repos/a/b/pulls/9/files?per_page=100&page=30", f.Token, "")
	if resp.StatusCode != 200 || strings.Contains(resp.Header.Get("Link"), `rel="next"`) || !strings.Contains(body, `"f2999"`) {
		t.Errorf("last page of 3,000 files: %d %s", resp.StatusCode, resp.Header.Get("Link"))
	}
	f.SetCompare("a/b", "b1", "h1", names)
	_, body = ghDo(t, f, "GET", "/api/v3/repos/a/b/compare/b1...h1", f.Token, "")
	if !strings.Contains(body, `"f299"`) || strings.Contains(body, `"f300"`) {
		t.Errorf("compare is not capped at 300 files")
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
