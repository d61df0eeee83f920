-- Connectors (org-level definitions), their actions and events, OAuth apps, connections
-- (a connector authorized for a customer, or the org's own test connection), pending OAuth
-- authorizations, platform events and trace spans. RLS forced on every table.

CREATE TABLE connectors (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  slug text NOT NULL CHECK (slug ~ '^[a-z][a-z0-9_-]{0,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text,
  domain text,
  visibility text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public')),
  icon_url text,
  base_url text,
  server_variables jsonb NOT NULL DEFAULT '{}'::jsonb,
  auth_methods jsonb NOT NULL DEFAULT '[]'::jsonb,
  rate_limit jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, slug)
);
ALTER TABLE connectors ENABLE ROW LEVEL SECURITY;
ALTER TABLE connectors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON connectors
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON connectors TO weft_app;

CREATE TABLE connector_actions (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL,
  slug text NOT NULL CHECK (slug ~ '^[a-zA-Z][a-zA-Z0-9_]{0,99}$'),
  name text NOT NULL,
  description text,
  method text NOT NULL CHECK (method IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS')),
  path text NOT NULL,
  parameters jsonb NOT NULL DEFAULT '[]'::jsonb,
  body jsonb,
  input_schema jsonb NOT NULL DEFAULT '{}'::jsonb,
  output_schema jsonb,
  pagination jsonb,
  cdm_entity text,
  tags text[] NOT NULL DEFAULT '{}',
  deprecated boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, connector_id, slug),
  FOREIGN KEY (org_id, connector_id) REFERENCES connectors (org_id, id) ON DELETE CASCADE
);
ALTER TABLE connector_actions ENABLE ROW LEVEL SECURITY;
ALTER TABLE connector_actions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON connector_actions
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON connector_actions TO weft_app;

CREATE TABLE connector_events (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL,
  name text NOT NULL CHECK (name ~ '^[a-zA-Z0-9_.:-]{1,200}$'),
  description text,
  payload_schema jsonb,
  subscription jsonb,
  signature jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, connector_id, name),
  FOREIGN KEY (org_id, connector_id) REFERENCES connectors (org_id, id) ON DELETE CASCADE
);
ALTER TABLE connector_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE connector_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON connector_events
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON connector_events TO weft_app;

-- The org's own OAuth client registration at a provider, per connector.
CREATE TABLE oauth_apps (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL,
  client_id text NOT NULL,
  client_secret_sealed text,
  authorize_url text,
  token_url text,
  scopes text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, connector_id),
  FOREIGN KEY (org_id, connector_id) REFERENCES connectors (org_id, id) ON DELETE CASCADE
);
ALTER TABLE oauth_apps ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_apps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON oauth_apps
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON oauth_apps TO weft_app;

CREATE TABLE connections (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  connector_id uuid NOT NULL,
  -- NULL: the org's own test connection.
  customer_id uuid,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  auth_method text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'active', 'error', 'expired', 'revoked')),
  status_reason text,
  -- Field name → sealed value (envelope encryption bound to org, connection and field).
  credentials jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Non-secret settings: server variables, scopes granted, the account behind the connection.
  config jsonb NOT NULL DEFAULT '{}'::jsonb,
  token_expires_at timestamptz,
  last_refreshed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, connector_id) REFERENCES connectors (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE CASCADE
);
CREATE INDEX connections_by_customer ON connections (org_id, customer_id, connector_id);
ALTER TABLE connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE connections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON connections
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE, DELETE ON connections TO weft_app;

CREATE FUNCTION weft_current_oauth_state() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('weft.oauth_state', true), '') $$;

-- An authorization in progress. The provider's redirect carries only `state`: holding it (a
-- 256-bit secret) reveals that row alone, the way holding an API key reveals its own row.
CREATE TABLE oauth_authorizations (
  org_id uuid NOT NULL,
  state text NOT NULL CHECK (state ~ '^[A-Za-z0-9_-]{43}$'),
  connection_id uuid NOT NULL,
  code_verifier_sealed text NOT NULL,
  redirect_uri text NOT NULL,
  return_url text,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, state),
  FOREIGN KEY (org_id, connection_id) REFERENCES connections (org_id, id) ON DELETE CASCADE
);
CREATE INDEX oauth_authorizations_state ON oauth_authorizations (state);
ALTER TABLE oauth_authorizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_authorizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON oauth_authorizations
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
CREATE POLICY state_holder_lookup ON oauth_authorizations FOR SELECT
  USING (state = weft_current_oauth_state());
GRANT SELECT, INSERT, UPDATE, DELETE ON oauth_authorizations TO weft_app;

-- Things that happened on the platform (a connection expired, …), for alerts and triggers.
CREATE TABLE platform_events (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  customer_id uuid,
  type text NOT NULL,
  resource_type text NOT NULL,
  resource_id text,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id)
);
CREATE INDEX platform_events_time ON platform_events (org_id, created_at DESC);
ALTER TABLE platform_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON platform_events
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT ON platform_events TO weft_app;

-- One row per outbound call made for an action, a proxy request or a token refresh.
CREATE TABLE trace_spans (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  trace_id text NOT NULL,
  customer_id uuid,
  connection_id uuid,
  connector_id uuid,
  kind text NOT NULL CHECK (kind IN ('action', 'proxy', 'token', 'test')),
  name text NOT NULL,
  method text NOT NULL,
  url text NOT NULL,
  status integer,
  duration_ms double precision NOT NULL,
  attempts integer NOT NULL DEFAULT 1,
  error text,
  started_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX trace_spans_by_trace ON trace_spans (org_id, trace_id);
CREATE INDEX trace_spans_by_connection ON trace_spans (org_id, connection_id, started_at DESC);
ALTER TABLE trace_spans ENABLE ROW LEVEL SECURITY;
ALTER TABLE trace_spans FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON trace_spans
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT ON trace_spans TO weft_app;
