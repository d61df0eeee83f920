-- Foundation: the application role, tenant helpers, organizations, users, memberships,
-- customers, API keys and the audit log. Every tenant table gets RLS, forced, in this file.

DO $$
BEGIN
  CREATE ROLE weft_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
EXCEPTION
  -- Roles are cluster-wide: another database on the same server may have created it.
  WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'weft_app', 'MEMBER') THEN
    EXECUTE format('GRANT weft_app TO %I', current_user);
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO weft_app;

-- An unset setting reads as '' (not NULL) after a reset: both mean "no tenant".
CREATE FUNCTION weft_current_org() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('weft.org_id', true), '')::uuid $$;

CREATE FUNCTION weft_current_customer() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('weft.customer_id', true), '')::uuid $$;

CREATE FUNCTION weft_current_key_hash() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('weft.key_hash', true), '') $$;

-- System state of this installation (not tenant data; weft_app has no access).
CREATE TABLE installation (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  default_org_id uuid NOT NULL,
  bootstrapped_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations
  USING (id = weft_current_org()) WITH CHECK (id = weft_current_org());
GRANT SELECT, INSERT, UPDATE ON organizations TO weft_app;

CREATE TABLE users (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, email)
);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON users TO weft_app;

CREATE TABLE memberships (
  org_id uuid NOT NULL,
  user_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id),
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO weft_app;

CREATE TABLE customers (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  external_id text CHECK (length(external_id) BETWEEN 1 AND 255),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, external_id)
);
CREATE INDEX customers_list_idx ON customers (org_id, created_at DESC, id DESC);
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customers
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE, DELETE ON customers TO weft_app;

CREATE TABLE api_keys (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  kind text NOT NULL CHECK (kind IN ('test', 'live')),
  prefix text NOT NULL,
  key_hash text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, key_hash),
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
-- Authentication looks a key up by its hash before the org is known.
CREATE INDEX api_keys_hash_idx ON api_keys (key_hash);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
-- Holding a key (hence its hash) reveals that key's own row and nothing else.
CREATE POLICY key_holder_lookup ON api_keys FOR SELECT
  USING (key_hash = weft_current_key_hash());
GRANT SELECT, INSERT, UPDATE ON api_keys TO weft_app;

CREATE TABLE audit_log (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  customer_id uuid,
  actor_type text NOT NULL CHECK (actor_type IN ('api_key', 'user', 'agent', 'system', 'cli')),
  actor_id text,
  actor_label text,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text,
  request_id text,
  mode text CHECK (mode IN ('test', 'live')),
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_log_time_idx ON audit_log (org_id, created_at DESC);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
-- Append-only: no UPDATE or DELETE for the application.
GRANT SELECT, INSERT ON audit_log TO weft_app;
