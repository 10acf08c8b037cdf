/*
 * store_session.c: browser sessions (schema 0004_sessions.sql).
 *
 * Design notes:
 * 1. A session id is 32 bytes from the OS (getrandom through rand_bytes),
 *    written as 64 lowercase hex digits; only SHA-256 of that text is
 *    stored, as for tokens (store_token.c, note 1): 256 bits of entropy
 *    need no salt and no slow hash.
 * 2. Lookup is by the hash's UNIQUE index, then hash_equal() on the stored
 *    hash, joined with its token: a session acts with the token's scope and
 *    project as they are now, and a revoked token (revoked_at set) ends
 *    every session made from it at the next request.
 * 3. Expiry is decided at lookup from the caller's limits (idle: since
 *    last_seen_at; absolute: since created_at), so no clock runs in the
 *    database.  store_sessions_expire deletes what those limits have ended;
 *    an expired row that is still there is refused all the same.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define SESSION_BYTES 32

static void session_hash(const char *sid, unsigned char out[HASH_SHA256_LEN])
{
    hash_sha256(sid, strlen(sid), out);
}

/* A well-formed id: exactly STORE_SESSION_ID_LEN lowercase hex digits.
 * Anything else cannot be one of ours, so it is refused before SQL. */
static bool sid_ok(const char *sid)
{
    return sid && strlen(sid) == STORE_SESSION_ID_LEN &&
           strspn(sid, "0123456789abcdef") == STORE_SESSION_ID_LEN;
}

enum err store_session_create(struct store *st, int64_t token_id, int64_t now,
                              char **sid, struct errbuf *eb)
{
    unsigned char raw[SESSION_BYTES], hash[HASH_SHA256_LEN];
    char hex[2 * SESSION_BYTES + 1];
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    *sid = NULL;
    if (st->mode == STORE_READONLY) {
        err_set(eb, "the database is open read-only");
        return ERR_DB;
    }
    e = rand_bytes(raw, sizeof raw);
    if (e != ERR_OK) {
        err_set(eb, "cannot read random bytes from the OS");
        goto out;
    }
    hash_hex(raw, sizeof raw, hex);
    session_hash(hex, hash);
    e = store_stmt(st, SQ_SESSION_INSERT,
                   "INSERT INTO session (hash, token_id, created_at, "
                   "last_seen_at) VALUES (?1, ?2, ?3, ?3)",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_blob(&b, hash, sizeof hash);
    store_bind_int(&b, token_id);
    store_bind_int(&b, now);
    e = store_step_bound(st, &b, &row, eb, "create session");
    if (e != ERR_OK)
        goto out;
    *sid = xstrdup(hex);
out:
    store_stmt_done(s);
    /* The id must not linger in freed stack memory either. */
    memset(raw, 0, sizeof raw);
    memset(hex, 0, sizeof hex);
    return e;
}

enum err store_session_lookup(struct store *st, const char *sid, int64_t now,
                              int64_t idle_ms, int64_t max_ms,
                              struct store_session *out)
{
    unsigned char hash[HASH_SHA256_LEN];
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum token_scope scope;
    const unsigned char *t;
    enum err e;
    bool row;

    memset(out, 0, sizeof *out);
    if (!sid_ok(sid))
        return ERR_AUTH;
    session_hash(sid, hash);
    e = store_stmt(st, SQ_SESSION_BY_HASH,
                   "SELECT s.id, s.created_at, s.last_seen_at, s.hash, "
                   "t.id, t.name, t.scope, t.project, t.created_at, "
                   "t.last_used_at, t.revoked_at, t.expires_at FROM session s "
                   "JOIN token t ON t.id = s.token_id WHERE s.hash = ?1",
                   &s, NULL);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_blob(&b, hash, sizeof hash);
    e = store_step_bound(st, &b, &row, NULL, "find session");
    if (e != ERR_OK)
        goto out;
    /* Note 2, then note 3. */
    if (!row || sqlite3_column_bytes(s, 3) != HASH_SHA256_LEN ||
        !hash_equal(sqlite3_column_blob(s, 3), hash, sizeof hash) ||
        sqlite3_column_type(s, 10) != SQLITE_NULL ||
        (sqlite3_column_type(s, 11) != SQLITE_NULL &&
         sqlite3_column_int64(s, 11) <= now) ||
        now - sqlite3_column_int64(s, 2) >= idle_ms ||
        now - sqlite3_column_int64(s, 1) >= max_ms) {
        e = ERR_AUTH;
        goto out;
    }
    out->id = sqlite3_column_int64(s, 0);
    out->created_at = sqlite3_column_int64(s, 1);
    out->last_seen_at = sqlite3_column_int64(s, 2);
    out->token.id = sqlite3_column_int64(s, 4);
    out->token.name = store_col_str(s, 5);
    t = sqlite3_column_text(s, 6);
    /* The CHECK constraint admits only the three names; a stranger reads
     * as the least privilege, as store_token.c does. */
    if (!t || token_scope_parse((const char *)t, &scope) != ERR_OK)
        scope = SCOPE_READ;
    out->token.scope = scope;
    out->token.project = store_col_str(s, 7);
    out->token.created_at = store_col_time(s, 8);
    out->token.last_used_at = store_col_time(s, 9);
    out->token.revoked_at = TIME_NONE;
    out->token.expires_at = store_col_time(s, 11);
out:
    store_stmt_done(s);
    return e;
}

void store_session_cleanup(struct store_session *s)
{
    if (!s)
        return;
    store_token_cleanup(&s->token);
    memset(s, 0, sizeof *s);
}

enum err store_session_touch(struct store *st, int64_t id, int64_t now,
                             struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    if (st->mode == STORE_READONLY) {
        err_set(eb, "the database is open read-only");
        return ERR_DB;
    }
    e = store_stmt(st, SQ_SESSION_TOUCH,
                   "UPDATE session SET last_seen_at = MAX(last_seen_at, ?2) "
                   "WHERE id = ?1",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, id);
        store_bind_int(&b, now);
        e = store_step_bound(st, &b, &row, eb, "touch session");
    }
    store_stmt_done(s);
    return e;
}

enum err store_session_delete(struct store *st, const char *sid,
                              struct errbuf *eb)
{
    unsigned char hash[HASH_SHA256_LEN];
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    if (st->mode == STORE_READONLY) {
        err_set(eb, "the database is open read-only");
        return ERR_DB;
    }
    if (!sid_ok(sid))
        return ERR_OK; /* nothing of ours to delete */
    session_hash(sid, hash);
    e = store_stmt(st, SQ_SESSION_DELETE, "DELETE FROM session WHERE hash = ?1",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_blob(&b, hash, sizeof hash);
        e = store_step_bound(st, &b, &row, eb, "delete session");
    }
    store_stmt_done(s);
    return e;
}

enum err store_sessions_expire(struct store *st, int64_t now, int64_t idle_ms,
                               int64_t max_ms, int64_t *deleted,
                               struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    *deleted = 0;
    if (st->mode == STORE_READONLY) {
        err_set(eb, "the database is open read-only");
        return ERR_DB;
    }
    /* Note 3: the same limits as store_session_lookup, and the sessions of
     * revoked tokens, which no lookup accepts any more. */
    e = store_stmt(st, SQ_SESSIONS_EXPIRE,
                   "DELETE FROM session WHERE ?1 - last_seen_at >= ?2 "
                   "OR ?1 - created_at >= ?3 OR token_id IN "
                   "(SELECT id FROM token WHERE revoked_at IS NOT NULL)",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, now);
        store_bind_int(&b, idle_ms);
        store_bind_int(&b, max_ms);
        e = store_step_bound(st, &b, &row, eb, "expire sessions");
        if (e == ERR_OK)
            *deleted = sqlite3_changes(st->db);
    }
    store_stmt_done(s);
    return e;
}
