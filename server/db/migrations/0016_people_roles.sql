-- People and roles: six system roles (owner, admin, developer, operator, viewer, end_user; what
-- each may do is a table in code, server/domain/tenant.ts) and an org's own custom roles, stored
-- here. The old `member` role becomes `developer`. Each org has exactly one owner.
-- People sign in with an email and a password (scrypt, never the password itself); invitations
-- are one-time links (only a hash of the token is kept); sessions are held in an HttpOnly cookie
-- whose token is also kept only as a hash. An API key may be narrowed to some of its person's
-- permissions.

ALTER TABLE memberships DROP CONSTRAINT memberships_role_check;
UPDATE memberships SET role = 'developer' WHERE role = 'member';
ALTER TABLE memberships ADD CONSTRAINT memberships_role_check
  CHECK (role ~ '^[a-z][a-z0-9_]{1,39}$');
CREATE UNIQUE INDEX memberships_one_owner ON memberships (org_id) WHERE role = 'owner';

CREATE TABLE roles (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  slug text NOT NULL CHECK (
    slug ~ '^[a-z][a-z0-9_]{1,39}$'
    AND slug NOT IN ('owner', 'admin', 'developer', 'operator', 'viewer', 'end_user', 'member')
  ),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  permissions text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, slug)
);
ALTER TABLE roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON roles
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON roles TO weft_app;

-- Signing in happens before the org is known: a person's email, hashed (sha256 of
-- 'sign-in:' || lower(email), set by the application on insert), is the only thing a sign-in
-- can look up, the way an API key's hash is (`key_holder_lookup` on api_keys).
ALTER TABLE users ADD COLUMN password_hash text CHECK (password_hash ~ '^scrypt\$');
ALTER TABLE users ADD COLUMN email_key text CHECK (email_key ~ '^[0-9a-f]{64}$');
UPDATE users SET email_key = encode(sha256(convert_to('sign-in:' || lower(email), 'UTF8')), 'hex');
ALTER TABLE users ALTER COLUMN email_key SET NOT NULL;
CREATE INDEX users_email_key_idx ON users (email_key);
CREATE POLICY sign_in_lookup ON users FOR SELECT
  USING (email_key = weft_current_key_hash());

CREATE TABLE invitations (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  role text NOT NULL CHECK (role ~ '^[a-z][a-z0-9_]{1,39}$'),
  -- Set when the link lets an existing person (the first owner) choose a password.
  user_id uuid,
  token_hash text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  invited_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, token_hash),
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX invitations_list_idx ON invitations (org_id, created_at DESC);
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON invitations TO weft_app;

CREATE TABLE sessions (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  token_hash text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, token_hash),
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, DELETE ON sessions TO weft_app;

-- null: the key acts with its person's role; otherwise with the role's permissions among these.
ALTER TABLE api_keys ADD COLUMN permissions text[];
