/*
 * answer_cache.c: answers computed from a project's runs, kept by content.
 *
 * A run page or a comparison of a 2,000-result run reads tens of thousands
 * of results and runs the statistics on each row: hundreds of
 * milliseconds, for an answer that stays the same until the project gets a
 * new run, budget or setting.  Such answers are kept here under a key that
 * says everything they depend on: the route, the path and every query
 * parameter, what the caller adds (the page mode, the link base), and the
 * project's data version read from the database (store_project_version).
 *
 * Design notes:
 * 1. Keyed by content, never invalidated by this process: a run written by
 *    another server changes the version in the database, so the next view
 *    on any server misses and computes afresh.  The version costs one
 *    indexed query per view.
 * 2. Kept in a byte_cache (byte_cache.c: a bounded LRU shared by the
 *    worker threads, as the charts' cache is); only 200 answers.
 */
#include "server/server_int.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
    struct buf *b = cls;

    (void)kind;
    /* lengths first: "a=b&c" and "a=b&c=" must not collide */
    (void)buf_printf(b, "%zu:%s=%zu:%s&", strlen(key), key,
                     value ? strlen(value) : (size_t)0, value ? value : "");
    return MHD_YES;
}

bool srv_answer_cached(struct req *rq, struct store *st, int64_t project_id,
                       const char *extra, char *key)
{
    struct byte_cache *c = rq->srv->answers;
    unsigned char h[HASH_SHA256_LEN];
    struct buf b;
    bool hit = false;

    key[0] = '\0';
    if (!c)
        return false;
    buf_init(&b, 0);
    (void)buf_printf(&b, "%s|%s|%s|%zu:%s|", BV_VERSION,
                     rq->route ? rq->route->name : "", rq->path,
                     extra ? strlen(extra) : (size_t)0, extra ? extra : "");
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, add_arg, &b);
    (void)buf_adds(&b, "|");
    {
        struct buf v;

        buf_init(&v, 0);
        if (store_project_version(st, project_id, &v, NULL) != ERR_OK ||
            buf_add(&b, v.data, v.len) != ERR_OK) {
            buf_cleanup(&v);
            buf_cleanup(&b);
            return false; /* no version, no caching */
        }
        buf_cleanup(&v);
    }
    hash_sha256(b.data, b.len, h);
    buf_cleanup(&b);
    hash_hex(h, HASH_SHA256_LEN, key);
    {
        const char *ctype = NULL;

        buf_reset(&rq->resp);
        hit = byte_cache_get(c, key, &rq->resp, &ctype);
        if (hit) {
            rq->status = 200;
            rq->content_type = ctype;
        } else {
            buf_reset(&rq->resp);
        }
    }
    return hit;
}

void srv_answer_keep(struct req *rq, const char *key)
{
    if (!key[0] || rq->status != 200 || !rq->content_type || rq->resp.len == 0)
        return;
    byte_cache_put(rq->srv->answers, key, rq->resp.data, rq->resp.len,
                   rq->content_type);
}
