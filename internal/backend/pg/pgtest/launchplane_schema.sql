CREATE TABLE launchplane_dokploy_target_ids (
  context    VARCHAR NOT NULL,
  instance   VARCHAR NOT NULL,
  target_id  VARCHAR NOT NULL,
  updated_at VARCHAR NOT NULL,
  payload    JSONB   NOT NULL,
  PRIMARY KEY (context, instance)
);
CREATE INDEX launchplane_dokploy_target_ids_updated_idx ON launchplane_dokploy_target_ids (updated_at DESC);
CREATE TABLE launchplane_dokploy_targets (
  context    VARCHAR NOT NULL,
  instance   VARCHAR NOT NULL,
  updated_at VARCHAR NOT NULL,
  payload    JSONB   NOT NULL,
  PRIMARY KEY (context, instance)
);
CREATE INDEX launchplane_dokploy_targets_updated_idx ON launchplane_dokploy_targets (updated_at DESC);
CREATE TABLE launchplane_provider_targets (
  context              VARCHAR NOT NULL,
  instance             VARCHAR NOT NULL,
  provider_id          VARCHAR NOT NULL,
  target_category      VARCHAR NOT NULL,
  target_id            VARCHAR NOT NULL,
  display_name         VARCHAR NOT NULL,
  provider_target_type VARCHAR NOT NULL,
  updated_at           VARCHAR NOT NULL,
  payload              JSONB   NOT NULL,
  PRIMARY KEY (context, instance)
);
CREATE INDEX launchplane_provider_targets_provider_idx ON launchplane_provider_targets (provider_id, updated_at DESC);
CREATE INDEX launchplane_provider_targets_updated_idx ON launchplane_provider_targets (updated_at DESC);
