-- Operating an installation: custom environments per org, alert rules with their incidents and
-- notifications, per-customer monthly quotas, and audit-log queries with a retention period.

-- Environments. development, staging and production exist in every org without a row; an org
-- adds its own here. Deployments and triggers name an environment by its name, which the
-- services check against the built-in names and this table (a built-in has no row to point at).
CREATE TABLE environments (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (
    name ~ '^[a-z][a-z0-9-]{0,39}$' AND name NOT IN ('development', 'staging', 'production')
  ),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 1024),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, name)
);
ALTER TABLE environments ENABLE ROW LEVEL SECURITY;
ALTER TABLE environments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON environments
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, DELETE ON environments TO weft_app;

ALTER TABLE workflow_deployments DROP CONSTRAINT workflow_deployments_environment_check;
ALTER TABLE workflow_deployments ADD CONSTRAINT workflow_deployments_environment_name
  CHECK (environment ~ '^[a-z][a-z0-9-]{0,39}$');
ALTER TABLE trigger_routes DROP CONSTRAINT trigger_routes_environment_check;
ALTER TABLE trigger_routes ADD CONSTRAINT trigger_routes_environment_name
  CHECK (environment ~ '^[a-z][a-z0-9-]{0,39}$');

-- Alert rules: a condition over the executions finished in a sliding window, scoped to the org,
-- one workflow or one customer. The evaluator keeps its state on the rule (last breach, last
-- notification) so any worker can take the next evaluation over.
CREATE TABLE alert_rules (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  condition text NOT NULL CHECK (condition IN (
    'error_rate', 'latency_p99', 'latency_p95', 'latency_avg', 'throughput', 'failure_count'
  )),
  threshold double precision NOT NULL CHECK (threshold >= 0),
  window_seconds integer NOT NULL CHECK (window_seconds BETWEEN 60 AND 86400),
  workflow_id uuid,
  customer_id uuid,
  webhook_url text CHECK (length(webhook_url) <= 2048),
  enabled boolean NOT NULL DEFAULT true,
  last_value double precision,
  last_evaluated_at timestamptz,
  last_breach_at timestamptz,
  last_notified_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, name),
  CHECK (num_nonnulls(workflow_id, customer_id) <= 1),
  FOREIGN KEY (org_id, workflow_id) REFERENCES workflows (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE CASCADE
);
ALTER TABLE alert_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE alert_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alert_rules
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON alert_rules TO weft_app;

-- At most one open incident per rule; a resolved one is kept as history.
CREATE TABLE alert_incidents (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  rule_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'resolved')),
  opened_at timestamptz NOT NULL,
  opened_value double precision NOT NULL,
  peak_value double precision NOT NULL,
  resolved_at timestamptz,
  resolved_value double precision,
  -- When the opening was told (it waits while the rule's notification limit holds it back).
  notified_at timestamptz,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, rule_id) REFERENCES alert_rules (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX alert_incidents_one_open ON alert_incidents (org_id, rule_id)
  WHERE status = 'open';
CREATE INDEX alert_incidents_recent ON alert_incidents (org_id, opened_at DESC, id DESC);
ALTER TABLE alert_incidents ENABLE ROW LEVEL SECURITY;
ALTER TABLE alert_incidents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alert_incidents
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE ON alert_incidents TO weft_app;

-- Every notification sent (to the log, and to the rule's webhook when it has one).
CREATE TABLE alert_notifications (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  rule_id uuid NOT NULL,
  incident_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('opened', 'resolved')),
  value double precision NOT NULL,
  webhook_status integer,
  webhook_error text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, incident_id) REFERENCES alert_incidents (org_id, id) ON DELETE CASCADE
);
CREATE INDEX alert_notifications_by_rule ON alert_notifications (org_id, rule_id, created_at DESC);
ALTER TABLE alert_notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE alert_notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alert_notifications
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE ON alert_notifications TO weft_app;

-- Window statistics read finished executions by time, for the org, a workflow or a customer.
CREATE INDEX executions_finished ON executions (org_id, finished_at) WHERE finished_at IS NOT NULL;

-- Usage per customer per month is counted from the rows the work leaves behind: executions,
-- action calls (trace spans of kind action) and agent runs' tokens.
CREATE INDEX executions_by_customer ON executions (org_id, customer_id, created_at);
CREATE INDEX trace_spans_actions_by_customer ON trace_spans (org_id, customer_id, started_at)
  WHERE kind = 'action';
CREATE INDEX agent_runs_by_customer ON agent_runs (org_id, customer_id, created_at);

CREATE TABLE customer_quotas (
  org_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  metric text NOT NULL CHECK (metric IN ('executions', 'action_calls', 'agent_tokens')),
  monthly_limit bigint NOT NULL CHECK (monthly_limit >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, customer_id, metric),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE CASCADE
);
ALTER TABLE customer_quotas ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_quotas FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_quotas
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE, DELETE ON customer_quotas TO weft_app;

-- Audit log: who acted for which person (a key's owner), indexes for the query filters, and a
-- retention period per org.
ALTER TABLE audit_log ADD COLUMN actor_user_id uuid;
CREATE INDEX audit_log_by_actor ON audit_log (org_id, actor_type, actor_id, created_at DESC);
CREATE INDEX audit_log_by_user ON audit_log (org_id, actor_user_id, created_at DESC);
CREATE INDEX audit_log_by_action ON audit_log (org_id, action, created_at DESC);
CREATE INDEX audit_log_by_resource ON audit_log (org_id, resource_type, resource_id, created_at DESC);

CREATE TABLE audit_retention (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  days integer NOT NULL CHECK (days BETWEEN 30 AND 3650),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id)
);
ALTER TABLE audit_retention ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_retention FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_retention
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE ON audit_retention TO weft_app;

-- The log stays append-only for everything younger than the org's retention (365 days unless
-- set): the database refuses to delete a younger entry, whoever asks.
CREATE POLICY retention_only ON audit_log AS RESTRICTIVE FOR DELETE
  USING (created_at < now() - make_interval(days => coalesce(
    (SELECT r.days FROM audit_retention r WHERE r.org_id = audit_log.org_id), 365)));
GRANT DELETE ON audit_log TO weft_app;
