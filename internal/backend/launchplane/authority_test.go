package launchplane

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/backend/launchplane/lpfake"
	"github.com/lanegate/lanegate/internal/store"
)

func TestAuthorityPass(t *testing.T) {
	ok := Authority{Provider: "dokploy", ProviderTargetType: "application", TrustState: "recorded", TargetIDRecorded: true}
	cases := []struct {
		name string
		mod  func(*Authority)
		pass bool
		why  string
	}{
		{"recorded", func(*Authority) {}, true, ""},
		{"verified is blocked", func(a *Authority) { a.TrustState = "verified" }, false, "trust_state"},
		{"missing", func(a *Authority) { a.TrustState = "missing" }, false, "trust_state"},
		{"no target id", func(a *Authority) { a.TargetIDRecorded = false }, false, "target_id_recorded"},
		{"empty type", func(a *Authority) { a.ProviderTargetType = "" }, false, "provider_target_type"},
		{"other provider", func(a *Authority) { a.Provider = "netlify" }, false, "target.provider"},
		{"provider with space", func(a *Authority) { a.Provider = "dokploy " }, false, "target.provider"},
	}
	for _, c := range cases {
		a := ok
		c.mod(&a)
		pass, why := AuthorityPass(a, "dokploy")
		if pass != c.pass || (c.why != "" && (len(why) != 1 || !strings.Contains(why[0], c.why))) {
			t.Errorf("%s: pass %v why %q", c.name, pass, why)
		}
	}
}

func TestReadAuthority(t *testing.T) {
	w := newWorld(t, nil)
	w.fake.SetEnvironment("syo", "prod", lpfake.Environment{Context: "syo", Provider: "dokploy", ProviderTargetType: "application",
		TrustState: "recorded", TargetIDRecorded: true, AvailableActions: 3, RuntimeSettings: 2, ManagedSecrets: 1})
	w.fake.SetEnvironment("syo", "testing", lpfake.Environment{Context: "syo", Provider: "dokploy", ProviderTargetType: "application",
		TrustState: "verified", TargetIDRecorded: true})
	w.fake.Grant("no-read", GrantAudit)
	c := clientFor(t, w, opToken, "")
	lane := store.Route{Context: "syo", Instance: "prod"}
	a, err := c.ReadAuthority(context.Background(), "syo", lane)
	if err != nil {
		t.Fatal(err)
	}
	want := Authority{Product: "syo", Route: lane, Context: "syo", Provider: "dokploy", ProviderTargetType: "application",
		TrustState: "recorded", TargetIDRecorded: true, AvailableActions: 3, RuntimeSettings: 2, ManagedSecrets: 1, TraceID: a.TraceID}
	if a != want || a.TraceID == "" {
		t.Fatalf("got %+v\nwant %+v", a, want)
	}
	if pass, _ := AuthorityPass(a, "dokploy"); !pass {
		t.Error("recorded lane does not pass")
	}
	a, err = c.ReadAuthority(context.Background(), "syo", store.Route{Context: "syo", Instance: "testing"})
	if pass, _ := AuthorityPass(a, "dokploy"); err != nil || pass {
		t.Errorf("verified lane: pass %v err %v", pass, err)
	}
	_, err = c.ReadAuthority(context.Background(), "nope", lane)
	var se *ServiceError
	if !errors.As(err, &se) || se.Status != 404 || !strings.Contains(err.Error(), "does not know product nope") {
		t.Errorf("404: %v", err)
	}
	_, err = clientFor(t, w, "no-read", "").ReadAuthority(context.Background(), "syo", lane)
	if !errors.As(err, &se) || se.Status != 403 || !strings.Contains(err.Error(), GrantRead) || !strings.Contains(err.Error(), "product syo, context syo, instance prod") {
		t.Errorf("403: %v", err)
	}
	// Defaults for missing fields.
	d, err := DecodeAuthority([]byte(`{"status":"ok","trace_id":"t","environment":{"target":{}}}`))
	if err != nil || d.TrustState != "missing" || d.TargetIDRecorded {
		t.Errorf("defaults %+v %v", d, err)
	}
	for _, bad := range []string{`[]`, `{"status":"ok"}`, `{"status":"rejected","environment":{"target":{}}}`, `not json`} {
		if _, err := DecodeAuthority([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
