package evidence

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/verdict"
)

var authNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
var authSrc = Source{RunID: "77", RunAttempt: "1"}

func passingLane(lane string) AuthorityLane {
	ctx, _, _ := strings.Cut(lane, "/")
	return AuthorityLane{Lane: lane, Context: ctx, Product: ctx, ServiceContext: ctx, Provider: "dokploy", ProviderTargetType: "application",
		TrustState: "recorded", TargetIDRecorded: true, AvailableActions: 3, RuntimeSettings: 2, ManagedSecrets: 1, TraceID: "launchplane_req_1",
		RulePassed: true}
}

func TestAuthorityLanePasses(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*AuthorityLane)
		pass bool
		why  string
	}{
		{"rule passes, same context", func(*AuthorityLane) {}, true, ""},
		{"rule fails with reasons", func(l *AuthorityLane) {
			l.RulePassed, l.RuleReasons = false, []string{`target.trust_state is "verified"`}
		}, false, "verified"},
		{"rule fails without reasons still fails", func(l *AuthorityLane) { l.RulePassed = false }, false, "does not pass"},
		{"other context", func(l *AuthorityLane) { l.ServiceContext = "other" }, false, `environment.context is "other"`},
		{"no context", func(l *AuthorityLane) { l.ServiceContext = "" }, false, "environment.context"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := passingLane("shop/prod")
			c.mod(&l)
			pass, why := AuthorityLanePasses(l)
			if pass != c.pass || (c.why != "" && !strings.Contains(strings.Join(why, "; "), c.why)) || (c.pass && len(why) != 0) {
				t.Fatalf("pass %v why %q", pass, why)
			}
		})
	}
}

func TestDecideAuthority(t *testing.T) {
	failing := passingLane("blog/prod")
	failing.RulePassed, failing.RuleReasons = false, []string{"target.target_id_recorded is false"}
	unread := AuthorityLane{Lane: "gone/prod", Context: "gone", Product: "gone", ReadError: "Launchplane service: 404 not_found (trace t)"}
	cases := []struct {
		name            string
		lanes           []AuthorityLane
		verdict         verdict.Verdict
		exit            int
		records, unread int
		reason          string
	}{
		{"all pass", []AuthorityLane{passingLane("shop/prod"), passingLane("api/prod")}, verdict.OK, 0, 2, 0, ""},
		{"one fails", []AuthorityLane{passingLane("shop/prod"), failing}, verdict.Blocked, 1, 2, 0, "1 of 2 lane(s) fail"},
		{"one unread", []AuthorityLane{passingLane("shop/prod"), unread}, verdict.Blocked, 3, 1, 1, "1 of 2 lane(s) could not be read"},
		{"unread beats failed for the exit", []AuthorityLane{failing, unread}, verdict.Blocked, 3, 1, 1, "fail Launchplane's authority rule"},
		{"nothing selected", nil, verdict.Blocked, 1, 0, 0, "nothing was collected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := DecideAuthority(c.lanes, authNow, authSrc)
			if err != nil {
				t.Fatal(err)
			}
			if d.Verdict != c.verdict || d.ExitCode() != c.exit || len(d.Records) != c.records || d.Unread != c.unread ||
				len(d.Rows) != len(c.lanes) || (c.reason == "") != (d.Reason == "") || !strings.Contains(d.Reason, c.reason) {
				t.Fatalf("decision %+v exit %d", d, d.ExitCode())
			}
			for _, r := range d.Records {
				if r.Kind != KindAuthority || r.Lane == "gone/prod" || r.ObservedAt != authNow {
					t.Errorf("record %+v", r)
				}
			}
		})
	}
}

func TestAuthorityRecordDetail(t *testing.T) {
	l := passingLane("shop/prod")
	d, err := DecideAuthority([]AuthorityLane{l}, authNow, authSrc)
	if err != nil {
		t.Fatal(err)
	}
	r := d.Records[0]
	keys := make([]string, 0, len(r.Detail))
	for k := range r.Detail {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"available_actions", "context", "managed_bindings", "product", "provider", "provider_target_type", "runtime_settings",
		"target_id_recorded", "trust_state"}
	if !slices.Equal(keys, want) || !r.Passed || r.TraceID != "launchplane_req_1" || r.Detail["managed_bindings"] != "1" {
		t.Fatalf("record %+v", r)
	}
	// Values from the service are kept only in a form evidence may carry.
	l.RulePassed, l.RuleReasons = false, []string{"target.provider is \"x\""}
	l.Provider = "dok\x00ploy"
	l.ProviderTargetType = "ghp_" + strings.Repeat("a", 36)
	l.TrustState = strings.Repeat("r", 400)
	l.TraceID = "two words"
	d, err = DecideAuthority([]AuthorityLane{l}, authNow, authSrc)
	if err != nil {
		t.Fatal(err)
	}
	r = d.Records[0]
	if r.Passed || r.Detail["provider"] != `"dok\x00ploy"` || !strings.HasPrefix(r.Detail["provider_target_type"], "(withheld") ||
		len(r.Detail["trust_state"]) > MaxDetailValueLen || r.TraceID != "" || r.Detail["reasons"] == "" {
		t.Fatalf("record %+v", r)
	}
	// An invalid source is a validation error; nothing is returned.
	if _, err := DecideAuthority([]AuthorityLane{passingLane("shop/prod")}, authNow, Source{}); !IsValidationError(err) {
		t.Fatalf("err %v", err)
	}
	var ve *ValidationError
	if _, err := DecideAuthority([]AuthorityLane{{Lane: "not a lane", RulePassed: true}}, authNow, authSrc); !errors.As(err, &ve) {
		t.Fatalf("bad lane: %v", err)
	}
}

// Authority is a kind the plan can require and the comment cells show.
func TestAuthorityKind(t *testing.T) {
	if !ValidKind(KindAuthority) || Kinds[len(Kinds)-1] != KindAuthority || Kinds[0] != KindAudit {
		t.Fatalf("Kinds %v", Kinds)
	}
}
