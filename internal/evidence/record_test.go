package evidence

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func rec(lane, kind string, passed bool, at time.Time, runID string) Record {
	return Record{Lane: lane, Kind: kind, Passed: passed, ObservedAt: at, Source: Source{RunID: runID}}
}

func TestNormalizeSource(t *testing.T) {
	tests := []struct {
		name            string
		src             Source
		wantID, wantAtt string
		wantErr         string
	}{
		{name: "run id only", src: Source{RunID: " 42 "}, wantID: "42", wantAtt: "1"},
		{name: "run id and attempt", src: Source{RunID: "42", RunAttempt: "3"}, wantID: "42", wantAtt: "3"},
		{name: "actions URL", src: Source{RunURL: "https://github.com/o/r/actions/runs/99"}, wantID: "99", wantAtt: "1"},
		{name: "actions URL with attempt", src: Source{RunURL: "https://github.com/o/r/actions/runs/99/attempts/2"}, wantID: "99", wantAtt: "2"},
		{name: "explicit attempt wins over URL", src: Source{RunURL: "https://github.com/o/r/actions/runs/99/attempts/2", RunAttempt: "5"}, wantID: "99", wantAtt: "5"},
		{name: "other URL names the run", src: Source{RunURL: "https://ci.example.com/job/7"}, wantID: "https://ci.example.com/job/7", wantAtt: "1"},
		{name: "missing source", src: Source{SHA: "abcdef1"}, wantErr: "a run id or a run URL"},
		{name: "URL with credentials", src: Source{RunURL: "https://u:p@ci.example.com/x"}, wantErr: "credentials"},
		{name: "relative URL", src: Source{RunURL: "/actions/runs/1"}, wantErr: "absolute http(s) URL"},
		{name: "bad attempt", src: Source{RunID: "1", RunAttempt: "0"}, wantErr: "positive integer"},
		{name: "non-numeric attempt", src: Source{RunID: "1", RunAttempt: "x"}, wantErr: "positive integer"},
		{name: "bad sha", src: Source{RunID: "1", SHA: "main"}, wantErr: "commit SHA"},
		{name: "control character in id", src: Source{RunID: "1\n2"}, wantErr: "control characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.src.Normalize()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if !IsValidationError(err) {
					t.Fatalf("err %v is not a ValidationError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.RunID != tc.wantID || got.RunAttempt != tc.wantAtt {
				t.Fatalf("got id %q attempt %q, want %q %q", got.RunID, got.RunAttempt, tc.wantID, tc.wantAtt)
			}
		})
	}
}

func TestNormalizeRecord(t *testing.T) {
	base := func() Record {
		return Record{Lane: "a/x", Kind: KindDeploy, Passed: true, ObservedAt: t0.Add(123456789 * time.Nanosecond).In(time.FixedZone("X", 3600)),
			Source: Source{RunID: "1", SHA: "ABCDEF1"}}
	}
	r, err := base().Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if r.ObservedAt.Location() != time.UTC || r.ObservedAt.Nanosecond() != 123456000 {
		t.Fatalf("observed_at not UTC microseconds: %v", r.ObservedAt)
	}
	if r.SHA != "abcdef1" || r.Detail == nil {
		t.Fatalf("normalised = %+v", r)
	}

	bad := []struct {
		name string
		mod  func(*Record)
		want string
	}{
		{"unknown kind", func(r *Record) { r.Kind = "smoke" }, "unknown evidence kind"},
		{"empty lane", func(r *Record) { r.Lane = "" }, "lane"},
		{"lane without instance", func(r *Record) { r.Lane = "a" }, "context/instance"},
		{"zero time", func(r *Record) { r.ObservedAt = time.Time{} }, "observed_at"},
		{"trace with space", func(r *Record) { r.TraceID = "a b" }, "whitespace"},
		{"no source", func(r *Record) { r.Source = Source{} }, "a run id or a run URL"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.mod(&r)
			_, err := r.Normalize()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !IsValidationError(err) {
				t.Fatalf("err = %v, want ValidationError containing %q", err, tc.want)
			}
		})
	}
}

func TestDetailRules(t *testing.T) {
	many := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("k%02d", i)] = "v"
		}
		return m
	}
	tests := []struct {
		name   string
		detail map[string]string
		want   string // "" = valid
	}{
		{"nil", nil, ""},
		{"status_code allowed", map[string]string{"status_code": "200", "latency_ms": "12", "image.tag": "v1-2"}, ""},
		{"16 keys", many(16), ""},
		{"17 keys", many(17), "at most 16"},
		{"64-byte key", map[string]string{strings.Repeat("a", 64): "v"}, ""},
		{"65-byte key", map[string]string{strings.Repeat("a", 65): "v"}, "longer than 64"},
		{"upper-case key", map[string]string{"Status": "v"}, "[a-z0-9_.-]+"},
		{"space in key", map[string]string{"a b": "v"}, "[a-z0-9_.-]+"},
		{"empty key", map[string]string{"": "v"}, "empty key"},
		{"token key", map[string]string{"github_token": "v"}, "token"},
		{"password key", map[string]string{"db.password": "v"}, "password"},
		{"secret key", map[string]string{"client-secret": "v"}, "secret"},
		{"key key", map[string]string{"api_key": "v"}, "key"},
		{"256-byte value", map[string]string{"v": strings.Repeat("x", 256)}, ""},
		{"257-byte value", map[string]string{"v": strings.Repeat("x", 257)}, "longer than 256"},
		{"newline in value", map[string]string{"v": "a\nb"}, "control characters"},
		{"invalid UTF-8", map[string]string{"v": "\xff"}, "UTF-8"},
		{"GitHub token value", map[string]string{"note": "ghp_abcdefabcdef"}, "credential"},
		{"bearer value", map[string]string{"note": "Bearer abc"}, "credential"},
		{"URL with password", map[string]string{"url": "https://u:pw@example.com/"}, "credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeDetail(tc.detail)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if got == nil || len(got) != len(tc.detail) {
					t.Fatalf("got %v", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !IsValidationError(err) {
				t.Fatalf("err = %v, want ValidationError containing %q", err, tc.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("hello", 10); got != "hello" {
		t.Fatal(got)
	}
	got := Truncate(strings.Repeat("é", 200), 256)
	if len(got) > 256 || !strings.HasSuffix(got, "…") {
		t.Fatalf("len %d: %q", len(got), got)
	}
	if err := CheckDetail("v", got); err != nil {
		t.Fatal(err)
	}
}

func TestAuditRecords(t *testing.T) {
	entries := []AuditLane{
		{Lane: "a/x", WorstStatus: "complete", Severity: "ok", Counts: map[string]int{"complete": 1}},
		{Lane: "b/y", WorstStatus: "category_mismatch", Severity: "blocked", Counts: map[string]int{"display_name_mismatch": 1, "category_mismatch": 2}},
		{Lane: "c/z", WorstStatus: "future_provider", Severity: "warning", Counts: map[string]int{"future_provider": 1}},
	}
	src := Source{RunURL: "https://github.com/o/r/actions/runs/10/attempts/2", SHA: "abcdef0", Actor: "ci"}
	recs, err := AuditRecords(entries, src, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records", len(recs))
	}
	want := []struct {
		passed bool
		detail map[string]string
	}{
		{true, map[string]string{"verdict": "complete", "severity": "ok", "counts": "complete:1"}},
		{false, map[string]string{"verdict": "category_mismatch", "severity": "blocked", "counts": "category_mismatch:2,display_name_mismatch:1"}},
		{true, map[string]string{"verdict": "future_provider", "severity": "warning", "counts": "future_provider:1"}},
	}
	for i, r := range recs {
		if r.Kind != KindAudit || r.Passed != want[i].passed || r.RunID != "10" || r.RunAttempt != "2" || !r.ObservedAt.Equal(t0) {
			t.Errorf("record %d = %+v", i, r)
		}
		if fmt.Sprint(r.Detail) != fmt.Sprint(want[i].detail) {
			t.Errorf("record %d detail = %v, want %v", i, r.Detail, want[i].detail)
		}
	}

	if _, err := AuditRecords(entries, Source{}, t0); !IsValidationError(err) || !strings.Contains(err.Error(), "run id") {
		t.Fatalf("missing source: err = %v", err)
	}

	// Counts that would overflow a detail value are cut at an entry.
	big := map[string]int{}
	for i := range 40 {
		big[fmt.Sprintf("status_number_%02d", i)] = i
	}
	recs, err = AuditRecords([]AuditLane{{Lane: "a/x", WorstStatus: "x", Severity: "blocked", Counts: big}}, src, t0)
	if err != nil {
		t.Fatal(err)
	}
	if c := recs[0].Detail["counts"]; len(c) > MaxDetailValueLen || !strings.HasSuffix(c, ",...") {
		t.Fatalf("counts = %q", c)
	}
}

func TestValidationErrorAs(t *testing.T) {
	_, err := Record{Lane: "a/x", Kind: "nope", ObservedAt: t0, Source: Source{RunID: "1"}}.Normalize()
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "kind" {
		t.Fatalf("err = %#v", err)
	}
}

// TestDetailCredentialShapes: values shaped like well-known credentials are
// refused with an error naming the key and the kind, never the value; near
// misses pass. Fake tokens are assembled from pieces so that no scanner
// mistakes this file for a leak.
func TestDetailCredentialShapes(t *testing.T) {
	j := func(parts ...string) string { return strings.Join(parts, "") }
	tests := []struct {
		value string
		kind  string // "" = accepted
	}{
		{j("AKIA", "IOSFODNN7EXAMPLE"), "AWS access key id"},
		{j("key id ", "ASIA", "ABCDEFGHIJKLMNOP", " in use"), "AWS access key id"},
		{j("xox", "b-1234567890-abcdefghij"), "Slack token"},
		{j("xox", "p-11-22-33-abcdef"), "Slack token"},
		{j("sk_", "live_", "4eC39HqLyjWDarjtT1zdp7dc"), "Stripe key"},
		{j("rk_", "live_", "abcdefgh1234"), "Stripe key"},
		{j("sk_", "test_", "abcdefgh1234"), "Stripe key"},
		{j("glpat-", "xxxxxxxxxxxxxxxxxxxx"), "GitLab token"},
		{j("ghp_", "abcdefabcdef"), "GitHub token"},
		{j("gho_", "abcdefabcdef"), "GitHub token"},
		{j("ghu_", "abcdefabcdef"), "GitHub token"},
		{j("ghs_", "abcdefabcdef"), "GitHub token"},
		{j("ghr_", "abcdefabcdef"), "GitHub token"},
		{j("github_", "pat_", "11ABCDEFG0_abcdefghijkl"), "GitHub token"},
		{j("eyJ", "hbGciOiJIUzI1NiJ9", ".", "eyJ", "zdWIiOiIxMjM0In0", ".", "abcDEF123_-"), "JSON web token"},
		{j("-----BEGIN ", "RSA PRIVATE KEY-----"), "private key"},
		{j("-----BEGIN ", "OPENSSH PRIVATE KEY-----"), "private key"},
		{"api_key=abc123", "credential assignment"},
		{"see https://example.com/health?token=abc", "credential assignment"},
		{"password = hunter2", "credential assignment"},
		{"Secret=x", "credential assignment"},
		{"api-key=abc", "credential assignment"},
		{"client_secret=abc", "credential assignment"},
		{"key=v", "credential assignment"},
		{"Bearer abc", "credential marker"},
		// Near misses.
		{j("AKIA", "IOSFODNN7EXAMPL"), ""},                   // 15 characters
		{j("akia", "iosfodnn7example"), ""},                  // lower case
		{j("XAKIA", "IOSFODNN7EXAMPLEX"), ""},                // inside a longer word
		{j("xox", "z-1234567890"), ""},                       // no such Slack prefix
		{"xoxb", ""},                                         // prefix alone
		{j("desk_", "live_", "abcdefgh1234"), ""},            // not at a word start
		{j("sk_", "live_"), ""},                              // prefix alone
		{j("glpat-", "short"), ""},                           // too short
		{"eyJhbGciOiJIUzI1NiJ9", ""},                         // one part only
		{"-----BEGIN CERTIFICATE-----", "credential marker"}, // legacy rule: any armour
		{"monkey=3", ""},                                     // "key" inside a word
		{"keyboard layout", ""},                              // no assignment
		{"token expired", ""},                                // no assignment
		{"password reset page ok", ""},                       // no assignment
		{"tokens=3", ""},                                     // another word
		{"status=ok latency=12ms", ""},
		{"https://example.com/health?check=deep", ""},
		{"sha256:9f86d081884c7d659a2feaa0c55ad015", ""},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			_, err := NormalizeDetail(map[string]string{"note": tc.value})
			if tc.kind == "" {
				if err != nil {
					t.Fatalf("%q refused: %v", tc.value, err)
				}
				return
			}
			if err == nil || !IsValidationError(err) {
				t.Fatalf("%q accepted (err %v), want a ValidationError", tc.value, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, `detail "note"`) || !strings.Contains(msg, "("+tc.kind+")") {
				t.Errorf("error %q does not name the key and %q", msg, tc.kind)
			}
			if strings.Contains(msg, tc.value) {
				t.Errorf("error %q repeats the value", msg)
			}
		})
	}
}
