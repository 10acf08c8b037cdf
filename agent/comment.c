/*
 * The pull-request comment, the job summary and GitHub's REST API.
 *
 * Design notes:
 *  1. The comment is the server's Markdown (agent_compare_markdown: the
 *     verdict as its first line, the changed rows, chart, budgets,
 *     recommendations, every row collapsed, links back to the server); the
 *     agent adds only what the server cannot know: this job's runs, whether
 *     they were pooled to confirm, the budgets of its --budgets file and
 *     the resources it sampled.  Without the server's Markdown (no
 *     comparison, or it could not be fetched) the first line still says
 *     the verdict or why there is none.
 *  2. The hidden marker COMMENT_MARKER goes last, once; it identifies our
 *     comment so a new push updates it instead of adding one more.
 *  3. Every user string goes through page_esc_md (render/): backslash
 *     before Markdown punctuation, entities for < > &, no line breaks.
 *  4. GitHub: list the comments (pages of 100, at most 10 pages), PATCH the
 *     one with the marker, else POST a new one.  Bounded timeouts and two
 *     retries: a comment is worth less than the job's time.
 */
#include "agent/agent_int.h"
#include "render/render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GH_PAGE 100
#define GH_MAX_PAGES 10

/* A value in a unit a person reads ("12.3 ms", "1.5 MiB"). */
static void value(struct buf *out, double v, const char *unit)
{
    char s[32];

    if (isnan(v)) {
        (void)buf_adds(out, "–");
        return;
    }
    unit_format(s, sizeof s, v, unit);
    (void)buf_adds(out, s);
}

/* The server's comment up to its marker (note 2: ours goes last). */
static void server_part(struct buf *out, const char *md)
{
    const char *m = strstr(md, AGENT_COMMENT_MARKER);
    size_t n = m ? (size_t)(m - md) : strlen(md);

    while (n > 0 && (md[n - 1] == '\n' || md[n - 1] == ' '))
        n--;
    (void)buf_add(out, md, n);
    (void)buf_adds(out, "\n");
}

/* The first line when the server's comment is missing (note 1). */
static void own_verdict(struct buf *out, const struct agent_report *rep)
{
    (void)buf_adds(out, "### benchvault: ");
    if (rep->cmp)
        agent_verdict_line(rep->cmp, out);
    else
        (void)buf_adds(out, "no comparison");
    if (rep->cmp_note) {
        (void)buf_adds(out, " (");
        (void)page_esc_md(out, rep->cmp_note);
        (void)buf_adds(out, ")");
    }
    (void)buf_adds(out, "\n");
}

static void job_runs(struct buf *out, const struct agent_report *rep)
{
    (void)buf_adds(out, "\n#### This job\n\nProject ");
    (void)page_esc_md(out, rep->project);
    if (rep->base) {
        (void)buf_adds(out, ", base ");
        (void)page_esc_md(out, rep->base);
    }
    if (rep->nheads)
        (void)buf_adds(out, rep->nheads > 1 ? ", head runs" : ", head run");
    for (size_t i = 0; i < rep->nheads; i++) {
        (void)buf_printf(out, "%s ", i ? "," : "");
        if (rep->server) {
            (void)buf_printf(out, "[%lld](", (long long)rep->heads[i]);
            agent_url_public(out, rep->server);
            (void)buf_adds(out, "/p/");
            agent_url_escape(out, rep->project);
            (void)buf_printf(out, "/runs/%lld)", (long long)rep->heads[i]);
        } else {
            (void)buf_printf(out, "%lld", (long long)rep->heads[i]);
        }
    }
    (void)buf_adds(out, ".");
    if (rep->confirmed)
        (void)buf_printf(out,
                         " The head runs were pooled to confirm (%zu "
                         "runs).",
                         rep->nheads);
    (void)buf_adds(out, "\n");
}

/* The budgets of the job's --budgets file (the server's are in its part). */
static void budgets(struct buf *out, const struct agent_report *rep)
{
    if (!rep->nbudgets)
        return;
    (void)buf_adds(out, "\n#### Budgets of this job\n\n| Benchmark | "
                        "Measure | Value | Budget | |\n|---|---|---:|---|---|"
                        "\n");
    for (size_t i = 0; i < rep->nbudgets; i++) {
        const struct agent_budget_check *b = &rep->budgets[i];

        (void)buf_adds(out, "| ");
        (void)page_esc_md(out, b->key);
        (void)buf_adds(out, " | ");
        (void)page_esc_md(out, b->measure);
        (void)buf_adds(out, " | ");
        value(out, b->value, b->unit);
        (void)buf_printf(out, " | %s ", b->rule->is_max ? "max" : "min");
        value(out, b->rule->threshold, b->unit);
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
    if (rep->server_md)
        server_part(out, rep->server_md);
    else
        own_verdict(out, rep);
    job_runs(out, rep);
    budgets(out, rep);
    resources(out, rep->resources);
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
    /* Unbounded: GITHUB_API_URL and GITHUB_REPOSITORY bound them. */
    buf_init(&base, 0);
    buf_init(&url, 0);
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

/* A commit sha as GitHub takes it in a path: 7 to 64 hex digits. */
static bool sha_ok(const char *s)
{
    size_t n = s ? strspn(s, "0123456789abcdefABCDEF") : 0;

    return s && n >= 7 && n <= 64 && s[n] == '\0';
}

enum err agent_github_status(const struct agent_github *gh, const char *sha,
                             const char *state, const char *description,
                             const char *target_url, struct errbuf *eb)
{
    struct agent_response resp;
    struct buf url, body;
    char desc[141];
    size_t n;
    struct jw w;
    enum err e;

    if (!gh->token || !*gh->token || !repo_ok(gh->repository) || !sha_ok(sha)) {
        err_set(eb, "a GitHub commit status needs GITHUB_TOKEN, "
                    "GITHUB_REPOSITORY (owner/name) and the commit's sha");
        return ERR_INVALID;
    }
    /* GitHub refuses a description past 140 characters: cut at a UTF-8
     * boundary */
    n = strlen(description);
    if (n > 140) {
        n = 140;
        while (n > 0 && ((unsigned char)description[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(desc, description, n);
    desc[n] = '\0';
    agent_response_init(&resp);
    buf_init(&url, 0);
    buf_init(&body, 0);
    agent_url_base(&url, gh->api_url && *gh->api_url
                             ? gh->api_url
                             : "https://api.github.com");
    (void)buf_printf(&url, "/repos/%s/statuses/%s", gh->repository, sha);
    jw_init(&w, &body);
    jw_obj_begin(&w);
    jw_kstr(&w, "state", state);
    jw_kstr(&w, "description", desc);
    jw_kstr(&w, "context", "benchvault");
    if (target_url)
        jw_kstr(&w, "target_url", target_url);
    jw_obj_end(&w);
    e = gh_call(gh, "POST", buf_str(&url), buf_str(&body), &resp, eb);
    agent_response_cleanup(&resp);
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
