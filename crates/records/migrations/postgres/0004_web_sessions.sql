-- Web page sessions (postgres dialect; keep in step with migrations/sqlite/0004_web_sessions.sql).

-- In the database rather than in one dispatcher's memory, so a browser stays logged in when the
-- load balancer sends its next request to another dispatcher, and through a rolling deploy.
-- Like API keys, only the SHA-256 of the session id (the cookie) is stored.
CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    csrf_token  TEXT NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
