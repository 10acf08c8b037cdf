/*
 * store_token.c: API tokens.
 *
 * Design notes:
 * 1. A secret is "bv_" and 64 lowercase hex digits of 32 bytes from the OS
 *    (getrandom through rand_bytes).  Only SHA-256 of the whole secret text
 *    is stored: a copy of the database grants nothing.  The secret has 256
 *    bits of entropy, so a plain (unsalted, fast) hash is enough; no
 *    password-hashing function is needed.
 * 2. Lookup is by the hash's UNIQUE index, then hash_equal() (constant time)
 *    on the stored hash.  The index walk compares hashes, not secrets, so
 *    its timing tells an attacker nothing useful about a secret.
 * 3. Revoking keeps the row (revoked_at set) so lists show who had access;
 *    revoking again keeps the first revocation time.  Revoking by name
 *    revokes every token of that name.
 * 4. The project column is a slug, not a foreign key: a token may name a
 *    project before its first ingest creates it.  NULL means all projects.
 * 5. Expiry (schema 9): expires_at NULL never expires.  A lookup at or past
 *    it is refused like a revoked token, but says why (the caller tells the
 *    client "expired", which a person can act on); the row stays, listed.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN_PREFIX "bv_"
#define TOKEN_BYTES 32

static const char *const scope_names[] = {
    [SCOPE_READ] = "read",
    [SCOPE_WRITE] = "write",
    [SCOPE_ADMIN] = "admin",
};

const char *token_scope_str(enum token_scope s)
{
    if ((unsigned)s < sizeof scope_names / sizeof scope_names[0])
        return scope_names[s];
    return "read";
}

enum err token_scope_parse(const char *s, enum token_scope *out)
{
    for (size_t i = 0; s && i < sizeof scope_names / sizeof scope_names[0];
         i++) {
        if (strcmp(s, scope_names[i]) == 0) {
            *out = (enum token_scope)i;
            return ERR_OK;
        }
    }
    *out = SCOPE_READ;
    return ERR_INVALID;
}

static enum token_scope col_scope(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    enum token_scope sc;

    /* The CHECK constraint admits only the three names; a stranger reads as
     * the least privilege. */
    if (!t || token_scope_parse((const char *)t, &sc) != ERR_OK)
        return SCOPE_READ;
    return sc;
}

enum err store_token_create(struct store *st, const char *name,
                            enum token_scope scope, const char *project,
                            char **secret, int64_t *id, struct errbuf *eb)
{
    return store_token_create_until(st, name, scope, project, TIME_NONE, secret,
                                    id, eb);
}

enum err store_token_create_until(struct store *st, const char *name,
                                  enum token_scope scope, const char *project,
                                  int64_t expires_at, char **secret,
                                  int64_t *id, struct errbuf *eb)
{
    unsigned char raw[TOKEN_BYTES], hash[HASH_SHA256_LEN];
    char hex[2 * TOKEN_BYTES + 1];
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    char *text = NULL;
    enum err e;
    bool row;

    *secret = NULL;
    *id = 0;
    if (!name || !name[0]) {
        err_set(eb, "a token needs a name");
        return ERR_INVALID;
    }
    if ((unsigned)scope >= sizeof scope_names / sizeof scope_names[0]) {
        err_set(eb, "unknown token scope %d", (int)scope);
        return ERR_INVALID;
    }
    if (st->mode == STORE_READONLY) {
        err_set(eb, "the database is open read-only");
        return ERR_DB;
    }
    if (expires_at != TIME_NONE && expires_at <= time_now_ms()) {
        err_set(eb, "expires_at: the expiry must lie in the future");
        return ERR_INVALID;
    }
    e = rand_bytes(raw, sizeof raw);
    if (e != ERR_OK) {
        err_set(eb, "cannot read random bytes from the OS");
        goto out;
    }
    hash_hex(raw, sizeof raw, hex);
    text = xasprintf(TOKEN_PREFIX "%s", hex);
    hash_sha256(text, strlen(text), hash);
    e = store_stmt(st, SQ_TOKEN_INSERT,
                   "INSERT INTO token (name, scope, project, hash, "
                   "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_text(&b, name);
    store_bind_text(&b, token_scope_str(scope));
    store_bind_text(&b, project && project[0] ? project : NULL);
    store_bind_blob(&b, hash, sizeof hash);
    store_bind_int(&b, time_now_ms());
    store_bind_int_or_null(&b, expires_at, TIME_NONE);
    e = store_step_bound(st, &b, &row, eb, "create token");
    if (e != ERR_OK)
        goto out;
    *id = sqlite3_last_insert_rowid(st->db);
    *secret = text;
    text = NULL;
out:
    store_stmt_done(s);
    /* The secret must not linger in freed memory. */
    memset(raw, 0, sizeof raw);
    memset(hex, 0, sizeof hex);
    if (text) {
        memset(text, 0, strlen(text));
        free(text);
    }
    return e;
}

#define TOKEN_COLUMNS                                                          \
    "SELECT id, name, scope, project, created_at, last_used_at, revoked_at, "  \
    "hash, expires_at FROM token "

static void read_token(sqlite3_stmt *s, struct store_token *t)
{
    t->id = sqlite3_column_int64(s, 0);
    t->name = store_col_str(s, 1);
    t->scope = col_scope(s, 2);
    t->project = store_col_str(s, 3);
    t->created_at = store_col_time(s, 4);
    t->last_used_at = store_col_time(s, 5);
    t->revoked_at = store_col_time(s, 6);
    t->expires_at = store_col_time(s, 8);
}

void store_token_cleanup(struct store_token *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->project);
    memset(t, 0, sizeof *t);
}

enum err store_token_lookup(struct store *st, const char *secret,
                            struct store_token *out)
{
    unsigned char hash[HASH_SHA256_LEN];
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    memset(out, 0, sizeof *out);
    if (!secret || !secret[0])
        return ERR_AUTH;
    hash_sha256(secret, strlen(secret), hash);
    e = store_stmt(st, SQ_TOKEN_BY_HASH, TOKEN_COLUMNS "WHERE hash = ?1", &s,
                   NULL);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_blob(&b, hash, sizeof hash);
    e = store_bind_check(st, &b, NULL, "find token");
    if (e == ERR_OK)
        e = store_step(st, s, &row, NULL, "find token");
    if (e != ERR_OK)
        goto out;
    if (!row || sqlite3_column_bytes(s, 7) != HASH_SHA256_LEN ||
        !hash_equal(sqlite3_column_blob(s, 7), hash, sizeof hash) ||
        sqlite3_column_type(s, 6) != SQLITE_NULL) {
        e = ERR_AUTH;
        goto out;
    }
    /* Note 5: expired says so (only expires_at is set in out). */
    if (sqlite3_column_type(s, 8) != SQLITE_NULL &&
        sqlite3_column_int64(s, 8) <= time_now_ms()) {
        out->expires_at = sqlite3_column_int64(s, 8);
        e = ERR_AUTH;
        goto out;
    }
    read_token(s, out);
out:
    store_stmt_done(s);
    return e;
}

enum err store_tokens_list(struct store *st, struct store_token **out,
                           size_t *n, struct errbuf *eb)
{
    struct store_token *v = NULL;
    sqlite3_stmt *s = NULL;
    size_t len = 0;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    e = store_stmt(st, SQ_TOKENS_LIST, TOKEN_COLUMNS "ORDER BY id", &s, eb);
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "list tokens")) == ERR_OK && row) {
        v = xreallocarray(v, len + 1, sizeof *v);
        memset(&v[len], 0, sizeof v[len]);
        read_token(s, &v[len++]);
    }
    store_stmt_done(s);
    if (e != ERR_OK) {
        store_tokens_free(v, len);
        return e;
    }
    *out = v;
    *n = len;
    return ERR_OK;
}

void store_tokens_free(struct store_token *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++)
        store_token_cleanup(&t[i]);
    free(t);
}

/* Runs a revoking UPDATE; *changed tells whether any row matched. */
static enum err revoke_by(struct store *st, enum store_sql slot,
                          const char *sql, int64_t id, const char *name,
                          bool *changed, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    *changed = false;
    e = store_stmt(st, slot, sql, &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    if (name)
        store_bind_text(&b, name);
    else
        store_bind_int(&b, id);
    store_bind_int(&b, time_now_ms());
    e = store_step_bound(st, &b, &row, eb, "revoke token");
    if (e == ERR_OK)
        *changed = sqlite3_changes(st->db) > 0;
out:
    store_stmt_done(s);
    return e;
}

enum err store_token_revoke(struct store *st, const char *id_or_name,
                            struct errbuf *eb)
{
    bool changed = false;
    int64_t id;
    enum err e = ERR_OK;

    if (!id_or_name || !id_or_name[0]) {
        err_set(eb, "which token? give its id or name");
        return ERR_INVALID;
    }
    if (st->mode == STORE_READONLY) {
        err_set(eb, "the database is open read-only");
        return ERR_DB;
    }
    /* An id first; a token may also be named "7", hence the fallback. */
    if (parse_int64(id_or_name, 1, INT64_MAX, &id) == ERR_OK)
        e = revoke_by(st, SQ_TOKEN_REVOKE_ID,
                      "UPDATE token SET revoked_at = COALESCE(revoked_at, ?2) "
                      "WHERE id = ?1",
                      id, NULL, &changed, eb);
    if (e == ERR_OK && !changed)
        e = revoke_by(st, SQ_TOKEN_REVOKE_NAME,
                      "UPDATE token SET revoked_at = COALESCE(revoked_at, ?2) "
                      "WHERE name = ?1",
                      0, id_or_name, &changed, eb);
    if (e == ERR_OK && !changed) {
        err_set(eb, "no token \"%s\"", id_or_name);
        e = ERR_NOT_FOUND;
    }
    return e;
}

enum err store_tokens_touch(struct store *st, const int64_t *ids, size_t n,
                            int64_t now)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    bool own_tx = false, row;
    enum err e = ERR_OK;

    if (n == 0)
        return ERR_OK;
    if (st->mode == STORE_READONLY)
        return ERR_DB;
    /* One transaction (one fsync) for the lot, unless the caller has one. */
    if (sqlite3_get_autocommit(st->db)) {
        e = store_exec(st, SQ_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE", NULL);
        if (e != ERR_OK)
            return e;
        own_tx = true;
    }
    e = store_stmt(st, SQ_TOKEN_TOUCH,
                   "UPDATE token SET last_used_at = ?2 WHERE id = ?1", &s,
                   NULL);
    for (size_t i = 0; e == ERR_OK && i < n; i++) {
        store_bind_start(&b, s);
        store_bind_int(&b, ids[i]);
        store_bind_int(&b, now);
        e = store_bind_check(st, &b, NULL, "touch token");
        if (e == ERR_OK)
            e = store_step(st, s, &row, NULL, "touch token");
        store_stmt_done(s);
    }
    store_stmt_done(s);
    if (own_tx) {
        if (e == ERR_OK)
            e = store_exec(st, SQ_COMMIT, "COMMIT", NULL);
        if (e != ERR_OK && !sqlite3_get_autocommit(st->db))
            (void)store_exec(st, SQ_ROLLBACK, "ROLLBACK", NULL);
    }
    return e;
}

enum err store_token_get(struct store *st, int64_t id, struct store_token *out,
                         struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    memset(out, 0, sizeof *out);
    e = store_stmt(st, SQ_TOKEN_GET, TOKEN_COLUMNS "WHERE id = ?1", &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, id);
    e = store_step_bound(st, &b, &row, eb, "get token");
    if (e == ERR_OK && !row) {
        err_set(eb, "no token %lld", (long long)id);
        e = ERR_NOT_FOUND;
    }
    if (e == ERR_OK)
        read_token(s, out);
out:
    store_stmt_done(s);
    return e;
}

enum err store_token_revoke_id(struct store *st, int64_t id, struct errbuf *eb)
{
    bool changed = false;
    enum err e;

    if (st->mode == STORE_READONLY) {
        err_set(eb, "the database is open read-only");
        return ERR_DB;
    }
    e = revoke_by(st, SQ_TOKEN_REVOKE_ID,
                  "UPDATE token SET revoked_at = COALESCE(revoked_at, ?2) "
                  "WHERE id = ?1",
                  id, NULL, &changed, eb);
    if (e == ERR_OK && !changed) {
        err_set(eb, "no token %lld", (long long)id);
        e = ERR_NOT_FOUND;
    }
    return e;
}
