-- Canonical data model: org custom fields, versioned mappings per connector × entity × direction,
-- and per-customer overrides on top of the org mapping.

CREATE TABLE cdm_custom_fields (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  entity text NOT NULL,
  name text NOT NULL CHECK (name ~ '^[a-zA-Z][a-zA-Z0-9_]{0,63}$'),
  type text NOT NULL CHECK (type IN ('string', 'number', 'boolean', 'date', 'json')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, entity, name)
);
ALTER TABLE cdm_custom_fields ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdm_custom_fields FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cdm_custom_fields
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, DELETE ON cdm_custom_fields TO weft_app;

-- Each save is a new immutable version (v1, v2, …); the highest is in force.
CREATE TABLE cdm_mappings (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL,
  entity text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('to_canonical', 'from_canonical')),
  version integer NOT NULL CHECK (version > 0),
  fields jsonb NOT NULL,
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, connector_id, entity, direction, version),
  FOREIGN KEY (org_id, connector_id) REFERENCES connectors (org_id, id) ON DELETE CASCADE
);
ALTER TABLE cdm_mappings ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdm_mappings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cdm_mappings
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT ON cdm_mappings TO weft_app;

CREATE TABLE cdm_mapping_overrides (
  org_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  connector_id uuid NOT NULL,
  entity text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('to_canonical', 'from_canonical')),
  fields jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, customer_id, connector_id, entity, direction),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, connector_id) REFERENCES connectors (org_id, id) ON DELETE CASCADE
);
ALTER TABLE cdm_mapping_overrides ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdm_mapping_overrides FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cdm_mapping_overrides
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE, DELETE ON cdm_mapping_overrides TO weft_app;
