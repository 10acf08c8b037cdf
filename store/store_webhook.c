/*
 * Webhooks and their outbox (schema/0006_webhooks.sql).
 *
 * Design notes:
 * 1. The outbox rows are written by triggers on alert, inside the
 *    transaction of the alert's transition; this file only adds and lists
 *    receivers and moves deliveries through pending -> delivered | failed.
 * 2. A sender claims due rows in one BEGIN IMMEDIATE transaction: it
 *    counts the attempt and moves next_at past a lease, so two senders
 *    (threads, or servers on one database) never send a row at the same
 *    time, and a sender that dies mid-send leaves the row to be claimed
 *    again when the lease ends.  Delivery is therefore at least once; the
 *    delivery id in each request lets a receiver drop a repeat.
 * 3. The secret is stored as given (it signs requests, so it cannot be a
 *    hash) and never leaves this file except to the sender.
 */
#include "store/store_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum err store_webhook_add(struct store *st, int64_t project_id,
                           const char *url, const char *secret,
                           const char *format, int64_t *id, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    bool row;
    enum err e;

    assert(st && url && secret && format && id);
    e = store_stmt(st, SQ_WEBHOOK_ADD,
                   "INSERT INTO webhook (project_id, url, secret, format, "
                   "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, project_id);
        store_bind_text(&b, url);
        store_bind_text(&b, secret);
        store_bind_text(&b, format);
        store_bind_int(&b, time_now_ms());
        e = store_step_bound(st, &b, &row, eb, "add webhook");
    }
    if (e == ERR_OK)
        *id = sqlite3_last_insert_rowid(st->db);
    store_stmt_done(s);
    return e;
}

enum err store_webhooks_list(struct store *st, int64_t project_id,
                             struct store_webhook **out, size_t *n,
                             struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_webhook *v = NULL;
    size_t k = 0;
    bool row;
    enum err e;

    assert(st && out && n);
    *out = NULL;
    *n = 0;
    e = store_stmt(
        st, SQ_WEBHOOK_LIST,
        "SELECT w.id, w.url, w.format, w.created_at, "
        "(SELECT COUNT(*) FROM webhook_delivery d WHERE d.webhook_id = w.id "
        " AND d.state = 'pending'), "
        "(SELECT COUNT(*) FROM webhook_delivery d WHERE d.webhook_id = w.id "
        " AND d.state = 'delivered'), "
        "(SELECT COUNT(*) FROM webhook_delivery d WHERE d.webhook_id = w.id "
        " AND d.state = 'failed'), "
        "(SELECT d.last_status FROM webhook_delivery d WHERE d.webhook_id = "
        " w.id AND d.attempts > 0 ORDER BY d.id DESC LIMIT 1), "
        "(SELECT d.last_error FROM webhook_delivery d WHERE d.webhook_id = "
        " w.id AND d.attempts > 0 ORDER BY d.id DESC LIMIT 1) "
        "FROM webhook w WHERE w.project_id = ?1 ORDER BY w.id",
        &s, eb);
    if (e == ERR_OK) {
        struct store_bind b;

        store_bind_start(&b, s);
        store_bind_int(&b, project_id);
        e = store_bind_check(st, &b, eb, "list webhooks");
    }
    while (e == ERR_OK) {
        struct store_webhook *w;

        e = store_step(st, s, &row, eb, "list webhooks");
        if (e || !row)
            break;
        v = xreallocarray(v, k + 1, sizeof *v);
        w = &v[k++];
        w->id = sqlite3_column_int64(s, 0);
        w->project_id = project_id;
        w->url = store_col_str(s, 1);
        w->format = store_col_str(s, 2);
        w->created_at = store_col_time(s, 3);
        w->pending = sqlite3_column_int64(s, 4);
        w->delivered = sqlite3_column_int64(s, 5);
        w->failed = sqlite3_column_int64(s, 6);
        w->last_status = store_col_int_or(s, 7, 0);
        w->last_error = store_col_str(s, 8);
    }
    store_stmt_done(s);
    if (e) {
        store_webhooks_free(v, k);
        return e;
    }
    *out = v;
    *n = k;
    return ERR_OK;
}

void store_webhooks_free(struct store_webhook *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].url);
        free(v[i].format);
        free(v[i].last_error);
    }
    free(v);
}

enum err store_webhook_delete(struct store *st, int64_t project_id, int64_t id,
                              struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    bool row;
    enum err e;

    e = store_stmt(st, SQ_WEBHOOK_DELETE,
                   "DELETE FROM webhook WHERE id = ?1 AND project_id = ?2", &s,
                   eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, id);
        store_bind_int(&b, project_id);
        e = store_step_bound(st, &b, &row, eb, "delete webhook");
    }
    if (e == ERR_OK && sqlite3_changes(st->db) == 0) {
        err_set(eb, "no such webhook in this project");
        e = ERR_NOT_FOUND;
    }
    store_stmt_done(s);
    return e;
}

void store_deliveries_free(struct store_delivery *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].event);
        free(v[i].url);
        free(v[i].secret);
        free(v[i].format);
        free(v[i].project);
    }
    free(v);
}

/* The due rows (note 2), read inside the claiming transaction. */
static enum err due_rows(struct store *st, int64_t now, int limit,
                         struct store_delivery **out, size_t *n,
                         struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    size_t k = 0;
    bool row;
    enum err e;

    e = store_stmt(st, SQ_DELIVERY_DUE,
                   "SELECT d.id, d.webhook_id, d.alert_id, d.event, "
                   "d.created_at, d.attempts, w.url, w.secret, w.format, "
                   "p.slug FROM webhook_delivery d "
                   "JOIN webhook w ON w.id = d.webhook_id "
                   "JOIN project p ON p.id = w.project_id "
                   "WHERE d.state = 'pending' AND d.next_at <= ?1 "
                   "ORDER BY d.next_at, d.id LIMIT ?2",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, now);
        store_bind_int(&b, limit);
        e = store_bind_check(st, &b, eb, "due deliveries");
    }
    while (e == ERR_OK) {
        struct store_delivery *d;

        e = store_step(st, s, &row, eb, "due deliveries");
        if (e || !row)
            break;
        *out = xreallocarray(*out, k + 1, sizeof **out);
        d = &(*out)[k++];
        d->id = sqlite3_column_int64(s, 0);
        d->webhook_id = sqlite3_column_int64(s, 1);
        d->alert_id = store_col_int_or(s, 2, 0);
        d->event = store_col_str(s, 3);
        d->created_at = store_col_time(s, 4);
        d->attempts = (int)sqlite3_column_int64(s, 5);
        d->url = store_col_str(s, 6);
        d->secret = store_col_str(s, 7);
        d->format = store_col_str(s, 8);
        d->project = store_col_str(s, 9);
    }
    *n = k;
    store_stmt_done(s);
    return e;
}

enum err store_deliveries_claim(struct store *st, int64_t now, int64_t lease_ms,
                                int limit, struct store_delivery **out,
                                size_t *n, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    enum err e;

    assert(st && out && n && limit > 0);
    *out = NULL;
    *n = 0;
    e = store_exec(st, SQ_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE", eb);
    if (e)
        return e;
    e = due_rows(st, now, limit, out, n, eb);
    if (e == ERR_OK)
        e = store_stmt(st, SQ_DELIVERY_CLAIM,
                       "UPDATE webhook_delivery SET attempts = attempts + 1, "
                       "next_at = ?2 WHERE id = ?1",
                       &s, eb);
    for (size_t i = 0; e == ERR_OK && i < *n; i++) {
        struct store_bind b;
        bool row;

        store_bind_start(&b, s);
        store_bind_int(&b, (*out)[i].id);
        store_bind_int(&b, now + lease_ms);
        e = store_step_bound(st, &b, &row, eb, "claim delivery");
        sqlite3_reset(s);
        (*out)[i].attempts++;
    }
    store_stmt_done(s);
    if (e == ERR_OK)
        e = store_exec(st, SQ_COMMIT, "COMMIT", eb);
    if (e != ERR_OK) {
        if (!sqlite3_get_autocommit(st->db))
            (void)store_exec(st, SQ_ROLLBACK, "ROLLBACK", NULL);
        store_deliveries_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

enum err store_delivery_done(struct store *st, int64_t id, const char *state,
                             long status, const char *error, int64_t next_at,
                             struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    bool row;
    enum err e;

    assert(st && state);
    e = store_stmt(st, SQ_DELIVERY_DONE,
                   "UPDATE webhook_delivery SET state = ?2, last_status = ?3, "
                   "last_error = ?4, next_at = COALESCE(?5, next_at), "
                   "delivered_at = CASE ?2 WHEN 'delivered' THEN ?6 END "
                   "WHERE id = ?1",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, id);
        store_bind_text(&b, state);
        store_bind_int_or_null(&b, status, 0);
        store_bind_text(&b, error);
        store_bind_int_or_null(&b, next_at, TIME_NONE);
        store_bind_int(&b, time_now_ms());
        e = store_step_bound(st, &b, &row, eb, "record delivery");
    }
    store_stmt_done(s);
    return e;
}
