/*
 * The comparison as a pull-request comment: Markdown, GitHub's REST API,
 * and the job summary.
 *
 * Design notes:
 *  1. The first line is the verdict ("2 regressions, 1 improvement, ..."),
 *     what a reviewer reads in a notification.  The hidden marker
 *     AGENT_COMMENT_MARKER goes last; it identifies our comment so a new
 *     push updates it instead of adding one more.
 *  2. Benchmark and measure names are user input: each goes through
 *     page_esc_md (render/: backslash before Markdown punctuation, HTML
 *     entities for < > &, no line breaks), never pasted raw.
 *  3. Values are shown in a readable unit (12.3 ms, 1.5 MiB), computed from
 *     the canonical unit the server answers in.
 *  4. GitHub: list the comments (pages of 100, at most 10 pages), PATCH the
 *     one with the marker, else POST a new one.  Bounded timeouts and two
 *     retries: a comment is worth less than the job's time.  (When render/
 *     lands, the Markdown may move there; the marker and first line are the
 *     contract.)
 */
#include "render/render.h"
#include "agent/agent_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GH_PAGE 100
#define GH_MAX_PAGES 10

/* A value in a unit a person reads (design note 3). */
static void value(struct buf *out, double v, const char *unit)
{
    static const struct {
        const char *unit;
        double scale;
        const char *name;
    } scales[] = {
        {"s", 1, "s"},
        {"s", 1e-3, "ms"},
        {"s", 1e-6, "µs"},
        {"s", 1e-9, "ns"},
        {"B", 1073741824.0, "GiB"},
        {"B", 1048576.0, "MiB"},
        {"B", 1024.0, "KiB"},
        {"B", 1, "B"},
    };

    if (isnan(v)) {
        (void)buf_adds(out, "–");
        return;
    }
    if (!unit)
        unit = "";
    for (size_t i = 0; i < sizeof scales / sizeof scales[0]; i++) {
        if (strcmp(scales[i].unit, unit) != 0)
            continue;
        if (fabs(v) >= scales[i].scale || scales[i].scale <= 1e-9 ||
            (scales[i].scale == 1 && !strcmp(unit, "B"))) {
            (void)buf_printf(out, "%.3g %s", v / scales[i].scale,
                             scales[i].name);
            return;
        }
    }
    if (!strcmp(unit, "1/s"))
        (void)buf_printf(out, "%.4g/s", v);
    else if (!strcmp(unit, "%"))
        (void)buf_printf(out, "%.3g%%", v);
    else if (!strcmp(unit, "B/s"))
        (void)buf_printf(out, "%.4g B/s", v);
    else
        (void)buf_printf(out, "%.4g", v);
}

static void percent(struct buf *out, double rel)
{
    if (isnan(rel))
        (void)buf_adds(out, "–");
    else
        (void)buf_printf(out, "%+.1f%%", rel * 100.0);
}

static void rows_table(struct buf *out, const struct ingest_compare *c,
                       const char *verdict, const char *title)
{
    size_t shown = 0;

    for (size_t i = 0; i < c->nrows; i++) {
        const struct ingest_compare_row *r = &c->rows[i];

        if (strcmp(r->verdict, verdict) != 0)
            continue;
        if (!shown++)
            (void)buf_printf(out,
                             "\n#### %s\n\n| Benchmark | Measure | Base | "
                             "Head | Change | 95%% CI | p |\n|---|---|---:|"
                             "---:|---:|---|---:|\n",
                             title);
        if (shown > 50) {
            (void)buf_adds(out, "| … | | | | | | |\n");
            break;
        }
        (void)buf_adds(out, "| ");
        (void)page_esc_md(out, r->benchmark ? r->benchmark : "?");
        (void)buf_adds(out, " | ");
        (void)page_esc_md(out, r->measure ? r->measure : "?");
        (void)buf_adds(out, " | ");
        value(out, r->base, r->unit);
        (void)buf_adds(out, " | ");
        value(out, r->head, r->unit);
        (void)buf_adds(out, " | ");
        percent(out, r->change);
        (void)buf_adds(out, " | ");
        if (!isnan(r->change_lo) && !isnan(r->change_hi)) {
            (void)buf_adds(out, "[");
            percent(out, r->change_lo);
            (void)buf_adds(out, ", ");
            percent(out, r->change_hi);
            (void)buf_adds(out, "]");
        }
        (void)buf_adds(out, " | ");
        if (!isnan(r->p_value))
            (void)buf_printf(out, "%.2g", r->p_value);
        (void)buf_adds(out, " |\n");
    }
}

static void budgets(struct buf *out, const struct agent_report *rep)
{
    const struct ingest_compare *c = rep->cmp;
    size_t nb = c ? c->nbudgets : 0;

    if (!rep->nbudgets && !nb)
        return;
    (void)buf_adds(out, "\n#### Budgets\n\n| Benchmark | Measure | Value | "
                        "Budget | |\n|---|---|---:|---|---|\n");
    for (size_t i = 0; i < rep->nbudgets; i++) {
        const struct agent_budget_check *b = &rep->budgets[i];

        (void)buf_adds(out, "| ");
        (void)page_esc_md(out, b->key);
        (void)buf_adds(out, " | ");
        (void)page_esc_md(out, b->measure);
        (void)buf_adds(out, " | ");
        value(out, b->value, b->rule->unit);
        (void)buf_printf(out, " | %s ", b->rule->is_max ? "max" : "min");
        value(out, b->rule->threshold, b->rule->unit);
        (void)buf_printf(out, " | %s |\n", b->broken ? "**broken**" : "ok");
    }
    for (size_t i = 0; i < nb; i++) {
        const struct ingest_compare_budget *b = &c->budgets[i];

        (void)buf_adds(out, "| ");
        (void)page_esc_md(out, b->benchmark ? b->benchmark : "*");
        (void)buf_adds(out, " | ");
        (void)page_esc_md(out, b->measure ? b->measure : "?");
        (void)buf_adds(out, " | ");
        value(out, b->value, NULL);
        (void)buf_adds(out, " | ");
        if (b->message)
            (void)page_esc_md(out, b->message);
        else
            value(out, b->threshold, NULL);
        (void)buf_printf(out, " | %s |\n", b->broken ? "**broken**" : "ok");
    }
}

static void resources(struct buf *out, const struct agent_summary *s)
{
    if (!s || !s->nsamples)
        return;
    (void)buf_adds(out, "\n#### Resources of the run\n\nCPU ");
    value(out, s->cpu_mean_pct, "%");
    (void)buf_adds(out, " mean, ");
    value(out, s->cpu_max_pct, "%");
    (void)buf_adds(out, " max (of one core); peak RSS ");
    value(out, s->rss_peak_bytes, "B");
    (void)buf_adds(out, "; disk read ");
    value(out, s->read_bytes, "B");
    (void)buf_adds(out, ", written ");
    value(out, s->write_bytes, "B");
    if (!isnan(s->gpu_util_mean_pct)) {
        (void)buf_adds(out, "; GPU ");
        value(out, s->gpu_util_mean_pct, "%");
        (void)buf_adds(out, " mean, ");
        value(out, s->gpu_util_max_pct, "%");
        (void)buf_adds(out, " max, memory peak ");
        value(out, s->gpu_mem_peak_bytes, "B");
    }
    (void)buf_printf(out, "; %lld processes, %lld threads at most.\n",
                     (long long)s->procs_max, (long long)s->threads_max);
}

void agent_comment_markdown(const struct agent_report *rep, struct buf *out)
{
    const struct ingest_compare *c = rep->cmp;

    (void)buf_adds(out, "### benchvault: ");
    if (c) {
        agent_verdict_line(c, out);
    } else {
        (void)buf_adds(out, "no comparison");
        if (rep->cmp_note) {
            (void)buf_adds(out, " (");
            (void)page_esc_md(out, rep->cmp_note);
            (void)buf_adds(out, ")");
        }
    }
    (void)buf_adds(out, "\n\nProject ");
    (void)page_esc_md(out, rep->project);
    if (rep->base) {
        (void)buf_adds(out, ", base ");
        (void)page_esc_md(out, rep->base);
    }
    if (rep->nheads) {
        (void)buf_adds(out, ", head run");
        if (rep->nheads > 1)
            (void)buf_adds(out, "s");
        for (size_t i = 0; i < rep->nheads; i++) {
            (void)buf_printf(out, "%s ", i ? "," : "");
            if (rep->server) {
                (void)buf_printf(out, "[%lld](", (long long)rep->heads[i]);
                agent_url_base(out, rep->server);
                (void)buf_adds(out, "/p/");
                agent_url_escape(out, rep->project);
                (void)buf_printf(out, "/runs/%lld)", (long long)rep->heads[i]);
            } else {
                (void)buf_printf(out, "%lld", (long long)rep->heads[i]);
            }
        }
    }
    (void)buf_adds(out, ".");
    if (rep->confirmed)
        (void)buf_printf(out,
                         " The head runs were pooled to confirm (%zu "
                         "runs).",
                         rep->nheads);
    (void)buf_adds(out, "\n");
    if (c) {
        rows_table(out, c, "regressed", "Regressions");
        rows_table(out, c, "improved", "Improvements");
    }
    budgets(out, rep);
    resources(out, rep->resources);
    if (c && c->nrecommendations) {
        (void)buf_adds(out, "\n#### Recommendations\n\n");
        for (size_t i = 0; i < c->nrecommendations && i < 20; i++) {
            (void)buf_adds(out, "- ");
            (void)page_esc_md(out, c->recommendations[i]);
            (void)buf_adds(out, "\n");
        }
    }
    (void)buf_adds(out, "\n" AGENT_COMMENT_MARKER "\n");
}

/* ---- GitHub ------------------------------------------------------------- */

static bool repo_ok(const char *r)
{
    size_t slashes = 0;

    if (!r || !*r)
        return false;
    for (const char *p = r; *p; p++) {
        if (*p == '/')
            slashes++;
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
                   *p == '.'))
            return false;
    }
    return slashes == 1;
}

static enum err gh_call(const struct agent_github *gh, const char *method,
                        const char *url, const char *body,
                        struct agent_response *resp, struct errbuf *eb)
{
    struct agent_request rq = {0};
    struct buf auth;
    const char *headers[6];
    enum err e;

    buf_init(&auth, 8192);
    (void)buf_printf(&auth, "Authorization: Bearer %s", gh->token);
    headers[0] = buf_str(&auth);
    headers[1] = "Accept: application/vnd.github+json";
    headers[2] = "X-GitHub-Api-Version: 2022-11-28";
    headers[3] = body ? "Content-Type: application/json" : NULL;
    headers[4] = NULL;
    rq.method = method;
    rq.url = url;
    rq.headers = headers;
    rq.body = body;
    rq.len = body ? strlen(body) : 0;
    rq.connect_timeout_ms = 5000;
    rq.timeout_ms = gh->timeout_ms > 0 ? gh->timeout_ms : 20000;
    rq.max_answer = (size_t)8 << 20;
    e = agent_http_retry(&rq, 2, 500, url, resp);
    buf_cleanup(&auth);
    if (e) {
        err_set(eb, "GitHub %s %s: %s", method, url, resp->error);
        return ERR_IO;
    }
    if (resp->status == 401 || resp->status == 403) {
        err_set(eb,
                "GitHub %s %s: %ld (does GITHUB_TOKEN have "
                "pull-requests: write?): %.300s",
                method, url, resp->status, buf_str(&resp->body));
        return ERR_AUTH;
    }
    if (resp->status < 200 || resp->status > 299) {
        err_set(eb, "GitHub %s %s: %ld: %.300s", method, url, resp->status,
                buf_str(&resp->body));
        return ERR_INVALID;
    }
    return ERR_OK;
}

enum err agent_github_comment(const struct agent_github *gh,
                              const char *markdown, int64_t *comment_id,
                              struct errbuf *eb)
{
    struct agent_response resp;
    struct buf base, url, body;
    struct jw w;
    int64_t found = 0;
    enum err e = ERR_OK;

    if (comment_id)
        *comment_id = 0;
    if (!gh->token || !*gh->token || !repo_ok(gh->repository) ||
        gh->pr_number <= 0) {
        err_set(eb, "a GitHub comment needs GITHUB_TOKEN, GITHUB_REPOSITORY "
                    "(owner/name) and a pull request number");
        return ERR_INVALID;
    }
    agent_response_init(&resp);
    buf_init(&base, 4096);
    buf_init(&url, 8192);
    buf_init(&body, 0);
    agent_url_base(&base, gh->api_url && *gh->api_url
                              ? gh->api_url
                              : "https://api.github.com");
    (void)buf_printf(&base, "/repos/%s", gh->repository);
    for (int page = 1; page <= GH_MAX_PAGES && !found; page++) {
        size_t count = 0;

        buf_reset(&url);
        (void)buf_printf(&url, "%s/issues/%lld/comments?per_page=%d&page=%d",
                         buf_str(&base), (long long)gh->pr_number, GH_PAGE,
                         page);
        e = gh_call(gh, "GET", buf_str(&url), NULL, &resp, eb);
        if (e)
            goto out;
        if (ingest_gh_comment_find(resp.body.data, resp.body.len,
                                   AGENT_COMMENT_MARKER, &found, &count)) {
            err_set(eb, "GitHub %s: the answer is not a comment list",
                    buf_str(&url));
            e = ERR_INVALID;
            goto out;
        }
        if (count < GH_PAGE)
            break;
    }
    jw_init(&w, &body);
    jw_obj_begin(&w);
    jw_kstr(&w, "body", markdown);
    jw_obj_end(&w);
    buf_reset(&url);
    if (found) {
        (void)buf_printf(&url, "%s/issues/comments/%lld", buf_str(&base),
                         (long long)found);
        e = gh_call(gh, "PATCH", buf_str(&url), buf_str(&body), &resp, eb);
    } else {
        (void)buf_printf(&url, "%s/issues/%lld/comments", buf_str(&base),
                         (long long)gh->pr_number);
        e = gh_call(gh, "POST", buf_str(&url), buf_str(&body), &resp, eb);
        if (!e) {
            /* The answer is the new comment; as a one-element list it
             * reads like the listing (its body carries the marker). */
            struct buf list;
            size_t count;

            buf_init(&list, 0);
            (void)buf_addc(&list, '[');
            (void)buf_add(&list, buf_str(&resp.body), resp.body.len);
            (void)buf_addc(&list, ']');
            (void)ingest_gh_comment_find(list.data, list.len,
                                         AGENT_COMMENT_MARKER, &found, &count);
            buf_cleanup(&list);
        }
    }
    if (!e && comment_id)
        *comment_id = found;
out:
    agent_response_cleanup(&resp);
    buf_cleanup(&base);
    buf_cleanup(&url);
    buf_cleanup(&body);
    return e;
}

enum err agent_step_summary(const char *path, const char *markdown,
                            struct errbuf *eb)
{
    FILE *f = fopen(path, "a");
    enum err e = ERR_OK;

    if (!f) {
        err_set(eb, "GITHUB_STEP_SUMMARY %s: %s", path, strerror(errno));
        return ERR_IO;
    }
    if (fputs(markdown, f) == EOF || fputc('\n', f) == EOF)
        e = ERR_IO;
    if (fclose(f) != 0)
        e = ERR_IO;
    if (e)
        err_set(eb, "GITHUB_STEP_SUMMARY %s: write failed", path);
    return e;
}
