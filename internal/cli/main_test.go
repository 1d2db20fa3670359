package cli_test

import (
	"testing"

	"github.com/lanegate/lanegate/internal/backend/pg/pgtest"
)

// TestMain gives the package's tests a throwaway PostgreSQL cluster and
// stops it afterwards.
func TestMain(m *testing.M) { pgtest.Main(m) }
