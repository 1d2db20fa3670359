package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Sentinel errors. Errors returned by Client methods wrap at most one of
// them; test with errors.Is.
var (
	// ErrBudgetExhausted: the Client already sent Config.MaxRequests
	// requests and refuses to send more.
	ErrBudgetExhausted = errors.New("GitHub API request budget exhausted")
	// ErrBodyTooLong: a comment body is longer than MaxCommentBody
	// characters. Callers must shrink the body before posting.
	ErrBodyTooLong = errors.New("comment body exceeds GitHub's 65536-character limit")
	// ErrUnauthorized: GitHub answered 401.
	ErrUnauthorized = errors.New("GitHub rejected the token")
	// ErrPermission: GitHub answered 403 (not a rate limit), or 404 to a write.
	ErrPermission = errors.New("GitHub denied the request")
	// ErrNotFound: GitHub answered 404 to a read.
	ErrNotFound = errors.New("GitHub resource not found")
	// ErrRateLimited: GitHub kept rate-limiting and the retry budget ran out.
	ErrRateLimited = errors.New("GitHub rate limit exceeded")
)

// Kind classifies an APIError.
type Kind int

// APIError kinds.
const (
	KindOther Kind = iota
	KindUnauthorized
	KindPermission
	KindNotFound
	KindRateLimited
)

// unauthorizedMessage is the exact text of every 401 error.
const unauthorizedMessage = "GitHub rejected the token (401): check that github-token is set and not expired"

// op names one client operation together with the workflow permissions it
// needs, so errors can say exactly what to add to the workflow.
type op struct {
	name  string // e.g. "create commit status"
	perm  string // e.g. "statuses: write"; empty when none applies
	alt   string // alternative permission, e.g. "issues: write"
	altOn string // where the alternative applies, e.g. "issues"
	write bool
}

var (
	opUser      = op{name: "read authenticated user"}
	opListCmts  = op{name: "list comments", perm: "pull-requests: read", alt: "issues: read", altOn: "issues"}
	opCreateCmt = op{name: "create comment", perm: "pull-requests: write", alt: "issues: write", altOn: "issues", write: true}
	opEditCmt   = op{name: "edit comment", perm: "pull-requests: write", alt: "issues: write", altOn: "issues", write: true}
	opDeleteCmt = op{name: "delete comment", perm: "pull-requests: write", alt: "issues: write", altOn: "issues", write: true}
	opStatus    = op{name: "create commit status", perm: "statuses: write", write: true}
	opPull      = op{name: "read pull request", perm: "pull-requests: read"}
	opPullFiles = op{name: "list pull request files", perm: "pull-requests: read"}
	opReadFile  = op{name: "read file contents", perm: "contents: read"}
	opCompare   = op{name: "compare commits", perm: "contents: read"}
)

// needs renders the permission requirement, e.g.
// `"permissions: statuses: write"`.
func (o op) needs() string {
	s := fmt.Sprintf("%q", "permissions: "+o.perm)
	if o.alt != "" {
		s += fmt.Sprintf(" (or %q for %s)", "permissions: "+o.alt, o.altOn)
	}
	return s
}

// APIError is a GitHub API failure translated into an actionable message.
type APIError struct {
	Op         string // operation, e.g. "create commit status"
	Permission string // permissions entry the operation needs, e.g. "statuses: write"
	StatusCode int    // HTTP status (0 if none)
	Kind       Kind
	Message    string // GitHub's own message, if any
	hint       string
	err        error
}

func (e *APIError) Error() string {
	switch e.Kind {
	case KindUnauthorized:
		return unauthorizedMessage
	case KindPermission:
		s := fmt.Sprintf("GitHub denied %q (%d): the workflow needs %s", e.Op, e.StatusCode, e.hint)
		if e.StatusCode == http.StatusNotFound {
			s += ", or the target does not exist"
		}
		return s
	case KindNotFound:
		s := fmt.Sprintf("GitHub found nothing for %q (404)", e.Op)
		if e.Message != "" {
			s += ": " + e.Message
		}
		if e.hint != "" {
			s += "; if it exists, the workflow needs " + e.hint
		}
		return s
	case KindRateLimited:
		s := fmt.Sprintf("GitHub rate limit still exceeded for %q (%d) after retrying", e.Op, e.StatusCode)
		if e.Message != "" {
			s += ": " + e.Message
		}
		return s
	}
	s := fmt.Sprintf("GitHub API error for %q (%d)", e.Op, e.StatusCode)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is matches the sentinel for the error's kind.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Kind == KindUnauthorized
	case ErrPermission:
		return e.Kind == KindPermission
	case ErrNotFound:
		return e.Kind == KindNotFound
	case ErrRateLimited:
		return e.Kind == KindRateLimited
	}
	return false
}

// Unwrap returns the underlying go-github error.
func (e *APIError) Unwrap() error { return e.err }

// translate turns an error from go-github into an error for callers.
func translate(o op, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrBudgetExhausted) {
		return fmt.Errorf("%s: %w", o.name, budgetErr(err))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", o.name, err)
	}

	var (
		resp    *http.Response
		msg     string
		limited bool
	)
	var rle *github.RateLimitError
	var arle *github.AbuseRateLimitError
	var er *github.ErrorResponse
	switch {
	case errors.As(err, &rle):
		resp, msg, limited = rle.Response, rle.Message, true
	case errors.As(err, &arle):
		resp, msg, limited = arle.Response, arle.Message, true
	case errors.As(err, &er):
		resp, msg = er.Response, er.Message
		if d := errorDetails(er.Errors); d != "" {
			msg += " (" + d + ")"
		}
	default:
		return fmt.Errorf("GitHub request for %q failed: %w", o.name, err)
	}
	code := 0
	if resp != nil {
		code = resp.StatusCode
	}
	if msg == "" && code != 0 {
		msg = http.StatusText(code)
	}
	ae := &APIError{Op: o.name, Permission: o.perm, StatusCode: code, Message: msg, err: err}
	if o.perm != "" {
		ae.hint = o.needs()
	}
	switch {
	case code == http.StatusUnauthorized:
		ae.Kind = KindUnauthorized
	case limited || code == http.StatusTooManyRequests ||
		(code == http.StatusForbidden && strings.Contains(strings.ToLower(msg), "rate limit")):
		ae.Kind = KindRateLimited
	case code == http.StatusForbidden && o.perm != "":
		ae.Kind = KindPermission
	case code == http.StatusNotFound && o.write:
		ae.Kind = KindPermission
	case code == http.StatusNotFound:
		ae.Kind = KindNotFound
	}
	return ae
}

// errorDetails flattens GitHub's validation error list.
func errorDetails(list []github.Error) string {
	var parts []string
	for _, e := range list {
		switch {
		case e.Message != "":
			parts = append(parts, e.Message)
		case e.Field != "" || e.Code != "":
			parts = append(parts, strings.TrimSpace(e.Field+" "+e.Code))
		}
	}
	return strings.Join(parts, "; ")
}

// budgetErr digs the budget error out of the *url.Error wrapper so messages
// do not repeat the request URL.
func budgetErr(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.HasPrefix(e.Error(), ErrBudgetExhausted.Error()) {
			return e
		}
	}
	return err
}

// redactedError hides the token should it ever appear in an error message.
type redactedError struct {
	msg string
	err error
}

func (r *redactedError) Error() string { return r.msg }
func (r *redactedError) Unwrap() error { return r.err }

// redact replaces every occurrence of token in err's message.
func redact(token string, err error) error {
	if err == nil || token == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, token) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(msg, token, "***"), err: err}
}
