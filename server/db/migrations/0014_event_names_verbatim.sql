-- Event names are kept exactly as the provider sends them: BigCommerce's `store/cart/created`
-- is subscribed to, delivered and filtered by that name, so rewriting it to `store.cart.created`
-- made the event unusable. Slashes join the allowed characters; nothing else changes.
ALTER TABLE connector_events DROP CONSTRAINT connector_events_name_check;
ALTER TABLE connector_events
  ADD CONSTRAINT connector_events_name_check CHECK (name ~ '^[a-zA-Z0-9_.:/-]{1,200}$');
