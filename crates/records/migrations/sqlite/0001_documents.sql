-- stapel records, SQLite dialect. Keep in step with migrations/postgres: the same tables,
-- columns and indexes; ids are TEXT here and uuid there, JSON is TEXT here and jsonb there.

-- An accounting firm.
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- A client of the firm, with its own chart of accounts and settings.
CREATE TABLE administrations (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    country     TEXT,
    chart       TEXT NOT NULL DEFAULT 'generic',
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

-- API keys, stored as SHA-256 hashes only.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    label       TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE batches (
    id                 TEXT PRIMARY KEY NOT NULL,
    tenant_id          TEXT NOT NULL REFERENCES tenants (id),
    administration_id  TEXT NOT NULL REFERENCES administrations (id),
    created_at         TEXT NOT NULL
);

CREATE TABLE documents (
    id                 TEXT PRIMARY KEY NOT NULL,
    tenant_id          TEXT NOT NULL REFERENCES tenants (id),
    administration_id  TEXT NOT NULL REFERENCES administrations (id),
    batch_id           TEXT NOT NULL REFERENCES batches (id),
    filename           TEXT NOT NULL,
    object_key         TEXT NOT NULL,
    content_sha256     TEXT NOT NULL,
    size_bytes         INTEGER NOT NULL,
    page_count         INTEGER,
    lane               TEXT,
    status             TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'done', 'failed')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    error_code         TEXT,
    error_message      TEXT,
    result_key         TEXT,
    -- Copied from the result so duplicate, review and export queries need no JSON.
    supplier_key       TEXT,
    invoice_number     TEXT,
    issue_date         TEXT,
    needs_review       INTEGER,
    review_status      TEXT CHECK (review_status IN ('pending', 'accepted', 'corrected')),
    created_at         TEXT NOT NULL,
    started_at         TEXT,
    finished_at        TEXT,
    reviewed_at        TEXT,
    updated_at         TEXT NOT NULL
);

CREATE INDEX documents_batch_status ON documents (batch_id, status);
CREATE INDEX documents_tenant_sha256 ON documents (tenant_id, content_sha256);
CREATE INDEX documents_duplicates ON documents (administration_id, supplier_key, invoice_number);
CREATE INDEX documents_review_queue ON documents (administration_id, needs_review DESC, created_at)
    WHERE review_status = 'pending';
CREATE INDEX documents_export ON documents (administration_id, issue_date)
    WHERE review_status IN ('accepted', 'corrected');

-- What the extractor read; one row per document, written with the `done` transition.
CREATE TABLE extraction_results (
    document_id  TEXT PRIMARY KEY NOT NULL REFERENCES documents (id),
    invoice      TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

-- The proposal and every review of it, append-only: version 1 is the machine's proposal,
-- later versions are a bookkeeper's acceptance or correction. Never updated, never deleted.
CREATE TABLE proposal_versions (
    document_id  TEXT NOT NULL REFERENCES documents (id),
    version      INTEGER NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('proposed', 'accepted', 'corrected')),
    author       TEXT NOT NULL,
    proposal     TEXT NOT NULL,
    changes      TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (document_id, version)
);

-- What a bookkeeper taught us about a supplier, per administration.
CREATE TABLE supplier_memory (
    administration_id  TEXT NOT NULL REFERENCES administrations (id),
    supplier_key       TEXT NOT NULL,
    supplier_name      TEXT,
    expense_account    TEXT,
    vat_code           TEXT,
    times_confirmed    INTEGER NOT NULL DEFAULT 1,
    updated_by         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (administration_id, supplier_key)
);

-- Jobs a worker gave up on, with the message kept for a redrive.
CREATE TABLE dead_letters (
    message_id       TEXT PRIMARY KEY NOT NULL,
    document_id      TEXT,
    body             TEXT NOT NULL,
    reason_code      TEXT NOT NULL,
    reason_message   TEXT NOT NULL,
    receive_count    INTEGER NOT NULL,
    dead_lettered_at TEXT NOT NULL
);
CREATE INDEX dead_letters_time ON dead_letters (dead_lettered_at);
