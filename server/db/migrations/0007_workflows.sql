-- Workflows: a draft per workflow, immutable published versions, one deployed version per
-- environment, and the execution log with its memoized steps.

CREATE TABLE workflows (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  slug text NOT NULL CHECK (slug ~ '^[a-z][a-z0-9_-]{0,63}$'),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  tier text NOT NULL CHECK (tier IN ('instant', 'standard', 'long')),
  timeout_ms integer NOT NULL CHECK (timeout_ms > 0),
  retry jsonb NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  language text NOT NULL CHECK (language IN ('typescript', 'javascript')),
  draft_source text NOT NULL,
  latest_version integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, slug)
);
ALTER TABLE workflows ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflows
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON workflows TO weft_app;

-- A published version is never changed: the app role may only insert and read.
CREATE TABLE workflow_versions (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  workflow_id uuid NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  language text NOT NULL,
  source text NOT NULL,
  compiled text NOT NULL,
  tier text NOT NULL,
  timeout_ms integer NOT NULL,
  retry jsonb NOT NULL,
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, workflow_id, version),
  FOREIGN KEY (org_id, workflow_id) REFERENCES workflows (org_id, id) ON DELETE CASCADE
);
ALTER TABLE workflow_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflow_versions
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT ON workflow_versions TO weft_app;

CREATE TABLE workflow_deployments (
  org_id uuid NOT NULL,
  workflow_id uuid NOT NULL,
  environment text NOT NULL CHECK (environment IN ('development', 'staging', 'production')),
  version_id uuid NOT NULL,
  deployed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, workflow_id, environment),
  FOREIGN KEY (org_id, workflow_id) REFERENCES workflows (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, version_id) REFERENCES workflow_versions (org_id, id) ON DELETE CASCADE
);
ALTER TABLE workflow_deployments ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_deployments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflow_deployments
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_deployments TO weft_app;

-- One row per execution. Async tiers insert it as 'queued'; a worker claims it by taking the
-- lease (lease_owner, lease_expires_at) and every later write of that attempt is fenced on it.
CREATE TABLE executions (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  workflow_id uuid NOT NULL,
  version_id uuid NOT NULL,
  version integer NOT NULL,
  environment text NOT NULL,
  tier text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'timeout')),
  triggered_by text NOT NULL
    CHECK (triggered_by IN ('agent-service', 'webhook', 'scheduler', 'manual', 'app-event')),
  trigger jsonb NOT NULL DEFAULT '{}',
  customer_id uuid,
  attempt integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  input jsonb,
  headers jsonb NOT NULL DEFAULT '{}',
  output jsonb,
  error jsonb,
  logs jsonb NOT NULL DEFAULT '[]',
  spans jsonb NOT NULL DEFAULT '[]',
  rerun_of uuid,
  lease_owner uuid,
  lease_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms double precision,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, workflow_id) REFERENCES workflows (org_id, id) ON DELETE CASCADE
);
CREATE INDEX executions_by_time ON executions (org_id, created_at DESC, id DESC);
CREATE INDEX executions_by_workflow ON executions (org_id, workflow_id, created_at DESC, id DESC);
CREATE INDEX executions_unfinished ON executions (org_id, status, lease_expires_at)
  WHERE status IN ('queued', 'running');
ALTER TABLE executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE executions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON executions
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE ON executions TO weft_app;

-- Memoized `ctx.step` results: a retried or resumed attempt reads these instead of re-running.
CREATE TABLE execution_steps (
  org_id uuid NOT NULL,
  execution_id uuid NOT NULL,
  name text NOT NULL,
  value jsonb,
  attempt integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, execution_id, name),
  FOREIGN KEY (org_id, execution_id) REFERENCES executions (org_id, id) ON DELETE CASCADE
);
ALTER TABLE execution_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE execution_steps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON execution_steps
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT ON execution_steps TO weft_app;
