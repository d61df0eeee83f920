-- The owner may delete their organization: everything it owns goes with its row (every tenant
-- table cascades from organizations, directly or through a parent). The tenant policy on
-- organizations limits the delete to the caller's own org.
GRANT DELETE ON organizations TO weft_app;
