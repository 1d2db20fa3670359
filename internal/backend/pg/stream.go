package pg

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/record"
	"github.com/lanegate/lanegate/internal/store"
)

// The route query's columns, in order.
const (
	colRouteContext = iota
	colRouteInstance
	colTargetContext
	colTargetInstance
	colTargetUpdatedAt
	colTargetPayload
	colIDContext
	colIDInstance
	colIDTargetID
	colIDUpdatedAt
	colIDPayload
	colProviderContext
	colProviderInstance
	colProviderID
	colProviderCategory
	colProviderTargetID
	colProviderDisplayName
	colProviderTargetType
	colProviderUpdatedAt
	colProviderPayload
	routeColumns
)

// Streaming tunables. A batch amortises channel hand-offs; the pool bounds
// how many rows are in flight (read, decoding or waiting to be visited), so
// memory stays flat however many routes the query returns.
const (
	batchRows    = 64
	batchesInUse = 6
)

// cells holds rows of columns copied out of pgx's read buffer (which the
// next row overwrites) into one arena; span holds each cell's [start, end)
// offsets, with start -1 for NULL.
type cells struct {
	arena []byte
	span  []int32
	n     int // rows
}

func (c *cells) reset() { c.arena, c.span, c.n = c.arena[:0], c.span[:0], 0 }

// add appends one cell to the current row.
func (c *cells) add(v []byte) {
	if v == nil {
		c.span = append(c.span, -1, -1)
		return
	}
	start := len(c.arena)
	c.arena = append(c.arena, v...)
	c.span = append(c.span, int32(start), int32(len(c.arena)))
}

// addRow appends one row of cells.
func (c *cells) addRow(values [][]byte) {
	for _, v := range values {
		c.add(v)
	}
	c.n++
}

// cell returns column col of row (nil for NULL) in rows of ncols columns.
func (c *cells) cell(ncols, row, col int) []byte {
	i := 2 * (row*ncols + col)
	if c.span[i] < 0 {
		return nil
	}
	return c.arena[c.span[i]:c.span[i+1]]
}

// rowBatch is a run of consecutive route rows, with the routes the decode
// workers made of them.
type rowBatch struct {
	cells
	out  []*store.RouteRecords
	done chan struct{}
}

func (b *rowBatch) reset() {
	b.cells.reset()
	clear(b.out) // drop the last batch's routes for the GC
	b.out = b.out[:0]
}

func (b *rowBatch) col(row, c int) []byte { return b.cell(routeColumns, row, c) }

// rowSink is where a producer puts rows: it hands out free batches and
// passes full ones to the decode workers and, in order, to the visitor. Both
// calls report false once the scan has been stopped.
type rowSink struct {
	free, work, ordered chan *rowBatch
	stop                chan struct{}
	b                   *rowBatch
}

// batch returns the batch to append the next row to.
func (k *rowSink) batch() (*rowBatch, bool) {
	if k.b == nil {
		select {
		case k.b = <-k.free:
			k.b.reset()
		case <-k.stop:
			return nil, false
		}
	}
	return k.b, true
}

func (k *rowSink) send() bool {
	b := k.b
	k.b = nil
	select {
	case k.work <- b:
	case <-k.stop:
		return false
	}
	select {
	case k.ordered <- b:
	case <-k.stop:
		return false
	}
	return true
}

// full passes the batch on when it holds batchRows rows.
func (k *rowSink) full() bool {
	return k.b.n < batchRows || k.send()
}

// flush passes on a partly filled batch.
func (k *rowSink) flush() bool {
	return k.b == nil || k.b.n == 0 || k.send()
}

// producer fills the sink with route rows in order and returns the read
// error, if any. It stops early, returning nil, when the sink says so.
type producer func(ctx context.Context, k *rowSink) error

// queryProducer reads routes with RouteQuery on tx.
func queryProducer(tx pgx.Tx, scope store.Scope) producer {
	return func(ctx context.Context, k *rowSink) error {
		rows, err := tx.Query(ctx, RouteQuery, scope.Context, scope.Instance)
		if err != nil {
			return err
		}
		defer rows.Close()
		if err := checkColumns(rows, routeColumns, "route query"); err != nil {
			return err
		}
		for rows.Next() {
			b, ok := k.batch()
			if !ok {
				return nil
			}
			b.addRow(rows.RawValues())
			if !k.full() {
				return nil
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		k.flush()
		return nil
	}
}

// checkColumns checks a result's column count. pgx learns the columns of
// a cached statement only from its first row, so a query that failed
// before sending one (a statement timeout while the server sorts, a
// cancellation) shows no columns: its error, in rows.Err after Close, is
// the one to report, never the count.
func checkColumns(rows pgx.Rows, want int, what string) error {
	n := len(rows.FieldDescriptions())
	if n == want {
		return nil
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%s returned %d columns, want %d", what, n, want)
}

// routes streams the route query on tx through v in route order.
func (s *Store) routes(ctx context.Context, tx pgx.Tx, scope store.Scope, v store.Visitor) error {
	return s.stream(ctx, queryProducer(tx, scope), func() error { return nil }, v)
}

// stream runs a producer through the decode pipeline: the producer's
// goroutine reads rows, a pool decodes payloads (and runs a store.Preparer's
// Prepare), and the caller's goroutine visits the decoded routes in order.
// Decoding is most of the CPU time of a large scan, and the server is mostly
// idle once it streams rows, so this keeps lanegate close to the speed of the
// queries themselves. before runs once, before the first route is visited,
// while the producer already reads.
func (s *Store) stream(ctx context.Context, produce producer, before func() error, v store.Visitor) error {
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	k := &rowSink{
		free:    make(chan *rowBatch, batchesInUse),
		work:    make(chan *rowBatch, batchesInUse),
		ordered: make(chan *rowBatch, batchesInUse),
		stop:    make(chan struct{}),
	}
	for i := 0; i < batchesInUse; i++ {
		k.free <- &rowBatch{done: make(chan struct{}, 1)}
	}
	var readErr error
	var wg sync.WaitGroup

	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(k.ordered)
		defer close(k.work)
		readErr = produce(qctx, k)
	}()

	prep, _ := v.(store.Preparer)
	workers := runtime.GOMAXPROCS(0)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range k.work {
				for r := 0; r < b.n; r++ {
					rr := decodeRow(b, r)
					if prep != nil {
						prep.Prepare(rr)
					}
					b.out = append(b.out, rr)
				}
				b.done <- struct{}{}
			}
		}()
	}

	visitErr := before()
	if visitErr != nil {
		close(k.stop)
		cancel()
	}
	for b := range k.ordered {
		<-b.done
		if visitErr == nil {
			for _, rr := range b.out {
				if visitErr = v.Route(rr); visitErr != nil {
					// Stop the producer and abandon the queries: the
					// caller fails the whole scan anyway.
					close(k.stop)
					cancel()
					break
				}
			}
		}
		if visitErr == nil {
			k.free <- b
		}
	}
	wg.Wait()
	if visitErr != nil {
		return visitErr
	}
	if readErr != nil {
		return s.queryError("read Launchplane's records", readErr)
	}
	return nil
}

// decodeRow turns one result row into a route's records. A payload that does
// not decode, or whose promoted columns disagree with it, becomes an invalid
// record of the route, never an error of the scan.
func decodeRow(b *rowBatch, r int) *store.RouteRecords {
	rr := &store.RouteRecords{Route: store.Route{
		Context:  string(b.col(r, colRouteContext)),
		Instance: string(b.col(r, colRouteInstance)),
	}}
	if payload := b.col(r, colTargetPayload); payload != nil {
		t, err := record.DecodeDokployTarget(payload)
		if err == nil {
			err = agree(
				promoted{"context", b.col(r, colTargetContext), t.Context},
				promoted{"instance", b.col(r, colTargetInstance), t.Instance},
				promoted{"updated_at", b.col(r, colTargetUpdatedAt), t.UpdatedAt})
		}
		if err != nil {
			rr.Invalid = append(rr.Invalid, store.Invalid{Kind: record.KindDokployTarget,
				Source: source(record.KindDokployTarget.Table(), rr.Route), Err: err})
		} else {
			rr.Target = t
		}
	}
	if payload := b.col(r, colIDPayload); payload != nil {
		t, err := record.DecodeDokployTargetID(payload)
		if err == nil {
			err = agree(
				promoted{"context", b.col(r, colIDContext), t.Context},
				promoted{"instance", b.col(r, colIDInstance), t.Instance},
				promoted{"target_id", b.col(r, colIDTargetID), t.TargetID},
				promoted{"updated_at", b.col(r, colIDUpdatedAt), t.UpdatedAt})
		}
		if err != nil {
			rr.Invalid = append(rr.Invalid, store.Invalid{Kind: record.KindDokployTargetID,
				Source: source(record.KindDokployTargetID.Table(), rr.Route), Err: err})
		} else {
			rr.TargetID = t
		}
	}
	if payload := b.col(r, colProviderPayload); payload != nil {
		p, err := record.DecodeProviderTarget(payload)
		if err == nil {
			err = agree(
				promoted{"context", b.col(r, colProviderContext), p.Context},
				promoted{"instance", b.col(r, colProviderInstance), p.Instance},
				promoted{"provider_id", b.col(r, colProviderID), p.ProviderID},
				promoted{"target_category", b.col(r, colProviderCategory), p.TargetCategory},
				promoted{"target_id", b.col(r, colProviderTargetID), p.TargetID},
				promoted{"display_name", b.col(r, colProviderDisplayName), p.DisplayName},
				promoted{"provider_target_type", b.col(r, colProviderTargetType), p.ProviderTargetType},
				promoted{"updated_at", b.col(r, colProviderUpdatedAt), p.UpdatedAt})
		}
		if err != nil {
			rr.Invalid = append(rr.Invalid, store.Invalid{Kind: record.KindProviderTarget,
				Source: source(record.KindProviderTarget.Table(), rr.Route), Err: err})
		} else {
			rr.Provider = p
		}
	}
	return rr
}

// promoted is one promoted column next to the payload value it must equal.
type promoted struct {
	name    string
	column  []byte
	payload string
}

// agree reports the first promoted column that differs from the payload.
func agree(cols ...promoted) error {
	for _, c := range cols {
		if string(c.column) != c.payload {
			return fmt.Errorf("promoted column %s=%s disagrees with the payload's %s",
				c.name, record.PyRepr(string(c.column)), record.PyRepr(c.payload))
		}
	}
	return nil
}
