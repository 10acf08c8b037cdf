-- benchvault schema, version 3: which results are derived.
--
-- A derived result is computed by the tool from another measure of the same
-- benchmark rather than measured on its own: pytest-benchmark's throughput
-- (ops = 1/mean of the latency).  A comparison may fold such a row into the
-- row it comes from, or leave it out of the verdict counts; it must not
-- count the same evidence twice.  Additive: every existing row is measured
-- (0), which is what ingest said of them.
ALTER TABLE result ADD COLUMN derived INTEGER NOT NULL DEFAULT 0
    CHECK (derived IN (0, 1));
