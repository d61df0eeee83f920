-- Triggers start workflows: webhooks (a public URL), schedulers and app events (a connector's
-- event on a customer's connection). Each trigger has routes to workflows; every event it
-- receives is kept, with what became of it.

CREATE TABLE triggers (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  type text NOT NULL CHECK (type IN ('webhook', 'scheduler', 'app_event')),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  -- Type-specific settings (never secrets: those are sealed in secret_sealed).
  config jsonb NOT NULL DEFAULT '{}',
  -- Webhook: the HMAC secret or API key, sealed (AAD binds org and trigger).
  secret_sealed text,
  -- App event: the connection whose events start it, and where its subscription stands.
  connection_id uuid,
  customer_id uuid,
  subscription jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id)
);
ALTER TABLE triggers ENABLE ROW LEVEL SECURITY;
ALTER TABLE triggers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON triggers
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON triggers TO weft_app;

-- A webhook URL names only its trigger: the public endpoint finds the trigger (and so its org)
-- by that id alone, as API keys are found by their hash.
CREATE FUNCTION weft_current_hook_id() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('weft.hook_id', true), '')::uuid $$;
CREATE POLICY hook_lookup ON triggers FOR SELECT USING (id = weft_current_hook_id());

CREATE TABLE trigger_routes (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  trigger_id uuid NOT NULL,
  position integer NOT NULL,
  workflow_id uuid NOT NULL,
  environment text NOT NULL DEFAULT 'production'
    CHECK (environment IN ('development', 'staging', 'production')),
  -- Headers added to what the workflow sees in ctx.headers.
  headers jsonb NOT NULL DEFAULT '{}',
  -- A JSONata expression over the event; the route matches when it is true. NULL: always.
  filter text,
  -- Scheduler: the JSON passed as ctx.input.
  payload jsonb,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, trigger_id, position),
  FOREIGN KEY (org_id, trigger_id) REFERENCES triggers (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, workflow_id) REFERENCES workflows (org_id, id) ON DELETE CASCADE
);
ALTER TABLE trigger_routes ENABLE ROW LEVEL SECURITY;
ALTER TABLE trigger_routes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON trigger_routes
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON trigger_routes TO weft_app;

-- Every received event (Activity → Events). An event is written before its sender gets a 2xx,
-- and routed after: `verdict` 'pending' until then.
CREATE TABLE trigger_events (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  trigger_id uuid NOT NULL,
  source text NOT NULL CHECK (source IN ('webhook', 'scheduler', 'app_event')),
  customer_id uuid,
  headers jsonb NOT NULL DEFAULT '{}',
  payload jsonb,
  -- Webhook deduplication: the value at the trigger's dedup path; the sender's webhook-id.
  dedup_key text,
  webhook_id text,
  -- Scheduler: the tick this event is for (fires once per tick).
  tick_at timestamptz,
  verdict text NOT NULL DEFAULT 'pending'
    CHECK (verdict IN ('pending', 'routed', 'filtered_out', 'duplicate', 'rejected', 'failed')),
  matched_routes jsonb NOT NULL DEFAULT '[]',
  executions jsonb NOT NULL DEFAULT '[]',
  error text,
  dead_letter boolean NOT NULL DEFAULT false,
  attempts integer NOT NULL DEFAULT 0,
  -- While set and in the future, one process is routing the event; the sweeper leaves it alone.
  routing_lease_until timestamptz,
  received_at timestamptz NOT NULL DEFAULT now(),
  routed_at timestamptz,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, trigger_id) REFERENCES triggers (org_id, id) ON DELETE CASCADE
);
CREATE INDEX trigger_events_by_time ON trigger_events (org_id, received_at DESC, id DESC);
CREATE INDEX trigger_events_by_trigger ON trigger_events (org_id, trigger_id, received_at DESC);
CREATE INDEX trigger_events_dedup ON trigger_events (org_id, trigger_id, dedup_key, received_at)
  WHERE dedup_key IS NOT NULL;
CREATE UNIQUE INDEX trigger_events_webhook_id ON trigger_events (org_id, trigger_id, webhook_id)
  WHERE webhook_id IS NOT NULL;
CREATE UNIQUE INDEX trigger_events_tick ON trigger_events (org_id, trigger_id, tick_at)
  WHERE tick_at IS NOT NULL;
CREATE INDEX trigger_events_pending ON trigger_events (org_id, received_at)
  WHERE verdict = 'pending';
CREATE INDEX trigger_events_dead ON trigger_events (org_id, trigger_id, received_at DESC)
  WHERE dead_letter;
ALTER TABLE trigger_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE trigger_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON trigger_events
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE ON trigger_events TO weft_app;

-- Scheduler state: the next tick of each active scheduler trigger (and the poll of app events
-- that poll). Claimed with FOR UPDATE SKIP LOCKED, so each tick fires in exactly one process.
CREATE TABLE trigger_schedules (
  org_id uuid NOT NULL,
  trigger_id uuid NOT NULL,
  next_run_at timestamptz NOT NULL,
  -- Polling app events: the cursor and fingerprints of what was already emitted.
  state jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (org_id, trigger_id),
  FOREIGN KEY (org_id, trigger_id) REFERENCES triggers (org_id, id) ON DELETE CASCADE
);
ALTER TABLE trigger_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE trigger_schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON trigger_schedules
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON trigger_schedules TO weft_app;

-- Which orgs have a tick due, for the scheduler's scan across orgs: ids and times only, kept
-- by the owner role (the app role cannot read it).
CREATE TABLE schedule_hints (
  org_id uuid NOT NULL,
  trigger_id uuid NOT NULL,
  next_run_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, trigger_id)
);
CREATE INDEX schedule_hints_due ON schedule_hints (next_run_at);
REVOKE ALL ON schedule_hints FROM weft_app;
