-- Evidence kind 'authority': Launchplane's product-environment read model,
-- collected by `lanegate evidence collect`. The kind list is the one
-- internal/evidence keeps (evidence.Kinds), appended, never reordered.
ALTER TABLE lanegate_evidence DROP CONSTRAINT lanegate_evidence_kind_check;
ALTER TABLE lanegate_evidence ADD CONSTRAINT lanegate_evidence_kind_check
  CHECK (kind IN ('audit', 'backfill', 'deploy', 'promotion', 'health', 'backup-gate', 'authority'));
