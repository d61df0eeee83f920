-- Expired MCP OAuth tokens and codes are deleted by the workers (a day after they expire, so a
-- replayed refresh token is still recognised while it could matter), instead of piling up.
GRANT DELETE ON mcp_oauth_tokens TO weft_app;
CREATE INDEX mcp_oauth_tokens_by_expiry ON mcp_oauth_tokens (org_id, expires_at);
