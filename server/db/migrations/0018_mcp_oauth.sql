-- OAuth 2.1 for MCP clients (the MCP authorization flow): clients register themselves (RFC 7591),
-- a signed-in person consents, the client exchanges a one-time code (PKCE) for an access token
-- and a rotating refresh token, each bound to one resource: the admin MCP endpoint or one
-- customer's gateway (RFC 8707). Codes and tokens are kept only as SHA-256 hashes.

-- Registered clients are not any org's: a client registers before anyone has signed in.
CREATE TABLE mcp_oauth_clients (
  client_id text PRIMARY KEY CHECK (client_id ~ '^mcp_[A-Za-z0-9_-]{20,64}$'),
  client_name text CHECK (length(client_name) <= 200),
  redirect_uris jsonb NOT NULL,
  metadata jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mcp_oauth_codes (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  code_hash text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
  client_id text NOT NULL REFERENCES mcp_oauth_clients (client_id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  resource text NOT NULL,
  scope text,
  redirect_uri text NOT NULL,
  code_challenge text NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, code_hash),
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
ALTER TABLE mcp_oauth_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE mcp_oauth_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mcp_oauth_codes
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
-- As with API keys: holding a code (hence its hash) reveals that code's row and nothing else.
CREATE POLICY code_holder_lookup ON mcp_oauth_codes FOR SELECT
  USING (code_hash = weft_current_key_hash());
GRANT SELECT, INSERT, DELETE ON mcp_oauth_codes TO weft_app;

-- Access and refresh tokens. A grant is one consent's chain of tokens: a refresh token is used
-- once (rotated); presenting a used one again revokes the whole grant.
CREATE TABLE mcp_oauth_tokens (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  token_hash text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  kind text NOT NULL CHECK (kind IN ('access', 'refresh')),
  grant_id uuid NOT NULL,
  client_id text NOT NULL REFERENCES mcp_oauth_clients (client_id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  resource text NOT NULL,
  scope text,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, token_hash),
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX mcp_oauth_tokens_by_grant ON mcp_oauth_tokens (org_id, grant_id);
ALTER TABLE mcp_oauth_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE mcp_oauth_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mcp_oauth_tokens
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
CREATE POLICY token_holder_lookup ON mcp_oauth_tokens FOR SELECT
  USING (token_hash = weft_current_key_hash());
GRANT SELECT, INSERT, UPDATE ON mcp_oauth_tokens TO weft_app;
