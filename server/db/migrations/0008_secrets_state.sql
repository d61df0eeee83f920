-- Org secrets (sealed values for workflows) and the durable key/value state of workflows.

-- The value is sealed (server/crypto/envelope.ts) with the org and the name as additional
-- authenticated data: a sealed value copied to another name or org does not open.
CREATE TABLE secrets (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$'),
  value_sealed text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  created_by_type text NOT NULL CHECK (created_by_type IN ('api_key', 'user', 'agent', 'system', 'cli')),
  created_by_id text,
  updated_by_type text NOT NULL CHECK (updated_by_type IN ('api_key', 'user', 'agent', 'system', 'cli')),
  updated_by_id text,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, name)
);
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON secrets
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON secrets TO weft_app;

-- One row per (org, customer, scope, scope id, key). customer_id is NULL for runs without a
-- customer; the unique index folds NULL to a constant so that such keys are unique too.
-- scope_id is '' for the org scope and the execution id for the invocation scope.
CREATE TABLE workflow_state (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  customer_id uuid,
  scope text NOT NULL CHECK (scope IN ('org', 'invocation')),
  scope_id text NOT NULL CHECK (
    length(scope_id) <= 256 AND (scope = 'org') = (scope_id = '')
  ),
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 256),
  value jsonb NOT NULL,
  expires_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX workflow_state_key_idx ON workflow_state (
  org_id,
  coalesce(customer_id, '00000000-0000-0000-0000-000000000000'::uuid),
  scope,
  scope_id,
  key
);
CREATE INDEX workflow_state_expiry_idx ON workflow_state (org_id, expires_at)
  WHERE expires_at IS NOT NULL;
ALTER TABLE workflow_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_state FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflow_state
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_state TO weft_app;
