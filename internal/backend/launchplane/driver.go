package launchplane

import (
	"context"

	"github.com/lanegate/lanegate/internal/backend"
)

// Option names, as flags (--audience, --token-file) and Spec.Options keys.
const (
	OptionAudience  = "audience"
	OptionTokenFile = "token-file"
)

// Driver is the service's entry in the backend registry.
var Driver = backend.Driver{
	Kind:    Kind,
	Flag:    "launchplane-url",
	Metavar: "URL",
	Usage:   "Launchplane service URL: audits and backfills through Launchplane's own API over GitHub OIDC (the path for shared and production changes)",
	Env:     []string{"LAUNCHPLANE_URL"},
	Differ:  "services",
	Name:    safeName,
	Open:    openSpec,
	// The service has no route that lists routes.
	NeedsLanes: true,
	Options: []backend.OptionFlag{
		{Name: OptionAudience, Metavar: "AUD", Usage: "Launchplane service only: the OIDC audience (default: the service URL's host)"},
		{Name: OptionTokenFile, Metavar: "FILE", Usage: "Launchplane service only, outside Actions: a file holding an operator bearer token (or LAUNCHPLANE_TOKEN)"},
	},
}

// safeName is the service URL's scheme and host (and path): never
// credentials, a query or a fragment. An unparsable URL is named as such;
// opening it reports why.
func safeName(target string) string {
	u, _, err := ParseBaseURL(target)
	if err != nil {
		return "(invalid service URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

func openSpec(ctx context.Context, spec backend.Spec) (backend.Backend, error) {
	b, err := Open(spec, Options{Audience: spec.Options[OptionAudience], TokenFile: spec.Options[OptionTokenFile], OnToken: spec.Secret})
	if err != nil {
		return nil, err
	}
	return b, nil
}
