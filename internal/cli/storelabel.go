package cli

import "github.com/lanegate/lanegate/internal/report"

// storeLabel names the store a command reads, for the "store" key of its
// JSON report. It is the store choose picked (the one precedence rule) and
// never includes credentials: the backend's safe name (a Postgres store is
// host:port/database only; a state directory as given). A command reaches
// it only after the store was opened, so choose has already succeeded; an
// error here still names no store rather than guess.
func storeLabel(env *Env, sf *storeFlags) report.Store {
	c, err := sf.choose(env)
	if err != nil {
		return report.Store{Kind: "unknown", Name: "(no store chosen)"}
	}
	return report.Store{Kind: c.Kind, Name: c.Name}
}
