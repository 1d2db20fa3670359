package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lanegate/lanegate/internal/actions"
	fsstore "github.com/lanegate/lanegate/internal/backend/fs"
	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/backend/pg/migrate"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/migrations"
)

// databaseURL takes --database-url, else the environment's database URL
// (the two variables must agree), and prints which database was chosen;
// commands that only make sense on Postgres require it.
func databaseURL(env *Env, flagValue string) (string, error) {
	c := postgresChoice(flagValue, "--database-url")
	if flagValue == "" {
		var err error
		if c, err = databaseURLFromEnv(env); err != nil {
			return "", err
		}
	}
	if c.dbURL == "" {
		return "", usageErr("this command needs --database-url URL (or LANEGATE_DATABASE_URL / LAUNCHPLANE_DATABASE_URL)")
	}
	fmt.Fprintf(env.Stderr, "lanegate: store: %s\n", c)
	return c.dbURL, nil
}

func runMigrate(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "migrate", "migrate --database-url URL [--dry-run]")
	dbFlag := fs.String("database-url", "", "Postgres URL (or LANEGATE_DATABASE_URL / LAUNCHPLANE_DATABASE_URL)")
	dry := fs.Bool("dry-run", false, "print the SQL of pending migrations without applying them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	url, err := databaseURL(env, *dbFlag)
	if err != nil {
		return err
	}
	ms, err := migrate.Load(migrations.FS)
	if err != nil {
		return runtimeErr("embedded migrations are broken: %v", err)
	}
	conn, err := pgstore.Connect(ctx, url, pgstore.Options{})
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	fmt.Fprintf(env.Stderr, "lanegate: migrating %s\n", actions.RedactURL(url))
	if *dry {
		pending, err := migrate.Pending(ctx, conn, ms)
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
	res, err := migrate.Apply(ctx, conn, ms)
	if err != nil {
		return runtimeErr("%v", err)
	}
	for _, m := range res.Applied {
		fmt.Fprintf(env.Stdout, "applied %04d_%s\n", m.Version, m.Name)
	}
	fmt.Fprintf(env.Stdout, "lanegate schema is current: %d applied now, %d already applied\n", len(res.Applied), res.AlreadyApplied)
	return nil
}

func runExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "export", "export --database-url URL --state-dir DIR")
	dbFlag := fs.String("database-url", "", "Postgres URL to read")
	dir := fs.String("state-dir", "", "empty or new directory to write the Launchplane state into")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	url, err := databaseURL(env, *dbFlag)
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
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	n := 0
	err = st.Export(ctx, func(r pgstore.ExportRecord) error {
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
	fmt.Fprintf(env.Stderr, "lanegate: exported %d record(s) from %s to %s\n", n, actions.RedactURL(url), *dir)
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
	url, err := databaseURL(env, *dbFlag)
	if err != nil {
		return err
	}
	if *dir == "" {
		return usageErr("import needs --state-dir DIR")
	}
	src, err := fsstore.OpenWith(env.path(*dir), fsstore.Options{AllowEmpty: *allowEmpty})
	if errors.Is(err, fsstore.ErrNotStateDir) {
		return usageErr("%v; pass --allow-empty if an empty state is intended", err)
	}
	if err != nil {
		return err
	}
	snap, err := src.Load()
	if err != nil {
		return err
	}
	var rows pgstore.Rows
	var bad []string
	for _, rr := range snap.Routes {
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
		return usageErr("import refuses a state with invalid records (nothing was written):\n  %s", strings.Join(bad, "\n  "))
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
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if *replace {
		name, err := st.CurrentDatabase(ctx)
		if err != nil {
			return err
		}
		if *confirm != name {
			return usageErr("--replace deletes every Launchplane record in database %q: repeat its name with --confirm-database %s", name, name)
		}
	} else if *confirm != "" {
		return usageErr("--confirm-database only makes sense with --replace")
	}
	if err := st.Import(ctx, rows, *replace); err != nil {
		var ne *pgstore.NotEmptyError
		if errors.As(err, &ne) {
			return usageErr("%v", err)
		}
		return err
	}
	fmt.Fprintf(env.Stderr, "lanegate: imported %d target, %d target-id and %d provider-target record(s) into %s\n",
		len(rows.Targets), len(rows.TargetIDs), len(rows.Providers), actions.RedactURL(url))
	return nil
}
