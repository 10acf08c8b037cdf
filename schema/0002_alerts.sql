-- benchvault schema, version 2: the change points that ingest finds.
--
-- Every confirmed change point on the newest part of a series is recorded
-- here, in both directions.  A regression (a change in the measure's worse
-- direction) also gets an alert row, which carries the triage state; an
-- improvement is recorded only (alert_id NULL) and never counts as open.
-- Re-examining a series matches what it finds against these rows (same
-- series, same direction, first run within a few runs), so a change point
-- is recorded, and alerted, once.

CREATE TABLE change_point (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    benchmark_id  INTEGER NOT NULL REFERENCES benchmark(id) ON DELETE CASCADE,
    measure_id    INTEGER NOT NULL REFERENCES measure(id) ON DELETE CASCADE,
    branch_id     INTEGER NOT NULL REFERENCES branch(id) ON DELETE CASCADE,
    testbed_id    INTEGER NOT NULL REFERENCES testbed(id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL
                          CHECK (kind IN ('regression', 'improvement')),
    first_run_id  INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    last_run_id   INTEGER REFERENCES run(id) ON DELETE SET NULL,
    before_value  REAL    NOT NULL,
    after_value   REAL    NOT NULL,
    change        REAL,
    p_value       REAL    NOT NULL,
    alert_id      INTEGER REFERENCES alert(id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

-- Re-examining a series after an ingest: its recorded change points.
CREATE INDEX change_point_series ON change_point (benchmark_id, measure_id,
                                                  branch_id, testbed_id);
-- A project's change points, newest first.
CREATE INDEX change_point_project ON change_point (project_id);
-- The foreign-key actions when a run or an alert goes.
CREATE INDEX change_point_first_run ON change_point (first_run_id);
CREATE INDEX change_point_last_run ON change_point (last_run_id);
CREATE INDEX change_point_alert ON change_point (alert_id);
