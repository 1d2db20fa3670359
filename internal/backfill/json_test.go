package backfill

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/lanegate/lanegate/internal/record"
)

func FuzzItemAppendJSON(f *testing.F) {
	f.Add("ctx", "prod", "would-create", "ok", "detail <&> \"q\"", "dokploy", "\u2028\x01é", true)
	f.Add("", "", "", "", "", "", "", false)
	f.Fuzz(func(t *testing.T, c, i, status, sev, detail, provider, odd string, records bool) {
		it := Item{Context: c, Instance: i, Status: status, Severity: sev, Detail: detail, ProviderID: provider}
		if records {
			p := &record.ProviderTarget{SchemaVersion: 1, Context: c, Instance: i, ProviderID: provider,
				TargetCategory: "compose", TargetID: odd, DisplayName: odd, ProviderTargetType: "compose",
				ProviderEvidence: map[string]string{odd: detail}, UpdatedAt: detail, SourceLabel: odd}
			it.Projected = p
			if len(odd)%2 == 0 {
				it.Physical = p
			}
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(it); err != nil {
			t.Fatal(err)
		}
		if got := string(it.AppendJSON(nil)) + "\n"; got != want.String() {
			t.Fatalf("Item.AppendJSON\n got %s\nwant %s", got, want.String())
		}
	})
}
