package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/backend/registry"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/redact"
	"github.com/lanegate/lanegate/internal/store"
)

// databaseKind is the backend the database tools (migrate, export, import)
// work on: the registry's driver of this kind gives their flag, environment
// variables and messages.
const databaseKind = "postgres"

// chooseDatabase picks the database the tools work on: the flag's value,
// else the driver's environment variables (which must agree). It prints
// which database was chosen.
func chooseDatabase(env *Env, flagValue string) (backend.Spec, error) {
	d, ok := registry.Lookup(databaseKind)
	if !ok {
		return backend.Spec{}, runtimeErr("no %s backend is registered", databaseKind)
	}
	c := registry.FromFlag(d, flagValue)
	if flagValue == "" {
		var err error
		if c, err = registry.FromEnv(d, env.Getenv); err != nil {
			return backend.Spec{}, usageErr("%v", err)
		}
	}
	if c.Target == "" {
		return backend.Spec{}, usageErr("this command needs --%s %s (or %s)", d.Flag, d.Metavar, strings.Join(d.Env, " / "))
	}
	fmt.Fprintf(env.Stderr, "lanegate: store: %s\n", c)
	c.StatementTimeout = backend.DefaultStatementTimeout
	return c, nil
}

// openDatabase opens the chosen database; skipRecordCheck opens it without
// checking Launchplane's tables (migrate).
func openDatabase(ctx context.Context, c backend.Spec, skipRecordCheck bool) (backend.Backend, error) {
	c.SkipRecordCheck = skipRecordCheck
	return registry.Open(ctx, c)
}

func runMigrate(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "migrate", "migrate --database-url URL [--dry-run]")
	dbFlag := fs.String("database-url", "", "Postgres URL (or LANEGATE_DATABASE_URL / LAUNCHPLANE_DATABASE_URL)")
	dry := fs.Bool("dry-run", false, "print the SQL of pending migrations without applying them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := chooseDatabase(env, *dbFlag)
	if err != nil {
		return err
	}
	b, err := openDatabase(ctx, c, true)
	if err != nil {
		return err
	}
	defer b.Close()
	m, ok := b.(backend.Migrator)
	if !ok {
		return usageErr("store %s has no lanegate schema to migrate", b.Describe())
	}
	fmt.Fprintf(env.Stderr, "lanegate: migrating %s\n", redact.RedactURL(c.Target))
	if *dry {
		pending, err := m.PendingMigrations(ctx)
		if err != nil {
			return runtimeErr("%v", err)
		}
		if len(pending) == 0 {
			fmt.Fprintln(env.Stdout, "-- lanegate: no pending migrations")
		}
		for _, m := range pending {
			fmt.Fprintf(env.Stdout, "-- %04d_%s.sql (sha256 %s)\n%s\n", m.Version, m.Name, m.Checksum, strings.TrimRight(m.SQL, "\n"))
		}
		return nil
	}
	applied, already, err := m.ApplyMigrations(ctx)
	if err != nil {
		return runtimeErr("%v", err)
	}
	for _, m := range applied {
		fmt.Fprintf(env.Stdout, "applied %04d_%s\n", m.Version, m.Name)
	}
	fmt.Fprintf(env.Stdout, "lanegate schema is current: %d applied now, %d already applied\n", len(applied), already)
	return nil
}

func runExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "export", "export --database-url URL --state-dir DIR")
	dbFlag := fs.String("database-url", "", "Postgres URL to read")
	dir := fs.String("state-dir", "", "empty or new directory to write the Launchplane state into")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := chooseDatabase(env, *dbFlag)
	if err != nil {
		return err
	}
	if *dir == "" {
		return usageErr("export needs --state-dir DIR")
	}
	target := env.path(*dir)
	if entries, err := os.ReadDir(target); err == nil && len(entries) > 0 {
		return usageErr("export refuses to write into %s: the directory is not empty", *dir)
	}
	b, err := openDatabase(ctx, c, false)
	if err != nil {
		return err
	}
	defer b.Close()
	ex, ok := b.(backend.Exporter)
	if !ok {
		return usageErr("store %s cannot export its records", b.Describe())
	}
	n := 0
	err = ex.Export(ctx, func(r backend.ExportRecord) error {
		p := filepath.Join(target, r.Kind.Dir(), record.FileName(r.Route.Context, r.Route.Instance))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		n++
		return os.WriteFile(p, record.EncodePython(r.Payload), 0o644)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "lanegate: exported %d record(s) from %s to %s\n", n, redact.RedactURL(c.Target), *dir)
	return nil
}

func runImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "import", "import --state-dir DIR --database-url URL [--replace --confirm-database NAME] [--allow-empty]")
	dbFlag := fs.String("database-url", "", "Postgres URL to load into (its Launchplane tables must be empty)")
	dir := fs.String("state-dir", "", "Launchplane filesystem state to load")
	replace := fs.Bool("replace", false, "delete the database's Launchplane records first (needs --confirm-database)")
	confirm := fs.String("confirm-database", "", "the database name, repeated, to allow --replace")
	allowEmpty := fs.Bool("allow-empty", false, "import a state that holds no records (with --replace: empty the database)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := chooseDatabase(env, *dbFlag)
	if err != nil {
		return err
	}
	if *dir == "" {
		return usageErr("import needs --state-dir DIR")
	}
	routes, err := readState(ctx, env, *dir, *allowEmpty)
	if err != nil {
		return err
	}
	rows, err := importSet(routes)
	if err != nil {
		return err
	}
	// An empty state is more often a wrong path than an intent, and with
	// --replace it would silently empty the database.
	if len(rows.Targets)+len(rows.TargetIDs)+len(rows.Providers) == 0 && !*allowEmpty {
		what := "there is nothing to import"
		if *replace {
			what = "--replace would delete every Launchplane record and load none"
		}
		return usageErr("import refuses: state directory %s holds no records, so %s (nothing was written; pass --allow-empty if that is intended)", *dir, what)
	}
	b, err := openDatabase(ctx, c, false)
	if err != nil {
		return err
	}
	defer b.Close()
	st, ok := b.(backend.Importer)
	if !ok {
		return usageErr("store %s cannot import records", b.Describe())
	}
	if *replace {
		name, err := st.StoreName(ctx)
		if err != nil {
			return err
		}
		if *confirm != name {
			return usageErr("--replace deletes every Launchplane record in database %q: repeat its name with --confirm-database %s", name, name)
		}
	} else if *confirm != "" {
		return usageErr("--confirm-database only makes sense with --replace")
	}
	if err := st.ImportRecords(ctx, rows, *replace); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "lanegate: imported %d target, %d target-id and %d provider-target record(s) into %s\n",
		len(rows.Targets), len(rows.TargetIDs), len(rows.Providers), redact.RedactURL(c.Target))
	return nil
}

// stateKind is the backend import reads: a Launchplane state directory.
const stateKind = "filesystem"

// readState reads every route of the state directory dir.
func readState(ctx context.Context, env *Env, dir string, allowEmpty bool) ([]*store.RouteRecords, error) {
	d, ok := registry.Lookup(stateKind)
	if !ok {
		return nil, runtimeErr("no %s backend is registered", stateKind)
	}
	c := registry.FromFlag(d, dir)
	c.WorkDir, c.AllowEmpty = env.Dir, allowEmpty
	src, err := registry.Open(ctx, c)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var routes stateRoutes
	if err := src.Scan(ctx, store.Scope{}, &routes); err != nil {
		return nil, err
	}
	return routes, nil
}

// stateRoutes keeps every route a Scan visits.
type stateRoutes []*store.RouteRecords

func (c *stateRoutes) Bindings(store.Bindings) error { return nil }
func (c *stateRoutes) Route(rr *store.RouteRecords) error {
	*c = append(*c, rr)
	return nil
}

// importSet gathers a state's records for import, refusing (by file and
// field) any record Postgres could not store or lanegate could not read.
func importSet(routes []*store.RouteRecords) (backend.ImportSet, error) {
	var rows backend.ImportSet
	var bad []string
	for _, rr := range routes {
		for _, inv := range rr.Invalid {
			bad = append(bad, inv.Detail())
		}
		// Postgres cannot store a lone surrogate (wtf8.go): refuse it here,
		// by file and field, instead of failing half-way through the load.
		for _, rec := range []struct {
			kind    record.Kind
			present bool
			payload func() any
		}{
			{record.KindDokployTarget, rr.Target != nil, func() any { return rr.Target.Payload() }},
			{record.KindDokployTargetID, rr.TargetID != nil, func() any { return rr.TargetID.Payload() }},
			{record.KindProviderTarget, rr.Provider != nil, func() any { return rr.Provider.Payload() }},
		} {
			if !rec.present {
				continue
			}
			if path, ok := record.FindLoneSurrogate(rec.payload()); ok {
				bad = append(bad, fmt.Sprintf("%s/%s: field %s holds a lone surrogate (a \\udXXX escape without its pair), which Postgres cannot store",
					rec.kind.Dir(), record.FileName(rr.Route.Context, rr.Route.Instance), path))
			}
		}
		if rr.Target != nil {
			rows.Targets = append(rows.Targets, rr.Target)
		}
		if rr.TargetID != nil {
			rows.TargetIDs = append(rows.TargetIDs, rr.TargetID)
		}
		if rr.Provider != nil {
			rows.Providers = append(rows.Providers, rr.Provider)
		}
	}
	if len(bad) > 0 {
		return rows, usageErr("import refuses a state with invalid records (nothing was written):\n  %s", strings.Join(bad, "\n  "))
	}
	return rows, nil
}
