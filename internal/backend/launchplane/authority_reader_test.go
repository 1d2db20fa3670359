package launchplane

import (
	"context"
	"errors"
	"testing"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/launchplane/lpfake"
	"github.com/lanegate/lanegate/internal/store"
)

// The backend's ReadAuthority is the client's read judged by AuthorityPass,
// for every variant of the fake's read model.
func TestBackendReadAuthority(t *testing.T) {
	lane := store.Route{Context: "syo", Instance: "prod"}
	w := newWorld(t, nil, lane)
	b := w.open(t, Options{})
	var r backend.AuthorityReader = b
	want := map[string]bool{lpfake.VariantRecorded: true, lpfake.VariantOtherContext: true}
	for _, v := range lpfake.EnvironmentVariants {
		t.Run(v, func(t *testing.T) {
			e := lpfake.EnvironmentVariant("syo", v)
			w.fake.SetEnvironment("syo", "prod", e)
			got, err := r.ReadAuthority(context.Background(), "syo", lane)
			if err != nil {
				t.Fatal(err)
			}
			pass, why := AuthorityPass(Authority{Provider: e.Provider, ProviderTargetType: e.ProviderTargetType, TrustState: e.TrustState,
				TargetIDRecorded: e.TargetIDRecorded}, "dokploy")
			if got.RulePassed != want[v] || got.RulePassed != pass || len(got.RuleReasons) != len(why) {
				t.Fatalf("RulePassed %v reasons %q; want %v (%q)", got.RulePassed, got.RuleReasons, want[v], why)
			}
			if got.ProviderID != "dokploy" || got.Product != "syo" || got.Route != lane || got.Context != e.Context || got.TraceID == "" ||
				got.ManagedSecrets != e.ManagedSecrets || got.AvailableActions != e.AvailableActions || got.RuntimeSettings != e.RuntimeSettings {
				t.Fatalf("read %+v", got)
			}
		})
	}
	// Not found: an error, never an Authority.
	_, err := r.ReadAuthority(context.Background(), "nope", lane)
	var se *ServiceError
	if !errors.As(err, &se) || se.Status != 404 {
		t.Fatalf("404: %v", err)
	}
}
