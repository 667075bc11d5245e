-- Batch names (postgres dialect; keep in step with migrations/sqlite/0003_batch_names.sql).

-- A bookkeeper names a batch ("March, client Jansen") and adds to it by that name, from the
-- CLI (`dispatcher upload --batch NAME`) or the API (`batch_name`). A name is unique within
-- its tenant; batches without a name (the default) are not constrained.
ALTER TABLE batches ADD COLUMN name TEXT;
CREATE UNIQUE INDEX batches_tenant_name ON batches (tenant_id, name) WHERE name IS NOT NULL;
