-- lanegate run log: one row per audit/backfill/gate/evidence/publish run.
CREATE TABLE lanegate_runs (
  id               BIGSERIAL   PRIMARY KEY,
  kind             TEXT        NOT NULL CHECK (kind IN ('audit', 'backfill', 'gate', 'evidence', 'publish')),
  status           TEXT        NOT NULL,
  scope            TEXT        NOT NULL DEFAULT '',
  reason           TEXT        NOT NULL DEFAULT '',
  plan_digest      TEXT        NOT NULL DEFAULT '',
  git_sha          TEXT        NOT NULL DEFAULT '',
  run_url          TEXT        NOT NULL DEFAULT '',
  run_id           TEXT        NOT NULL DEFAULT '',
  run_attempt      TEXT        NOT NULL DEFAULT '',
  actor            TEXT        NOT NULL DEFAULT '',
  lanegate_version TEXT        NOT NULL DEFAULT '',
  report           JSONB       NOT NULL,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX lanegate_runs_kind_created_idx ON lanegate_runs (kind, created_at DESC);

-- Per-row outcome of a backfill run.
CREATE TABLE lanegate_backfill_items (
  run_id   BIGINT NOT NULL REFERENCES lanegate_runs (id) ON DELETE CASCADE,
  context  TEXT   NOT NULL,
  instance TEXT   NOT NULL,
  status   TEXT   NOT NULL,
  severity TEXT   NOT NULL,
  detail   TEXT   NOT NULL,
  PRIMARY KEY (run_id, context, instance)
);
