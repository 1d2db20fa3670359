package dokploy

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testKey = "lg-test-key-9f3a7c1e5b"

// fakeDokploy is an in-process stand-in for the Dokploy API. It checks the
// x-api-key header and the query parameter names the real bridge expects.
type fakeDokploy struct {
	t            *testing.T
	applications map[string]map[string]any
	composes     map[string]map[string]any
	// override, when set, handles the request after authentication.
	override func(w http.ResponseWriter, r *http.Request)
}

func (f *fakeDokploy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		f.t.Errorf("unexpected method %s", r.Method)
		return
	}
	if got := r.Header.Get("x-api-key"); got != testKey {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"Unauthorized"}`)
		return
	}
	if f.override != nil {
		f.override(w, r)
		return
	}
	var (
		rec   map[string]any
		ok    bool
		param string
		what  string
	)
	switch r.URL.Path {
	case "/api/application.one":
		param, what = "applicationId", "Application"
		rec, ok = f.applications[r.URL.Query().Get(param)]
	case "/api/compose.one":
		param, what = "composeId", "Compose"
		rec, ok = f.composes[r.URL.Query().Get(param)]
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<html>404 page</html>")
		return
	}
	q := r.URL.Query()
	if len(q) != 1 || q.Get(param) == "" {
		f.t.Errorf("query %q: want exactly one non-empty %s parameter", r.URL.RawQuery, param)
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Input validation failed", "code": "BAD_REQUEST"})
		return
	}
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": what + " not found", "code": "NOT_FOUND"})
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func newFake(t *testing.T) (*fakeDokploy, *httptest.Server) {
	t.Helper()
	f := &fakeDokploy{
		t: t,
		applications: map[string]map[string]any{
			"app-123": {
				"applicationId":     "app-123",
				"name":              "Storefront",
				"appName":           "storefront-x1y2z3",
				"applicationStatus": "done",
				"domains":           []any{map[string]any{"host": "shop.example.com"}},
				"deployments":       []any{},
			},
		},
		composes: map[string]map[string]any{
			"cmp-9": {
				"composeId":     "cmp-9",
				"name":          "Billing stack",
				"appName":       "billing-abc123",
				"composeStatus": "idle",
			},
		},
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func newClient(t *testing.T, base, key string, hc *http.Client) *Client {
	t.Helper()
	c, err := New(base, key, hc)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestGetApplicationFound(t *testing.T) {
	_, srv := newFake(t)
	c := newClient(t, srv.URL, testKey, srv.Client())

	got, err := c.Get(context.Background(), TypeApplication, "app-123")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := Target{Type: "application", ID: "app-123", Name: "Storefront", AppName: "storefront-x1y2z3"}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestGetComposeFound(t *testing.T) {
	_, srv := newFake(t)
	// Base URL given with /api and a trailing slash.
	c := newClient(t, srv.URL+"/api/", testKey, srv.Client())

	got, err := c.Get(context.Background(), TypeCompose, "cmp-9")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := Target{Type: "compose", ID: "cmp-9", Name: "Billing stack", AppName: "billing-abc123"}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestGetNotFound404(t *testing.T) {
	_, srv := newFake(t)
	c := newClient(t, srv.URL, testKey, srv.Client())

	for _, tc := range []struct{ typ, id string }{
		{TypeApplication, "missing"},
		{TypeCompose, "missing"},
	} {
		_, err := c.Get(context.Background(), tc.typ, tc.id)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: err = %v, want ErrNotFound", tc.typ, err)
		}
		if !strings.Contains(err.Error(), `"missing"`) || !strings.Contains(err.Error(), "not found") {
			t.Errorf("%s: error %q lacks id or Dokploy's message", tc.typ, err)
		}
	}
}

func TestGetNotFoundInErrorBody(t *testing.T) {
	// Some Dokploy versions/proxies return the tRPC NOT_FOUND error with a
	// 400 or 500 status.
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"400 message", 400, `{"message":"Application not found","code":"NOT_FOUND"}`},
		{"500 message only", 500, `{"message":"Application not found"}`},
		{"trpc envelope", 500, `{"error":{"message":"Application not found","code":-32004,"data":{"code":"NOT_FOUND","httpStatus":404}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFake(t)
			f.override = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}
			c := newClient(t, srv.URL, testKey, srv.Client())
			_, err := c.Get(context.Background(), TypeApplication, "gone")
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			var ue *UnavailableError
			if errors.As(err, &ue) {
				t.Fatalf("not-found body classified as unavailable: %v", err)
			}
		})
	}
}

func TestGetWrongBaseURLHTML404(t *testing.T) {
	_, srv := newFake(t)
	c := newClient(t, srv.URL+"/dokploy", testKey, srv.Client()) // -> /dokploy/api/...
	_, err := c.Get(context.Background(), TypeApplication, "app-123")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "check the Dokploy URL") {
		t.Errorf("error %q should hint at the URL", err)
	}
}

func TestGetUnauthorized(t *testing.T) {
	_, srv := newFake(t)
	c := newClient(t, srv.URL, "wrong-key-77d1", srv.Client())

	_, err := c.Get(context.Background(), TypeApplication, "app-123")
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v (%T), want *AuthError", err, err)
	}
	if ae.StatusCode != 401 {
		t.Errorf("status = %d, want 401", ae.StatusCode)
	}
	if got, want := err.Error(), "Dokploy rejected the API key (401)"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestGetForbiddenWithReason(t *testing.T) {
	f, srv := newFake(t)
	f.override = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "You don't have access to this service", "code": "FORBIDDEN"})
	}
	c := newClient(t, srv.URL, testKey, srv.Client())
	_, err := c.Get(context.Background(), TypeApplication, "app-123")
	var ae *AuthError
	if !errors.As(err, &ae) || ae.StatusCode != 403 {
		t.Fatalf("err = %v, want *AuthError 403", err)
	}
	if want := "Dokploy rejected the API key (403): You don't have access to this service"; err.Error() != want {
		t.Errorf("error = %q, want %q", err.Error(), want)
	}
}

func TestGetServerError(t *testing.T) {
	for _, status := range []int{500, 502, 503, 429} {
		f, srv := newFake(t)
		f.override = func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, status, map[string]any{"message": "database is down", "code": "INTERNAL_SERVER_ERROR"})
		}
		c := newClient(t, srv.URL, testKey, srv.Client())
		_, err := c.Get(context.Background(), TypeApplication, "app-123")
		var ue *UnavailableError
		if !errors.As(err, &ue) {
			t.Fatalf("%d: err = %v (%T), want *UnavailableError", status, err, err)
		}
		if ue.StatusCode != status || ue.Timeout {
			t.Errorf("%d: got %+v", status, ue)
		}
		if errors.Is(err, ErrNotFound) {
			t.Errorf("%d: classified as not found", status)
		}
	}
}

func TestGetTimeout(t *testing.T) {
	release := make(chan struct{})
	f, srv := newFake(t)
	f.override = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	t.Cleanup(func() { close(release) }) // runs before srv.Close

	t.Run("client timeout", func(t *testing.T) {
		hc := srv.Client()
		hc.Timeout = 100 * time.Millisecond
		c := newClient(t, srv.URL, testKey, hc)
		_, err := c.Get(context.Background(), TypeApplication, "app-123")
		var ue *UnavailableError
		if !errors.As(err, &ue) || !ue.Timeout {
			t.Fatalf("err = %v (%T), want timeout *UnavailableError", err, err)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		c := newClient(t, srv.URL, testKey, srv.Client())
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Get(ctx, TypeApplication, "app-123")
		var ue *UnavailableError
		if !errors.As(err, &ue) || !ue.Timeout {
			t.Fatalf("err = %v (%T), want timeout *UnavailableError", err, err)
		}
	})
	t.Run("context canceled", func(t *testing.T) {
		c := newClient(t, srv.URL, testKey, srv.Client())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Get(ctx, TypeApplication, "app-123")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		var ue *UnavailableError
		if errors.As(err, &ue) {
			t.Fatalf("cancellation classified as unavailable")
		}
	})
}

func TestGetNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more (still 127.0.0.1)

	c := newClient(t, url, testKey, nil)
	_, err := c.Get(context.Background(), TypeApplication, "app-123")
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v (%T), want *UnavailableError", err, err)
	}
}

func TestGetInvalidJSON(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"garbage", `<html>login</html>`},
		{"truncated", `{"applicationId":"app-123","name":"Sto`},
		{"array", `[1,2,3]`},
		{"missing id", `{"name":"Storefront","appName":"s"}`},
		{"other id", `{"applicationId":"app-999","name":"x","appName":"y"}`},
		{"wrong type", `{"applicationId":"app-123","name":42}`},
		{"empty", ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFake(t)
			f.override = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tc.body)
			}
			c := newClient(t, srv.URL, testKey, srv.Client())
			_, err := c.Get(context.Background(), TypeApplication, "app-123")
			if !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("err = %v, want ErrInvalidResponse", err)
			}
			var ue *UnavailableError
			if errors.As(err, &ue) {
				t.Fatalf("invalid JSON classified as unavailable")
			}
		})
	}
}

func TestGetLargeBodyStopsEarly(t *testing.T) {
	// Fields come first, then a related collection well over 1 MiB: the
	// client must find the fields without reading everything.
	f, srv := newFake(t)
	f.override = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"applicationId":"app-123","name":"Big","appName":"big-1","deployments":[`)
		entry := `{"title":"` + strings.Repeat("x", 1000) + `"},`
		for i := 0; i < 3000; i++ {
			if _, err := io.WriteString(w, entry); err != nil {
				return
			}
		}
		io.WriteString(w, `{}]}`)
	}
	c := newClient(t, srv.URL, testKey, srv.Client())
	got, err := c.Get(context.Background(), TypeApplication, "app-123")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Name != "Big" || got.AppName != "big-1" {
		t.Fatalf("got %+v", got)
	}
}

func TestGetBodyLimit(t *testing.T) {
	f, srv := newFake(t)
	f.override = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"padding":"`+strings.Repeat("y", 2<<20)+`","applicationId":"app-123","name":"n","appName":"a"}`)
	}
	c := newClient(t, srv.URL, testKey, srv.Client())
	_, err := c.Get(context.Background(), TypeApplication, "app-123")
	if !errors.Is(err, ErrInvalidResponse) || !strings.Contains(err.Error(), "1 MiB") {
		t.Fatalf("err = %v, want ErrInvalidResponse mentioning the limit", err)
	}
}

func TestNoRedirectFollowing(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != "" {
			leaked.Store(true)
		}
	}))
	t.Cleanup(other.Close)
	f, srv := newFake(t)
	f.override = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
	}
	c := newClient(t, srv.URL, testKey, srv.Client())
	_, err := c.Get(context.Background(), TypeApplication, "app-123")
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusFound {
		t.Fatalf("err = %v, want *APIError 302", err)
	}
	if leaked.Load() {
		t.Fatal("API key was sent to the redirect target")
	}
}

func TestKeyNeverInErrors(t *testing.T) {
	// A hostile or buggy server echoes the key back in every error body.
	echo := func(status int) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			k := r.Header.Get("x-api-key")
			writeJSON(w, status, map[string]any{"message": "bad key " + k + " for " + k})
		}
	}
	cases := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
	}{
		{"401", echo(401)},
		{"403", echo(403)},
		{"404", echo(404)},
		{"400", echo(400)},
		{"500", echo(500)},
		{"302", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/next?k="+r.Header.Get("x-api-key"), http.StatusFound)
		}},
		{"invalid json", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, r.Header.Get("x-api-key"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(tc.handler))
			defer srv.Close()
			c := newClient(t, srv.URL, testKey, srv.Client())
			_, err := c.Get(context.Background(), TypeApplication, "app-123")
			if err == nil {
				t.Fatal("expected an error")
			}
			assertNoKey(t, err)
		})
	}

	t.Run("network", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c := newClient(t, url, testKey, nil)
		_, err := c.Get(context.Background(), TypeApplication, "app-123")
		assertNoKey(t, err)
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		hc := srv.Client()
		hc.Timeout = 50 * time.Millisecond
		c := newClient(t, srv.URL, testKey, hc)
		_, err := c.Get(context.Background(), TypeApplication, "app-123")
		assertNoKey(t, err)
	})
}

func assertNoKey(t *testing.T, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), testKey) {
			t.Fatalf("error chain contains the API key: %q", e.Error())
		}
	}
	if strings.Contains(err.Error(), testKey) {
		t.Fatalf("error contains the API key: %q", err)
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"https://dokploy.example.com", "https://dokploy.example.com/api"},
		{"https://dokploy.example.com/", "https://dokploy.example.com/api"},
		{"https://dokploy.example.com/api", "https://dokploy.example.com/api"},
		{"https://dokploy.example.com/api/", "https://dokploy.example.com/api"},
		{"http://10.0.0.5:3000", "http://10.0.0.5:3000/api"},
		{"https://example.com/tools/dokploy", "https://example.com/tools/dokploy/api"},
		{"  https://dokploy.example.com/api  ", "https://dokploy.example.com/api"},
	} {
		c, err := New(tc.in, "k", nil)
		if err != nil {
			t.Errorf("New(%q): %v", tc.in, err)
			continue
		}
		if got := c.BaseURL(); got != tc.want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", tc.in, got, tc.want)
		}
	}

	for _, tc := range []struct{ base, key string }{
		{"https://dokploy.example.com", ""},
		{"https://dokploy.example.com", "   "},
		{"https://dokploy.example.com", "secret part"},
		{"https://dokploy.example.com", "secret\r\nX-Evil: 1"},
		{"", testKey},
		{"dokploy.example.com", testKey},
		{"ftp://dokploy.example.com", testKey},
		{"https://user:pw@dokploy.example.com", testKey},
		{"https://dokploy.example.com/api?x=1", testKey},
	} {
		_, err := New(tc.base, tc.key, nil)
		if err == nil {
			t.Errorf("New(%q, %q): expected error", tc.base, tc.key)
			continue
		}
		if strings.TrimSpace(tc.key) != "" && strings.Contains(err.Error(), strings.TrimSpace(tc.key)) {
			t.Errorf("New error %q leaks the key", err)
		}
	}
}

func TestGetArgumentValidation(t *testing.T) {
	c := newClient(t, "https://dokploy.invalid", testKey, nil)
	if _, err := c.Get(context.Background(), "database", "x"); err == nil {
		t.Error("unknown type: expected error")
	}
	if _, err := c.Get(context.Background(), TypeApplication, " "); err == nil {
		t.Error("empty id: expected error")
	}
}

func TestGetEscapesID(t *testing.T) {
	f, srv := newFake(t)
	var gotID string
	f.override = func(w http.ResponseWriter, r *http.Request) {
		gotID = r.URL.Query().Get("applicationId")
		writeJSON(w, 200, map[string]any{"applicationId": gotID, "name": "n", "appName": "a"})
	}
	c := newClient(t, srv.URL, testKey, srv.Client())
	id := "a&b=c d/é"
	if _, err := c.Get(context.Background(), TypeApplication, id); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if gotID != id {
		t.Fatalf("server saw id %q, want %q", gotID, id)
	}
}
