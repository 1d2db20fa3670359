package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/fixture"
)

// dbURL returns the admin URL with its database replaced by name.
func dbURL(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("-database-url: want a postgres:// URL")
	}
	u.Path, u.RawPath = "/"+name, ""
	q := u.Query()
	if q.Has("dbname") {
		q.Del("dbname")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// execSQL runs statements on one fresh connection.
func execSQL(ctx context.Context, url string, stmts ...string) error {
	conn, err := pgtest.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%.60s...: %w", s, err)
		}
	}
	return nil
}

func dropDatabase(ctx context.Context, admin, name string) error {
	return execSQL(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// createDatabase (re)creates name, optionally as a copy of template.
func createDatabase(ctx context.Context, admin, name, template string) error {
	if template == "" {
		template = "template0"
	}
	return execSQL(ctx, admin,
		"DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)",
		"CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize())
}

// load streams the generator into the database in batches, each its own
// COPY transaction, so the bench never holds more than one batch.
func load(ctx context.Context, url string, g *generator, batch int) error {
	st, err := pgstore.Open(ctx, url, pgstore.Options{StatementTimeout: time.Hour})
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	done := 0
	for {
		routes := g.next(batch)
		if len(routes) == 0 {
			break
		}
		tx, err := st.Conn.Begin(ctx)
		if err != nil {
			return err
		}
		if err := st.CopyRows(ctx, tx, fixture.Rows(routes)); err != nil {
			tx.Rollback(context.Background())
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		done += len(routes)
		logf("  loaded %d/%d routes (%.1fs)", done, g.n, time.Since(start).Seconds())
	}
	t := time.Now()
	if _, err := st.Conn.Exec(ctx, "VACUUM (ANALYZE) launchplane_dokploy_targets, launchplane_dokploy_target_ids, launchplane_provider_targets"); err != nil {
		return fmt.Errorf("vacuum analyze: %w", err)
	}
	logf("  VACUUM (ANALYZE) %.1fs", time.Since(t).Seconds())
	return nil
}

// scalar runs one query returning one row of text columns.
func scalar(ctx context.Context, url, sql string) ([]string, error) {
	conn, err := pgtest.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	if rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			out = append(out, fmt.Sprint(v))
		}
	}
	return out, rows.Err()
}

// tableSizes reports the on-disk size of Launchplane's tables.
func tableSizes(ctx context.Context, url string) string {
	v, err := scalar(ctx, url, `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid)))::text FROM pg_class c
		WHERE c.relname IN ('launchplane_dokploy_targets', 'launchplane_dokploy_target_ids', 'launchplane_provider_targets')`)
	if err != nil || len(v) == 0 {
		return "?"
	}
	return v[0]
}

// stampDatabase records, as the database's comment, what was loaded and the
// audit counts it must give, so -reuse can skip the load next time.
func stampDatabase(ctx context.Context, admin, name, stamp string, expected map[string]int) error {
	b, err := json.Marshal(expected)
	if err != nil {
		return err
	}
	text := stamp + " " + string(b)
	return execSQL(ctx, admin, "COMMENT ON DATABASE "+pgx.Identifier{name}.Sanitize()+" IS "+quote(text))
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// reuse returns the URL and expected counts of a database a previous run
// loaded with the same stamp, when -reuse is set; nil counts mean "load".
func reuse(ctx context.Context, c *config, name, stamp string) (string, map[string]int, error) {
	url, err := dbURL(c.adminURL, name)
	if err != nil || !c.reuse {
		return url, nil, err
	}
	v, err := scalar(ctx, c.adminURL, "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = "+quote(name))
	if err != nil {
		return "", nil, err
	}
	if len(v) == 0 || !strings.HasPrefix(v[0], stamp+" ") {
		return url, nil, nil
	}
	var expected map[string]int
	if err := json.Unmarshal([]byte(strings.TrimPrefix(v[0], stamp+" ")), &expected); err != nil {
		return url, nil, nil
	}
	logf("reusing %s (%s)", name, stamp)
	return url, expected, nil
}
