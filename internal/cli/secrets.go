package cli

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"github.com/lanegate/lanegate/internal/actions"
)

// secretEnv names the variables whose values are secrets wherever they show
// up: tokens, API keys and database URLs (whose password is extracted).
var secretEnv = []string{
	"GITHUB_TOKEN", "GH_TOKEN", "LANEGATE_INPUT_GITHUB_TOKEN", "INPUT_GITHUB-TOKEN",
	"DOKPLOY_API_KEY", "LANEGATE_INPUT_DOKPLOY_API_KEY",
	// The Launchplane service backend's operator bearer, and the runner's
	// token for minting GitHub OIDC tokens (the minted token itself is
	// masked when the backend obtains it, through backend.Spec.Secret).
	"LAUNCHPLANE_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
}

var databaseURLEnv = []string{
	"LANEGATE_DATABASE_URL", "LAUNCHPLANE_DATABASE_URL", "LANEGATE_INPUT_DATABASE_URL", "INPUT_DATABASE-URL",
	"LANEGATE_TEST_DATABASE_URL",
}

// collectSecrets finds every secret this invocation can see: in the
// environment and in flags that carry them.
func collectSecrets(env *Env) []string {
	var out []string
	for _, k := range secretEnv {
		if v := strings.TrimSpace(env.Getenv(k)); v != "" {
			out = append(out, v)
		}
	}
	var urls []string
	for _, k := range databaseURLEnv {
		if v := env.Getenv(k); v != "" {
			urls = append(urls, v)
		}
	}
	// Flags count wherever they come from: the command line, or the action's
	// args input, which `lanegate action` appends to the command it runs.
	argLists := [][]string{env.Args}
	for _, k := range []string{"LANEGATE_INPUT_ARGS", "INPUT_ARGS"} {
		argLists = append(argLists, strings.Fields(env.Getenv(k)))
	}
	for _, args := range argLists {
		urls, out = secretFlags(args, urls, out)
	}
	for _, u := range urls {
		out = append(out, actions.SecretsFromDatabaseURL(u)...)
	}
	return out
}

// secretFlags appends the values of secret-carrying flags in args: database
// URLs to urls, tokens and keys to out.
func secretFlags(args, urls, out []string) ([]string, []string) {
	for i, a := range args {
		for _, name := range []string{"database-url", "evidence-database-url", "github-token", "dokploy-api-key"} {
			for _, prefix := range []string{"--" + name, "-" + name} {
				var v string
				switch {
				case a == prefix && i+1 < len(args):
					v = args[i+1]
				case strings.HasPrefix(a, prefix+"="):
					v = strings.TrimPrefix(a, prefix+"=")
				default:
					continue
				}
				if strings.HasSuffix(name, "database-url") {
					urls = append(urls, v)
				} else if strings.TrimSpace(v) != "" {
					out = append(out, v)
				}
			}
		}
	}
	return urls, out
}

// redactWriter scrubs, through the runtime's Redact, every secret the
// runtime was told to mask. It holds back a partial last line so a secret
// split across writes is still caught.
type redactWriter struct {
	mu      sync.Mutex
	w       io.Writer
	rt      *actions.Runtime
	active  bool
	pending []byte
}

func newRedactWriter(w io.Writer, rt *actions.Runtime) *redactWriter {
	// Streams of a run without secrets pass straight through until the
	// runtime is told one (a service token minted mid-run): from then on
	// every write is scrubbed.
	return &redactWriter{w: w, rt: rt, active: rt.Masking()}
}

func (r *redactWriter) redact(b []byte) []byte { return []byte(r.rt.Redact(string(b))) }

func (r *redactWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.active {
		if !r.rt.Masking() {
			return r.w.Write(p)
		}
		r.active = true
	}
	r.pending = append(r.pending, p...)
	cut := bytes.LastIndexByte(r.pending, '\n')
	if cut < 0 && len(r.pending) < 1<<20 {
		return len(p), nil
	}
	if cut < 0 {
		cut = len(r.pending) - 1
	}
	out := r.redact(append([]byte(nil), r.pending[:cut+1]...))
	r.pending = append(r.pending[:0], r.pending[cut+1:]...)
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes any held-back partial line.
func (r *redactWriter) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 {
		return nil
	}
	out := r.redact(r.pending)
	r.pending = nil
	_, err := r.w.Write(out)
	return err
}
