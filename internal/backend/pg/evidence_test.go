package pg_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanegate/lanegate/internal/backend/evidencetest"
	pgstore "github.com/lanegate/lanegate/internal/backend/pg"
	"github.com/lanegate/lanegate/internal/backend/pg/migrate"
	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/store"
	"github.com/lanegate/lanegate/migrations"
)

func migratedDB(t *testing.T) string {
	t.Helper()
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgtest.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ms, err := migrate.Load(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Apply(ctx, conn, ms); err != nil {
		t.Fatal(err)
	}
	return url
}

// newEvidenceStore opens the evidence store of a fresh, migrated database;
// Open gives every caller its own connection.
func newEvidenceStore(t *testing.T) evidencetest.Opened {
	t.Helper()
	url := migratedDB(t)
	ctx := context.Background()
	var mu sync.Mutex
	var conns []func()
	t.Cleanup(func() {
		for _, c := range conns {
			c()
		}
	})
	open := func() *pgstore.EvidenceStore {
		conn, err := pgtest.Connect(ctx, url)
		if err != nil {
			t.Error(err)
			return nil
		}
		mu.Lock()
		conns = append(conns, func() { conn.Close(context.Background()) })
		mu.Unlock()
		st, err := pgstore.OpenEvidence(ctx, conn)
		if err != nil {
			t.Error(err)
			return nil
		}
		st.StatementTimeout = 30 * time.Second
		return st
	}
	st := open()
	if st == nil {
		t.FailNow()
	}
	return evidencetest.Opened{Store: st, Count: func(t *testing.T) int {
		var n int
		if err := st.Conn.QueryRow(ctx, "SELECT count(*) FROM lanegate_evidence").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}, Open: func() evidence.Store {
		if st := open(); st != nil {
			return st
		}
		return nil
	}}
}

func TestEvidenceContract(t *testing.T) { evidencetest.Run(t, newEvidenceStore) }

func TestOpenEvidenceWithoutMigrations(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgtest.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = pgstore.OpenEvidence(ctx, conn)
	var se *store.Error
	if !errors.As(err, &se) || !errors.Is(err, pgstore.ErrNoEvidenceTable) || !strings.Contains(err.Error(), "lanegate migrate") {
		t.Fatalf("err = %v", err)
	}
}
