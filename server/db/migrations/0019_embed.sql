-- The connect widget: what an org lets its customers connect (widgets), the short-lived tokens
-- that open a widget for one customer (kept by id so they can be revoked), the connections made
-- through a widget with what their activation created, and each customer's onboarding answers.

CREATE TABLE widgets (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  slug text NOT NULL CHECK (slug ~ '^[a-z][a-z0-9_-]{0,63}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- 'org': one connection per connector for the whole customer; 'user': one per end user.
  level text NOT NULL CHECK (level IN ('org', 'user')),
  -- [{ connector, authMethod, scopes, workflows: [...] }], validated by the domain schema.
  connectors jsonb NOT NULL DEFAULT '[]',
  branding jsonb NOT NULL DEFAULT '{}',
  -- Origins allowed to frame the widget (CSP frame-ancestors) and to call its API.
  allowed_origins jsonb NOT NULL DEFAULT '[]',
  onboarding jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, slug)
);
ALTER TABLE widgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE widgets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON widgets
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON widgets TO weft_app;

-- A token is signed and carries its own expiry; the row is what makes it revocable.
CREATE TABLE embed_tokens (
  org_id uuid NOT NULL,
  jti uuid NOT NULL,
  widget_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  end_user_id text,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, jti),
  FOREIGN KEY (org_id, widget_id) REFERENCES widgets (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE CASCADE
);
CREATE INDEX embed_tokens_by_expiry ON embed_tokens (org_id, expires_at);
ALTER TABLE embed_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE embed_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON embed_tokens
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE, DELETE ON embed_tokens TO weft_app;

-- A connection made through a widget, and what connecting it set up (triggers, runs), so that
-- disconnecting undoes exactly that.
CREATE TABLE widget_connections (
  org_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  widget_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  end_user_id text,
  connector_slug text NOT NULL,
  activation jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, connection_id),
  FOREIGN KEY (org_id, widget_id) REFERENCES widgets (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, connection_id) REFERENCES connections (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE CASCADE
);
CREATE INDEX widget_connections_by_customer ON widget_connections (org_id, widget_id, customer_id);
ALTER TABLE widget_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE widget_connections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON widget_connections
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE, DELETE ON widget_connections TO weft_app;

-- What a customer said in the widget's onboarding chat, and the settings drawn from it.
CREATE TABLE widget_settings (
  org_id uuid NOT NULL,
  widget_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  answers jsonb NOT NULL DEFAULT '{}',
  settings jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, widget_id, customer_id),
  FOREIGN KEY (org_id, widget_id) REFERENCES widgets (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE CASCADE
);
ALTER TABLE widget_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE widget_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON widget_settings
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE, DELETE ON widget_settings TO weft_app;
