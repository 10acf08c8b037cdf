/*
 * What the HTML pages show, gathered from the store for render/page.h's
 * writers: the server answers a request with it, `benchvault report` writes
 * it into files, and both get the same data.  Design notes:
 *  1. Each svc_page_* fills a caller-owned struct that owns everything it
 *     read and holds the render/ view (borrowing those) in ->view, so a
 *     caller hands ->view to the writer and then cleans the struct up.
 *  2. A part that cannot be read is shown as such on the page (the
 *     dashboard's alerts) or left out (a branch's latest run), as the
 *     pages always did; only the parts a page cannot exist without fail
 *     the call.
 */
#include "service/service.h"

#include "render/page.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- the projects index ------------------------------------------------- */

enum err svc_page_projects(struct store *st, const char *only,
                           struct svc_page_projects *out, struct errbuf *eb)
{
    enum err e;
    size_t k = 0;

    memset(out, 0, sizeof *out);
    e = store_projects_list(st, &out->p, &out->n, eb);
    if (e)
        return e;
    out->view = xcalloc(out->n ? out->n : 1, sizeof *out->view);
    for (size_t i = 0; i < out->n; i++) {
        const struct store_project *p = &out->p[i];

        /* A project-scoped token sees its own project only. */
        if (only && strcmp(only, p->slug))
            continue;
        out->view[k++] = (struct page_project){p->slug, p->description,
                                               p->run_count, p->last_run_at};
    }
    out->nview = k;
    return ERR_OK;
}

void svc_page_projects_cleanup(struct svc_page_projects *p)
{
    store_projects_free(p->p, p->n);
    free(p->view);
    memset(p, 0, sizeof *p);
}

/* ---- a project's dashboard ---------------------------------------------- */

/* The sorts in the order of enum svc_dash_sort. */
static const struct page_dash_sort dash_sorts[] = {
    {"change", "worse now"},
    {"name", "name"},
    {"noise", "noise"},
};

const struct page_dash_sort *svc_page_dash_sorts(size_t *n)
{
    *n = sizeof dash_sorts / sizeof dash_sorts[0];
    return dash_sorts;
}

size_t svc_page_dash_sort(const char *name)
{
    for (size_t i = 0; name && i < sizeof dash_sorts / sizeof dash_sorts[0];
         i++)
        if (strcmp(name, dash_sorts[i].name) == 0)
            return i;
    return 0;
}

static struct page_dash_alert *dash_alerts(const struct store_alert *a,
                                           size_t n)
{
    struct page_dash_alert *v = xcalloc(n ? n : 1, sizeof *v);

    for (size_t i = 0; i < n; i++)
        v[i] = (struct page_dash_alert){
            a[i].benchmark_id, a[i].benchmark, a[i].measure,
            a[i].branch,       a[i].change,    a[i].first_bad_commit};
    return v;
}

static void dash_branches(struct store *st, int64_t project_id,
                          struct svc_page_dashboard *d)
{
    if (store_branches_list(st, project_id, &d->br, &d->nbr, NULL)) {
        d->br = NULL;
        d->nbr = 0;
    }
    d->branches = xcalloc(d->nbr ? d->nbr : 1, sizeof *d->branches);
    d->latest = xcalloc(d->nbr ? d->nbr : 1, sizeof *d->latest);
    for (size_t i = 0; i < d->nbr; i++) {
        struct store_run_filter f = {.branch = d->br[i].name, .limit = 1};
        struct page_dash_branch *b = &d->branches[i];
        struct run *r = NULL;
        size_t nr = 0;

        b->name = d->br[i].name;
        b->run_count = d->br[i].run_count;
        if (store_runs_list(st, project_id, &f, &r, &nr, NULL) == ERR_OK &&
            nr == 1) {
            b->latest_run_id = r[0].id;
            b->latest_at = r[0].created_at;
            d->latest[i] = r[0].commit_sha ? xstrdup(r[0].commit_sha) : NULL;
            b->latest_commit = d->latest[i];
        }
        store_runs_free(r, nr);
    }
}

enum err svc_page_dashboard(struct store *st, const struct store_project *proj,
                            const char *q, size_t sort, size_t page,
                            size_t rows_per_page,
                            struct svc_page_dashboard *out, struct errbuf *eb)
{
    struct page_dashboard *v = &out->view;
    enum err e;
    size_t npages;

    assert(sort < sizeof dash_sorts / sizeof dash_sorts[0]);
    assert(rows_per_page > 0);
    memset(out, 0, sizeof *out);
    e = svc_dashboard(st, proj->id, q, (enum svc_dash_sort)sort, &out->rows,
                      &out->nrows, eb);
    if (e)
        return e;
    v->slug = proj->slug;
    v->description = proj->description;
    v->open_ok = store_alerts_list(st, proj->id, "open", 0, 50, &out->open,
                                   &out->nopen, NULL) == ERR_OK;
    v->known_ok = store_alerts_list(st, proj->id, "acknowledged", 0, 50,
                                    &out->known, &out->nknown, NULL) == ERR_OK;
    out->open_v = dash_alerts(out->open, out->nopen);
    out->known_v = dash_alerts(out->known, out->nknown);
    v->open = out->open_v;
    v->nopen = out->nopen;
    v->known = out->known_v;
    v->nknown = out->nknown;
    dash_branches(st, proj->id, out);
    v->branches = out->branches;
    v->nbranches = out->nbr;

    out->rows_v = xcalloc(out->nrows ? out->nrows : 1, sizeof *out->rows_v);
    for (size_t i = 0; i < out->nrows; i++) {
        const struct svc_dash_row *r = &out->rows[i];
        struct page_dash_row *p = &out->rows_v[i];

        p->bench_id = r->bench_id;
        p->key = r->key;
        p->measure = r->measure;
        p->unit = r->unit;
        p->last = r->last;
        p->change = r->change;
        p->cv = r->cv;
        p->tail = r->tail;
        p->since_alert =
            r->state == SVC_DASH_ALERT || r->state == SVC_DASH_KNOWN;
        p->first_bad_commit = r->first_bad_commit;
        p->state = r->state == SVC_DASH_BETTER ? PAGE_DASH_BETTER
                   : r->state != SVC_DASH_NONE ? PAGE_DASH_BAD
                                               : PAGE_DASH_NONE;
        p->state_text = svc_dash_state_str(r->state);
    }
    v->rows = out->rows_v;
    v->nrows = out->nrows;
    v->rows_per_page = rows_per_page;
    npages = out->nrows ? (out->nrows + rows_per_page - 1) / rows_per_page : 1;
    v->page = page < npages ? page : npages - 1;
    v->q = q;
    v->sorts = svc_page_dash_sorts(&v->nsorts);
    v->sort = sort;
    return ERR_OK;
}

size_t svc_page_dashboard_pages(const struct svc_page_dashboard *d)
{
    size_t per = d->view.rows_per_page;

    return d->nrows ? (d->nrows + per - 1) / per : 1;
}

void svc_page_dashboard_cleanup(struct svc_page_dashboard *d)
{
    store_alerts_free(d->open, d->nopen);
    store_alerts_free(d->known, d->nknown);
    free(d->open_v);
    free(d->known_v);
    for (size_t i = 0; i < d->nbr; i++)
        free(d->latest[i]);
    free(d->latest);
    free(d->branches);
    store_branches_free(d->br, d->nbr);
    svc_dash_rows_free(d->rows, d->nrows);
    free(d->rows_v);
    memset(d, 0, sizeof *d);
}
