-- Agent runs (the Connector Agent, later the Workflow Agent and the Setup Assistant) are durable:
-- a run, its named steps with their outputs (a resumed run skips the finished ones and reuses
-- their outputs) and every tool call it made (a span, arguments with secrets masked). Runs are
-- executed by the workers under a lease, as workflow executions are: a worker that dies stops
-- renewing it and another worker takes the run over. The creating key's actor, role permissions,
-- mode and customer are kept so the agent acts with exactly the caller's rights.

CREATE TABLE agent_runs (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_-]{0,39}$'),
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'running', 'waiting', 'completed', 'failed', 'budget', 'cancelled')),
  input jsonb NOT NULL DEFAULT '{}',
  provider text,
  model text,
  interactive boolean NOT NULL DEFAULT false,
  -- Who started it, and with which rights the agent acts.
  actor_type text NOT NULL,
  actor_id text,
  actor_label text,
  actor_user_id uuid,
  customer_id uuid,
  mode text CHECK (mode IS NULL OR mode IN ('test', 'live')),
  permissions text[] NOT NULL DEFAULT '{}',
  report jsonb,
  error text,
  tokens_in bigint NOT NULL DEFAULT 0,
  tokens_out bigint NOT NULL DEFAULT 0,
  cost_usd double precision NOT NULL DEFAULT 0,
  -- A handback waiting for approve or revise.
  pending_stage text,
  pending_summary text,
  -- Every decision taken at a handback, in order: [{ stage, decision, note?, at }].
  decisions jsonb NOT NULL DEFAULT '[]',
  cancel_requested boolean NOT NULL DEFAULT false,
  lease_owner uuid,
  lease_expires_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX agent_runs_recent ON agent_runs (org_id, created_at DESC, id DESC);
CREATE INDEX agent_runs_unsettled ON agent_runs (org_id, status)
  WHERE status IN ('queued', 'running');
ALTER TABLE agent_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_runs
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE ON agent_runs TO weft_app;

CREATE TABLE agent_run_steps (
  org_id uuid NOT NULL,
  run_id uuid NOT NULL,
  name text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
  output jsonb,
  summary text,
  error text,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  PRIMARY KEY (org_id, run_id, name),
  FOREIGN KEY (org_id, run_id) REFERENCES agent_runs (org_id, id) ON DELETE CASCADE
);
ALTER TABLE agent_run_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_run_steps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_run_steps
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE ON agent_run_steps TO weft_app;

CREATE TABLE agent_run_spans (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  run_id uuid NOT NULL,
  step text NOT NULL,
  tool text NOT NULL,
  arguments jsonb,
  ok boolean NOT NULL,
  status text NOT NULL CHECK (status IN ('ok', 'error', 'not_allowed')),
  summary text NOT NULL DEFAULT '',
  duration_ms double precision NOT NULL DEFAULT 0,
  tokens_in integer,
  tokens_out integer,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, run_id) REFERENCES agent_runs (org_id, id) ON DELETE CASCADE
);
CREATE INDEX agent_run_spans_by_run ON agent_run_spans (org_id, run_id, created_at);
ALTER TABLE agent_run_spans ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_run_spans FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_run_spans
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT ON agent_run_spans TO weft_app;
