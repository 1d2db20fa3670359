package testkit

import (
	"bytes"
	"context"
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/lanes"
	"github.com/lanegate/lanegate/internal/report"
	"github.com/lanegate/lanegate/internal/store"
)

// AuditJSON runs a full audit of st, as the audit command does, and
// returns the JSON report: what backend parity tests compare byte for byte.
func AuditJSON(t testing.TB, st store.Reader, filter audit.Filter, plan *lanes.File) []byte {
	t.Helper()
	b, err := report.NewAuditBuilder()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a := audit.New(filter, plan, b)
	if err := st.Scan(context.Background(), store.Scope{Context: filter.Context, Instance: filter.Instance}, a); err != nil {
		t.Fatal(err)
	}
	totals, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := b.WriteJSON(&out, report.AuditHeader(totals, nil, nil)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
