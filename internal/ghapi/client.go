// Package ghapi is lanegate's GitHub REST client: sticky evidence comments
// on issues and pull requests, the cutover gate commit status, and the few
// reads lanegate needs (pull request metadata and files, lanes.yaml).
//
// Every request goes through a retrying, budgeted transport installed
// underneath go-github: 5xx, 429 and rate-limit 403 responses are retried
// with the waits GitHub asks for, every attempt is counted against
// Config.MaxRequests, and mutating requests are serialised and spaced.
// Failures are translated into messages that name the workflow permission
// an operation needs. The token never appears in errors or logs.
//
// Maximum API calls per operation, before retries (each call may be
// attempted up to 1+MaxRetries times, and all attempts together never
// exceed MaxRequests):
//
//	Authenticated      ≤ 1 (0 with Config.Identity, cached after the first call)
//	ListComments       ⌈comments/100⌉, at least 1
//	CreateComment      1
//	EditComment        1
//	DeleteComment      1
//	CreateStatus       1
//	PullRequest        ≤ 3 (404s are retried twice: GitHub is eventually consistent right after the webhook)
//	PullRequestFiles   ⌈files/100⌉, at most 30 (GitHub lists at most 3,000 files)
//	FileContent        1
//	CompareFiles       1
//	UpsertSticky       unchanged: P; edited: P+1; created: P+1+P′+(≤1 delete);
//	                   k duplicates: P+(≤1 edit)+(k−1) deletes;
//	                   +1 if identity is "" and not yet known
//	                   (P, P′ = comment pages before and after creating)
package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"
)

// Defaults applied to zero Config fields.
const (
	DefaultMaxRetries       = 4
	DefaultMaxTotalWait     = 3 * time.Minute
	DefaultBaseBackoff      = time.Second
	DefaultSecondaryBackoff = 60 * time.Second
	DefaultMaxRequests      = 200
	DefaultWriteSpacing     = time.Second
	DefaultAttemptTimeout   = 60 * time.Second
)

// GitHub limits.
const (
	// MaxCommentBody is the longest issue/PR comment body GitHub accepts,
	// in characters.
	MaxCommentBody = 65536
	// MaxStatusDescription is the longest commit status description, in
	// characters.
	MaxStatusDescription = 140
	// MaxPullRequestFiles is the most files GitHub lists for a pull request.
	MaxPullRequestFiles = 3000
	// MaxCompareFiles is the most files the compare API lists.
	MaxCompareFiles = 300
	// ActionsBotLogin is the author of everything posted with GITHUB_TOKEN.
	ActionsBotLogin = "github-actions[bot]"

	defaultAPIURL = "https://api.github.com/"
	perPage       = 100
	userAgent     = "lanegate"

	prNotFoundAttempts = 3
	prNotFoundBackoff  = 2 * time.Second
)

// Config configures a Client. Zero values select the defaults above;
// negative durations or counts switch the feature off (no retries, no write
// spacing, no per-attempt timeout, no retry waiting).
type Config struct {
	// Token authenticates every request. Required.
	Token string
	// APIURL is the REST API root, e.g. GITHUB_API_URL. Empty or
	// "https://api.github.com" selects github.com; anything else is used as
	// given (on GHES it already ends in /api/v3).
	APIURL string
	// HTTPClient supplies the base transport, redirect policy and cookie jar.
	// Its Timeout, if set, applies to each attempt rather than to a request
	// including its retry waits.
	HTTPClient *http.Client

	// MaxRetries is how many times one request may be retried (default 4).
	MaxRetries int
	// MaxTotalWait bounds the time this Client spends sleeping before
	// retries, across all requests (default 3m). A retry whose wait does not
	// fit in what is left is not made; the last response is returned.
	MaxTotalWait time.Duration
	// BaseBackoff starts the exponential backoff for 5xx responses and
	// network errors on reads (default 1s).
	BaseBackoff time.Duration
	// SecondaryBackoff starts the exponential backoff for secondary rate
	// limits that give no Retry-After or reset time (default 60s).
	SecondaryBackoff time.Duration
	// MaxRequests bounds the number of HTTP attempts this Client sends
	// (default 200); beyond it requests fail with ErrBudgetExhausted.
	MaxRequests int
	// WriteSpacing is the minimum gap between mutating requests, which are
	// also serialised (default 1s; negative for none).
	WriteSpacing time.Duration
	// AttemptTimeout bounds each attempt (default HTTPClient.Timeout, or
	// 60s; negative for none).
	AttemptTimeout time.Duration

	// Identity, if set, is the login lanegate posts as; Authenticated
	// returns it without calling the API.
	Identity string

	// Sleep waits for d or until ctx is done (default: a timer). Tests
	// replace it to record waits instead of sleeping.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used for rate-limit resets (default time.Now).
	Now func() time.Time
	// Jitter perturbs exponential backoff waits (default: up to +20%).
	// Waits taken from Retry-After or X-RateLimit-Reset are not jittered.
	Jitter func(time.Duration) time.Duration
	// Logf, if set, receives one line per retry decision.
	Logf func(format string, args ...any)
}

// Client talks to the GitHub REST API. It is safe for concurrent use.
type Client struct {
	gh       *github.Client
	tr       *transport
	token    string
	identity string

	mu    sync.Mutex
	login string // cached result of Authenticated
}

// Comment is an issue or pull request conversation comment.
type Comment struct {
	ID          int64
	Body        string
	AuthorLogin string
	UpdatedAt   time.Time
	URL         string // html_url
}

// Status is a commit status.
type Status struct {
	State       string // pending, success, failure or error
	Context     string
	Description string // truncated to MaxStatusDescription characters
	TargetURL   string
}

// PR is the part of a pull request lanegate uses.
type PR struct {
	Number   int
	HeadSHA  string
	BaseSHA  string
	HeadRef  string
	BaseRef  string
	HeadRepo string // owner/name; empty if the head repository was deleted
	BaseRepo string // owner/name
	Labels   []string
	Body     string
	Draft    bool
	IsFork   bool // head and base repositories differ (or the head repo is gone)
}

// New builds a Client.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("no GitHub token: set the github-token input or GITHUB_TOKEN")
	}
	base, err := apiBaseURL(cfg.APIURL)
	if err != nil {
		return nil, err
	}

	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	baseRT := hc.Transport
	if baseRT == nil {
		baseRT = http.DefaultTransport
	}
	tr := &transport{
		base:           baseRT,
		maxRetries:     intOr(cfg.MaxRetries, DefaultMaxRetries),
		maxTotalWait:   durOr(cfg.MaxTotalWait, DefaultMaxTotalWait),
		baseBackoff:    durOr(cfg.BaseBackoff, DefaultBaseBackoff),
		secondaryWait:  durOr(cfg.SecondaryBackoff, DefaultSecondaryBackoff),
		maxRequests:    cfg.MaxRequests,
		writeSpacing:   durOr(cfg.WriteSpacing, DefaultWriteSpacing),
		attemptTimeout: durOr(cfg.AttemptTimeout, durOr(hc.Timeout, DefaultAttemptTimeout)),
		sleep:          cfg.Sleep,
		now:            cfg.Now,
		jitter:         cfg.Jitter,
		logf:           cfg.Logf,
	}
	if tr.maxRequests <= 0 {
		tr.maxRequests = DefaultMaxRequests
	}
	if tr.sleep == nil {
		tr.sleep = defaultSleep
	}
	if tr.now == nil {
		tr.now = time.Now
	}
	if tr.jitter == nil {
		tr.jitter = defaultJitter
	}

	// go-github sees only the retrying transport; the overall client has no
	// timeout because retry waits happen inside a single round trip.
	inner := &http.Client{Transport: tr, CheckRedirect: hc.CheckRedirect, Jar: hc.Jar}
	gh := github.NewClient(inner).WithAuthToken(cfg.Token)
	gh.BaseURL = base
	gh.UserAgent = userAgent

	return &Client{gh: gh, tr: tr, token: cfg.Token, identity: strings.TrimSpace(cfg.Identity)}, nil
}

func intOr(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

func durOr(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// apiBaseURL normalises Config.APIURL into go-github's BaseURL (which must
// end in a slash).
func apiBaseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.TrimRight(raw, "/") == strings.TrimRight(defaultAPIURL, "/") {
		raw = defaultAPIURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid GitHub API URL %q: want an absolute http(s) URL such as https://api.github.com", raw)
	}
	if u.User != nil {
		return nil, errors.New("invalid GitHub API URL: it must not contain credentials")
	}
	u.RawQuery, u.Fragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if u.RawPath != "" && !strings.HasSuffix(u.RawPath, "/") {
		u.RawPath += "/"
	}
	return u, nil
}

// Requests returns the number of HTTP attempts sent so far.
func (c *Client) Requests() int { return c.tr.requestCount() }

// BaseURL returns the API root requests are sent to.
func (c *Client) BaseURL() string { return c.gh.BaseURL.String() }

func (c *Client) fail(o op, err error) error {
	return redact(c.token, translate(o, err))
}

var (
	ownerRepoRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	shaRE       = regexp.MustCompile(`^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$`)
)

func checkRepo(owner, repo string) error {
	if !ownerRepoRE.MatchString(owner) || !ownerRepoRE.MatchString(repo) || repo == "." || repo == ".." {
		return fmt.Errorf("invalid repository %q", owner+"/"+repo)
	}
	return nil
}

func checkNumber(number int) error {
	if number <= 0 {
		return fmt.Errorf("invalid issue or pull request number %d", number)
	}
	return nil
}

func checkBody(body string) error {
	if n := utf8.RuneCountInString(body); n > MaxCommentBody {
		return fmt.Errorf("%w: %d characters", ErrBodyTooLong, n)
	}
	return nil
}

// Authenticated returns the login lanegate posts as: Config.Identity if set,
// else the login of GET /user. A GITHUB_TOKEN (an app installation token)
// gets 403 from GET /user; then the Actions bot login is returned.
func (c *Client) Authenticated(ctx context.Context) (string, error) {
	if c.identity != "" {
		return c.identity, nil
	}
	c.mu.Lock()
	login := c.login
	c.mu.Unlock()
	if login != "" {
		return login, nil
	}

	u, _, err := c.gh.Users.Get(ctx, "")
	switch {
	case err == nil && u.GetLogin() != "":
		login = u.GetLogin()
	case err == nil:
		return "", fmt.Errorf("GitHub %q returned no login", opUser.name)
	default:
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden &&
			!strings.Contains(strings.ToLower(er.Message), "rate limit") {
			login = ActionsBotLogin
		} else {
			return "", c.fail(opUser, err)
		}
	}
	c.mu.Lock()
	c.login = login
	c.mu.Unlock()
	return login, nil
}

// ListComments returns every comment on issue or pull request number,
// oldest first.
func (c *Client) ListComments(ctx context.Context, owner, repo string, number int) ([]Comment, error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, err
	}
	if err := checkNumber(number); err != nil {
		return nil, err
	}
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	var out []Comment
	for {
		page, resp, err := c.gh.Issues.ListComments(ctx, owner, repo, number, opts)
		if err != nil {
			return nil, c.fail(opListCmts, err)
		}
		for _, ic := range page {
			out = append(out, toComment(ic))
		}
		if resp.NextPage == 0 || resp.NextPage <= opts.Page {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

func toComment(ic *github.IssueComment) Comment {
	return Comment{
		ID:          ic.GetID(),
		Body:        ic.GetBody(),
		AuthorLogin: ic.GetUser().GetLogin(),
		UpdatedAt:   ic.GetUpdatedAt().Time,
		URL:         ic.GetHTMLURL(),
	}
}

// CreateComment posts a new comment on issue or pull request number.
func (c *Client) CreateComment(ctx context.Context, owner, repo string, number int, body string) (Comment, error) {
	if err := checkRepo(owner, repo); err != nil {
		return Comment{}, err
	}
	if err := checkNumber(number); err != nil {
		return Comment{}, err
	}
	if err := checkBody(body); err != nil {
		return Comment{}, err
	}
	ic, _, err := c.gh.Issues.CreateComment(ctx, owner, repo, number, &github.IssueComment{Body: github.String(body)})
	if err != nil {
		return Comment{}, c.fail(opCreateCmt, err)
	}
	return toComment(ic), nil
}

// EditComment replaces the body of comment id.
func (c *Client) EditComment(ctx context.Context, owner, repo string, id int64, body string) error {
	if err := checkRepo(owner, repo); err != nil {
		return err
	}
	if id <= 0 {
		return fmt.Errorf("invalid comment id %d", id)
	}
	if err := checkBody(body); err != nil {
		return err
	}
	_, _, err := c.gh.Issues.EditComment(ctx, owner, repo, id, &github.IssueComment{Body: github.String(body)})
	return c.fail(opEditCmt, err)
}

// DeleteComment deletes comment id.
func (c *Client) DeleteComment(ctx context.Context, owner, repo string, id int64) error {
	if err := checkRepo(owner, repo); err != nil {
		return err
	}
	if id <= 0 {
		return fmt.Errorf("invalid comment id %d", id)
	}
	_, err := c.gh.Issues.DeleteComment(ctx, owner, repo, id)
	return c.fail(opDeleteCmt, err)
}

// TruncateDescription shortens s to at most MaxStatusDescription
// characters, ending in "…" when something was cut.
func TruncateDescription(s string) string {
	if utf8.RuneCountInString(s) <= MaxStatusDescription {
		return s
	}
	r := []rune(s)
	return string(r[:MaxStatusDescription-1]) + "…"
}

// CreateStatus posts a commit status on sha (for pull requests: the head
// SHA). The description is truncated to 140 characters.
func (c *Client) CreateStatus(ctx context.Context, owner, repo, sha string, s Status) error {
	if err := checkRepo(owner, repo); err != nil {
		return err
	}
	if !shaRE.MatchString(sha) {
		return fmt.Errorf("invalid commit SHA %q: statuses must be posted on a full commit SHA", sha)
	}
	switch s.State {
	case "pending", "success", "failure", "error":
	default:
		return fmt.Errorf("invalid commit status state %q: want pending, success, failure or error", s.State)
	}
	if strings.TrimSpace(s.Context) == "" {
		return errors.New("commit status context is empty")
	}
	rs := &github.RepoStatus{
		State:       github.String(s.State),
		Context:     github.String(s.Context),
		Description: github.String(TruncateDescription(s.Description)),
	}
	if s.TargetURL != "" {
		rs.TargetURL = github.String(s.TargetURL)
	}
	_, _, err := c.gh.Repositories.CreateStatus(ctx, owner, repo, sha, rs)
	return c.fail(opStatus, err)
}

// PullRequest reads pull request number. A 404 is retried a few times
// (within the request and wait budgets) because a pull request may not be
// readable for a moment after the webhook that started the run.
func (c *Client) PullRequest(ctx context.Context, owner, repo string, number int) (PR, error) {
	if err := checkRepo(owner, repo); err != nil {
		return PR{}, err
	}
	if err := checkNumber(number); err != nil {
		return PR{}, err
	}
	wait := prNotFoundBackoff
	for attempt := 1; ; attempt++ {
		pr, _, err := c.gh.PullRequests.Get(ctx, owner, repo, number)
		if err == nil {
			return toPR(pr), nil
		}
		var er *github.ErrorResponse
		notFound := errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound
		if !notFound || attempt >= prNotFoundAttempts || !c.tr.reserveWait(wait) {
			return PR{}, c.fail(opPull, err)
		}
		c.tr.log("GitHub pull request %s/%s#%d not found yet; retrying in %s", owner, repo, number, wait)
		if serr := c.tr.sleep(ctx, wait); serr != nil {
			return PR{}, fmt.Errorf("%s: %w", opPull.name, serr)
		}
		wait *= 2
	}
}

func toPR(pr *github.PullRequest) PR {
	out := PR{
		Number:   pr.GetNumber(),
		HeadSHA:  pr.GetHead().GetSHA(),
		BaseSHA:  pr.GetBase().GetSHA(),
		HeadRef:  pr.GetHead().GetRef(),
		BaseRef:  pr.GetBase().GetRef(),
		HeadRepo: pr.GetHead().GetRepo().GetFullName(),
		BaseRepo: pr.GetBase().GetRepo().GetFullName(),
		Body:     pr.GetBody(),
		Draft:    pr.GetDraft(),
	}
	for _, l := range pr.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	out.IsFork = out.HeadRepo == "" || !strings.EqualFold(out.HeadRepo, out.BaseRepo)
	return out
}

// PullRequestFiles lists the paths a pull request changes; a renamed file
// contributes both its new and previous path. GitHub lists at most 3,000
// files: capped is true when that many were returned, and the caller must
// then assume any path may have changed.
func (c *Client) PullRequestFiles(ctx context.Context, owner, repo string, number int) (files []string, capped bool, err error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, false, err
	}
	if err := checkNumber(number); err != nil {
		return nil, false, err
	}
	opts := &github.ListOptions{PerPage: perPage}
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	entries := 0
	for {
		page, resp, err := c.gh.PullRequests.ListFiles(ctx, owner, repo, number, opts)
		if err != nil {
			return nil, false, c.fail(opPullFiles, err)
		}
		for _, f := range page {
			entries++
			add(f.GetFilename())
			add(f.GetPreviousFilename())
		}
		if entries >= MaxPullRequestFiles {
			return files, true, nil
		}
		if resp.NextPage == 0 || resp.NextPage <= opts.Page {
			return files, false, nil
		}
		opts.Page = resp.NextPage
	}
}

// CompareFiles lists the paths changed between two commits, base...head
// (from their merge base to head, as a pull request's diff), with a renamed
// file contributing both paths. Unlike PullRequestFiles it is pinned to the
// exact head commit. The compare API lists at most 300 files: capped is
// true when that many came back, and the caller must then assume any path
// may have changed.
func (c *Client) CompareFiles(ctx context.Context, owner, repo, base, head string) (files []string, capped bool, err error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, false, err
	}
	for _, sha := range []string{base, head} {
		if !shaRE.MatchString(sha) {
			return nil, false, fmt.Errorf("invalid commit SHA %q: compare needs full commit SHAs", sha)
		}
	}
	cmp, _, err := c.gh.Repositories.CompareCommits(ctx, owner, repo, base, head, nil)
	if err != nil {
		return nil, false, c.fail(opCompare, err)
	}
	seen := map[string]bool{}
	for _, f := range cmp.Files {
		for _, p := range []string{f.GetFilename(), f.GetPreviousFilename()} {
			if p != "" && !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
		}
	}
	return files, len(cmp.Files) >= MaxCompareFiles, nil
}

// FileContent reads a file through the contents API at ref (a branch, tag
// or SHA; empty for the default branch). Files over 1 MB are not supported
// by that API.
func (c *Client) FileContent(ctx context.Context, owner, repo, path, ref string) ([]byte, error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, err
	}
	path = strings.TrimPrefix(path, "/")
	if path == "" || strings.HasSuffix(path, "/") {
		return nil, fmt.Errorf("invalid file path %q", path)
	}
	var opts *github.RepositoryContentGetOptions
	if ref != "" {
		opts = &github.RepositoryContentGetOptions{Ref: ref}
	}
	file, dir, _, err := c.gh.Repositories.GetContents(ctx, owner, repo, path, opts)
	if err != nil {
		if errors.Is(err, github.ErrPathForbidden) {
			return nil, fmt.Errorf("invalid file path %q: must not contain \"..\"", path)
		}
		return nil, c.fail(opReadFile, err)
	}
	if file == nil || dir != nil {
		return nil, fmt.Errorf("%s/%s: %q is a directory, not a file", owner, repo, path)
	}
	if t := file.GetType(); t != "" && t != "file" {
		return nil, fmt.Errorf("%s/%s: %q is a %s, not a file", owner, repo, path, t)
	}
	if file.GetEncoding() == "none" {
		return nil, fmt.Errorf("%s/%s: %q is too large for the contents API (over 1 MB)", owner, repo, path)
	}
	content, err := file.GetContent()
	if err != nil {
		return nil, fmt.Errorf("decoding %q from %s/%s: %w", path, owner, repo, err)
	}
	return []byte(content), nil
}
