package lpfake

// Product environments for authority tests: EnvironmentRecorded passes
// Launchplane's evidence rule; each variant changes exactly one field the
// rule reads, so that it fails for that reason alone. Read failures are the
// server's own: an environment never set answers 404 not_found, a token
// without product_environment.read 403 authorization_denied, and Fault503
// 503.

// EnvironmentRecorded is a product environment of context ctx that passes
// the rule: provider dokploy, a provider target type, trust_state
// "recorded" and a recorded target id, with a few list items.
func EnvironmentRecorded(ctx string) Environment {
	return Environment{Context: ctx, Provider: "dokploy", ProviderTargetType: "application", TrustState: "recorded",
		TargetIDRecorded: true, AvailableActions: 3, RuntimeSettings: 2, ManagedSecrets: 1}
}

// Variant names, as EnvironmentVariant takes them.
const (
	VariantRecorded         = "recorded"
	VariantVerified         = "verified"                   // trust_state "verified": Launchplane's rule blocks it
	VariantNoTargetID       = "target_id_recorded:false"   // no physical provider-target row
	VariantNoTargetType     = "empty provider_target_type" // provider_target_type ""
	VariantOtherProvider    = "other provider"             // provider "netlify"
	VariantMissing          = "missing"                    // trust_state "missing", nothing recorded
	VariantOtherContext     = "other context"              // environment.context is not the lane's
	VariantProviderWithCase = "provider with upper case"   // "Dokploy": compared byte for byte
)

// EnvironmentVariants lists the variants, the passing one first.
var EnvironmentVariants = []string{VariantRecorded, VariantVerified, VariantNoTargetID, VariantNoTargetType,
	VariantOtherProvider, VariantMissing, VariantOtherContext, VariantProviderWithCase}

// EnvironmentVariant is EnvironmentRecorded(ctx) changed as the variant
// says; an unknown name panics (a test bug).
func EnvironmentVariant(ctx, name string) Environment {
	e := EnvironmentRecorded(ctx)
	switch name {
	case VariantRecorded:
	case VariantVerified:
		e.TrustState = "verified"
	case VariantNoTargetID:
		e.TargetIDRecorded = false
	case VariantNoTargetType:
		e.ProviderTargetType = ""
	case VariantOtherProvider:
		e.Provider = "netlify"
	case VariantMissing:
		e.TrustState, e.TargetIDRecorded, e.ProviderTargetType = "missing", false, ""
	case VariantOtherContext:
		e.Context = ctx + "-other"
	case VariantProviderWithCase:
		e.Provider = "Dokploy"
	default:
		panic("lpfake: unknown environment variant " + name)
	}
	return e
}
