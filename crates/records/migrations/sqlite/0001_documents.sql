-- Batches and documents: the state the API is queried by.
CREATE TABLE batches (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE documents (
    id              TEXT PRIMARY KEY NOT NULL,
    batch_id        TEXT NOT NULL REFERENCES batches (id),
    tenant          TEXT NOT NULL,
    filename        TEXT NOT NULL,
    object_key      TEXT NOT NULL,
    content_sha256  TEXT NOT NULL,
    size_bytes      INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    error_code      TEXT,
    error_message   TEXT,
    result_key      TEXT,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT,
    updated_at      TEXT NOT NULL
);

-- Batch progress counts.
CREATE INDEX documents_batch_status ON documents (batch_id, status);
-- Duplicate detection by content.
CREATE INDEX documents_tenant_sha256 ON documents (tenant, content_sha256);
