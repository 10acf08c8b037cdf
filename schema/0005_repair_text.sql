-- benchvault schema, version 5: repair text that is not UTF-8.
--
-- Versions before 5 stored query overrides (?testbed=%ff, branch, commit,
-- base_branch) without a UTF-8 check, and from then on every list answer
-- that held such a value was not valid JSON.  Every string is checked on
-- the way in now (core/text.c); this migration repairs what is already
-- stored: each byte that starts no valid UTF-8 sequence becomes U+FFFD.
-- The JSON columns (settings, info, metadata, params) stay valid JSON, as
-- a replaced byte was inside a string.
--
-- bv_utf8_valid(x) and bv_utf8_repair(x) are registered by store/ on every
-- connection (store.c); repair counts what it changed, and store_open logs
-- the count.  Columns with a UNIQUE constraint take two passes: two names
-- that differ only in bad bytes repair to the same text, so the second of
-- them keeps its row id as a suffix rather than failing the migration.

UPDATE project SET
    description = bv_utf8_repair(description),
    settings = bv_utf8_repair(settings)
WHERE NOT bv_utf8_valid(description)
   OR NOT bv_utf8_valid(settings);

UPDATE testbed SET
    info = bv_utf8_repair(info)
WHERE NOT bv_utf8_valid(info);

UPDATE run SET
    commit_sha = bv_utf8_repair(commit_sha),
    commit_message = bv_utf8_repair(commit_message),
    commit_author = bv_utf8_repair(commit_author),
    base_branch = bv_utf8_repair(base_branch),
    format = bv_utf8_repair(format),
    ci_provider = bv_utf8_repair(ci_provider),
    ci_url = bv_utf8_repair(ci_url),
    ci_job = bv_utf8_repair(ci_job),
    metadata = bv_utf8_repair(metadata)
WHERE NOT bv_utf8_valid(commit_sha)
   OR NOT bv_utf8_valid(commit_message)
   OR NOT bv_utf8_valid(commit_author)
   OR NOT bv_utf8_valid(base_branch)
   OR NOT bv_utf8_valid(format)
   OR NOT bv_utf8_valid(ci_provider)
   OR NOT bv_utf8_valid(ci_url)
   OR NOT bv_utf8_valid(ci_job)
   OR NOT bv_utf8_valid(metadata);

UPDATE benchmark SET
    name = bv_utf8_repair(name),
    params = bv_utf8_repair(params)
WHERE NOT bv_utf8_valid(name)
   OR NOT bv_utf8_valid(params);

UPDATE measure SET
    unit = bv_utf8_repair(unit)
WHERE NOT bv_utf8_valid(unit);

UPDATE budget SET
    benchmark_glob = bv_utf8_repair(benchmark_glob),
    measure = bv_utf8_repair(measure),
    unit = bv_utf8_repair(unit)
WHERE NOT bv_utf8_valid(benchmark_glob)
   OR NOT bv_utf8_valid(measure)
   OR NOT bv_utf8_valid(unit);

UPDATE alert SET
    note = bv_utf8_repair(note)
WHERE NOT bv_utf8_valid(note);

UPDATE token SET
    name = bv_utf8_repair(name),
    project = bv_utf8_repair(project)
WHERE NOT bv_utf8_valid(name)
   OR NOT bv_utf8_valid(project);

UPDATE OR IGNORE project SET slug = bv_utf8_repair(slug)
WHERE NOT bv_utf8_valid(slug);
UPDATE OR IGNORE project SET slug = bv_utf8_repair(slug) || ' #' || id
WHERE NOT bv_utf8_valid(slug);

UPDATE OR IGNORE branch SET name = bv_utf8_repair(name)
WHERE NOT bv_utf8_valid(name);
UPDATE OR IGNORE branch SET name = bv_utf8_repair(name) || ' #' || id
WHERE NOT bv_utf8_valid(name);

UPDATE OR IGNORE testbed SET name = bv_utf8_repair(name)
WHERE NOT bv_utf8_valid(name);
UPDATE OR IGNORE testbed SET name = bv_utf8_repair(name) || ' #' || id
WHERE NOT bv_utf8_valid(name);

UPDATE OR IGNORE benchmark SET key = bv_utf8_repair(key)
WHERE NOT bv_utf8_valid(key);
UPDATE OR IGNORE benchmark SET key = bv_utf8_repair(key) || ' #' || id
WHERE NOT bv_utf8_valid(key);

UPDATE OR IGNORE measure SET name = bv_utf8_repair(name)
WHERE NOT bv_utf8_valid(name);
UPDATE OR IGNORE measure SET name = bv_utf8_repair(name) || ' #' || id
WHERE NOT bv_utf8_valid(name);

UPDATE OR IGNORE run SET idempotency_key = bv_utf8_repair(idempotency_key)
WHERE NOT bv_utf8_valid(idempotency_key);
UPDATE OR IGNORE run SET idempotency_key = bv_utf8_repair(idempotency_key) || ' #' || id
WHERE NOT bv_utf8_valid(idempotency_key);
