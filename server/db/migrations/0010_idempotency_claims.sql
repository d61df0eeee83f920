-- An idempotency key is claimed before its call runs, so concurrent repeats wait for the first
-- call's answer instead of running it again: 'pending' while the claimant runs (it renews
-- claimed_at; a claim not renewed for a while is taken over), 'done' once the answer is stored.
-- A call that fails deletes its claim, so that a retry runs.
ALTER TABLE idempotency_keys
  ADD COLUMN status text NOT NULL DEFAULT 'done' CHECK (status IN ('pending', 'done')),
  ADD COLUMN claim_token uuid,
  ADD COLUMN claimed_at timestamptz NOT NULL DEFAULT now(),
  ALTER COLUMN response DROP NOT NULL,
  ADD CONSTRAINT idempotency_keys_answer CHECK ((status = 'done') = (response IS NOT NULL));
-- Rows before this migration are answers; from now on every insert is a claim and says so.
ALTER TABLE idempotency_keys ALTER COLUMN status DROP DEFAULT;
GRANT UPDATE ON idempotency_keys TO weft_app;
