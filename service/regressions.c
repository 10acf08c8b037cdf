/*
 * What is worse now, listed: the regressions page, its feed, its API and
 * the dashboard's head.  Design notes:
 *  1. One rule: the rows are svc_dashboard's (service/dashboard.c note 1),
 *     those in state suspected, regressed (an open alert) or known (an
 *     acknowledged one), so the dashboard, this list and the feed cannot
 *     disagree.  A series is a benchmark x measure on its default branch
 *     and testbed, as on the dashboard.
 *  2. Worst first: by how much worse (the change signed so that worse is
 *     positive), then by name; a row without a change last.
 *  3. Since when: the first bad run of the row (its alert's, or the first
 *     run of the latest level), its commit's subject read from the run
 *     (the first line of the message), and the last good run before it.
 */
#include "service/service_int.h"

#include <stdlib.h>
#include <string.h>

static bool worse_now(const struct svc_dash_row *r)
{
    return r->state == SVC_DASH_SUSPECTED || r->state == SVC_DASH_ALERT ||
           r->state == SVC_DASH_KNOWN;
}

static int cmp_worst(const void *a, const void *b)
{
    const struct svc_dash_row *x = *(const struct svc_dash_row *const *)a;
    const struct svc_dash_row *y = *(const struct svc_dash_row *const *)b;
    double cx = isnan(x->worse) ? -INFINITY : x->worse;
    double cy = isnan(y->worse) ? -INFINITY : y->worse;
    int c;

    if (cx != cy)
        return cx < cy ? 1 : -1;
    c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->measure, y->measure);
}

void svc_regressions_from(struct store *st, const struct store_project *proj,
                          const struct svc_dash_row *rows, size_t nrows,
                          size_t max, struct svc_regressions *out)
{
    const struct svc_dash_row **pick = NULL;
    size_t n = 0;
    int64_t updated = TIME_NONE;

    memset(out, 0, sizeof *out);
    pick = xcalloc(nrows ? nrows : 1, sizeof *pick);
    for (size_t i = 0; i < nrows; i++)
        if (worse_now(&rows[i]))
            pick[n++] = &rows[i];
    qsort(pick, n, sizeof *pick, cmp_worst);
    out->view.slug = proj->slug;
    out->view.repo_url = proj->repository_url;
    out->view.total = n;
    if (max && n > max)
        n = max;
    out->v = xcalloc(n ? n : 1, sizeof *out->v);
    out->messages = xcalloc(n ? n : 1, sizeof *out->messages);
    for (size_t i = 0; i < n; i++) {
        const struct svc_dash_row *r = pick[i];
        struct page_regression *v = &out->v[i];

        svc_run_brief(st, proj->id, r->first_bad_run_id, &out->messages[i],
                      NULL);
        *v = (struct page_regression){
            .bench_id = r->bench_id,
            .key = r->key,
            .measure = r->measure,
            .unit = r->unit,
            .branch = r->branch,
            .testbed = r->testbed,
            .state = svc_dash_state_str(r->state),
            .change = r->change,
            .ci = {r->ci[0], r->ci[1]},
            .last = r->last,
            .runs = r->tail,
            .since = r->since,
            .first_bad_run_id = r->first_bad_run_id,
            .last_good_run_id = r->last_good_run_id,
            .first_bad_commit = r->first_bad_commit,
            .last_good_commit = r->last_good_commit,
            .message = out->messages[i],
            .alert_id = r->alert_id,
        };
        if (r->since != TIME_NONE &&
            (updated == TIME_NONE || r->since > updated))
            updated = r->since;
    }
    out->view.rows = out->v;
    out->view.n = n;
    out->view.updated = updated != TIME_NONE ? updated : time_now_ms();
    free(pick);
}

enum err svc_regressions(struct store *st, const struct store_project *proj,
                         size_t max, struct svc_regressions *out,
                         struct errbuf *eb)
{
    struct svc_dash_row *rows = NULL;
    size_t n = 0;
    enum err e;

    memset(out, 0, sizeof *out);
    e = svc_dashboard(st, proj->id, NULL, SVC_DASH_WORSE, &rows, &n, eb);
    if (e)
        return e;
    svc_regressions_from(st, proj, rows, n, max, out);
    out->rows = rows;
    out->nrows = n;
    return ERR_OK;
}

void svc_regressions_cleanup(struct svc_regressions *r)
{
    for (size_t i = 0; r->messages && i < r->view.n; i++)
        free(r->messages[i]);
    free(r->messages);
    free(r->v);
    svc_dash_rows_free(r->rows, r->nrows);
    memset(r, 0, sizeof *r);
}

static void json_num_or_null(struct jw *w, const char *key, double v)
{
    jw_key(w, key);
    if (isfinite(v))
        jw_num(w, v);
    else
        jw_null(w);
}

static void json_run(struct jw *w, const char *key, int64_t id,
                     const char *commit)
{
    jw_key(w, key);
    if (id <= 0 && !commit) {
        jw_null(w);
        return;
    }
    jw_obj_begin(w);
    jw_key(w, "run_id");
    if (id > 0)
        jw_int(w, id);
    else
        jw_null(w);
    jw_kstr(w, "commit", commit);
    jw_obj_end(w);
}

void svc_regressions_json(struct jw *w, const struct svc_regressions *r)
{
    const struct page_regressions *p = &r->view;

    jw_obj_begin(w);
    jw_kstr(w, "project", p->slug);
    jw_kint(w, "count", (int64_t)p->total);
    jw_key(w, "regressions");
    jw_arr_begin(w);
    for (size_t i = 0; i < p->n; i++) {
        const struct page_regression *v = &p->rows[i];

        jw_obj_begin(w);
        jw_key(w, "benchmark");
        jw_obj_begin(w);
        jw_kint(w, "id", v->bench_id);
        jw_kstr(w, "key", v->key);
        jw_obj_end(w);
        jw_kstr(w, "measure", v->measure);
        jw_kstr(w, "unit", v->unit);
        jw_kstr(w, "branch", v->branch);
        jw_kstr(w, "testbed", v->testbed);
        jw_kstr(w, "state", v->state);
        json_num_or_null(w, "change", v->change);
        jw_key(w, "change_ci");
        if (isfinite(v->ci[0]) && isfinite(v->ci[1])) {
            jw_arr_begin(w);
            jw_num(w, v->ci[0]);
            jw_num(w, v->ci[1]);
            jw_arr_end(w);
        } else {
            jw_null(w);
        }
        json_num_or_null(w, "last", v->last);
        jw_kint(w, "runs", (int64_t)v->runs);
        jw_ktime(w, "since", v->since);
        json_run(w, "first_bad", v->first_bad_run_id, v->first_bad_commit);
        jw_key(w, "first_bad_message");
        jw_str(w, v->message);
        json_run(w, "last_good", v->last_good_run_id, v->last_good_commit);
        jw_key(w, "alert_id");
        if (v->alert_id > 0)
            jw_int(w, v->alert_id);
        else
            jw_null(w);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}
