package record

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestLoneSurrogateDisplayNameIsAMismatch: the reported defect, at the
// record level. Launchplane finds display_name_mismatch between a row
// whose display_name is "a\ud800b" and a projection of "a\ufffdb".
func TestLoneSurrogateDisplayNameIsAMismatch(t *testing.T) {
	row, err := DecodeProviderTarget([]byte(with(providerBase, `display_name="a\ud800b"`)))
	if err != nil {
		t.Fatal(err)
	}
	other, err := DecodeProviderTarget([]byte(with(providerBase, `display_name="a\ufffdb"`)))
	if err != nil {
		t.Fatal(err)
	}
	if row.DisplayName == other.DisplayName {
		t.Fatalf("display names compare equal: %q", row.DisplayName)
	}
	tree, err := decodeProviderTargetTree([]byte(with(providerBase, `display_name="a\ud800b"`)))
	if err != nil || tree.DisplayName != row.DisplayName {
		t.Fatalf("tree path %q (%v), fast path %q", tree.DisplayName, err, row.DisplayName)
	}
	var out bytes.Buffer
	out.Write(row.AppendJSON(nil))
	if !bytes.Contains(out.Bytes(), []byte(`"display_name":"a\ud800b"`)) {
		t.Errorf("AppendJSON: %s", out.Bytes())
	}
	if !json.Valid(out.Bytes()) {
		t.Errorf("AppendJSON is not valid JSON: %s", out.Bytes())
	}
}
