package cli_test

import (
	"testing"

	"github.com/lanegate/lanegate/internal/testkit"
)

// TestMain gives the package's tests a throwaway PostgreSQL cluster and
// stops it afterwards, and removes the lanegate binary testkit.Build built.
func TestMain(m *testing.M) { testkit.Main(m) }
