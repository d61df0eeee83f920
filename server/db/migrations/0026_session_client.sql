-- Where a session was started, so a person looking at their sessions can tell their own browser
-- from someone else's: the User-Agent header (cut to 300 characters) and the client address as
-- the server saw it (behind a proxy, the proxy's unless Fastify is told to trust it).
ALTER TABLE sessions ADD COLUMN user_agent text CHECK (char_length(user_agent) <= 300);
ALTER TABLE sessions ADD COLUMN ip text CHECK (char_length(ip) <= 64);
