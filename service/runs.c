/*
 * The runs list (/p/{project}/runs) and what the compare form offers to
 * pick: plain store reads shaped for render/page.h.  Design note: a page
 * asks for one run more than it shows, so it knows whether older runs
 * exist without a second query.
 */
#include "service/service_int.h"

#include <stdlib.h>
#include <string.h>

enum err svc_page_runs(struct store *st, const struct store_project *proj,
                       const struct store_run_filter *f,
                       struct svc_page_runs *out, struct errbuf *eb)
{
    struct store_run_filter g = *f;
    size_t limit = f->limit > 0 ? (size_t)f->limit : SVC_PAGE_RUNS_MAX;
    struct page_runs *v = &out->view;
    enum err e;

    memset(out, 0, sizeof *out);
    if (limit >= 1000) {
        err_set(eb, "limit must be between 1 and 999");
        return ERR_INVALID;
    }
    g.limit = (int)limit + 1;
    e = store_runs_list(st, proj->id, &g, &out->runs, &out->n, eb);
    if (e)
        return e;
    v->slug = proj->slug;
    v->repo_url = proj->repository_url;
    v->runs = out->runs;
    v->n = out->n > limit ? limit : out->n;
    v->next_before = out->n > limit ? out->runs[limit - 1].id : 0;
    v->before = f->before_id;
    v->branch = f->branch;
    v->testbed = f->testbed;
    v->commit = f->commit;
    if (store_branches_list(st, proj->id, &out->br, &out->nbr, NULL)) {
        out->br = NULL;
        out->nbr = 0;
    }
    if (store_testbeds_list(st, proj->id, &out->tb, &out->ntb, NULL)) {
        out->tb = NULL;
        out->ntb = 0;
    }
    out->names = xcalloc(out->nbr + out->ntb + 1, sizeof *out->names);
    for (size_t i = 0; i < out->nbr; i++)
        out->names[i] = out->br[i].name;
    for (size_t i = 0; i < out->ntb; i++)
        out->names[out->nbr + i] = out->tb[i].name;
    v->branches = out->names;
    v->nbranches = out->nbr;
    v->testbeds = out->names + out->nbr;
    v->ntestbeds = out->ntb;
    return ERR_OK;
}

void svc_page_runs_cleanup(struct svc_page_runs *p)
{
    store_runs_free(p->runs, p->n);
    store_branches_free(p->br, p->nbr);
    store_testbeds_free(p->tb, p->ntb);
    free(p->names);
    memset(p, 0, sizeof *p);
}

void svc_compare_picks(struct store *st, const struct store_project *proj,
                       struct svc_compare_picks *out)
{
    struct store_run_filter f = {.limit = SVC_COMPARE_PICK_RUNS};

    memset(out, 0, sizeof *out);
    if (store_runs_list(st, proj->id, &f, &out->runs, &out->n, NULL)) {
        out->runs = NULL;
        out->n = 0;
    }
    if (store_branches_list(st, proj->id, &out->br, &out->nbr, NULL)) {
        out->br = NULL;
        out->nbr = 0;
    }
    out->names = xcalloc(out->nbr + 1, sizeof *out->names);
    for (size_t i = 0; i < out->nbr; i++)
        out->names[i] = out->br[i].name;
    out->view =
        (struct page_compare_picks){out->runs, out->n, out->names, out->nbr};
}

void svc_compare_picks_cleanup(struct svc_compare_picks *p)
{
    store_runs_free(p->runs, p->n);
    store_branches_free(p->br, p->nbr);
    free(p->names);
    memset(p, 0, sizeof *p);
}

bool svc_run_brief(struct store *st, int64_t project_id, int64_t id,
                   char **subject, int64_t *time)
{
    /* the newest run before id + 1 is id itself when it is the project's */
    struct store_run_filter f = {.before_id = id + 1, .limit = 1};
    struct run *r = NULL;
    size_t n = 0;
    bool ok;

    *subject = NULL;
    if (time)
        *time = TIME_NONE;
    if (id <= 0 || id == INT64_MAX)
        return false;
    ok = store_runs_list(st, project_id, &f, &r, &n, NULL) == ERR_OK &&
         n == 1 && r[0].id == id;
    if (ok && r[0].commit_message && r[0].commit_message[0])
        *subject =
            xstrndup(r[0].commit_message, strcspn(r[0].commit_message, "\r\n"));
    if (ok && time)
        *time = r[0].commit_time != TIME_NONE  ? r[0].commit_time
                : r[0].started_at != TIME_NONE ? r[0].started_at
                                               : r[0].created_at;
    store_runs_free(r, n);
    return ok;
}
