package launchplane

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lanegate/lanegate/internal/store"
)

// Authority is what lanegate keeps of Launchplane's product-environment read
// model for one lane: the fields Launchplane's evidence rule reads, the
// context and three counts. Never the raw response.
type Authority struct {
	Product            string
	Route              store.Route // context as lanes.yaml says, instance = environment
	Context            string      // environment.context as the service says
	Provider           string
	ProviderTargetType string
	TrustState         string
	TargetIDRecorded   bool
	AvailableActions   int
	RuntimeSettings    int
	ManagedSecrets     int
	TraceID            string
}

// AuthorityPass is Launchplane's evidence rule
// (product-environment-evidence.yml): the provider is the expected one, the
// provider target type is recorded, trust_state is exactly "recorded" (so
// "verified" does not pass) and a physical provider-target row exists. It
// returns whether the lane passes and, when not, every reason.
func AuthorityPass(a Authority, providerID string) (bool, []string) {
	var why []string
	if a.Provider != providerID {
		why = append(why, fmt.Sprintf("target.provider is %q, not %q", a.Provider, providerID))
	}
	if a.ProviderTargetType == "" {
		why = append(why, "target.provider_target_type is empty")
	}
	if a.TrustState != "recorded" {
		why = append(why, fmt.Sprintf("target.trust_state is %q, not \"recorded\"", a.TrustState))
	}
	if !a.TargetIDRecorded {
		why = append(why, "target.target_id_recorded is false")
	}
	return len(why) == 0, why
}

// ReadAuthority reads GET /v1/products/{product}/environments/{instance}.
func (c *Client) ReadAuthority(ctx context.Context, product string, lane store.Route) (Authority, error) {
	se := &ServiceError{Op: "read", Route: lane, Grant: GrantRead, Audience: c.audience, Product: product}
	path := "/v1/products/" + url.PathEscape(product) + "/environments/" + url.PathEscape(lane.Instance)
	body, err := c.call(ctx, http.MethodGet, path, nil, "", se)
	if err != nil {
		return Authority{}, err
	}
	a, err := DecodeAuthority(body)
	if err != nil {
		se.Malformed, se.Message = true, err.Error()
		return Authority{}, se
	}
	a.Product, a.Route = product, lane
	return a, nil
}

// DecodeAuthority decodes a 200 product-environment body into an Authority.
// A missing field takes Launchplane's default ("" / false / "missing").
// The three compared strings are kept exactly as sent (the pass rule compares
// them byte for byte); quote them when printing.
func DecodeAuthority(body []byte) (Authority, error) {
	var env struct {
		Status      string `json:"status"`
		TraceID     string `json:"trace_id"`
		Environment *struct {
			Context string `json:"context"`
			Target  *struct {
				Provider           *string `json:"provider"`
				ProviderTargetType *string `json:"provider_target_type"`
				TargetIDRecorded   *bool   `json:"target_id_recorded"`
				TrustState         *string `json:"trust_state"`
			} `json:"target"`
			RuntimeSettings  []json.RawMessage `json:"runtime_settings"`
			ManagedSecrets   []json.RawMessage `json:"managed_secrets"`
			AvailableActions []json.RawMessage `json:"available_actions"`
		} `json:"environment"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		return Authority{}, fmt.Errorf("the product-environment response is not the documented JSON: %v", err)
	}
	if env.Status != "ok" || env.Environment == nil || env.Environment.Target == nil {
		return Authority{}, fmt.Errorf("the product-environment response has no status ok, environment or environment.target")
	}
	t := env.Environment.Target
	a := Authority{Context: clean(env.Environment.Context), TraceID: clean(env.TraceID), TrustState: "missing",
		AvailableActions: len(env.Environment.AvailableActions), RuntimeSettings: len(env.Environment.RuntimeSettings),
		ManagedSecrets: len(env.Environment.ManagedSecrets)}
	if t.Provider != nil {
		a.Provider = *t.Provider
	}
	if t.ProviderTargetType != nil {
		a.ProviderTargetType = *t.ProviderTargetType
	}
	if t.TrustState != nil {
		a.TrustState = *t.TrustState
	}
	if t.TargetIDRecorded != nil {
		a.TargetIDRecorded = *t.TargetIDRecorded
	}
	return a, nil
}
