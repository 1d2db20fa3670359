package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/registry"
)

// evidenceStorePrefix starts the flags that name lanegate's evidence store
// apart from the record store: --evidence-state-dir, --evidence-database-url,
// one per backend of the registry. Commands whose record store keeps no
// lanegate evidence (the Launchplane service) take the evidence store from
// them; no environment variable stands in for them.
const evidenceStorePrefix = "evidence-"

// evidenceStoreFlags are the --evidence-<flag> values, by backend kind.
type evidenceStoreFlags map[string]*string

// add registers one flag per backend; usage is a format taking the
// backend's kind and metavar.
func (e *evidenceStoreFlags) add(fs *flag.FlagSet, usage string) {
	*e = evidenceStoreFlags{}
	for _, d := range registry.Drivers() {
		(*e)[d.Kind] = fs.String(evidenceStorePrefix+d.Flag, "", fmt.Sprintf(usage, d.Kind, d.Metavar))
	}
}

// named lists the flags that were given, in registry order.
func (e evidenceStoreFlags) named() []string {
	var out []string
	for _, d := range registry.Drivers() {
		if v := e[d.Kind]; v != nil && *v != "" {
			out = append(out, evidenceStorePrefix+d.Flag)
		}
	}
	return out
}

// check refuses two evidence stores.
func (e evidenceStoreFlags) check() error {
	if n := e.named(); len(n) > 1 {
		return usageErr("--%s and --%s name two evidence stores: pass only one", n[0], n[1])
	}
	return nil
}

func evidenceStoreFlagNames() []string {
	var out []string
	for _, d := range registry.Drivers() {
		out = append(out, "--"+evidenceStorePrefix+d.Flag+" "+d.Metavar)
	}
	return out
}

// open opens the evidence store the flags name (exactly one must be
// given). recordKind is the kind of the record store the command reads: the
// evidence store must be another kind of store (the service keeps no
// lanegate evidence).
func (e evidenceStoreFlags) open(ctx context.Context, env *Env, sf *storeFlags, recordKind string) (backend.EvidenceStore, func(), error) {
	var d backend.Driver
	var target string
	for _, x := range registry.Drivers() {
		if v := e[x.Kind]; v != nil && *v != "" {
			d, target = x, *v
		}
	}
	if d.Kind == recordKind {
		return nil, nil, usageErr("--%s%s: the evidence store cannot be the %s store read for records, which keeps no lanegate evidence; pass %s",
			evidenceStorePrefix, d.Flag, d.Kind, registry.OrList(evidenceStoreFlagNames()))
	}
	// The URL's password is masked from the start (secrets.go scans
	// --evidence-database-url like --database-url).
	spec := registry.FromFlag(d, target)
	spec.Source = "--" + evidenceStorePrefix + d.Flag
	sf.fillOptions(env, &spec)
	spec.SkipRecordCheck = true
	fmt.Fprintf(env.Stderr, "lanegate: evidence store: %s\n", spec)
	b, err := registry.Open(ctx, spec)
	if err != nil {
		return nil, nil, err
	}
	eb, ok := b.(backend.EvidenceBackend)
	if !ok {
		b.Close()
		return nil, nil, usageErr("--%s%s: store %s keeps no lanegate evidence; pass %s", evidenceStorePrefix, d.Flag, b.Describe(), registry.OrList(evidenceStoreFlagNames()))
	}
	es, err := eb.Evidence(ctx)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return es, func() { b.Close() }, nil
}
