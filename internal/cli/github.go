package cli

import (
	"flag"
	"strings"

	"github.com/lanegate/lanegate/internal/ghapi"
)

// githubFlags choose the repository and credentials for GitHub calls.
type githubFlags struct {
	token string
	repo  string
}

func addGitHubFlags(fs *flag.FlagSet, g *githubFlags) {
	fs.StringVar(&g.token, "github-token", "", "GitHub token (or the github-token input, or GITHUB_TOKEN)")
	fs.StringVar(&g.repo, "repo", "", "OWNER/NAME (default $GITHUB_REPOSITORY)")
}

// client builds the GitHub client; a missing token is an error the caller
// turns into a blocked verdict or a usage error.
func (g *githubFlags) client(env *Env) (*ghapi.Client, error) {
	tok := g.token
	for _, k := range []string{"LANEGATE_INPUT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"} {
		if tok == "" {
			tok = strings.TrimSpace(env.Getenv(k))
		}
	}
	c, err := ghapi.New(ghapi.Config{Token: tok, APIURL: env.Getenv("GITHUB_API_URL")})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ownerRepo splits --repo or GITHUB_REPOSITORY.
func (g *githubFlags) ownerRepo(env *Env) (string, string, error) {
	r := g.repo
	if r == "" {
		r = env.Getenv("GITHUB_REPOSITORY")
	}
	owner, name, ok := strings.Cut(r, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", usageErr("no repository: pass --repo OWNER/NAME or run in Actions (GITHUB_REPOSITORY)")
	}
	return owner, name, nil
}
