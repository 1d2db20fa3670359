package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/store"
)

// A read-only scan runs its two preliminary queries (the identities held by
// more than one route, and for backfill plans the projected claims) on a
// second connection that has imported the scan's snapshot. They then run
// while the server sorts the route query, instead of before it: at a million
// routes that hides seconds. Both connections see exactly the same data.

// afterSnapshotJoined, when set by a test, runs once the second connection
// has joined the snapshot and before it reads anything.
var afterSnapshotJoined func()

// sideResult is what the second connection read.
type sideResult struct {
	bindings store.Bindings
	claims   store.Claims
	err      error
}

// ScanTx scans inside tx: a read-only snapshot for audits and dry runs, or
// the apply's write transaction, which re-plans under its exclusive lock with
// the same code. Bindings and claims are read on a second connection that
// joins tx's snapshot when one can, and on tx itself otherwise.
func (s *Store) ScanTx(ctx context.Context, tx pgx.Tx, scope store.Scope, v store.Visitor) error {
	cv, wantClaims := v.(store.ClaimsVisitor)
	side, sideTx, err := s.joinSnapshot(ctx, tx)
	if err != nil {
		if s.opt.Notice != nil {
			s.opt.Notice("reading on one connection: " + err.Error())
		}
		return s.scanOneConnection(ctx, tx, scope, v)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan sideResult, 1)
	go func() {
		defer side.Close(context.Background())
		defer sideTx.Rollback(context.Background())
		var r sideResult
		if r.bindings, r.err = s.bindings(sctx, sideTx); r.err == nil && wantClaims {
			r.claims, r.err = s.claims(sctx, sideTx)
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
	err = s.routesWith(ctx, tx, scope, before, v)
	if !received {
		cancel()
		<-results
	}
	return err
}

// joinSnapshot opens a second connection whose READ ONLY, REPEATABLE READ
// transaction uses tx's snapshot. tx holds the shared bundle lock, so the
// snapshot is one no dual-write was half-way through.
func (s *Store) joinSnapshot(ctx context.Context, tx pgx.Tx) (*pgx.Conn, pgx.Tx, error) {
	var snapshot string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		return nil, nil, fmt.Errorf("export the snapshot: %v", s.queryError("export snapshot", err))
	}
	conn, err := Connect(ctx, s.url, s.opt)
	if err != nil {
		return nil, nil, fmt.Errorf("second connection: %v", err)
	}
	side, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err == nil {
		_, err = side.Exec(ctx, "SET TRANSACTION SNAPSHOT "+quoteLiteral(snapshot))
	}
	if err == nil {
		_, err = side.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", s.timeout.Milliseconds()))
	}
	if err != nil {
		conn.Close(context.Background())
		return nil, nil, fmt.Errorf("join the snapshot on a second connection: %v", s.queryError("set transaction snapshot", err))
	}
	if afterSnapshotJoined != nil {
		afterSnapshotJoined()
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
