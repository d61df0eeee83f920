-- Quotas on executions and action calls admit each start against a counter per customer, metric
-- and month, raised under the counter row's lock: starts at the same moment are admitted one
-- after another, so a limit is never overshot. The stored rows alone cannot do this (a start is
-- counted only once its execution or span is written, after the check). The counter counts what
-- was admitted; the check takes the greater of it and the stored rows, so a quota set mid-month,
-- or set again after a while without one, still counts what ran before.
CREATE TABLE usage_admissions (
  org_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  metric text NOT NULL CHECK (metric IN ('executions', 'action_calls')),
  month date NOT NULL,
  admitted bigint NOT NULL CHECK (admitted >= 0),
  PRIMARY KEY (org_id, customer_id, metric, month),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE CASCADE
);
ALTER TABLE usage_admissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_admissions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_admissions
  USING (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()))
  WITH CHECK (org_id = weft_current_org() AND (weft_current_customer() IS NULL OR customer_id = weft_current_customer()));
GRANT SELECT, INSERT, UPDATE ON usage_admissions TO weft_app;
