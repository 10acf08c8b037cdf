/*
 * The gate: the server's comparison, confirmation, and local budgets.
 *
 * Design notes:
 *  1. The comparison is the server's (GET .../compare, DESIGN.md "HTTP
 *     API"); the agent does no statistics of its own.  It only decides
 *     whether to run the command again: when a row is regressed, or says
 *     that one run cannot decide (Pinpoint's rule: confirm before you
 *     report).  The extra runs are uploaded and the heads are pooled
 *     (head=ID1,ID2,...), so the verdict that gates is the pooled one.
 *  2. Budgets from a --budgets file are checked on the uploaded runs by
 *     analysis/budget.c's an_budget_eval, the server's own evaluation (the
 *     median over runs, so a confirmation run can clear one noisy run);
 *     budgets the server keeps come back in the comparison's "budgets" and
 *     are reported beside these.
 *  3. A rule's unit "" means "the measure's own canonical unit"; a rule in
 *     another unit than the result's (ms against bytes) does not apply.
 *  4. The pull-request comment is the server's too (format=markdown, with
 *     the server URL this job used for its links): one writer of the
 *     comment, so a reader sees the same words from the agent, from
 *     `benchvault compare --format markdown` and on the pages.
 */
#include "agent/agent_int.h"
#include "analysis/analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GET .../compare?format=FORMAT&base=&head=[&link=] into resp; ERR_IO
 * when unreachable after the retries (the message in eb). */
static enum err compare_get(const struct agent_http *h, const char *project,
                            const char *base, const int64_t *heads,
                            size_t nheads, const char *format,
                            struct agent_response *resp, struct errbuf *eb)
{
    struct agent_request rq = {0};
    struct buf url, auth;
    const char *headers[3] = {NULL, NULL, NULL};
    enum err e;

    /* Unbounded: the command line and the environment bound what goes
     * in; a bound here could only cut it. */
    buf_init(&url, 0);
    buf_init(&auth, 0);
    agent_url_base(&url, h->server);
    (void)buf_adds(&url, "/api/v1/projects/");
    agent_url_escape(&url, project);
    (void)buf_adds(&url, "/compare?base=");
    agent_url_escape(&url, base);
    (void)buf_adds(&url, "&head=");
    for (size_t i = 0; i < nheads; i++)
        (void)buf_printf(&url, "%s%lld", i ? "%2C" : "", (long long)heads[i]);
    if (!strcmp(format, "markdown")) {
        /* links in the comment: the server as this job reached it */
        struct buf pub;

        buf_init(&pub, 0);
        agent_url_public(&pub, h->server);
        (void)buf_adds(&url, "&format=markdown&link=");
        agent_url_escape(&url, buf_str(&pub));
        buf_cleanup(&pub);
        headers[0] = "Accept: text/markdown";
    } else {
        headers[0] = "Accept: application/json";
    }
    if (h->token && *h->token) {
        (void)buf_printf(&auth, "Authorization: Bearer %s", h->token);
        headers[1] = buf_str(&auth);
    }
    rq.method = "GET";
    rq.url = buf_str(&url);
    rq.headers = headers;
    rq.connect_timeout_ms = h->connect_timeout_ms;
    rq.timeout_ms = h->timeout_ms;
    rq.max_answer = (size_t)16 << 20;
    e = agent_http_retry(&rq, h->retries, h->backoff_ms, buf_str(&url), resp);
    if (e) {
        err_set(eb, "comparison: %s", resp->error);
        e = ERR_IO;
    }
    buf_cleanup(&url);
    buf_cleanup(&auth);
    return e;
}

/* The error of an answer other than 200 (ERR_OK for 200). */
static enum err compare_status(const struct agent_response *resp,
                               struct errbuf *eb)
{
    if (resp->status == 200)
        return ERR_OK;
    if (resp->status == 404) {
        err_set(eb, "comparison: 404 %s", buf_str(&resp->body));
        return ERR_NOT_FOUND;
    }
    err_set(eb, "comparison: the server answered %ld: %s", resp->status,
            buf_str(&resp->body));
    return agent_http_retryable(ERR_OK, resp->status) ? ERR_IO : ERR_INVALID;
}

enum err agent_compare_fetch(const struct agent_http *h, const char *project,
                             const char *base, const int64_t *heads,
                             size_t nheads, struct ingest_compare *out,
                             long *status, struct errbuf *eb)
{
    struct agent_response resp;
    enum err e;

    memset(out, 0, sizeof *out);
    agent_response_init(&resp);
    e = compare_get(h, project, base, heads, nheads, "json", &resp, eb);
    *status = resp.status;
    if (!e)
        e = compare_status(&resp, eb);
    if (!e && ingest_compare_parse(resp.body.data, resp.body.len, out, eb))
        e = ERR_INVALID;
    agent_response_cleanup(&resp);
    return e;
}

enum err agent_compare_markdown(const struct agent_http *h, const char *project,
                                const char *base, const int64_t *heads,
                                size_t nheads, struct buf *out,
                                struct errbuf *eb)
{
    struct agent_response resp;
    enum err e;

    agent_response_init(&resp);
    e = compare_get(h, project, base, heads, nheads, "markdown", &resp, eb);
    if (!e)
        e = compare_status(&resp, eb);
    if (!e && (resp.body.len == 0 ||
               !strstr(buf_str(&resp.body), AGENT_COMMENT_MARKER))) {
        err_set(eb, "comparison: the Markdown answer has no comment marker");
        e = ERR_INVALID;
    }
    if (!e)
        (void)buf_add(out, resp.body.data, resp.body.len);
    agent_response_cleanup(&resp);
    return e;
}

bool agent_compare_wants_confirmation(const struct ingest_compare *c)
{
    if (c->regressed > 0)
        return true;
    for (size_t i = 0; i < c->nrows; i++)
        if (!strcmp(c->rows[i].verdict, "regressed") ||
            c->rows[i].needs_confirmation)
            return true;
    return false;
}

static void plural(struct buf *out, int64_t n, const char *one,
                   const char *many, bool *first)
{
    (void)buf_printf(out, "%s%lld %s", *first ? "" : ", ", (long long)n,
                     n == 1 ? one : many);
    *first = false;
}

void agent_verdict_line(const struct ingest_compare *c, struct buf *out)
{
    bool first = true;

    plural(out, c->regressed, "regression", "regressions", &first);
    plural(out, c->improved, "improvement", "improvements", &first);
    plural(out, c->unchanged, "unchanged", "unchanged", &first);
    plural(out, c->inconclusive, "inconclusive", "inconclusive", &first);
}

/* ---- budgets ------------------------------------------------------------ */

/* The canonical unit of a series' value: the rule's, else its results'
 * (a resource rule: the samples' own, % or bytes). */
static const char *unit_of(const struct ingest_budget *rule,
                           const struct run *runs,
                           const struct an_budget_series *se)
{
    if (rule->unit[0])
        return rule->unit;
    if (!se->key)
        return strstr(rule->measure, "cpu") || !strcmp(rule->measure, "gpu") ||
                       !strcmp(rule->measure, "gpu_util_pct")
                   ? "%"
                   : "B";
    for (size_t i = 0; i < runs[0].nresults; i++) {
        const struct result *r = &runs[0].results[i];

        if (r->key && !strcmp(r->key, se->key) && r->measure &&
            !strcmp(r->measure, rule->measure))
            return r->unit ? r->unit : "";
    }
    return "";
}

void agent_budgets_check(const struct ingest_budget *rules, size_t nrules,
                         const struct run *runs, size_t nruns,
                         struct agent_budget_check **out, size_t *n)
{
    size_t cap = 0;

    *out = NULL;
    *n = 0;
    for (size_t b = 0; b < nrules && nruns; b++) {
        const struct ingest_budget *rule = &rules[b];
        struct an_budget_rule ar = {rule->benchmark_glob, rule->measure,
                                    rule->unit, rule->is_max, rule->threshold};
        struct an_budget_eval ev;

        an_budget_eval(&ar, runs, nruns, &ev);
        for (size_t i = 0; i < ev.nseries; i++) {
            const struct an_budget_series *se = &ev.series[i];
            struct agent_budget_check *c;

            if (isnan(se->value))
                continue;
            if (*n == cap) {
                cap = cap ? cap * 2 : 8;
                *out = xreallocarray(*out, cap, sizeof **out);
            }
            c = &(*out)[(*n)++];
            c->rule = rule;
            c->key = xstrdup(se->key ? se->key : rule->measure);
            c->measure = rule->measure;
            c->unit = unit_of(rule, runs, se);
            c->value = se->value;
            c->broken = se->broken;
        }
        an_budget_eval_free(&ev);
    }
}

void agent_budget_checks_free(struct agent_budget_check *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        free(c[i].key);
    free(c);
}
