-- Specs uploaded once and imported by id (an agent hands over a 400 KB spec once, not on every
-- import), and what each customer's MCP gateway offers: chosen actions per connector and
-- workflows offered as tools. A connector with no choice offers only its GET actions.

CREATE TABLE specs (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text,
  content text NOT NULL,
  size_bytes integer NOT NULL CHECK (size_bytes > 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, sha256)
);
ALTER TABLE specs ENABLE ROW LEVEL SECURITY;
ALTER TABLE specs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON specs
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE ON specs TO weft_app;

-- actions: {"<connector slug>": ["<action slug>", ...]}; a connector absent from the map
-- offers its GET actions only (read-only until someone chooses).
CREATE TABLE gateway_offers (
  org_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  actions jsonb NOT NULL DEFAULT '{}'::jsonb,
  workflows text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, customer_id),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE CASCADE
);
ALTER TABLE gateway_offers ENABLE ROW LEVEL SECURITY;
ALTER TABLE gateway_offers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON gateway_offers
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE, DELETE ON gateway_offers TO weft_app;

-- The request headers of a traced call, credentials masked (prefix and last 4 characters):
-- enough to see a wrong placement or prefix, never the secret.
ALTER TABLE trace_spans ADD COLUMN request_headers jsonb;
