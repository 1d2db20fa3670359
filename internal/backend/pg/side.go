package pg

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/store"
)

// A scan reads on helper connections that have imported its transaction's
// snapshot, so every read sees exactly the same data:
//
//   - one reads the identities held by more than one route (and, for backfill
//     plans, the projected claims) while the others start;
//   - three read one table each, ordered, and the streams are merged here
//     (see merge.go), so the server sorts the tables side by side.
//
// The scan's own transaction holds the bundle lock: shared for audits and dry
// runs, exclusive for an apply, whose connection is then free to write. When
// the helpers cannot join (connection limits, a pooler that cannot share
// snapshots), the scan reads everything on its own connection and says so.
const helperConns = 4

// afterSnapshotJoined, when set by a test, runs once the helper connections
// have joined the snapshot and before they read anything.
var afterSnapshotJoined func()

// sideResult is what the first helper read.
type sideResult struct {
	bindings store.Bindings
	claims   store.Claims
	err      error
}

// ScanTx scans inside tx: a read-only snapshot for audits and dry runs, or
// the apply's write transaction, which re-plans under its exclusive lock with
// the same code.
func (s *Store) ScanTx(ctx context.Context, tx pgx.Tx, scope store.Scope, v store.Visitor) error {
	h, err := s.Helpers(ctx, tx)
	if err != nil {
		return err
	}
	if h == nil {
		return s.scanOneConnection(ctx, tx, scope, v)
	}
	defer h.Close()
	return s.ScanHelpers(ctx, h, scope, v)
}

// Helpers joins tx's snapshot on the helper connections. When they cannot
// join it returns nil, after a notice saying why, and the caller reads on
// tx's own connection. An error means tx itself failed (it could not export
// its snapshot) and is no longer usable. Close the helpers when done.
func (s *Store) Helpers(ctx context.Context, tx pgx.Tx) (*Helpers, error) {
	var snapshot string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		return nil, s.queryError("export the read snapshot", err)
	}
	h, err := s.joinSnapshot(ctx, snapshot, helperConns)
	if err != nil {
		if s.opt.Notice != nil {
			s.opt.Notice("reading on one connection: " + err.Error())
		}
		return nil, nil
	}
	return h, nil
}

// ScanHelpers scans the snapshot the helpers joined. The transaction that
// exported it is not used, so its connection is free meanwhile (an apply
// stages its rows on it).
func (s *Store) ScanHelpers(ctx context.Context, h *Helpers, scope store.Scope, v store.Visitor) error {
	cv, wantClaims := v.(store.ClaimsVisitor)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan sideResult, 1)
	go func() {
		var r sideResult
		if r.bindings, r.err = s.bindings(sctx, h.tx[0]); r.err == nil && wantClaims {
			r.claims, r.err = s.claims(sctx, h.tx[0])
		}
		results <- r
	}()
	received := false
	before := func() error {
		received = true
		r := <-results
		if r.err != nil {
			return r.err
		}
		if err := v.Bindings(r.bindings); err != nil {
			return err
		}
		if wantClaims {
			return cv.Claims(r.claims)
		}
		return nil
	}
	err := s.stream(ctx, mergeProducer([3]pgx.Tx{h.tx[1], h.tx[2], h.tx[3]}, scope), before, v)
	if !received {
		cancel()
		<-results
	}
	return err
}

// Helpers are the helper connections of one scan.
type Helpers struct {
	conn []*pgx.Conn
	tx   []pgx.Tx
}

// Close ends the helpers' transactions and closes their connections.
func (h *Helpers) Close() {
	for i, c := range h.conn {
		if c == nil {
			continue
		}
		if h.tx[i] != nil {
			h.tx[i].Rollback(context.Background())
		}
		c.Close(context.Background())
	}
}

// joinSnapshot opens n connections whose READ ONLY, REPEATABLE READ
// transactions use the exported snapshot. Its transaction holds the bundle
// lock, so the snapshot is one no dual-write was half-way through. The connections are opened in
// parallel: against a remote server each costs a TLS handshake.
func (s *Store) joinSnapshot(ctx context.Context, snapshot string, n int) (*Helpers, error) {
	h := &Helpers{conn: make([]*pgx.Conn, n), tx: make([]pgx.Tx, n)}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.conn[i], h.tx[i], errs[i] = s.joinOne(ctx, snapshot)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			h.Close()
			return nil, err
		}
	}
	if afterSnapshotJoined != nil {
		afterSnapshotJoined()
	}
	return h, nil
}

// joinOne opens one helper connection and joins the snapshot.
func (s *Store) joinOne(ctx context.Context, snapshot string) (*pgx.Conn, pgx.Tx, error) {
	conn, err := Connect(ctx, s.url, s.opt)
	if err != nil {
		return nil, nil, fmt.Errorf("helper connection: %v", err)
	}
	side, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err == nil {
		if _, err = side.Exec(ctx, "SET TRANSACTION SNAPSHOT "+quoteLiteral(snapshot)); err != nil {
			err = fmt.Errorf("join the snapshot on a helper connection: %v", s.queryError("set transaction snapshot", err))
		}
	} else {
		err = fmt.Errorf("helper connection: %v", s.queryError("begin", err))
	}
	if err == nil {
		if _, err = side.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", s.timeout.Milliseconds())); err != nil {
			err = fmt.Errorf("helper connection: %v", s.queryError("set statement timeout", err))
		}
	}
	if err != nil {
		conn.Close(context.Background())
		return nil, nil, err
	}
	return conn, side, nil
}

// quoteLiteral quotes a server-issued snapshot id as an SQL string literal.
func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
