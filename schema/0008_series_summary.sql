-- benchvault schema, version 6: one summary row per series.
--
-- The dashboard, its sparklines and "what is worse now" read one row per
-- series (benchmark x measure x branch x testbed) instead of every result of
-- its history, so their cost does not grow with the history.  The row is
-- derived data: store/ recomputes it inside each ingest transaction from the
-- database (the row as committed plus the new point), never from a
-- process's memory, so two servers writing one database keep it right.
-- It always equals what a full recomputation from result and run gives
-- (store_summary_compute; the unit tests compare the two).
--
--   npoints        results of the series
--   newest_run_id  the highest run id among them (ingest order: the series
--                  defaults pick the branch and testbed of the newest run)
--   last_run_id,   the last point in commit order (COALESCE(commit_time,
--   last_time      started_at, created_at), then run id)
--   tail           the values of the last points in commit order (at most
--                  STORE_SUMMARY_TAIL), one BLOB of little-endian float64
--   center, noise  the median of the tail's last 20 values and the CV
--                  (stddev / |mean|) of its last 10: the level the series
--                  sits at and its run-to-run wobble (NULL below 3 points)
--
-- Filled for existing databases when this migration runs (store.c calls
-- store_summary_rebuild in the migration's transaction).
CREATE TABLE series_summary (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    benchmark_id  INTEGER NOT NULL REFERENCES benchmark(id) ON DELETE CASCADE,
    measure_id    INTEGER NOT NULL REFERENCES measure(id) ON DELETE CASCADE,
    branch_id     INTEGER NOT NULL REFERENCES branch(id) ON DELETE CASCADE,
    testbed_id    INTEGER NOT NULL REFERENCES testbed(id) ON DELETE CASCADE,
    npoints       INTEGER NOT NULL,
    newest_run_id INTEGER NOT NULL,
    last_run_id   INTEGER NOT NULL,
    last_time     INTEGER NOT NULL,
    tail          BLOB    NOT NULL,
    center        REAL,
    noise         REAL,
    UNIQUE (benchmark_id, measure_id, branch_id, testbed_id)
) STRICT;

-- The dashboard: a project's series.
CREATE INDEX series_summary_project ON series_summary (project_id);
