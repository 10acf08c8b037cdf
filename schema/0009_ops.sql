-- benchvault schema, version 9: deletions, retention, token expiry.
--
-- deletion: one row per thing deleted (a run, a benchmark, a branch, a
-- project, or a retention batch): who asked (the token's name and id, "cli"
-- for `benchvault delete --db`, "retention" for the server's own pass),
-- what, and when.  project is the slug, not a foreign key: the log of a
-- deleted project outlives it.
--
-- token.expires_at: NULL never expires; a token past it is refused (401,
-- "token expired") like a revoked one, and so are its browser sessions.
--
-- run.pruned_at: when retention dropped the run's raw samples (result
-- samples and resource samples), keeping its per-result summaries; NULL
-- while the run still has them.  The retention pass walks runs by
-- (pruned_at IS NULL, project), so the index below serves it.
-- Additive: no existing row changes.
CREATE TABLE deletion (
    id         INTEGER PRIMARY KEY,
    project    TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('run', 'benchmark', 'branch',
                                                'project', 'retention')),
    target     TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    runs       INTEGER NOT NULL DEFAULT 0,
    results    INTEGER NOT NULL DEFAULT 0,
    alerts_resolved INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX deletion_project ON deletion (project, id);

ALTER TABLE token ADD COLUMN expires_at INTEGER;

ALTER TABLE run ADD COLUMN pruned_at INTEGER;
CREATE INDEX run_unpruned ON run (project_id, id) WHERE pruned_at IS NULL;
