package launchplane

import (
	"context"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/store"
)

var _ backend.AuthorityReader = (*Backend)(nil)

// ReadAuthority implements backend.AuthorityReader: one product-environment
// read through the client, judged by AuthorityPass against the backend's
// provider id (dokploy unless Options.ProviderID says otherwise). A failed
// read is the client's error (*ServiceError, *NetworkError, *OIDCError),
// returned as is.
func (b *Backend) ReadAuthority(ctx context.Context, product string, lane store.Route) (backend.Authority, error) {
	a, err := b.client.ReadAuthority(ctx, product, lane)
	if err != nil {
		return backend.Authority{}, err
	}
	pass, why := AuthorityPass(a, b.provider)
	return backend.Authority{Product: a.Product, Route: a.Route, Context: a.Context, Provider: a.Provider,
		ProviderTargetType: a.ProviderTargetType, TrustState: a.TrustState, TargetIDRecorded: a.TargetIDRecorded,
		AvailableActions: a.AvailableActions, RuntimeSettings: a.RuntimeSettings, ManagedSecrets: a.ManagedSecrets,
		TraceID: a.TraceID, ProviderID: b.provider, RulePassed: pass, RuleReasons: why}, nil
}
