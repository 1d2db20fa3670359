package record

import "testing"

// Payloads shaped like the benchmark's generated rows (and Launchplane's
// own), as PostgreSQL's jsonb text output writes them.
var (
	benchTargetPayload   = []byte(`{"env": {"WORKERS": "5", "LOG_LEVEL": "info"}, "context": "ctx-0030742", "domains": ["prod.ctx-0030742.example.com"], "instance": "prod", "policies": {"shopify": {"protected_store_keys": []}, "integration_allowances": []}, "git_branch": "main", "updated_at": "2026-03-16T20:44:06Z", "source_type": "", "target_name": "ctx-0030742-prod", "target_type": "compose", "watch_paths": [], "compose_path": "", "project_name": "ctx-0030742-project", "source_label": "launchplane:dokploy-sync", "custom_git_url": "", "schema_version": 1, "source_git_ref": "origin/main", "healthcheck_path": "/web/health", "custom_git_branch": "", "require_prod_gate": false, "require_test_gate": false, "healthcheck_enabled": true}`)
	benchProviderPayload = []byte(`{"context": "ctx-0271201", "instance": "staging", "target_id": "app-ctx-0271201-staging", "updated_at": "2026-04-10T15:23:06Z", "provider_id": "dokploy", "display_name": "ctx-0271201-staging", "source_label": "launchplane:backfill", "schema_version": 1, "target_category": "application", "provider_evidence": {"project_name": "ctx-0271201-project"}, "provider_target_type": "application"}`)
	benchTargetIDPayload = []byte(`{"context": "ctx-0030742", "instance": "prod", "target_id": "com-ctx-0030742-prod", "updated_at": "2026-02-05T05:30:50Z", "source_label": "launchplane:dokploy-sync", "schema_version": 1}`)
)

// BenchmarkDecodeRoute decodes one route's three records, the audit's
// per-route decoding work.
func BenchmarkDecodeRoute(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchTargetPayload) + len(benchProviderPayload) + len(benchTargetIDPayload)))
	for b.Loop() {
		if _, err := DecodeDokployTarget(benchTargetPayload); err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeProviderTarget(benchProviderPayload); err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeDokployTargetID(benchTargetIDPayload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDokployTargetEncodePython is the digest's per-create encoding of
// the Dokploy target record.
func BenchmarkDokployTargetEncodePython(b *testing.B) {
	t, err := DecodeDokployTarget(benchTargetPayload)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		t.EncodePython()
	}
}
