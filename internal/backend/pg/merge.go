package pg

import (
	"bytes"
	"context"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/lanegate/lanegate/internal/store"
)

// A scan with enough connections reads each of the three tables with its own
// ordered query, on its own connection in the scan's snapshot, and merges
// the three streams by (context, instance) here. The server then sorts three
// tables side by side instead of sorting their full join on one core, which
// was most of a large scan's time. The merged rows have exactly the route
// query's columns, so everything downstream is the same.

// tableRead is one table's ordered query and where its columns go in a route
// row (the route key comes first in each query).
type tableRead struct {
	query string
	first int // route-row column of the table's context column
}

const scopeWhere = ` WHERE ($1 = '' OR context = $1) AND ($2 = '' OR instance = $2)
ORDER BY context COLLATE "C", instance COLLATE "C"`

// tableReads must agree with RouteQuery's column order.
var tableReads = [3]tableRead{
	{`SELECT context, instance, updated_at, payload::text FROM launchplane_dokploy_targets` + scopeWhere, colTargetContext},
	{`SELECT context, instance, target_id, updated_at, payload::text FROM launchplane_dokploy_target_ids` + scopeWhere, colIDContext},
	{`SELECT context, instance, provider_id, target_category, target_id, display_name, provider_target_type,
       updated_at, payload::text FROM launchplane_provider_targets` + scopeWhere, colProviderContext},
}

// tableColumns is how many columns each table read returns.
var tableColumns = [3]int{
	colIDContext - colTargetContext,
	colProviderContext - colIDContext,
	routeColumns - colProviderContext,
}

// tableBatch is a run of one table's rows, or the error that ended them.
type tableBatch struct {
	cells
	err error
}

// tableCursor walks one table's batches as they arrive.
type tableCursor struct {
	ncols int
	in    <-chan *tableBatch
	free  chan<- *tableBatch
	b     *tableBatch
	row   int
	done  bool
}

// next moves to the table's next row; false at the end or on an error.
func (c *tableCursor) next(stop <-chan struct{}) (bool, error) {
	if c.b != nil {
		c.row++
		if c.row < c.b.n {
			return true, nil
		}
		c.free <- c.b
		c.b = nil
	}
	select {
	case b, ok := <-c.in:
		if !ok {
			c.done = true
			return false, nil
		}
		if b.err != nil {
			c.done = true
			return false, b.err
		}
		c.b, c.row = b, 0
		return true, nil
	case <-stop:
		c.done = true
		return false, nil
	}
}

func (c *tableCursor) key() (ctx, inst []byte) {
	return c.b.cell(c.ncols, c.row, 0), c.b.cell(c.ncols, c.row, 1)
}

// readTable streams one table read into out, in batches from free.
func readTable(ctx context.Context, tx pgx.Tx, r tableRead, ncols int, scope store.Scope,
	free chan *tableBatch, out chan<- *tableBatch, stop <-chan struct{}) {
	defer close(out)
	fail := func(err error) {
		select {
		case out <- &tableBatch{err: err}:
		case <-stop:
		}
	}
	rows, err := tx.Query(ctx, r.query, scope.Context, scope.Instance)
	if err != nil {
		fail(err)
		return
	}
	defer rows.Close()
	if err := checkColumns(rows, ncols, "table read"); err != nil {
		fail(err)
		return
	}
	var b *tableBatch
	for rows.Next() {
		if b == nil {
			select {
			case b = <-free:
				b.reset()
			case <-stop:
				return
			}
		}
		b.addRow(rows.RawValues())
		if b.n == batchRows {
			select {
			case out <- b:
				b = nil
			case <-stop:
				return
			}
		}
	}
	if err := rows.Err(); err != nil {
		fail(err)
		return
	}
	if b != nil && b.n > 0 {
		select {
		case out <- b:
		case <-stop:
		}
	}
}

// mergeProducer reads the three tables on txs (one per table, all in the
// same snapshot) and merges them into route rows.
func mergeProducer(txs [3]pgx.Tx, scope store.Scope) producer {
	return func(ctx context.Context, k *rowSink) error {
		ctx, cancel := context.WithCancel(ctx)
		stop := make(chan struct{})
		var readers sync.WaitGroup
		// Leave no reader behind on the connections, however this ends.
		defer func() {
			close(stop)
			cancel()
			readers.Wait()
		}()
		var cur [3]*tableCursor
		for t := range tableReads {
			free := make(chan *tableBatch, batchesInUse)
			for i := 0; i < batchesInUse; i++ {
				free <- &tableBatch{}
			}
			in := make(chan *tableBatch, batchesInUse-1)
			cur[t] = &tableCursor{ncols: tableColumns[t], in: in, free: free}
			readers.Add(1)
			go func() {
				defer readers.Done()
				readTable(ctx, txs[t], tableReads[t], tableColumns[t], scope, free, in, stop)
			}()
		}
		for _, c := range cur {
			if _, err := c.next(k.stop); err != nil {
				return err
			}
		}
		for {
			// The route is the smallest key among the tables' current
			// rows, in byte order (COLLATE "C").
			var minCtx, minInst []byte
			found := false
			for _, c := range cur {
				if c.done {
					continue
				}
				kc, ki := c.key()
				if !found || less(kc, ki, minCtx, minInst) {
					minCtx, minInst, found = kc, ki, true
				}
			}
			if !found {
				break
			}
			b, ok := k.batch()
			if !ok {
				return nil
			}
			b.add(minCtx)
			b.add(minInst)
			var matched [3]bool
			for t, c := range cur {
				if !c.done {
					kc, ki := c.key()
					matched[t] = bytes.Equal(kc, minCtx) && bytes.Equal(ki, minInst)
				}
				for col := 0; col < tableColumns[t]; col++ {
					if matched[t] {
						b.add(c.b.cell(c.ncols, c.row, col))
					} else {
						b.add(nil)
					}
				}
			}
			for t, c := range cur {
				if matched[t] {
					if _, err := c.next(k.stop); err != nil {
						return err
					}
				}
			}
			b.n++
			if !k.full() {
				return nil
			}
		}
		k.flush()
		return nil
	}
}

// less orders routes as Python sorts (context, instance) string tuples:
// byte order of the UTF-8, context first.
func less(c1, i1, c2, i2 []byte) bool {
	if d := bytes.Compare(c1, c2); d != 0 {
		return d < 0
	}
	return bytes.Compare(i1, i2) < 0
}
