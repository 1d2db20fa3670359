package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/cli"
)

// fghServer is a small in-memory GitHub REST API for the gate and publish
// tests, mounted under /api/v3 like GitHub Enterprise Server. It serves one
// repository, o/r, with the response shapes documented for:
//
//	GET    /user                                 (403, as for an installation token)
//	GET    /repos/o/r/issues/{n}/comments        (paginated, Link header)
//	POST   /repos/o/r/issues/{n}/comments
//	PATCH  /repos/o/r/issues/comments/{id}
//	DELETE /repos/o/r/issues/comments/{id}
//	POST   /repos/o/r/statuses/{sha}
//	GET    /repos/o/r/pulls/{n}
//	GET    /repos/o/r/pulls/{n}/files            (paginated, at most 3,000)
//	GET    /repos/o/r/contents/{path}?ref=REF    (base64; 404 when absent)
//	GET    /repos/o/r/compare/{base}...{head}    (at most 300 files; 404 when unknown)
//
// It records every call and can be told to fail calls.
type fghServer struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	nextID   int64
	clock    time.Time
	comments []*fghComment
	statuses []fghStatus
	pulls    map[int]map[string]any
	files    map[int][]string
	contents map[string]string   // ref + ":" + path
	compares map[string][]string // base + "..." + head
	calls    []fghCall
	failures []*fghFailure
}

const (
	fghPrefix = "/api/v3"
	fghToken  = "ghs_fghTestTokenValue0123456789"
	fghRepo   = "o/r"
	// fghBot is the author of everything posted with the token: GET /user
	// answers 403, so lanegate falls back to the Actions bot login.
	fghBot = "github-actions[bot]"
)

type fghComment struct {
	ID      int64
	Issue   int
	Login   string
	Body    string
	Updated time.Time
}

type fghStatus struct {
	SHA, State, Context, Description, TargetURL string
}

// fghCall is one request as the server saw it; Path is relative to the
// API prefix.
type fghCall struct {
	Method, Path, Query, Body string
}

func (c fghCall) String() string { return c.Method + " " + c.Path }

// fghFailure answers matching requests with an error instead of serving
// them. Times < 0 means every matching request.
type fghFailure struct {
	Method, Path string
	Status       int
	Message      string
	Times        int
}

func newFGH(t testing.TB) *fghServer {
	t.Helper()
	f := &fghServer{t: t, nextID: 500, clock: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		pulls: map[int]map[string]any{}, files: map[int][]string{}, contents: map[string]string{}, compares: map[string][]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.handle))
	t.Cleanup(f.srv.Close)
	return f
}

// vars is the environment lanegate sees: the fake as GITHUB_API_URL, the
// repository and the token, plus extra (an empty value deletes a key).
func (f *fghServer) vars(extra map[string]string) map[string]string {
	v := map[string]string{
		"GITHUB_API_URL":    f.srv.URL + fghPrefix,
		"GITHUB_REPOSITORY": fghRepo,
		"GITHUB_TOKEN":      fghToken,
	}
	for k, x := range extra {
		if x == "" {
			delete(v, k)
		} else {
			v[k] = x
		}
	}
	return v
}

// --- test-side helpers ---

func (f *fghServer) addComment(issue int, login, body string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addCommentLocked(issue, login, body).ID
}

func (f *fghServer) addCommentLocked(issue int, login, body string) *fghComment {
	f.nextID++
	f.clock = f.clock.Add(time.Minute)
	c := &fghComment{ID: f.nextID, Issue: issue, Login: login, Body: body, Updated: f.clock}
	f.comments = append(f.comments, c)
	return c
}

// issueComments returns copies of the comments on issue, oldest first.
func (f *fghServer) issueComments(issue int) []fghComment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fghComment
	for _, c := range f.comments {
		if c.Issue == issue {
			out = append(out, *c)
		}
	}
	return out
}

// setCommentBody replaces a stored body, as if an earlier run had posted it.
func (f *fghServer) setCommentBody(id int64, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.comments {
		if c.ID == id {
			c.Body = body
			return
		}
	}
	f.t.Fatalf("fake github: no comment %d", id)
}

func (f *fghServer) setPull(n int, pr map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls[n] = pr
}

func (f *fghServer) setFiles(n int, names []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[n] = names
}

// setCompare sets the files changed between commits base and head.
func (f *fghServer) setCompare(base, head string, names []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.compares[base+"..."+head] = names
}

func (f *fghServer) setContent(ref, path, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contents[ref+":"+path] = content
}

func (f *fghServer) fail(x fghFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, &x)
}

func (f *fghServer) callList() []fghCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fghCall(nil), f.calls...)
}

// log renders the calls as "METHOD /path" lines.
func (f *fghServer) log() []string {
	var out []string
	for _, c := range f.callList() {
		out = append(out, c.String())
	}
	return out
}

// writes are the calls that change something.
func (f *fghServer) writes() []string {
	var out []string
	for _, c := range f.callList() {
		if c.Method != http.MethodGet {
			out = append(out, c.String())
		}
	}
	return out
}

func (f *fghServer) resetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

func (f *fghServer) clearStatuses() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = nil
}

func (f *fghServer) statusList() []fghStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fghStatus(nil), f.statuses...)
}

// --- server side ---

func (f *fghServer) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	rel, ok := strings.CutPrefix(r.URL.Path, fghPrefix+"/")
	call := fghCall{Method: r.Method, Path: "/" + rel, Query: r.URL.RawQuery, Body: string(body)}
	if !ok {
		call.Path = "OUTSIDE-PREFIX " + r.URL.Path
		f.calls = append(f.calls, call)
		f.error(w, http.StatusNotFound, "Not Found")
		return
	}
	f.calls = append(f.calls, call)
	if r.Header.Get("Authorization") != "Bearer "+fghToken {
		f.error(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	for _, x := range f.failures {
		if x.Times != 0 && (x.Method == "" || x.Method == r.Method) && (x.Path == "" || x.Path == call.Path) {
			if x.Times > 0 {
				x.Times--
			}
			f.error(w, x.Status, x.Message)
			return
		}
	}

	seg := strings.Split(rel, "/")
	if rel == "user" && r.Method == http.MethodGet {
		// An installation token (GITHUB_TOKEN) cannot read /user.
		f.error(w, http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	if len(seg) < 4 || seg[0] != "repos" || seg[1]+"/"+seg[2] != fghRepo {
		f.error(w, http.StatusNotFound, "Not Found")
		return
	}
	seg = seg[3:]
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			return -1
		}
		return n
	}
	switch {
	case len(seg) == 3 && seg[0] == "issues" && seg[2] == "comments" && num(seg[1]) > 0:
		f.issueCommentsHandler(w, r, num(seg[1]), body)
	case len(seg) == 3 && seg[0] == "issues" && seg[1] == "comments" && num(seg[2]) > 0:
		f.commentHandler(w, r, int64(num(seg[2])), body)
	case len(seg) == 2 && seg[0] == "statuses" && r.Method == http.MethodPost:
		var in struct {
			State       string `json:"state"`
			TargetURL   string `json:"target_url"`
			Description string `json:"description"`
			Context     string `json:"context"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			f.error(w, http.StatusBadRequest, "Problems parsing JSON")
			return
		}
		if len([]rune(in.Description)) > 140 {
			f.error(w, http.StatusUnprocessableEntity, "Validation Failed")
			return
		}
		f.statuses = append(f.statuses, fghStatus{SHA: seg[1], State: in.State, Context: in.Context, Description: in.Description, TargetURL: in.TargetURL})
		f.nextID++
		f.json(w, http.StatusCreated, map[string]any{"id": f.nextID, "state": in.State, "context": in.Context,
			"description": in.Description, "target_url": in.TargetURL, "created_at": f.clock.Format(time.RFC3339)})
	case len(seg) == 2 && seg[0] == "pulls" && r.Method == http.MethodGet:
		pr, ok := f.pulls[num(seg[1])]
		if !ok {
			f.error(w, http.StatusNotFound, "Not Found")
			return
		}
		f.json(w, http.StatusOK, pr)
	case len(seg) == 3 && seg[0] == "pulls" && seg[2] == "files" && r.Method == http.MethodGet:
		names, ok := f.files[num(seg[1])]
		if !ok {
			f.error(w, http.StatusNotFound, "Not Found")
			return
		}
		if len(names) > 3000 {
			names = names[:3000] // GitHub lists at most 3,000 files
		}
		items := make([]any, len(names))
		for i, n := range names {
			items[i] = map[string]any{"sha": fmt.Sprintf("%040x", i+1), "filename": n, "status": "modified", "additions": 1, "deletions": 1, "changes": 2}
		}
		f.page(w, r, items)
	case len(seg) == 2 && seg[0] == "compare" && r.Method == http.MethodGet:
		names, ok := f.compares[seg[1]]
		if !ok {
			f.error(w, http.StatusNotFound, "Not Found")
			return
		}
		names = names[:min(len(names), 300)] // the compare API lists at most 300 files
		items := make([]any, len(names))
		for i, n := range names {
			items[i] = map[string]any{"sha": fmt.Sprintf("%040x", i+1), "filename": n, "status": "modified", "additions": 1, "deletions": 1, "changes": 2}
		}
		f.json(w, http.StatusOK, map[string]any{"status": "ahead", "ahead_by": 1, "behind_by": 0, "total_commits": 1, "files": items})
	case len(seg) >= 2 && seg[0] == "contents" && r.Method == http.MethodGet:
		path := strings.Join(seg[1:], "/")
		content, ok := f.contents[r.URL.Query().Get("ref")+":"+path]
		if !ok {
			f.error(w, http.StatusNotFound, "Not Found")
			return
		}
		enc := base64.StdEncoding.EncodeToString([]byte(content))
		var lines []string // the contents API wraps base64 at 60 columns
		for len(enc) > 60 {
			lines, enc = append(lines, enc[:60]), enc[60:]
		}
		lines = append(lines, enc)
		f.json(w, http.StatusOK, map[string]any{"type": "file", "encoding": "base64", "size": len(content),
			"name": seg[len(seg)-1], "path": path, "sha": fmt.Sprintf("%040x", len(content)),
			"content": strings.Join(lines, "\n") + "\n"})
	default:
		f.error(w, http.StatusNotFound, "Not Found")
	}
}

func (f *fghServer) issueCommentsHandler(w http.ResponseWriter, r *http.Request, issue int, body []byte) {
	switch r.Method {
	case http.MethodGet:
		var items []any
		for _, c := range f.comments {
			if c.Issue == issue {
				items = append(items, f.commentJSON(c))
			}
		}
		f.page(w, r, items)
	case http.MethodPost:
		var in struct {
			Body *string `json:"body"`
		}
		if json.Unmarshal(body, &in) != nil || in.Body == nil {
			f.error(w, http.StatusUnprocessableEntity, "Invalid request.")
			return
		}
		if len([]rune(*in.Body)) > 65536 {
			f.error(w, http.StatusUnprocessableEntity, "Validation Failed")
			return
		}
		f.json(w, http.StatusCreated, f.commentJSON(f.addCommentLocked(issue, fghBot, *in.Body)))
	default:
		f.error(w, http.StatusNotFound, "Not Found")
	}
}

func (f *fghServer) commentHandler(w http.ResponseWriter, r *http.Request, id int64, body []byte) {
	idx := -1
	for i, c := range f.comments {
		if c.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		f.error(w, http.StatusNotFound, "Not Found")
		return
	}
	c := f.comments[idx]
	if (r.Method == http.MethodPatch || r.Method == http.MethodDelete) && c.Login != fghBot {
		f.error(w, http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	switch r.Method {
	case http.MethodPatch:
		var in struct {
			Body *string `json:"body"`
		}
		if json.Unmarshal(body, &in) != nil || in.Body == nil {
			f.error(w, http.StatusUnprocessableEntity, "Invalid request.")
			return
		}
		f.clock = f.clock.Add(time.Minute)
		c.Body, c.Updated = *in.Body, f.clock
		f.json(w, http.StatusOK, f.commentJSON(c))
	case http.MethodDelete:
		f.comments = append(f.comments[:idx:idx], f.comments[idx+1:]...)
		w.WriteHeader(http.StatusNoContent)
	default:
		f.error(w, http.StatusNotFound, "Not Found")
	}
}

func (f *fghServer) commentJSON(c *fghComment) map[string]any {
	kind := "User"
	if strings.HasSuffix(c.Login, "[bot]") {
		kind = "Bot"
	}
	return map[string]any{
		"id": c.ID, "body": c.Body,
		"user":       map[string]any{"login": c.Login, "type": kind},
		"created_at": c.Updated.Format(time.RFC3339), "updated_at": c.Updated.Format(time.RFC3339),
		"html_url": fmt.Sprintf("https://github.example/%s/issues/%d#issuecomment-%d", fghRepo, c.Issue, c.ID),
	}
}

// page serves one page (per_page: default 30, at most 100; page: from 1)
// with GitHub's Link header.
func (f *fghServer) page(w http.ResponseWriter, r *http.Request, items []any) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(q.Get("page"))
	if page <= 0 {
		page = 1
	}
	last := max(1, (len(items)+per-1)/per)
	link := func(p int, rel string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("per_page", strconv.Itoa(per))
		v.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, f.srv.URL, r.URL.Path, v.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"), link(1, "first"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	start := min((page-1)*per, len(items))
	out := items[start:min(start+per, len(items))]
	if out == nil {
		out = []any{}
	}
	f.json(w, http.StatusOK, out)
}

func (f *fghServer) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("fake github: %v", err)
	}
}

func (f *fghServer) error(w http.ResponseWriter, status int, msg string) {
	f.json(w, status, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
}

// --- running lanegate ---

type fghOut struct {
	code           int
	stdout, stderr string
}

func (o fghOut) String() string {
	return fmt.Sprintf("exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s", o.code, o.stdout, o.stderr)
}

// fghRun runs lanegate in dir seeing only vars.
func fghRun(dir string, vars map[string]string, args ...string) fghOut {
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), &cli.Env{
		Args:   args,
		Getenv: func(k string) string { return vars[k] },
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Dir:    dir,
	})
	return fghOut{code, stdout.String(), stderr.String()}
}

func fghWant(t testing.TB, o fghOut, code int) {
	t.Helper()
	if o.code != code {
		t.Fatalf("want exit %d\n%s", code, o)
	}
}

// fghWorkDir is a scratch directory holding lanes.yaml (the repository's)
// and state/ (a copy of examples/state).
func fghWorkDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "state"), os.DirFS("../../examples/state")); err != nil {
		t.Fatal(err)
	}
	lanesYAML, err := os.ReadFile("../../lanes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lanes.yaml"), lanesYAML, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fghRepoLanes is the repository's lanes.yaml.
func fghRepoLanes(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../../lanes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
