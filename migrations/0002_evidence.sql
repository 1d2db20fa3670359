-- Evidence recorded per lane (one row per lane/kind/CI run attempt).
CREATE TABLE lanegate_evidence (
  id          BIGSERIAL   PRIMARY KEY,
  lane        TEXT        NOT NULL,
  kind        TEXT        NOT NULL CHECK (kind IN ('audit', 'backfill', 'deploy', 'promotion', 'health', 'backup-gate')),
  passed      BOOLEAN     NOT NULL,
  observed_at TIMESTAMPTZ NOT NULL,
  run_url     TEXT        NOT NULL DEFAULT '',
  run_id      TEXT        NOT NULL,
  run_attempt TEXT        NOT NULL DEFAULT '1',
  sha         TEXT        NOT NULL DEFAULT '',
  actor       TEXT        NOT NULL DEFAULT '',
  trace_id    TEXT        NOT NULL DEFAULT '',
  detail      JSONB       NOT NULL DEFAULT '{}',
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (lane, kind, run_id, run_attempt)
);
CREATE INDEX lanegate_evidence_lane_kind_observed_idx ON lanegate_evidence (lane, kind, observed_at DESC);
