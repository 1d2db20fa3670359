package record

import (
	"strings"
	"testing"

	"github.com/lanegate/lanegate/internal/pyjson"
)

// TestStricterThanLaunchplane pins every rule where lanegate refuses a
// payload Launchplane's Python would read (each is listed in the README,
// "Deliberately stricter than Launchplane"). A refusal makes the record
// invalid_record, which blocks its route: stricter may only ever mean
// blocked, never complete.
func TestStricterThanLaunchplane(t *testing.T) {
	deep := strings.Repeat(`{"k": `, pyjson.MaxDepth+1) + `"x"` + strings.Repeat(`}`, pyjson.MaxDepth+1)
	tests := []struct {
		name    string
		payload string
		want    string // substring of the error
	}{
		// Python's json keeps the last value of a repeated key.
		{"repeated key", with(providerBase, `+display_name="other"`), `duplicate key "display_name"`},
		{"repeated nested key", with(providerBase, `provider_evidence={"project_name": "a", "project_name": "b"}`), `duplicate key "project_name"`},
		// Python's json reads NaN, Infinity and -Infinity.
		{"NaN", with(providerBase, `schema_version=NaN`), "invalid JSON"},
		{"Infinity", with(targetBase, `deploy_timeout_seconds=Infinity`), "invalid JSON"},
		// Python ints have no size limit.
		{"integer beyond int64", with(providerBase, `schema_version=99999999999999999999`), "expected an integer"},
		// Python's json nests about a thousand levels deep.
		{"nesting deeper than 64", with(targetBase, `policies=`+deep), "nesting is too deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if strings.Contains(tt.payload, `"provider_id"`) {
				_, err = DecodeProviderTarget([]byte(tt.payload))
			} else {
				_, err = DecodeDokployTarget([]byte(tt.payload))
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			checkDecodeError(t, err)
		})
	}
}
