-- Reconciliation (postgres dialect; keep in step with migrations/sqlite/0005_enqueued_at.sql).

-- When the dispatcher sent the document's job. NULL on a `queued` document that no worker has
-- started means "recorded, but the job may never have been sent" (the dispatcher died between
-- the two): the dispatcher's reconciler sends such jobs again after a grace period.
-- Documents recorded before this column existed were enqueued when they were accepted.
ALTER TABLE documents ADD COLUMN enqueued_at timestamptz;
UPDATE documents SET enqueued_at = created_at;
-- Only the few documents in that window are in this index.
CREATE INDEX documents_unqueued ON documents (created_at)
    WHERE status = 'queued' AND enqueued_at IS NULL;
