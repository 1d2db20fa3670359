package launchplane

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/launchplane/lpfake"
	"github.com/lanegate/lanegate/internal/store"
)

func TestOIDCToken(t *testing.T) {
	oidc := lpfake.NewOIDC(t, "req-tok", "svc.example", "the.jwt.value")
	base := env{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": oidc.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "req-tok"}
	ts, err := NewTokenSource(TokenOptions{Getenv: base.get, Audience: "svc.example", Retry: instant})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token(context.Background())
	if err != nil || tok != "the.jwt.value" || ts.Kind() != "GitHub OIDC" {
		t.Fatalf("token %q, %v", tok, err)
	}
	// Cached: one request for many calls.
	ts.Token(context.Background())
	if oidc.Calls() != 1 || len(oidc.Problems()) != 0 {
		t.Fatalf("calls %d problems %q", oidc.Calls(), oidc.Problems())
	}
	// An audience already on the URL is replaced, not repeated.
	withAud := env{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": oidc.RequestURL() + "&audience=wrong", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "req-tok"}
	ts, _ = NewTokenSource(TokenOptions{Getenv: withAud.get, Audience: "svc.example", Retry: instant})
	if _, err := ts.Token(context.Background()); err != nil || len(oidc.Problems()) != 0 {
		t.Fatalf("%v %q", err, oidc.Problems())
	}
	// A dropped connection is retried.
	oidc.SetMode(lpfake.OIDCDropFirst)
	o2 := lpfake.NewOIDC(t, "req-tok", "svc.example", "jwt2")
	o2.SetMode(lpfake.OIDCDropFirst)
	e2 := env{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": o2.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "req-tok"}
	ts, _ = NewTokenSource(TokenOptions{Getenv: e2.get, Audience: "svc.example", Retry: instant})
	if tok, err := ts.Token(context.Background()); err != nil || tok != "jwt2" || o2.Calls() != 2 {
		t.Fatalf("retry: %q %v calls %d", tok, err, o2.Calls())
	}
	// Negative modes; none retried.
	for _, c := range []struct {
		mode lpfake.OIDCMode
		want string
	}{{lpfake.OIDCStatus500, "HTTP 500"}, {lpfake.OIDCNoValue, "no value"}, {lpfake.OIDCEmptyValue, "empty"}} {
		o := lpfake.NewOIDC(t, "req-tok", "svc.example", "x")
		o.SetMode(c.mode)
		e := env{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": o.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "req-tok"}
		ts, _ := NewTokenSource(TokenOptions{Getenv: e.get, Audience: "svc.example", Retry: instant})
		_, err := ts.Token(context.Background())
		var oe *OIDCError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), c.want) || o.Calls() != 1 {
			t.Errorf("mode %d: %v, calls %d", c.mode, err, o.Calls())
		}
	}
	// A wrong request token is refused by the endpoint.
	bad := env{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": oidc.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "other"}
	ts, _ = NewTokenSource(TokenOptions{Getenv: bad.get, Audience: "svc.example", Retry: instant})
	if _, err := ts.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("wrong request token: %v", err)
	}
}

func TestTokenSourceChoice(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	if err := os.WriteFile(file, []byte("  file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		env     env
		file    string
		token   string
		kind    string
		config  string // a *ConfigError containing this
		tokenEr string
	}{
		{"file wins", env{"GITHUB_ACTIONS": "true", "LAUNCHPLANE_TOKEN": "env"}, file, "file-token", "token file", "", ""},
		{"env outside actions", env{"LAUNCHPLANE_TOKEN": " env-token "}, "", "env-token", "LAUNCHPLANE_TOKEN", "", ""},
		{"actions without oidc", env{"GITHUB_ACTIONS": "true", "LAUNCHPLANE_TOKEN": "env"}, "", "", "", "permissions: id-token: write", ""},
		{"actions half oidc", env{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "http://x/?a=1"}, "", "", "", "permissions: id-token: write", ""},
		{"nothing", env{}, "", "", "", "--token-file", ""},
		{"bad oidc url", env{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "ftp://x", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}, "", "", "", "not an http(s) URL", ""},
		{"empty file", env{}, empty, "", "token file", "", "is empty"},
		{"missing file", env{}, filepath.Join(dir, "nope"), "", "token file", "", "cannot read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts, err := NewTokenSource(TokenOptions{Getenv: c.env.get, Audience: "aud", TokenFile: c.file})
			var ce *ConfigError
			if c.config != "" {
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.config) {
					t.Fatalf("err = %v, want a config error with %q", err, c.config)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ts.Kind(), c.kind) {
				t.Errorf("kind %q", ts.Kind())
			}
			tok, err := ts.Token(context.Background())
			if c.tokenEr != "" {
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.tokenEr) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || tok != c.token {
				t.Fatalf("token %q %v", tok, err)
			}
		})
	}
}

func TestOpenConfig(t *testing.T) {
	getenv := env{"LAUNCHPLANE_TOKEN": "t"}.get
	lanes := []store.Route{{Context: "a", Instance: "b"}}
	for _, c := range []struct {
		url   string
		lanes []store.Route
		want  string
	}{
		{"ftp://h", lanes, "http(s) URL"},
		{"https://u:p@h", lanes, "credentials"},
		{"https://h/?q=1", lanes, "query"},
		{"https://h", nil, "lanes.yaml"},
	} {
		_, err := Open(backend.Spec{Target: c.url, Getenv: getenv, Lanes: c.lanes}, Options{})
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.url, err)
		}
		if err != nil && strings.Contains(err.Error(), "u:p") {
			t.Errorf("credentials printed: %v", err)
		}
	}
	b, err := Open(backend.Spec{Target: "https://svc.example:8443/base/", Getenv: getenv, Lanes: lanes}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind() != "launchplane" || b.client.audience != "svc.example" || !strings.Contains(b.Describe(), "svc.example:8443") {
		t.Errorf("kind %q audience %q describe %q", b.Kind(), b.client.audience, b.Describe())
	}
}
