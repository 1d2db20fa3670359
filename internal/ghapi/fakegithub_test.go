package ghapi

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

// fakeGitHub is an in-memory GitHub REST API serving the endpoints ghapi
// uses, mounted under a path prefix (like GHES's /api/v3) so that requests
// built with absolute paths miss it. It records every call and lets tests
// inject canned responses.
type fakeGitHub struct {
	t      testing.TB
	srv    *httptest.Server
	prefix string // "/api/v3"
	token  string // the only token accepted
	actor  string // login that authors comments made with token

	mu         sync.Mutex
	nextID     int64
	clock      time.Time
	comments   map[string][]*fakeComment // "owner/repo" → comments, in creation order
	statuses   []fakeStatus
	pulls      map[string]map[string]any // "owner/repo#n" → PR JSON
	pullMisses map[string]int            // "owner/repo#n" → 404s to serve first
	files      map[string][]map[string]any
	contents   map[string]string // "owner/repo@ref:path" → file content
	userLogin  string            // "" → GET /user answers 403 like GITHUB_TOKEN
	calls      []fakeCall
	injections []*injection

	// beforeCommentCreate runs (with mu held) before a POSTed comment is
	// stored; tests use it to simulate a racing run.
	beforeCommentCreate func(f *fakeGitHub, repo string, issue int)
	// afterCommentCreate runs (with mu held) after it is stored.
	afterCommentCreate func(f *fakeGitHub, repo string, issue int)
}

type fakeComment struct {
	ID      int64
	Issue   int
	Author  string
	Body    string
	Created time.Time
	Updated time.Time
}

type fakeStatus struct {
	Repo, SHA                              string
	State, Context, Description, TargetURL string
}

type fakeCall struct {
	Method string
	Path   string // relative to the prefix; "!" + path when the prefix was missing
	Query  string // canonical (sorted) query
	Body   string
	Auth   string
}

func (c fakeCall) String() string {
	s := c.Method + " " + c.Path
	if c.Query != "" {
		s += "?" + c.Query
	}
	return s
}

// injection answers the next `times` requests matching method and path
// with a canned response instead of the normal handler.
type injection struct {
	method, path string // "" matches anything
	times        int
	status       int
	header       map[string]string
	body         string
}

const fakeDefaultRef = "main"

func newFakeGitHub(t testing.TB) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{
		t:          t,
		prefix:     "/api/v3",
		token:      "ghs_fakeTOKENvalue1234567890",
		actor:      ActionsBotLogin,
		nextID:     1000,
		clock:      time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		comments:   map[string][]*fakeComment{},
		pulls:      map[string]map[string]any{},
		pullMisses: map[string]int{},
		files:      map[string][]map[string]any{},
		contents:   map[string]string{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// apiURL is what GITHUB_API_URL would be for this fake.
func (f *fakeGitHub) apiURL() string { return f.srv.URL + f.prefix }

// --- test-side helpers ---

func (f *fakeGitHub) inject(method, path string, times, status int, header map[string]string, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.injections = append(f.injections, &injection{method: method, path: path, times: times, status: status, header: header, body: body})
}

func (f *fakeGitHub) addComment(repo string, issue int, author, body string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addCommentLocked(repo, issue, author, body).ID
}

func (f *fakeGitHub) addCommentLocked(repo string, issue int, author, body string) *fakeComment {
	f.nextID++
	f.clock = f.clock.Add(time.Second)
	c := &fakeComment{ID: f.nextID, Issue: issue, Author: author, Body: body, Created: f.clock, Updated: f.clock}
	f.comments[repo] = append(f.comments[repo], c)
	return c
}

// issueComments returns copies of the comments on one issue.
func (f *fakeGitHub) issueComments(repo string, issue int) []fakeComment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeComment
	for _, c := range f.comments[repo] {
		if c.Issue == issue {
			out = append(out, *c)
		}
	}
	return out
}

func (f *fakeGitHub) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = c.String()
	}
	return out
}

func (f *fakeGitHub) rawCalls() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeCall(nil), f.calls...)
}

// writes returns the non-GET calls.
func (f *fakeGitHub) writes() []string {
	var out []string
	for _, c := range f.rawCalls() {
		if c.Method != http.MethodGet {
			out = append(out, c.String())
		}
	}
	return out
}

func (f *fakeGitHub) resetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

func (f *fakeGitHub) setPull(repo string, n int, pr map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls[repo+"#"+strconv.Itoa(n)] = pr
}

func (f *fakeGitHub) setPullFiles(repo string, n int, names []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var fs []map[string]any
	for i, name := range names {
		fs = append(fs, map[string]any{"sha": fmt.Sprintf("%040x", i+1), "filename": name, "status": "modified", "additions": 1, "deletions": 0, "changes": 1})
	}
	f.files[repo+"#"+strconv.Itoa(n)] = fs
}

// setCompare serves GET /repos/{repo}/compare/{base}...{head}; the compare
// API lists at most 300 files.
func (f *fakeGitHub) setCompare(repo, base, head string, names []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var fs []map[string]any
	for i, name := range names {
		fs = append(fs, map[string]any{"sha": fmt.Sprintf("%040x", i+1), "filename": name, "status": "modified", "additions": 1, "deletions": 0, "changes": 1})
	}
	f.files[repo+"@"+base+"..."+head] = fs
}

func (f *fakeGitHub) setContent(repo, ref, path, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contents[repo+"@"+ref+":"+path] = content
}

func (f *fakeGitHub) statusList() []fakeStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeStatus(nil), f.statuses...)
}

// --- server side ---

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()

	call := fakeCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query().Encode(), Body: string(body), Auth: r.Header.Get("Authorization")}
	rel, ok := strings.CutPrefix(r.URL.Path, f.prefix+"/")
	if !ok {
		call.Path = "!" + r.URL.Path
		f.calls = append(f.calls, call)
		f.writeError(w, http.StatusNotFound, "Not Found (outside the API prefix)")
		return
	}
	call.Path = "/" + rel
	f.calls = append(f.calls, call)

	for _, inj := range f.injections {
		if inj.times > 0 && (inj.method == "" || inj.method == r.Method) && (inj.path == "" || inj.path == call.Path) {
			inj.times--
			for k, v := range inj.header {
				w.Header().Set(k, v)
			}
			if inj.body != "" {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
			}
			w.WriteHeader(inj.status)
			io.WriteString(w, inj.body)
			return
		}
	}

	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.writeError(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(1, 5000-len(f.calls))))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))

	seg := strings.Split(rel, "/")
	switch {
	case len(seg) == 1 && seg[0] == "user" && r.Method == http.MethodGet:
		f.handleUser(w)
	case len(seg) >= 4 && seg[0] == "repos":
		f.handleRepo(w, r, seg[1]+"/"+seg[2], seg[3:], body)
	default:
		f.writeError(w, http.StatusNotFound, "Not Found")
	}
}

func (f *fakeGitHub) handleUser(w http.ResponseWriter) {
	if f.userLogin == "" {
		f.writeError(w, http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	f.writeJSON(w, http.StatusOK, map[string]any{"login": f.userLogin, "id": 1, "type": "User"})
}

func (f *fakeGitHub) handleRepo(w http.ResponseWriter, r *http.Request, repo string, seg []string, body []byte) {
	switch {
	case seg[0] == "issues" && len(seg) == 3 && seg[2] == "comments":
		n, err := strconv.Atoi(seg[1])
		if err != nil {
			f.writeError(w, http.StatusNotFound, "Not Found")
			return
		}
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
			if f.beforeCommentCreate != nil {
				f.beforeCommentCreate(f, repo, n)
			}
			c := f.addCommentLocked(repo, n, f.actor, *in.Body)
			if f.afterCommentCreate != nil {
				f.afterCommentCreate(f, repo, n)
			}
			f.writeJSON(w, http.StatusCreated, f.commentJSON(repo, c))
		default:
			f.writeError(w, http.StatusNotFound, "Not Found")
		}
	case seg[0] == "issues" && len(seg) == 3 && seg[1] == "comments":
		id, _ := strconv.ParseInt(seg[2], 10, 64)
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
		switch r.Method {
		case http.MethodGet:
			f.writeJSON(w, http.StatusOK, f.commentJSON(repo, c))
		case http.MethodPatch:
			if c.Author != f.actor {
				f.writeError(w, http.StatusForbidden, "Resource not accessible by integration")
				return
			}
			var in struct {
				Body *string `json:"body"`
			}
			if json.Unmarshal(body, &in) != nil || in.Body == nil {
				f.writeError(w, http.StatusUnprocessableEntity, "Invalid request.")
				return
			}
			f.clock = f.clock.Add(time.Second)
			c.Body, c.Updated = *in.Body, f.clock
			f.writeJSON(w, http.StatusOK, f.commentJSON(repo, c))
		case http.MethodDelete:
			if c.Author != f.actor {
				f.writeError(w, http.StatusForbidden, "Resource not accessible by integration")
				return
			}
			f.comments[repo] = append(f.comments[repo][:idx:idx], f.comments[repo][idx+1:]...)
			w.WriteHeader(http.StatusNoContent)
		default:
			f.writeError(w, http.StatusNotFound, "Not Found")
		}
	case seg[0] == "statuses" && len(seg) == 2 && r.Method == http.MethodPost:
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
		f.statuses = append(f.statuses, fakeStatus{Repo: repo, SHA: seg[1], State: in.State, Context: in.Context, Description: in.Description, TargetURL: in.TargetURL})
		f.nextID++
		f.writeJSON(w, http.StatusCreated, map[string]any{"id": f.nextID, "state": in.State, "context": in.Context, "description": in.Description, "target_url": in.TargetURL})
	case seg[0] == "pulls" && len(seg) == 2 && r.Method == http.MethodGet:
		key := repo + "#" + seg[1]
		if f.pullMisses[key] > 0 {
			f.pullMisses[key]--
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
		f.paginate(w, r, items, 3000)
	case seg[0] == "compare" && len(seg) == 2 && r.Method == http.MethodGet:
		fs, ok := f.files[repo+"@"+seg[1]]
		if !ok {
			f.writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		fs = fs[:min(len(fs), 300)]
		f.writeJSON(w, http.StatusOK, map[string]any{"status": "ahead", "ahead_by": 1, "behind_by": 0, "total_commits": 1, "files": fs})
	case seg[0] == "contents" && len(seg) >= 2 && r.Method == http.MethodGet:
		path := strings.Join(seg[1:], "/")
		ref := r.URL.Query().Get("ref")
		if ref == "" {
			ref = fakeDefaultRef
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

func (f *fakeGitHub) commentJSON(repo string, c *fakeComment) map[string]any {
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

// paginate serves one page of items using per_page (default 30, max 100)
// and page (default 1), with a Link header like GitHub's. limit > 0 caps
// the total number of items listed.
func (f *fakeGitHub) paginate(w http.ResponseWriter, r *http.Request, items []any, limit int) {
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
		return fmt.Sprintf(`<http://%s%s?%s>; rel="%s"`, r.Host, r.URL.Path, v.Encode(), rel)
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

func (f *fakeGitHub) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("fake github: encoding response: %v", err)
	}
}

func (f *fakeGitHub) writeError(w http.ResponseWriter, status int, msg string) {
	f.writeJSON(w, status, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
}

// --- canned responses ---

func jsonMessage(msg, doc string) string {
	b, _ := json.Marshal(map[string]string{"message": msg, "documentation_url": doc})
	return string(b)
}

var (
	bodySecondary = jsonMessage("You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits")
	bodyPrimary = jsonMessage("API rate limit exceeded for installation ID 1.",
		"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api")
	bodyNotAccessible = jsonMessage("Resource not accessible by integration",
		"https://docs.github.com/rest/commits/statuses#create-a-commit-status")
	bodyBadCredentials = jsonMessage("Bad credentials", "https://docs.github.com/rest")
	bodyBadGateway     = `<html><body><h1>502 Bad Gateway</h1></body></html>`
)
