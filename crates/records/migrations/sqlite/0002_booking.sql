-- Booking, second step (SQLite dialect; keep in step with migrations/postgres/0002_booking.sql).

-- The supplier memory learns more than the expense account: the cost centre the bookkeeper
-- books the supplier to, and its payment terms in days (the due date of an invoice that does
-- not print one is its issue date plus these days).
ALTER TABLE supplier_memory ADD COLUMN cost_centre TEXT;
ALTER TABLE supplier_memory ADD COLUMN payment_terms_days INTEGER;

-- The gross amount, copied from the result like the supplier key and invoice number, so the
-- duplicate rule (supplier + invoice number + amount) needs no JSON. A decimal string, exact.
ALTER TABLE documents ADD COLUMN gross_total TEXT;
