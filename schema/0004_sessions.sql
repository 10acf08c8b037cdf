-- benchvault schema, version 4: browser sessions.
--
-- A browser signs in once with a token (the sign-in page under --private,
-- the alerts page's triage form) and then carries a session cookie instead
-- of the token.  Only SHA-256 of the session id is stored: a copy of the
-- database opens no session.  A session acts with its token's scope and
-- project as they are now, so revoking the token ends its sessions at once
-- (the lookup joins token and wants revoked_at NULL).  Expiry is an idle
-- limit on last_seen_at and an absolute one on created_at, both chosen by
-- the server's configuration at lookup time; expired rows are deleted when
-- a new session is made.  Additive: no existing row changes.
CREATE TABLE session (
    id           INTEGER PRIMARY KEY,
    hash         BLOB    NOT NULL UNIQUE,
    token_id     INTEGER NOT NULL REFERENCES token(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;
-- Deleting a token's rows (ON DELETE CASCADE) without a scan.
CREATE INDEX session_token ON session (token_id);
