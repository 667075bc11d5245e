-- stapel records, PostgreSQL dialect. Keep in step with migrations/sqlite.

CREATE TABLE tenants (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE administrations (
    id          uuid PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (id),
    name        text NOT NULL,
    country     text,
    chart       text NOT NULL DEFAULT 'generic',
    created_at  timestamptz NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (id),
    label       text NOT NULL,
    key_hash    text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

CREATE TABLE batches (
    id                 uuid PRIMARY KEY,
    tenant_id          text NOT NULL REFERENCES tenants (id),
    administration_id  uuid NOT NULL REFERENCES administrations (id),
    created_at         timestamptz NOT NULL
);

CREATE TABLE documents (
    id                 uuid PRIMARY KEY,
    tenant_id          text NOT NULL REFERENCES tenants (id),
    administration_id  uuid NOT NULL REFERENCES administrations (id),
    batch_id           uuid NOT NULL REFERENCES batches (id),
    filename           text NOT NULL,
    object_key         text NOT NULL,
    content_sha256     text NOT NULL,
    size_bytes         bigint NOT NULL,
    page_count         integer,
    lane               text,
    status             text NOT NULL CHECK (status IN ('queued', 'processing', 'done', 'failed')),
    attempts           integer NOT NULL DEFAULT 0,
    error_code         text,
    error_message      text,
    result_key         text,
    supplier_key       text,
    invoice_number     text,
    issue_date         date,
    needs_review       boolean,
    review_status      text CHECK (review_status IN ('pending', 'accepted', 'corrected')),
    created_at         timestamptz NOT NULL,
    started_at         timestamptz,
    finished_at        timestamptz,
    reviewed_at        timestamptz,
    updated_at         timestamptz NOT NULL
);

CREATE INDEX documents_batch_status ON documents (batch_id, status);
CREATE INDEX documents_tenant_sha256 ON documents (tenant_id, content_sha256);
CREATE INDEX documents_duplicates ON documents (administration_id, supplier_key, invoice_number);
CREATE INDEX documents_review_queue ON documents (administration_id, needs_review DESC, created_at)
    WHERE review_status = 'pending';
CREATE INDEX documents_export ON documents (administration_id, issue_date)
    WHERE review_status IN ('accepted', 'corrected');

CREATE TABLE extraction_results (
    document_id  uuid PRIMARY KEY REFERENCES documents (id),
    invoice      jsonb NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE TABLE proposal_versions (
    document_id  uuid NOT NULL REFERENCES documents (id),
    version      integer NOT NULL,
    action       text NOT NULL CHECK (action IN ('proposed', 'accepted', 'corrected')),
    author       text NOT NULL,
    proposal     jsonb NOT NULL,
    changes      jsonb,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (document_id, version)
);

CREATE TABLE supplier_memory (
    administration_id  uuid NOT NULL REFERENCES administrations (id),
    supplier_key       text NOT NULL,
    supplier_name      text,
    expense_account    text,
    vat_code           text,
    times_confirmed    integer NOT NULL DEFAULT 1,
    updated_by         text NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (administration_id, supplier_key)
);

CREATE TABLE dead_letters (
    message_id       text PRIMARY KEY,
    document_id      uuid,
    body             text NOT NULL,
    reason_code      text NOT NULL,
    reason_message   text NOT NULL,
    receive_count    integer NOT NULL,
    dead_lettered_at timestamptz NOT NULL
);
CREATE INDEX dead_letters_time ON dead_letters (dead_lettered_at);
