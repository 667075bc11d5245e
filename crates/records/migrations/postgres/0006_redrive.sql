-- A dead letter is kept after a redrive, marked with when it was replayed, so the history of a
-- document's dead-lettering stays visible; a redriven job that dies again gets a new message id
-- and so a new row.
ALTER TABLE dead_letters ADD COLUMN redriven_at timestamptz;

-- The API's "failed documents of this tenant, newest first" (and any other status).
CREATE INDEX documents_tenant_status ON documents (tenant_id, status, updated_at);
