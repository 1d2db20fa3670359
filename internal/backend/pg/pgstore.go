// Package pg reads Launchplane's records from its Postgres tables. The
// full record is the JSONB payload; the promoted columns are used to join,
// filter and order, and a row whose columns disagree with its payload is an
// invalid record. Reads run in one READ ONLY, REPEATABLE READ transaction that
// holds the shared form of Launchplane's authority-bundle advisory lock.
package pg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lanegate/lanegate/internal/backend"
	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/redact"
	"github.com/lanegate/lanegate/internal/store"
)

// BundleLockName is Launchplane's advisory lock for authority writes.
const BundleLockName = "launchplane:product-authority-bundle"

// DefaultStatementTimeout bounds every statement lanegate runs. The audit's
// statement lasts until every row has been streamed to lanegate, so the
// bound covers a whole large audit, not just the server's work.
const DefaultStatementTimeout = backend.DefaultStatementTimeout

// Options tune a connection.
type Options struct {
	StatementTimeout time.Duration
	ConnectTimeout   time.Duration
	// Notice receives operational notes (for example that a scan ran on
	// one connection because a second one could not join its snapshot).
	Notice func(msg string)
}

// Store is one connection to Launchplane's database.
type Store struct {
	Conn    *pgx.Conn
	url     string
	opt     Options
	timeout time.Duration
}

// columns lists what lanegate reads from each Launchplane table.
var columns = map[string][]string{
	"launchplane_dokploy_targets":    {"context", "instance", "updated_at", "payload"},
	"launchplane_dokploy_target_ids": {"context", "instance", "target_id", "updated_at", "payload"},
	"launchplane_provider_targets": {"context", "instance", "provider_id", "target_category", "target_id",
		"display_name", "provider_target_type", "updated_at", "payload"},
}

// tableOrder keeps error messages deterministic.
var tableOrder = []string{"launchplane_dokploy_targets", "launchplane_dokploy_target_ids", "launchplane_provider_targets"}

// Open connects and checks that Launchplane's tables and columns exist.
func Open(ctx context.Context, url string, opt Options) (*Store, error) {
	conn, err := Connect(ctx, url, opt)
	if err != nil {
		return nil, err
	}
	s := &Store{Conn: conn, url: url, opt: opt, timeout: opt.StatementTimeout}
	if s.timeout <= 0 {
		s.timeout = DefaultStatementTimeout
	}
	if err := s.checkSchema(ctx); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return s, nil
}

// Connect opens a connection and turns failures into one clear sentence
// that names host, port, database and user, never the connection string
// (see connerr.go).
func Connect(ctx context.Context, url string, opt Options) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, parseError(url, err)
	}
	cfg.ConnectTimeout = opt.ConnectTimeout
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, connectError(url, cfg, err)
	}
	return conn, nil
}

// Describe names the store with the password masked.
func (s *Store) Describe() string { return "postgres " + redact.RedactURL(s.url) }

// Close closes the connection.
func (s *Store) Close() error { return s.Conn.Close(context.Background()) }

func (s *Store) checkSchema(ctx context.Context) error {
	rows, err := s.Conn.Query(ctx, `SELECT table_name::text, column_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ANY($1)`, tableOrder)
	if err != nil {
		return s.queryError("check Launchplane's tables", err)
	}
	have := map[string]map[string]bool{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return s.queryError("check Launchplane's tables", err)
		}
		if have[t] == nil {
			have[t] = map[string]bool{}
		}
		have[t][c] = true
	}
	if err := rows.Err(); err != nil {
		return s.queryError("check Launchplane's tables", err)
	}
	for _, t := range tableOrder {
		if have[t] == nil {
			return store.Errorf(nil, "table %s not found: run Launchplane's migrations first", t)
		}
		for _, c := range columns[t] {
			if !have[t][c] {
				return store.Errorf(nil, "column %s.%s not found: run Launchplane's migrations first", t, c)
			}
		}
	}
	return nil
}

func (s *Store) queryError(what string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57014":
			return store.Errorf(nil, "%s: statement timed out after %s (raise --statement-timeout)", what, s.timeout)
		case "42501":
			return store.Errorf(nil, "%s: permission denied: %s (see the README for the grants each command needs)", what, pgErr.Message)
		}
		return store.Errorf(nil, "%s: %s (SQLSTATE %s)", what, pgErr.Message, pgErr.Code)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return store.Errorf(nil, "%s: %s", what, redact.ScrubDatabaseSecrets(err.Error(), s.url))
}

// BeginRead starts the read-only snapshot every audit and dry run uses.
func (s *Store) BeginRead(ctx context.Context) (pgx.Tx, error) {
	tx, err := s.Conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, s.queryError("begin read-only transaction", err)
	}
	if err := s.prepareTx(ctx, tx, false); err != nil {
		tx.Rollback(context.Background())
		return nil, err
	}
	return tx, nil
}

// prepareTx sets the statement timeout and takes the bundle lock: shared for
// reads (never interleave with a half-finished dual-write), exclusive for
// writes (serialise with Launchplane's authority writes and other applies).
// Both are transaction-scoped, so they end with the transaction.
func (s *Store) prepareTx(ctx context.Context, tx pgx.Tx, exclusive bool) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", s.timeout.Milliseconds())); err != nil {
		return s.queryError("set statement timeout", err)
	}
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		fn = "pg_advisory_xact_lock"
	}
	if _, err := tx.Exec(ctx, "SELECT "+fn+"(hashtextextended($1, 0))", BundleLockName); err != nil {
		return s.queryError("take Launchplane's authority-bundle lock", err)
	}
	return nil
}

// BeginRecord starts a transaction for lanegate's own tables (recorded runs,
// evidence). It takes no bundle lock: it never touches Launchplane's rows,
// so it must not hold up Launchplane's writers.
func (s *Store) BeginRecord(ctx context.Context) (pgx.Tx, error) {
	tx, err := s.Conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, s.queryError("begin transaction", err)
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", s.timeout.Milliseconds())); err != nil {
		tx.Rollback(context.Background())
		return nil, s.queryError("set statement timeout", err)
	}
	return tx, nil
}

// BeginWrite starts a read-write transaction holding the exclusive bundle lock.
func (s *Store) BeginWrite(ctx context.Context) (pgx.Tx, error) {
	tx, err := s.Conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, s.queryError("begin transaction", err)
	}
	if err := s.prepareTx(ctx, tx, true); err != nil {
		tx.Rollback(context.Background())
		return nil, err
	}
	return tx, nil
}

// Scan visits one snapshot: bindings first, then every route in order.
func (s *Store) Scan(ctx context.Context, scope store.Scope, v store.Visitor) error {
	tx, err := s.BeginRead(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if err := s.ScanTx(ctx, tx, scope, v); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// scanOneConnection reads everything on tx's own connection, one query
// after the other.
func (s *Store) scanOneConnection(ctx context.Context, tx pgx.Tx, scope store.Scope, v store.Visitor) error {
	b, err := s.bindings(ctx, tx)
	if err != nil {
		return err
	}
	if err := v.Bindings(b); err != nil {
		return err
	}
	if cv, ok := v.(store.ClaimsVisitor); ok {
		c, err := s.claims(ctx, tx)
		if err != nil {
			return err
		}
		if err := cv.Claims(c); err != nil {
			return err
		}
	}
	return s.routes(ctx, tx, scope, v)
}

// claimsQuery pairs each route that lacks a row with the routes that hold,
// or would also be given, the identity its Dokploy pair projects to.
const claimsQuery = `
WITH pairs AS (
  SELECT t.context, t.instance, COALESCE(t.payload->>'target_type', 'compose') AS category, i.target_id
  FROM launchplane_dokploy_targets t
  JOIN launchplane_dokploy_target_ids i ON i.context = t.context AND i.instance = t.instance
  WHERE NOT EXISTS (SELECT 1 FROM launchplane_provider_targets p WHERE p.context = t.context AND p.instance = t.instance)
), holders AS (
  SELECT context, instance, target_category AS category, target_id FROM launchplane_provider_targets WHERE provider_id = 'dokploy'
  UNION ALL
  SELECT context, instance, category, target_id FROM pairs
)
SELECT a.context, a.instance, h.context, h.instance
FROM pairs a
JOIN holders h ON h.category = a.category AND h.target_id = a.target_id
 AND NOT (h.context = a.context AND h.instance = a.instance)
ORDER BY a.context COLLATE "C", a.instance COLLATE "C", h.context COLLATE "C", h.instance COLLATE "C"`

func (s *Store) claims(ctx context.Context, tx pgx.Tx) (store.Claims, error) {
	rows, err := tx.Query(ctx, claimsQuery)
	if err != nil {
		return nil, s.queryError("read projected identities", err)
	}
	defer rows.Close()
	out := store.Claims{}
	for rows.Next() {
		var a, h store.Route
		if err := rows.Scan(&a.Context, &a.Instance, &h.Context, &h.Instance); err != nil {
			return nil, s.queryError("read projected identities", err)
		}
		out[a] = append(out[a], h)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError("read projected identities", err)
	}
	return out, nil
}

// bindings finds identities held by more than one route over the whole table
// (not just the scope), so cross-route checks stay exact under filters and
// shards while only the duplicates are held in memory.
func (s *Store) bindings(ctx context.Context, tx pgx.Tx) (store.Bindings, error) {
	rows, err := tx.Query(ctx, `
		SELECT provider_id, target_category, target_id,
		       array_agg(context ORDER BY context COLLATE "C", instance COLLATE "C"),
		       array_agg(instance ORDER BY context COLLATE "C", instance COLLATE "C")
		FROM launchplane_provider_targets
		GROUP BY provider_id, target_category, target_id
		HAVING count(*) > 1`)
	if err != nil {
		return nil, s.queryError("read provider-target identities", err)
	}
	defer rows.Close()
	out := store.Bindings{}
	for rows.Next() {
		var id record.Identity
		var ctxs, insts []string
		if err := rows.Scan(&id.ProviderID, &id.Category, &id.TargetID, &ctxs, &insts); err != nil {
			return nil, s.queryError("read provider-target identities", err)
		}
		routes := make([]store.Route, len(ctxs))
		for i := range ctxs {
			routes[i] = store.Route{Context: ctxs[i], Instance: insts[i]}
		}
		out[id] = routes
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError("read provider-target identities", err)
	}
	return out, nil
}

// RouteQuery joins the three tables on their keys and returns routes in byte
// order (COLLATE "C"), which is Launchplane's Python sort order. $1 and $2
// are the context and instance scope (” for any). A scan runs it when it has
// only its own connection (otherwise it merges the three tableReads). It is
// exported as the benchmark's baseline: the plain SQL read of the tables.
const RouteQuery = `
SELECT COALESCE(p.context, t.context, i.context) AS rc,
       COALESCE(p.instance, t.instance, i.instance) AS ri,
       t.context, t.instance, t.updated_at, t.payload::text,
       i.context, i.instance, i.target_id, i.updated_at, i.payload::text,
       p.context, p.instance, p.provider_id, p.target_category, p.target_id, p.display_name,
       p.provider_target_type, p.updated_at, p.payload::text
FROM (SELECT * FROM launchplane_provider_targets WHERE ($1 = '' OR context = $1) AND ($2 = '' OR instance = $2)) p
FULL JOIN (SELECT * FROM launchplane_dokploy_targets WHERE ($1 = '' OR context = $1) AND ($2 = '' OR instance = $2)) t
       ON t.context = p.context AND t.instance = p.instance
FULL JOIN (SELECT * FROM launchplane_dokploy_target_ids WHERE ($1 = '' OR context = $1) AND ($2 = '' OR instance = $2)) i
       ON i.context = COALESCE(p.context, t.context) AND i.instance = COALESCE(p.instance, t.instance)
ORDER BY COALESCE(p.context, t.context, i.context) COLLATE "C", COALESCE(p.instance, t.instance, i.instance) COLLATE "C"`

func source(table string, r store.Route) string {
	return fmt.Sprintf("%s row (%s, %s)", table, record.PyRepr(r.Context), record.PyRepr(r.Instance))
}

// ProviderColumns are the promoted column values Launchplane writes for a row.
func ProviderColumns(p *record.ProviderTarget) map[string]string {
	return map[string]string{"context": p.Context, "instance": p.Instance, "provider_id": p.ProviderID,
		"target_category": p.TargetCategory, "target_id": p.TargetID, "display_name": p.DisplayName,
		"provider_target_type": p.ProviderTargetType, "updated_at": p.UpdatedAt}
}
