package launchplane

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/launchplane/lpfake"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/store"
)

var laneA = store.Route{Context: "a", Instance: "prod"}

func clientFor(t *testing.T, w *world, token string, base string) *Client {
	t.Helper()
	if base == "" {
		base = w.fake.URL
	}
	c, err := NewClient(ClientOptions{BaseURL: base, Tokens: &staticToken{tok: token, kind: "test"}, Retry: instant})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every rejected envelope becomes a *ServiceError whose sentence says what
// to do, with the trace id; none is retried.
func TestServiceErrors(t *testing.T) {
	w := newWorld(t, []fixture.Route{fixture.Complete("a", "prod")})
	w.fake.Grant("audit-only", GrantAudit)
	w.fake.ReadOnlyTerminal("terminal")
	w.fake.SetKeyState(opToken, "k-running", "running")
	w.fake.SetKeyState(opToken, "k-reconcile", "reconcile_required")
	audit := OperationRequest{Mode: ModeAudit, ProviderID: "dokploy", Context: "a", Instance: "prod"}
	apply := OperationRequest{Mode: ModeBackfillApply, ProviderID: "dokploy", Context: "a", Instance: "prod", Reason: "r"}
	// A first apply stores k-used with reason "r".
	if _, err := clientFor(t, w, opToken, "").Operate(context.Background(), apply, "k-used"); err != nil {
		t.Fatal(err)
	}
	applyOther := apply
	applyOther.Reason = "another reason"
	noReason := apply
	noReason.Reason = ""
	cases := []struct {
		name   string
		token  string
		base   string
		req    OperationRequest
		key    string
		fault  lpfake.Fault
		status int
		code   string
		advice []string
	}{
		{"unknown token", "nope", "", audit, "", 0, 401, "authentication_required", []string{"audience", "id-token: write"}},
		{"terminal secret", "terminal", "", audit, "", 0, 403, "authorization_denied", []string{GrantAudit}},
		{"no apply grant", "audit-only", "", apply, "k1", 0, 403, "authorization_denied", []string{GrantBackfill, "repository and workflow"}},
		{"invalid", opToken, "", noReason, "k2", 0, 400, "invalid_request", []string{"refused the request as invalid"}},
		{"reused", opToken, "", applyOther, "k-used", 0, 409, "idempotency_key_reused", []string{"original --reason", "new dry run"}},
		{"in progress", opToken, "", apply, "k-running", 0, 409, "mutation_in_progress", []string{"wait for it", "replays"}},
		{"reconcile", opToken, "", apply, "k-reconcile", 0, 409, "mutation_reconciliation_required", []string{"reconcile"}},
		{"database", opToken, "", audit, "", lpfake.Fault503, 503, "database_required", []string{"Postgres"}},
		{"non-JSON", opToken, "", audit, "", lpfake.FaultNonJSON500, 500, "", []string{"not JSON"}},
		{"404", opToken, w.fake.URL + "/nope", audit, "", 0, 404, "not_found", []string{"base URL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w.fake.SetHook(func(lpfake.Request, int) lpfake.Fault { return c.fault })
			defer func() { w.fake.SetHook(nil) }()
			before := len(w.fake.Requests())
			_, err := clientFor(t, w, c.token, c.base).Operate(context.Background(), c.req, c.key)
			var se *ServiceError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T)", err, err)
			}
			if se.Status != c.status || se.Code != c.code {
				t.Fatalf("status %d code %q, want %d %q: %v", se.Status, se.Code, c.status, c.code, err)
			}
			msg := err.Error()
			for _, a := range c.advice {
				if !strings.Contains(msg, a) {
					t.Errorf("%q lacks %q", msg, a)
				}
			}
			if c.code != "" && (se.TraceID == "" || !strings.Contains(msg, se.TraceID)) {
				t.Errorf("%q lacks the trace id %q", msg, se.TraceID)
			}
			if n := len(w.fake.Requests()) - before; n != 1 {
				t.Errorf("%d requests, want 1 (HTTP errors are never retried)", n)
			}
		})
	}
	// The rest go below Operate: a missing key and a wrong method.
	c := clientFor(t, w, opToken, "")
	se := &ServiceError{Op: ModeBackfillApply, Route: laneA, Grant: GrantBackfill}
	_, err := c.call(context.Background(), http.MethodPost, OperationsPath, apply.Body(), "", se)
	if !errors.As(err, &se) || se.Code != "idempotency_key_required" || !strings.Contains(err.Error(), "Idempotency-Key") {
		t.Errorf("missing key: %v", err)
	}
	se = &ServiceError{Op: ModeAudit, Route: laneA}
	_, err = c.call(context.Background(), http.MethodGet, OperationsPath, nil, "", se)
	if !errors.As(err, &se) || se.Status != 405 || se.Code != "method_not_allowed" {
		t.Errorf("405: %v", err)
	}
	if _, err := c.Operate(context.Background(), apply, " "); err == nil {
		t.Error("apply without a key sent")
	}
}

// The 401 carries WWW-Authenticate (the fake speaks the documented
// protocol).
func TestFakeUnauthorizedHeader(t *testing.T) {
	w := newWorld(t, nil)
	resp, err := http.Post(w.fake.URL+OperationsPath, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer realm="Launchplane API"` {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// The token never appears in anything lanegate could print: errors, notes,
// descriptions, reports, apply results. Partial tokens neither.
func TestTokenNeverPrinted(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2lnbmF0dXJlLXNlY3JldA"
	w := newWorld(t, []fixture.Route{fixture.Complete("a", "prod"), fixture.Complete("b", "prod")})
	w.fake.Grant(jwt, GrantAudit)
	oidc := lpfake.NewOIDC(t, "runner-request-token-5e1f", "svc.example", jwt)
	getenv := env{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": oidc.RequestURL(),
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-request-token-5e1f"}.get
	var outputs []string
	masked := 0
	lp, err := Open(backend.Spec{Target: w.fake.URL, Getenv: getenv, Lanes: w.lanes},
		Options{Audience: "svc.example", Retry: instant, OnToken: func(s string) {
			if s == jwt {
				masked++
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, lp.Describe())
	faults := []lpfake.Fault{lpfake.FaultNone, lpfake.Fault503, lpfake.FaultNonJSON500, lpfake.FaultDrop}
	for _, f := range faults {
		w.fake.SetHook(func(r lpfake.Request, _ int) lpfake.Fault {
			if r.Route.Context == "b" {
				return f
			}
			return lpfake.FaultNone
		})
		outputs = append(outputs, string(auditJSON(t, lp, audit.Filter{}, nil)))
		outputs = append(outputs, lp.Notes()...)
	}
	w.fake.SetHook(nil)
	// An apply without the grant fails, and its error is printed.
	_, err = lp.ApplyBackfill(context.Background(), applyRequest(reviewedDigest(t, lp), "r", audit.Filter{}))
	if err != nil {
		outputs = append(outputs, err.Error())
	}
	for _, lr := range lp.LastApply() {
		outputs = append(outputs, lr.Detail)
	}
	// A service that echoes the token in its message.
	echo := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.WriteHeader(http.StatusForbidden)
		io.WriteString(rw, `{"status":"rejected","trace_id":"t1","error":{"code":"authorization_denied","message":"token `+jwt+` is not allowed"}}`)
	}))
	defer echo.Close()
	c, _ := NewClient(ClientOptions{BaseURL: echo.URL, Tokens: &staticToken{tok: jwt}, Retry: instant})
	_, err = c.Operate(context.Background(), OperationRequest{Mode: ModeAudit, ProviderID: "dokploy", Context: "a", Instance: "prod"}, "")
	outputs = append(outputs, err.Error())
	// OIDC failures.
	for _, m := range []lpfake.OIDCMode{lpfake.OIDCStatus500, lpfake.OIDCNoValue, lpfake.OIDCEmptyValue} {
		oidc.SetMode(m)
		ts, err := NewTokenSource(TokenOptions{Getenv: getenv, Audience: "svc.example", Retry: instant})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ts.Token(context.Background())
		if err == nil {
			t.Fatalf("mode %d: no error", m)
		}
		outputs = append(outputs, err.Error(), ts.Kind())
	}
	if masked != 1 {
		t.Errorf("OnToken saw the token %d times, want 1", masked)
	}
	for _, secret := range []string{jwt, "runner-request-token-5e1f"} {
		for _, out := range outputs {
			for i := 0; i+8 <= len(secret); i++ {
				if part := secret[i : i+8]; strings.Contains(out, part) {
					t.Fatalf("output holds %q of a token:\n%s", part, out)
				}
			}
		}
	}
	if !bytes.Contains([]byte(strings.Join(outputs, "\n")), []byte("database_required")) {
		t.Error("the outputs do not hold the failures the test provoked")
	}
}

// A lane whose report a scan cannot decode is blocked too, and says why.
func TestMalformedReportBlocksLane(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	rep := &Report{Entries: []Entry{{Context: "a", Instance: "prod", Status: "complete", Severity: "ok"}}}
	if _, err := routeRecords(ModeAudit, laneA, rep); err == nil || !strings.Contains(err.Error(), "physical") {
		t.Errorf("complete without records: %v", err)
	}
	rep.Entries[0].Context = "b"
	if _, err := routeRecords(ModeAudit, laneA, rep); err == nil {
		t.Error("an entry for another route accepted")
	}
	rep.Entries[0] = Entry{Context: "a", Instance: "prod", Status: "no_matching_routes", Severity: "blocked"}
	if rr, err := routeRecords(ModeAudit, laneA, rep); err != nil || rr != nil {
		t.Errorf("no_matching_routes: %v %v", rr, err)
	}
	rep.Entries = append(rep.Entries, Entry{Context: "a", Instance: "prod", Status: "complete", Severity: "ok"})
	if _, err := routeRecords(ModeAudit, laneA, rep); err == nil {
		t.Error("no_matching_routes with another status accepted")
	}
	for _, bad := range []string{`{}`, `{"status":"ok","inspected_route_count":1,"blocked_count":0,"warning_count":0,"counts":{},"findings":[],"extra":1}`,
		`{"status":"ok","inspected_route_count":1,"blocked_count":0,"warning_count":0,"counts":{},"items":[],"applied":false}`} {
		if _, err := DecodeReport(ModeAudit, []byte(bad)); err == nil {
			t.Errorf("DecodeReport accepted %s", bad)
		}
	}
}
