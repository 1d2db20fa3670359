// Package testkit is lanegate's test kit: one fake GitHub REST API, one way
// to run lanegate (in process or as a built binary) with one result type,
// and the fixtures and PostgreSQL harness the suites share.
//
// testkit never imports internal/cli (cli's tests import testkit): the
// in-process runner is handed the command's entry point, cli.Run.
package testkit

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// ActionsBot is the author of everything posted with an Actions
// GITHUB_TOKEN.
const ActionsBot = "github-actions[bot]"

// Repo is the one repository of a fake made with [SingleRepo].
const Repo = "o/r"

// GitHubOptions configure a fake GitHub. Zero fields take the defaults
// noted.
type GitHubOptions struct {
	Token   string        // the only token accepted; "ghs_fakeTOKENvalue1234567890"
	Actor   string        // author of comments made with Token; ActionsBot
	FirstID int64         // ids handed out start after it; 1000
	Start   time.Time     // the fake's clock; 2026-01-02T03:04:05Z
	Tick    time.Duration // the clock's step per comment write; 1s
	// Repos, when set, are the only repositories that exist: requests for
	// any other answer 404. Unset, every repository exists (and is empty).
	Repos []string
	// DefaultRef is the ref a contents request without ?ref= reads.
	DefaultRef string
}

// SingleRepo serves one repository, [Repo], with the settings the command
// tests were written against.
var SingleRepo = GitHubOptions{
	Token:   "ghs_fghTestTokenValue0123456789",
	FirstID: 500,
	Start:   time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
	Tick:    time.Minute,
	Repos:   []string{Repo},
}

// GitHub is an in-memory GitHub REST API on an httptest server, mounted
// under Prefix (/api/v3, like GitHub Enterprise Server) so that a request
// built with an absolute path misses it. It serves the response shapes
// documented for:
//
//	GET    /user                                    (403 unless UserLogin is set, as for an installation token)
//	GET    /repos/{repo}/issues/{n}/comments        (paginated, Link header)
//	POST   /repos/{repo}/issues/{n}/comments        (at most 65,536 characters)
//	GET    /repos/{repo}/issues/comments/{id}
//	PATCH  /repos/{repo}/issues/comments/{id}       (403 unless authored by Actor)
//	DELETE /repos/{repo}/issues/comments/{id}       (403 unless authored by Actor)
//	POST   /repos/{repo}/statuses/{sha}             (description at most 140 characters)
//	GET    /repos/{repo}/pulls/{n}
//	GET    /repos/{repo}/pulls/{n}/files            (paginated, at most 3,000)
//	GET    /repos/{repo}/compare/{base}...{head}    (at most 300 files; 404 when unknown)
//	GET    /repos/{repo}/contents/{path}?ref=REF    (base64 in 60 columns; 404 when absent)
//
// It records every request (see [GitHub.Calls]) and can be told to answer
// requests with canned responses instead ([GitHub.Inject], [GitHub.Fail]).
type GitHub struct {
	T      testing.TB
	Server *httptest.Server
	Prefix string // "/api/v3"
	Token  string
	Actor  string

	// The fields below may be set by a test before the first request.

	// UserLogin is what GET /user answers; "" answers 403 like
	// GITHUB_TOKEN.
	UserLogin string
	// PullMisses counts the 404s GET /pulls/{n} serves first, by
	// "owner/repo#n" (GitHub is eventually consistent after a webhook).
	PullMisses map[string]int
	// BeforeCommentCreate runs (with the lock held) before a POSTed comment
	// is stored, AfterCommentCreate after; tests use them to simulate a
	// racing run (with AddCommentLocked).
	BeforeCommentCreate func(f *GitHub, repo string, issue int)
	AfterCommentCreate  func(f *GitHub, repo string, issue int)

	mu         sync.Mutex
	tick       time.Duration
	defaultRef string
	repos      map[string]bool
	repo       string // GITHUB_REPOSITORY in Env
	nextID     int64
	clock      time.Time
	comments   map[string][]*Comment // "owner/repo" → comments, oldest first
	statuses   []Status
	pulls      map[string]map[string]any // "owner/repo#n" → pull request JSON
	files      map[string][]map[string]any
	contents   map[string]string // "owner/repo@ref:path" → content
	calls      []Call
	injections []*Injection
}

// Comment is one stored issue comment.
type Comment struct {
	ID      int64
	Issue   int
	Author  string
	Body    string
	Created time.Time
	Updated time.Time
}

// Status is one commit status posted.
type Status struct {
	Repo, SHA                              string
	State, Context, Description, TargetURL string
}

// Call is one request as the fake saw it.
type Call struct {
	Method string
	Path   string // relative to Prefix; "!" + path when the prefix was missing
	Query  string // canonical (sorted) query
	Body   string
	Auth   string // the Authorization header
}

// String is "METHOD /path?query".
func (c Call) String() string {
	s := c.Endpoint()
	if c.Query != "" {
		s += "?" + c.Query
	}
	return s
}

// Endpoint is "METHOD /path", without the query.
func (c Call) Endpoint() string { return c.Method + " " + c.Path }

// Injection answers the next Times requests matching Method and Path ("" matches
// anything; Path is relative to the prefix) with a canned response instead
// of serving them; Times < 0 answers every matching request. Injections
// apply before the token is checked.
type Injection struct {
	Method, Path string
	Times        int
	Status       int
	Header       map[string]string
	Body         string
}

// NewGitHub starts a fake GitHub, closed when the test ends.
func NewGitHub(t testing.TB, o GitHubOptions) *GitHub {
	t.Helper()
	f := &GitHub{
		T:          t,
		Prefix:     "/api/v3",
		Token:      or(o.Token, "ghs_fakeTOKENvalue1234567890"),
		Actor:      or(o.Actor, ActionsBot),
		PullMisses: map[string]int{},
		tick:       o.Tick,
		defaultRef: o.DefaultRef,
		nextID:     o.FirstID,
		clock:      o.Start,
		comments:   map[string][]*Comment{},
		pulls:      map[string]map[string]any{},
		files:      map[string][]map[string]any{},
		contents:   map[string]string{},
	}
	if f.tick == 0 {
		f.tick = time.Second
	}
	if f.nextID == 0 {
		f.nextID = 1000
	}
	if f.clock.IsZero() {
		f.clock = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	f.repo = Repo
	if len(o.Repos) > 0 {
		f.repo = o.Repos[0]
		f.repos = map[string]bool{}
		for _, r := range o.Repos {
			f.repos[r] = true
		}
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Server.Close)
	return f
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// APIURL is what GITHUB_API_URL is for this fake.
func (f *GitHub) APIURL() string { return f.Server.URL + f.Prefix }

// Env is the environment lanegate needs to reach the fake: GITHUB_API_URL,
// GITHUB_REPOSITORY (the first of the options' Repos, else [Repo]) and
// GITHUB_TOKEN, plus extra (an empty value deletes a key).
func (f *GitHub) Env(extra map[string]string) map[string]string {
	v := map[string]string{
		"GITHUB_API_URL":    f.APIURL(),
		"GITHUB_REPOSITORY": f.repo,
		"GITHUB_TOKEN":      f.Token,
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

// Inject adds a canned response.
func (f *GitHub) Inject(x Injection) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.injections = append(f.injections, &x)
}

// Fail answers the next times (< 0: every) requests matching method and
// path with status and GitHub's JSON error body carrying message.
func (f *GitHub) Fail(method, path string, times, status int, message string) {
	f.Inject(Injection{Method: method, Path: path, Times: times, Status: status, Body: errorBody(status, message)})
}

// AddComment stores a comment as if author had posted it.
func (f *GitHub) AddComment(repo string, issue int, author, body string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.AddCommentLocked(repo, issue, author, body).ID
}

// AddCommentLocked is AddComment for hooks, which run with the lock held.
func (f *GitHub) AddCommentLocked(repo string, issue int, author, body string) *Comment {
	f.nextID++
	f.clock = f.clock.Add(f.tick)
	c := &Comment{ID: f.nextID, Issue: issue, Author: author, Body: body, Created: f.clock, Updated: f.clock}
	f.comments[repo] = append(f.comments[repo], c)
	return c
}

// IssueComments returns copies of the comments on one issue, oldest first.
func (f *GitHub) IssueComments(repo string, issue int) []Comment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Comment
	for _, c := range f.comments[repo] {
		if c.Issue == issue {
			out = append(out, *c)
		}
	}
	return out
}

// SetCommentBody replaces a stored body, as if an earlier run had posted it.
func (f *GitHub) SetCommentBody(repo string, id int64, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.comments[repo] {
		if c.ID == id {
			c.Body = body
			return
		}
	}
	f.T.Fatalf("fake github: no comment %d in %s", id, repo)
}

// SetPull sets the JSON GET /pulls/{n} answers.
func (f *GitHub) SetPull(repo string, n int, pr map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls[repo+"#"+strconv.Itoa(n)] = pr
}

// SetPullFiles sets the files of pull request n.
func (f *GitHub) SetPullFiles(repo string, n int, names []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[repo+"#"+strconv.Itoa(n)] = fileItems(names)
}

// SetCompare sets the files changed between commits base and head.
func (f *GitHub) SetCompare(repo, base, head string, names []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[repo+"@"+base+"..."+head] = fileItems(names)
}

// SetPullFileField sets one field of the i-th file of pull request n (a
// rename: "status", "previous_filename").
func (f *GitHub) SetPullFileField(repo string, n, i int, key string, value any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[repo+"#"+strconv.Itoa(n)][i][key] = value
}

// SetCompareFileField sets one field of the i-th file of a comparison.
func (f *GitHub) SetCompareFileField(repo, base, head string, i int, key string, value any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[repo+"@"+base+"..."+head][i][key] = value
}

func fileItems(names []string) []map[string]any {
	var fs []map[string]any
	for i, name := range names {
		fs = append(fs, map[string]any{"sha": fmt.Sprintf("%040x", i+1), "filename": name, "status": "modified", "additions": 1, "deletions": 0, "changes": 1})
	}
	return fs
}

// SetContent sets the content of path at ref.
func (f *GitHub) SetContent(repo, ref, path, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contents[repo+"@"+ref+":"+path] = content
}

// Calls returns the requests seen so far, in order.
func (f *GitHub) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Log renders the calls as "METHOD /path?query" lines.
func (f *GitHub) Log() []string {
	var out []string
	for _, c := range f.Calls() {
		out = append(out, c.String())
	}
	return out
}

// Endpoints renders the calls as "METHOD /path" lines.
func (f *GitHub) Endpoints() []string {
	var out []string
	for _, c := range f.Calls() {
		out = append(out, c.Endpoint())
	}
	return out
}

// Writes renders the calls that are not GETs, like Log.
func (f *GitHub) Writes() []string {
	var out []string
	for _, c := range f.Calls() {
		if c.Method != http.MethodGet {
			out = append(out, c.String())
		}
	}
	return out
}

// ResetCalls forgets the calls seen so far.
func (f *GitHub) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// Statuses returns the commit statuses posted, in order.
func (f *GitHub) Statuses() []Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Status(nil), f.statuses...)
}

// ClearStatuses forgets the commit statuses posted.
func (f *GitHub) ClearStatuses() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = nil
}

// --- server side ---

func (f *GitHub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()

	call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query().Encode(), Body: string(body), Auth: r.Header.Get("Authorization")}
	rel, ok := strings.CutPrefix(r.URL.Path, f.Prefix+"/")
	if !ok {
		call.Path = "!" + r.URL.Path
		f.calls = append(f.calls, call)
		f.writeError(w, http.StatusNotFound, "Not Found (outside the API prefix)")
		return
	}
	call.Path = "/" + rel
	f.calls = append(f.calls, call)

	for _, x := range f.injections {
		if x.Times != 0 && (x.Method == "" || x.Method == r.Method) && (x.Path == "" || x.Path == call.Path) {
			if x.Times > 0 {
				x.Times--
			}
			for k, v := range x.Header {
				w.Header().Set(k, v)
			}
			if x.Body != "" {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
			}
			w.WriteHeader(x.Status)
			io.WriteString(w, x.Body)
			return
		}
	}

	if r.Header.Get("Authorization") != "Bearer "+f.Token {
		f.writeError(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(1, 5000-len(f.calls))))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))

	seg := strings.Split(rel, "/")
	switch {
	case len(seg) == 1 && seg[0] == "user" && r.Method == http.MethodGet:
		if f.UserLogin == "" {
			f.writeError(w, http.StatusForbidden, "Resource not accessible by integration")
			return
		}
		f.writeJSON(w, http.StatusOK, map[string]any{"login": f.UserLogin, "id": 1, "type": "User"})
	case len(seg) >= 4 && seg[0] == "repos" && (f.repos == nil || f.repos[seg[1]+"/"+seg[2]]):
		f.serveRepo(w, r, seg[1]+"/"+seg[2], seg[3:], body)
	default:
		f.writeError(w, http.StatusNotFound, "Not Found")
	}
}

func (f *GitHub) serveRepo(w http.ResponseWriter, r *http.Request, repo string, seg []string, body []byte) {
	switch {
	case seg[0] == "issues" && len(seg) == 3 && seg[2] == "comments":
		n, err := strconv.Atoi(seg[1])
		if err != nil || n <= 0 {
			f.writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		f.serveIssueComments(w, r, repo, n, body)
	case seg[0] == "issues" && len(seg) == 3 && seg[1] == "comments":
		id, err := strconv.ParseInt(seg[2], 10, 64)
		if err != nil || id <= 0 {
			f.writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		f.serveComment(w, r, repo, id, body)
	case seg[0] == "statuses" && len(seg) == 2 && r.Method == http.MethodPost:
		f.serveStatus(w, repo, seg[1], body)
	case seg[0] == "pulls" && len(seg) == 2 && r.Method == http.MethodGet:
		key := repo + "#" + seg[1]
		if f.PullMisses[key] > 0 {
			f.PullMisses[key]--
			f.writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		pr, ok := f.pulls[key]
		if !ok {
			f.writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		f.writeJSON(w, http.StatusOK, pr)
	case seg[0] == "pulls" && len(seg) == 3 && seg[2] == "files" && r.Method == http.MethodGet:
		fs, ok := f.files[repo+"#"+seg[1]]
		if !ok {
			f.writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		items := make([]any, len(fs))
		for i, x := range fs {
			items[i] = x
		}
		f.paginate(w, r, items, 3000) // GitHub lists at most 3,000 files
	case seg[0] == "compare" && len(seg) == 2 && r.Method == http.MethodGet:
		fs, ok := f.files[repo+"@"+seg[1]]
		if !ok {
			f.writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		fs = fs[:min(len(fs), 300)] // the compare API lists at most 300 files
		f.writeJSON(w, http.StatusOK, map[string]any{"status": "ahead", "ahead_by": 1, "behind_by": 0, "total_commits": 1, "files": fs})
	case seg[0] == "contents" && len(seg) >= 2 && r.Method == http.MethodGet:
		path := strings.Join(seg[1:], "/")
		ref := r.URL.Query().Get("ref")
		if ref == "" {
			ref = f.defaultRef
		}
		content, ok := f.contents[repo+"@"+ref+":"+path]
		if !ok {
			f.writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		f.writeJSON(w, http.StatusOK, map[string]any{
			"type": "file", "encoding": "base64", "size": len(content),
			"name": seg[len(seg)-1], "path": path, "sha": fmt.Sprintf("%040x", len(content)),
			"content": wrapBase64(base64.StdEncoding.EncodeToString([]byte(content))),
		})
	default:
		f.writeError(w, http.StatusNotFound, "Not Found")
	}
}

func (f *GitHub) serveIssueComments(w http.ResponseWriter, r *http.Request, repo string, n int, body []byte) {
	switch r.Method {
	case http.MethodGet:
		var items []any
		for _, c := range f.comments[repo] {
			if c.Issue == n {
				items = append(items, f.commentJSON(repo, c))
			}
		}
		f.paginate(w, r, items, 0)
	case http.MethodPost:
		var in struct {
			Body *string `json:"body"`
		}
		if json.Unmarshal(body, &in) != nil || in.Body == nil {
			f.writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"body\" wasn't supplied.")
			return
		}
		if utf8.RuneCountInString(*in.Body) > 65536 {
			f.writeError(w, http.StatusUnprocessableEntity, "Validation Failed")
			return
		}
		if f.BeforeCommentCreate != nil {
			f.BeforeCommentCreate(f, repo, n)
		}
		c := f.AddCommentLocked(repo, n, f.Actor, *in.Body)
		if f.AfterCommentCreate != nil {
			f.AfterCommentCreate(f, repo, n)
		}
		f.writeJSON(w, http.StatusCreated, f.commentJSON(repo, c))
	default:
		f.writeError(w, http.StatusNotFound, "Not Found")
	}
}

func (f *GitHub) serveComment(w http.ResponseWriter, r *http.Request, repo string, id int64, body []byte) {
	idx := -1
	for i, c := range f.comments[repo] {
		if c.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		f.writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	c := f.comments[repo][idx]
	if (r.Method == http.MethodPatch || r.Method == http.MethodDelete) && c.Author != f.Actor {
		f.writeError(w, http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	switch r.Method {
	case http.MethodGet:
		f.writeJSON(w, http.StatusOK, f.commentJSON(repo, c))
	case http.MethodPatch:
		var in struct {
			Body *string `json:"body"`
		}
		if json.Unmarshal(body, &in) != nil || in.Body == nil {
			f.writeError(w, http.StatusUnprocessableEntity, "Invalid request.")
			return
		}
		f.clock = f.clock.Add(f.tick)
		c.Body, c.Updated = *in.Body, f.clock
		f.writeJSON(w, http.StatusOK, f.commentJSON(repo, c))
	case http.MethodDelete:
		f.comments[repo] = append(f.comments[repo][:idx:idx], f.comments[repo][idx+1:]...)
		w.WriteHeader(http.StatusNoContent)
	default:
		f.writeError(w, http.StatusNotFound, "Not Found")
	}
}

func (f *GitHub) serveStatus(w http.ResponseWriter, repo, sha string, body []byte) {
	var in struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if json.Unmarshal(body, &in) != nil {
		f.writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	switch in.State {
	case "pending", "success", "failure", "error":
	default:
		f.writeError(w, http.StatusUnprocessableEntity, "Validation Failed")
		return
	}
	if utf8.RuneCountInString(in.Description) > 140 {
		f.writeError(w, http.StatusUnprocessableEntity, "Validation Failed: description is too long (maximum is 140 characters)")
		return
	}
	if in.Context == "" {
		in.Context = "default"
	}
	f.statuses = append(f.statuses, Status{Repo: repo, SHA: sha, State: in.State, Context: in.Context, Description: in.Description, TargetURL: in.TargetURL})
	f.nextID++
	f.writeJSON(w, http.StatusCreated, map[string]any{"id": f.nextID, "state": in.State, "context": in.Context,
		"description": in.Description, "target_url": in.TargetURL, "created_at": f.clock.Format(time.RFC3339)})
}

// wrapBase64 breaks base64 into 60-column lines, as the contents API does.
func wrapBase64(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60])
		b.WriteByte('\n')
		s = s[60:]
	}
	b.WriteString(s)
	b.WriteByte('\n')
	return b.String()
}

func (f *GitHub) commentJSON(repo string, c *Comment) map[string]any {
	userType := "User"
	if strings.HasSuffix(c.Author, "[bot]") {
		userType = "Bot"
	}
	return map[string]any{
		"id":         c.ID,
		"node_id":    fmt.Sprintf("IC_%d", c.ID),
		"body":       c.Body,
		"user":       map[string]any{"login": c.Author, "type": userType},
		"created_at": c.Created.Format(time.RFC3339),
		"updated_at": c.Updated.Format(time.RFC3339),
		"html_url":   fmt.Sprintf("https://github.example/%s/issues/%d#issuecomment-%d", repo, c.Issue, c.ID),
	}
}

// paginate serves one page of items using per_page (default 30, at most
// 100) and page (from 1), with a Link header like GitHub's. limit > 0 caps
// the number of items listed.
func (f *GitHub) paginate(w http.ResponseWriter, r *http.Request, items []any, limit int) {
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max(1, (len(items)+per-1)/per)
	start := min((page-1)*per, len(items))
	end := min(start+per, len(items))

	link := func(p int, rel string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(per))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, f.Server.URL, r.URL.Path, v.Encode(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	out := items[start:end]
	if out == nil {
		out = []any{}
	}
	f.writeJSON(w, http.StatusOK, out)
}

func (f *GitHub) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.T.Errorf("fake github: encoding response: %v", err)
	}
}

func (f *GitHub) writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, errorBody(status, msg))
}

// errorBody is GitHub's JSON error document.
func errorBody(status int, msg string) string {
	b, _ := json.Marshal(map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
	return string(b) + "\n"
}

// JSONMessage is a GitHub error body with message and documentation_url,
// for canned responses.
func JSONMessage(msg, doc string) string {
	b, _ := json.Marshal(map[string]string{"message": msg, "documentation_url": doc})
	return string(b)
}
