package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/registry"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/store"
)

type evidenceCollectFlags struct {
	storeFlags // the service read from
	sourceFlags
	dest      evidenceStoreFlags // where it records: --evidence-<flag>
	lanesPath string
	lanes     stringList
	noRecord  bool
	format    string
}

func parseEvidenceCollectFlags(env *Env, args []string) (*evidenceCollectFlags, error) {
	fs := newFlagSet(env, "evidence collect", "evidence collect --launchplane-url URL [--audience AUD] [--lane CTX/INST ...] (--evidence-state-dir DIR | --evidence-database-url URL | --no-record) [--run-url URL] [--format table|json]")
	var f evidenceCollectFlags
	addStoreFlags(fs, &f.storeFlags)
	addSourceFlags(fs, &f.sourceFlags)
	f.dest.add(fs, "record the authority evidence in this %s store (%s); no environment variable stands in for it")
	fs.StringVar(&f.lanesPath, "lanes", "lanes.yaml", "lanes file that declares the lanes and their products")
	fs.Var(&f.lanes, "lane", "only this lane (repeatable)")
	fs.BoolVar(&f.noRecord, "no-record", false, "read and print only; record no evidence")
	fs.StringVar(&f.format, "format", "table", "stdout format: table or json")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := report.CheckFormat(report.KindEvidence, f.format); err != nil {
		return nil, usageErr("%v", err)
	}
	named := f.dest.named()
	switch {
	case f.noRecord && len(named) > 0:
		return nil, usageErr("--no-record and --%s contradict each other: pass one", named[0])
	case !f.noRecord && len(named) == 0:
		return nil, usageErr("evidence collect records into lanegate's evidence store, which the service does not keep: pass %s (or --no-record to print only)", registry.OrList(evidenceStoreFlagNames()))
	}
	if err := f.dest.check(); err != nil {
		return nil, err
	}
	return &f, nil
}

// runEvidenceCollect reads every selected lane's product environment from
// the service, decides what each read proves (evidence.DecideAuthority),
// records the reads as authority evidence and reports the run's verdict.
func runEvidenceCollect(ctx context.Context, env *Env, args []string) error {
	f, err := parseEvidenceCollectFlags(env, args)
	if err != nil {
		return err
	}
	plan, err := loadEvidencePlan(env, f.lanesPath)
	if err != nil {
		return err
	}
	selected, err := selectProbeLanes(plan, f.lanes)
	if err != nil {
		return err
	}
	// Check the source and open both stores before any read, so a
	// configuration mistake costs no request.
	// With --no-record the records are decided (the rows show what they
	// would say) and dropped, so they need no real source.
	src := evidence.Source{RunID: "no-record", RunAttempt: "1"}
	if !f.noRecord {
		if src, err = f.sourceFlags.resolve(env).Normalize(); err != nil {
			return validationToUsage(err)
		}
	}
	for _, l := range selected {
		f.storeFlags.lanes = append(f.storeFlags.lanes, store.Route{Context: l.Context, Instance: l.Instance})
	}
	b, err := openBackend(ctx, env, &f.storeFlags, true)
	if err != nil {
		return err
	}
	defer b.Close()
	reader, ok := b.(backend.AuthorityReader)
	if !ok {
		return usageErr("evidence collect reads Launchplane's product-environment read model, which store %s cannot serve: name the service with --launchplane-url URL (or LAUNCHPLANE_URL), and the evidence store with %s",
			b.Describe(), registry.OrList(evidenceStoreFlagNames()))
	}
	var dest backend.EvidenceStore
	if !f.noRecord {
		var closeDest func()
		if dest, closeDest, err = f.dest.open(ctx, env, &f.storeFlags, b.Kind()); err != nil {
			return err
		}
		defer closeDest()
	}
	reads := readAuthorities(ctx, reader, selected)
	if err := ctx.Err(); err != nil {
		return err
	}
	// The verdict is decided once; the JSON, the table header and the exit
	// code all render it.
	d, err := evidence.DecideAuthority(reads, time.Now(), src)
	if err != nil {
		return validationToUsage(err)
	}
	doc := report.EvidenceCollectDoc{Decision: d, Source: b.Describe()}
	if dest != nil && len(d.Records) > 0 {
		for i := range d.Records {
			if err := checkNoSecrets(env, &d.Records[i]); err != nil {
				return err
			}
		}
		if _, err := dest.Append(ctx, d.Records); err != nil {
			return validationToUsage(err)
		}
		recorded := map[string]bool{}
		for _, r := range d.Records {
			recorded[r.Lane] = true
		}
		for i := range d.Rows {
			d.Rows[i].Recorded = recorded[d.Rows[i].Lane]
		}
		doc.Decision, doc.Where = d, dest.Describe()
		fmt.Fprintf(env.Stderr, "lanegate: recorded %d authority evidence record(s) in %s\n", len(d.Records), dest.Describe())
	}
	if err := report.Render(env.Stdout, f.format, doc); err != nil {
		return runtimeErr("%v", err)
	}
	if code := d.ExitCode(); code != 0 {
		return &exitError{code: code, msg: d.Reason}
	}
	return nil
}

// readAuthorities reads the lanes one after another, in selection order.
// A failed read becomes the lane's ReadError (the service's sentence, with
// its trace id): never evidence, and never a reason to skip the lane.
func readAuthorities(ctx context.Context, r backend.AuthorityReader, selected []*lanes.Lane) []evidence.AuthorityLane {
	out := make([]evidence.AuthorityLane, 0, len(selected))
	for _, l := range selected {
		al := evidence.AuthorityLane{Lane: l.Key, Context: l.Context, Product: l.Product}
		if ctx.Err() != nil {
			return out
		}
		a, err := r.ReadAuthority(ctx, l.Product, store.Route{Context: l.Context, Instance: l.Instance})
		if err != nil {
			al.ReadError = err.Error()
			out = append(out, al)
			continue
		}
		reasons := append([]string(nil), a.RuleReasons...)
		al.ServiceContext, al.Provider, al.ProviderTargetType, al.TrustState = a.Context, a.Provider, a.ProviderTargetType, a.TrustState
		al.TargetIDRecorded, al.AvailableActions, al.RuntimeSettings, al.ManagedSecrets = a.TargetIDRecorded, a.AvailableActions, a.RuntimeSettings, a.ManagedSecrets
		al.TraceID, al.RulePassed, al.RuleReasons = a.TraceID, a.RulePassed, reasons
		out = append(out, al)
	}
	return out
}
