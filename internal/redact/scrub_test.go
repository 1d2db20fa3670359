package redact

import (
	"testing"
)

func TestScrubberFragments(t *testing.T) {
	tests := []struct {
		name, password, in, want string
	}{
		{"pgx leaves a delimited piece", "P@ssw0rd:2024",
			"cannot parse `postgres://ro:xxxxx@ssw0rd:xxxxxx@db.internal:5432/launchplane`: invalid port",
			"cannot parse `postgres://ro:xxxxx@***:xxxxxx@db.internal:5432/launchplane`: invalid port"},
		{"piece between two '@'", "abc%@PART",
			"postgres://ro:xxxxx@PART@127.0.0.1:1/db", "postgres://ro:xxxxx@***@127.0.0.1:1/db"},
		{"piece at the start", "abc@PART:xyz", "PART:xyz is wrong", "*** is wrong"},
		{"piece at the end", "abc@PART:xyz", "port PART", "port ***"},
		{"whole password", "P@ssw0rd:2024", "pw P@ssw0rd:2024!", "pw ***!"},
		{"one delimited side is enough", "P@ssw0rd:2024", "ssw0rdX", "***X"},
		{"inside a word it stays", "plane123x", "launchplane1234", "launchplane1234"},
		{"three bytes are not a fragment", "P@ssw0rd:2024", "port 202 ok", "port 202 ok"},
		{"quoted by the driver", "a&0000000", `query parameter: "0000000"`, `query parameter: "***"`},
		{"timestamps pay the price", "Summer2025!", `"observed_at":"2025-06-01T00:00:00Z"`, `"observed_at":"***-06-01T00:00:00Z"`},
		{"text timestamp scrubbed", "Summer2025!", "observed 2025-06-01", "observed ***-06-01"},
		{"next to an exact hit", "P@ssw0rd:2024", "P@ssw0rd:2024ssw0rdX", "***X"},
		{"unrelated text", "P@ssw0rd:2024", "cannot connect to Postgres", "cannot connect to Postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScrubber()
			s.AddFragments(tt.password)
			if got := s.Scrub(tt.in); got != tt.want {
				t.Errorf("Scrub(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got, want := s.Contains(tt.in), tt.in != tt.want; got != want {
				t.Errorf("Contains(%q) = %v, want %v", tt.in, got, want)
			}
		})
	}
}
