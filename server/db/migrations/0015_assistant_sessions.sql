-- Setup Assistant sessions: one chat per org and user, its step state (plain JSON the assistant
-- reads back, so a session resumes after a restart) and every event of its answers in order.
-- An event's seq is its Server-Sent Events id: a client that lost its connection asks for the
-- events after the last seq it saw and gets each one exactly once. Credentials typed into forms
-- never reach these tables (the service masks them before anything is written).

CREATE TABLE assistant_sessions (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  created_by text NOT NULL,
  state jsonb NOT NULL,
  status text NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'running', 'complete')),
  last_seq bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id)
);
CREATE INDEX assistant_sessions_by_user ON assistant_sessions (org_id, created_by, updated_at DESC);
ALTER TABLE assistant_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE assistant_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON assistant_sessions
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT, UPDATE ON assistant_sessions TO weft_app;

CREATE TABLE assistant_events (
  org_id uuid NOT NULL,
  session_id uuid NOT NULL,
  seq bigint NOT NULL,
  event jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, session_id, seq),
  FOREIGN KEY (org_id, session_id) REFERENCES assistant_sessions (org_id, id) ON DELETE CASCADE
);
ALTER TABLE assistant_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE assistant_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON assistant_events
  USING (org_id = weft_current_org()) WITH CHECK (org_id = weft_current_org());
GRANT SELECT, INSERT ON assistant_events TO weft_app;
