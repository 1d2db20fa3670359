package launchplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/lanegate/lanegate/internal/backend"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/lanegate/lanegate/internal/safeio"
)

// ConfigError is a configuration problem found before any call to the
// service: the backends' one configuration error, which the command layer
// maps to exit 2 (usage).
type ConfigError = backend.ConfigError

func configErr(format string, args ...any) *ConfigError {
	return &ConfigError{Err: fmt.Errorf(format, args...)}
}

// TokenSource mints the bearer token every call carries.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	// Kind says where tokens come from, for logs: "GitHub OIDC",
	// "token file", "LAUNCHPLANE_TOKEN". Never the token.
	Kind() string
}

// TokenOptions choose and configure a TokenSource.
type TokenOptions struct {
	Getenv    func(string) string
	Audience  string // the OIDC audience; required for OIDC
	TokenFile string // an operator bearer in a file (wins over everything)
	// HTTP is the client for the OIDC request (nil: a default client).
	HTTP  *http.Client
	Retry Retry
	// OnToken, when set, is told every token minted or read, once, so the
	// caller can mask it in the Actions log before anything is printed.
	OnToken func(string)
}

// maxTokenBytes caps a token file and a token response.
const maxTokenBytes = 64 << 10

// NewTokenSource picks the token source:
//   - --token-file, when given: an operator bearer read from the file;
//   - in GitHub Actions (GITHUB_ACTIONS=true): a GitHub OIDC token minted
//     from ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN,
//     which the runner sets only for a job with permissions: id-token: write;
//   - otherwise LAUNCHPLANE_TOKEN, an operator bearer.
//
// A missing source is a *ConfigError.
func NewTokenSource(opt TokenOptions) (TokenSource, error) {
	getenv := opt.Getenv
	if getenv == nil {
		return nil, errors.New("launchplane: TokenOptions.Getenv is required")
	}
	if opt.TokenFile != "" {
		return &fileToken{path: opt.TokenFile, onToken: opt.OnToken}, nil
	}
	if getenv("GITHUB_ACTIONS") == "true" {
		reqURL := getenv("ACTIONS_ID_TOKEN_REQUEST_URL")
		reqTok := getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
		if reqURL == "" || reqTok == "" {
			return nil, configErr("the Launchplane service backend needs a GitHub OIDC token, but ACTIONS_ID_TOKEN_REQUEST_URL or ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set: the job needs `permissions: id-token: write`")
		}
		if opt.Audience == "" {
			return nil, configErr("the Launchplane service backend needs an OIDC audience (--audience, default the service URL's host)")
		}
		u, err := oidcURL(reqURL, opt.Audience)
		if err != nil {
			return nil, err
		}
		hc := opt.HTTP
		if hc == nil {
			hc = &http.Client{}
		}
		return &oidcToken{url: u, reqToken: reqTok, http: hc, retry: opt.Retry.withDefaults(), onToken: opt.OnToken}, nil
	}
	if tok := strings.TrimSpace(getenv("LAUNCHPLANE_TOKEN")); tok != "" {
		return &staticToken{tok: tok, kind: "LAUNCHPLANE_TOKEN", onToken: opt.OnToken}, nil
	}
	return nil, configErr("no Launchplane token: outside GitHub Actions pass --token-file FILE or set LAUNCHPLANE_TOKEN; in GitHub Actions the job needs `permissions: id-token: write`")
}

// oidcURL sets the audience query parameter on the runner's token URL, which
// already carries a query (?api-version=...), replacing any audience there.
func oidcURL(raw, audience string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is the runner's; it is not a secret, but say nothing of
		// its content beyond its shape.
		return "", configErr("ACTIONS_ID_TOKEN_REQUEST_URL is not an http(s) URL")
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

type staticToken struct {
	tok     string
	kind    string
	onToken func(string)
	once    sync.Once
}

func (s *staticToken) Kind() string { return s.kind }

func (s *staticToken) Token(context.Context) (string, error) {
	s.once.Do(func() {
		if s.onToken != nil {
			s.onToken(s.tok)
		}
	})
	return s.tok, nil
}

type fileToken struct {
	path    string
	onToken func(string)
	mu      sync.Mutex
	tok     string
}

func (f *fileToken) Kind() string { return "token file " + f.path }

func (f *fileToken) Token(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tok != "" {
		return f.tok, nil
	}
	data, err := safeio.ReadRegularFile(f.path, maxTokenBytes)
	if err != nil {
		return "", configErr("cannot read the Launchplane token file %s: %v", f.path, pathErrReason(err))
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", configErr("the Launchplane token file %s is empty", f.path)
	}
	if strings.ContainsAny(tok, "\r\n") {
		return "", configErr("the Launchplane token file %s holds more than one line", f.path)
	}
	if f.onToken != nil {
		f.onToken(tok)
	}
	f.tok = tok
	return tok, nil
}

// pathErrReason drops the path from an *os.PathError (the message names it).
func pathErrReason(err error) error {
	var pe interface{ Unwrap() error }
	if errors.As(err, &pe) {
		if inner := pe.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

type oidcToken struct {
	url      string
	reqToken string
	http     *http.Client
	retry    Retry
	onToken  func(string)
	mu       sync.Mutex
	tok      string
}

func (o *oidcToken) Kind() string { return "GitHub OIDC" }

// OIDCError is a failed OIDC token request. It never holds either token.
type OIDCError struct {
	Status int // HTTP status, 0 for a network error
	Msg    string
}

func (e *OIDCError) Error() string { return "GitHub OIDC token request: " + e.Msg }

func (o *oidcToken) Token(ctx context.Context) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tok != "" {
		return o.tok, nil
	}
	var tok string
	err := o.retry.do(ctx, func() (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.url, nil)
		if err != nil {
			return false, &OIDCError{Msg: "cannot build the request"}
		}
		req.Header.Set("Authorization", "Bearer "+o.reqToken)
		req.Header.Set("Accept", "application/json")
		resp, err := o.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return true, &OIDCError{Msg: "network error: " + scrubNetErr(err, o.url)}
		}
		defer resp.Body.Close()
		body, err := readCapped(resp.Body, maxTokenBytes)
		if err != nil {
			if errors.Is(err, errTooLarge) {
				return false, &OIDCError{Status: resp.StatusCode, Msg: "the response is larger than 64 KiB"}
			}
			return true, &OIDCError{Status: resp.StatusCode, Msg: "network error reading the response"}
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return false, &OIDCError{Status: resp.StatusCode, Msg: fmt.Sprintf("HTTP %d; check that the job has `permissions: id-token: write`", resp.StatusCode)}
		}
		var v struct {
			Value *string `json:"value"`
		}
		if json.Unmarshal(body, &v) != nil {
			return false, &OIDCError{Status: resp.StatusCode, Msg: "the response is not a JSON object"}
		}
		if v.Value == nil {
			return false, &OIDCError{Status: resp.StatusCode, Msg: "the response has no value"}
		}
		tok = strings.TrimSpace(*v.Value)
		if tok == "" {
			return false, &OIDCError{Status: resp.StatusCode, Msg: "the response's value is empty"}
		}
		return false, nil
	})
	if err != nil {
		return "", err
	}
	if o.onToken != nil {
		o.onToken(tok)
	}
	o.tok = tok
	return tok, nil
}

var errTooLarge = errors.New("response body too large")

// readCapped reads at most max bytes; a longer body is errTooLarge.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, errTooLarge
	}
	return data, nil
}

// scrubNetErr describes a transport error without the request URL (which,
// for the OIDC request, carries the audience only, but keep every URL out of
// messages that might be echoed).
func scrubNetErr(err error, rawURL string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if rawURL != "" {
		msg = strings.ReplaceAll(msg, rawURL, "<url>")
	}
	return msg
}

// exitRuntime is the command layer's runtime exit code, so the command maps
// these errors without naming their types.
const exitRuntime = 3

// ExitCode: a failed token request is a runtime error.
func (e *OIDCError) ExitCode() int { return exitRuntime }

// ExitCode: a refused or malformed service call is a runtime error.
func (e *ServiceError) ExitCode() int { return exitRuntime }

// ExitCode: a network failure is a runtime error.
func (e *NetworkError) ExitCode() int { return exitRuntime }
