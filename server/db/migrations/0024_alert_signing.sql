-- Alert webhooks are signed (Standard Webhooks: webhook-id, webhook-timestamp,
-- webhook-signature) with a secret per rule, sealed under the master key like every other
-- secret; it is shown once, when made. Rules made before this have none until one is made for
-- them (update with rotateSigningSecret, or set a webhook URL).
ALTER TABLE alert_rules ADD COLUMN signing_secret_sealed text;
