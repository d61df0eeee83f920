-- The list of organizations, for installation-wide maintenance (master key rotation) that
-- must visit every tenant. Not tenant data: ids only, and the application role cannot read it.
CREATE TABLE org_registry (
  org_id uuid PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON org_registry FROM weft_app;

-- Organizations created before this migration.
INSERT INTO org_registry (org_id) SELECT id FROM organizations ON CONFLICT DO NOTHING;
