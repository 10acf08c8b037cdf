-- benchvault schema, version 1.  See schema/schema.md for the model and for
-- the query each index serves.  store/ runs this file inside one
-- BEGIN IMMEDIATE transaction together with PRAGMA user_version = 1.
--
-- Conventions: times are INTEGER milliseconds since the Unix epoch, UTC,
-- NULL when unknown; JSON columns hold object text; tables are STRICT so a
-- wrongly typed bind fails instead of being stored silently.

CREATE TABLE project (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    description TEXT,
    created_at  INTEGER NOT NULL,
    settings    TEXT    NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE branch (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (project_id, name)
) STRICT;

CREATE TABLE testbed (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    info       TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    UNIQUE (project_id, name)
) STRICT;

CREATE TABLE run (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    branch_id       INTEGER NOT NULL REFERENCES branch(id) ON DELETE CASCADE,
    testbed_id      INTEGER NOT NULL REFERENCES testbed(id) ON DELETE CASCADE,
    commit_sha      TEXT    NOT NULL,
    commit_time     INTEGER,
    commit_message  TEXT,
    commit_author   TEXT,
    pr_number       INTEGER,
    base_branch     TEXT,
    started_at      INTEGER,
    finished_at     INTEGER,
    created_at      INTEGER NOT NULL,
    format          TEXT    NOT NULL,
    ci_provider     TEXT,
    ci_url          TEXT,
    ci_job          TEXT,
    metadata        TEXT    NOT NULL DEFAULT '{}',
    idempotency_key TEXT,
    body_hash       BLOB,
    UNIQUE (project_id, idempotency_key)
) STRICT;

-- Runs of a project, newest first (the rowid is the index's last column,
-- so "WHERE project_id = ? ORDER BY id DESC" walks it backwards).
CREATE INDEX run_project ON run (project_id);
-- Runs of a branch, newest first; also the per-branch counts.
CREATE INDEX run_project_branch ON run (project_id, branch_id);

CREATE TABLE benchmark (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    params     TEXT    NOT NULL DEFAULT '{}',
    key        TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (project_id, key)
) STRICT;

CREATE TABLE measure (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    unit       TEXT    NOT NULL,
    direction  TEXT    NOT NULL CHECK (direction IN ('lower', 'higher')),
    created_at INTEGER NOT NULL,
    UNIQUE (project_id, name)
) STRICT;

CREATE TABLE result (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    benchmark_id INTEGER NOT NULL REFERENCES benchmark(id) ON DELETE CASCADE,
    measure_id   INTEGER NOT NULL REFERENCES measure(id) ON DELETE CASCADE,
    value        REAL    NOT NULL,
    mean         REAL,
    median       REAL,
    stddev       REAL,
    min          REAL,
    max          REAL,
    n            INTEGER,
    lower        REAL,
    upper        REAL,
    samples      BLOB,   -- n little-endian IEEE 754 float64, or NULL
    UNIQUE (run_id, benchmark_id, measure_id)
) STRICT;

-- One series (benchmark x measure), in run order: the series query, the
-- "latest run of this benchmark" defaults, and measures-of-a-benchmark.
CREATE INDEX result_series ON result (benchmark_id, measure_id, run_id);

CREATE TABLE resource_sample (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    t_ms          INTEGER NOT NULL,
    cpu_pct       REAL,
    rss_bytes     REAL,
    read_bytes    REAL,
    write_bytes   REAL,
    gpu_util_pct  REAL,
    gpu_mem_bytes REAL
) STRICT;

CREATE INDEX resource_sample_run ON resource_sample (run_id, t_ms);

CREATE TABLE budget (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    benchmark_glob TEXT    NOT NULL DEFAULT '*',
    measure        TEXT    NOT NULL,
    op             TEXT    NOT NULL CHECK (op IN ('max', 'min')),
    threshold      REAL    NOT NULL,
    unit           TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX budget_project ON budget (project_id);

-- A change point (kind 'changepoint') or a broken budget (kind 'budget') on
-- one series: benchmark x measure x branch x testbed.
CREATE TABLE alert (
    id               INTEGER PRIMARY KEY,
    project_id       INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    benchmark_id     INTEGER NOT NULL REFERENCES benchmark(id) ON DELETE CASCADE,
    measure_id       INTEGER NOT NULL REFERENCES measure(id) ON DELETE CASCADE,
    branch_id        INTEGER NOT NULL REFERENCES branch(id) ON DELETE CASCADE,
    testbed_id       INTEGER NOT NULL REFERENCES testbed(id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL DEFAULT 'changepoint'
                             CHECK (kind IN ('changepoint', 'budget')),
    budget_id        INTEGER REFERENCES budget(id) ON DELETE SET NULL,
    first_bad_run_id INTEGER REFERENCES run(id) ON DELETE CASCADE,
    last_good_run_id INTEGER REFERENCES run(id) ON DELETE SET NULL,
    before_value     REAL,
    after_value      REAL,
    change           REAL,
    p_value          REAL,
    status           TEXT    NOT NULL DEFAULT 'open'
                             CHECK (status IN ('open', 'acknowledged',
                                               'dismissed', 'resolved')),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    note             TEXT
) STRICT;

-- The alerts page and /metrics: a project's alerts by status, newest first.
CREATE INDEX alert_project_status ON alert (project_id, status);
-- Re-examining a series after an ingest: its existing alerts.
CREATE INDEX alert_series ON alert (benchmark_id, measure_id, branch_id,
                                    testbed_id);
-- ON DELETE of a run: find the alerts that point at it without a scan.
CREATE INDEX alert_first_bad_run ON alert (first_bad_run_id);
CREATE INDEX alert_last_good_run ON alert (last_good_run_id);

-- project is a slug, not a foreign key: a token may name a project before
-- its first ingest creates it.  NULL means every project.
CREATE TABLE token (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    scope        TEXT    NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    project      TEXT,
    hash         BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
