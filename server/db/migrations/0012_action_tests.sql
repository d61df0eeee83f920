-- The spec a connector was imported from (its text, or the URL it was fetched from), so that its
-- actions can be tested against a mock built from the spec rather than from the connector; and
-- the action tests themselves, each with its request and answer (secrets scrubbed, bodies
-- capped) and the connector version it ran against, so a later run can be compared (drift).

CREATE TABLE connector_specs (
  org_id uuid NOT NULL,
  connector_id uuid NOT NULL,
  source_kind text NOT NULL CHECK (source_kind IN ('text', 'url')),
  source_url text,
  content text,
  sha256 text CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$'),
  imported_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, connector_id),
  FOREIGN KEY (org_id, connector_id) REFERENCES connectors (org_id, id) ON DELETE CASCADE,
  CHECK ((source_kind = 'text' AND content IS NOT NULL) OR (source_kind = 'url' AND source_url IS NOT NULL))
);
ALTER TABLE connector_specs ENABLE ROW LEVEL SECURITY;
ALTER TABLE connector_specs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON connector_specs
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON connector_specs TO weft_app;

CREATE TABLE action_tests (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL,
  action_slug text NOT NULL,
  connector_version text NOT NULL,
  target text NOT NULL CHECK (target IN ('mock', 'connection')),
  connection_id uuid,
  passed boolean NOT NULL,
  status integer,
  latency_ms double precision NOT NULL,
  output_conforms boolean,
  error_class text CHECK (error_class IN ('auth', 'base_url', 'path', 'method',
    'parameter_location', 'input_schema', 'output_schema', 'rate_limit', 'network')),
  error text,
  input jsonb NOT NULL DEFAULT '{}'::jsonb,
  request jsonb,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, connector_id) REFERENCES connectors (org_id, id) ON DELETE CASCADE
);
CREATE INDEX action_tests_by_action ON action_tests (org_id, connector_id, action_slug, created_at DESC);
ALTER TABLE action_tests ENABLE ROW LEVEL SECURITY;
ALTER TABLE action_tests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON action_tests
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT ON action_tests TO weft_app;
