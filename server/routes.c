/*
 * The route table.  Patterns are matched segment by segment; "{}" takes one
 * non-empty segment (already percent-decoded by libmicrohttpd), "{+}" at
 * the end takes the rest of the path, slashes included (a branch name).
 * HEAD is served by the GET route (the body is not sent).
 */
#include "server/page_int.h"
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>

static const struct route routes[] = {
    {"GET", "/", route_page_projects, ACCESS_READ, "index"},
    {"GET", "/static/style.css", route_page_style, ACCESS_PUBLIC, "style"},
    {"GET", "/static/tooltips.js", route_page_script, ACCESS_PUBLIC, "script"},
    {"GET", "/p/{}", route_page_dashboard, ACCESS_READ, "page_dashboard"},
    {"GET", "/p/{}/benchmarks/{}", route_page_benchmark, ACCESS_READ,
     "page_benchmark"},
    {"GET", "/p/{}/runs", route_page_runs, ACCESS_READ, "page_runs"},
    {"GET", "/p/{}/runs/{}", route_page_run, ACCESS_READ, "page_run"},
    {"GET", "/p/{}/alerts", route_page_alerts, ACCESS_READ, "page_alerts"},
    {"GET", "/p/{}/compare", route_page_compare, ACCESS_READ, "page_compare"},
    {"GET", "/p/{}/regressions", route_page_regressions, ACCESS_READ,
     "page_regressions"},
    {"GET", "/p/{}/regressions.atom", route_page_regressions_atom, ACCESS_READ,
     "page_regressions_atom"},
    /* The form routes check the write token themselves (a cookie). */
    {"POST", "/p/{}/alerts/login", route_page_login, ACCESS_PUBLIC,
     "page_login"},
    {"POST", "/p/{}/alerts/{}", route_page_alert_action, ACCESS_PUBLIC,
     "page_alert_action"},
    /* Sign-in for browsers (route_page_triage.c): forms, CSRF checked. */
    {"GET", "/signin", route_page_signin_get, ACCESS_PUBLIC, "page_signin"},
    {"POST", "/signin", route_page_signin, ACCESS_PUBLIC, "page_signin_post"},
    {"POST", "/signout", route_page_signout, ACCESS_PUBLIC, "page_signout"},
    {"GET", "/api/health", route_health, ACCESS_PUBLIC, "health"},
    /* READ: under --private a token; the handler also wants one valid for
     * every project (its figures cover them all). */
    {"GET", "/metrics", route_metrics, ACCESS_READ, "metrics"},
    {"GET", "/api/v1/projects", route_projects, ACCESS_READ, "projects"},
    {"PATCH", "/api/v1/projects/{}", route_project_patch, ACCESS_WRITE,
     "project_patch"},
    {"GET", "/api/v1/projects/{}/benchmarks", route_benchmarks, ACCESS_READ,
     "benchmarks"},
    {"GET", "/api/v1/projects/{}/measures", route_measures, ACCESS_READ,
     "measures"},
    {"GET", "/api/v1/projects/{}/branches", route_branches, ACCESS_READ,
     "branches"},
    {"GET", "/api/v1/projects/{}/testbeds", route_testbeds, ACCESS_READ,
     "testbeds"},
    {"GET", "/api/v1/projects/{}/runs", route_runs_list, ACCESS_READ, "runs"},
    {"POST", "/api/v1/projects/{}/runs", route_ingest, ACCESS_WRITE, "ingest"},
    {"GET", "/api/v1/projects/{}/runs/{}", route_run_get, ACCESS_READ, "run"},
    {"GET", "/api/v1/projects/{}/runs/{}/budgets", route_run_budgets,
     ACCESS_READ, "run_budgets"},
    {"GET", "/api/v1/projects/{}/compare", route_compare, ACCESS_READ,
     "compare"},
    {"GET", "/api/v1/projects/{}/budgets", route_budgets_get, ACCESS_READ,
     "budgets"},
    {"PUT", "/api/v1/projects/{}/budgets", route_budgets_put, ACCESS_WRITE,
     "budgets_put"},
    {"GET", "/p/{}/charts/trend.png", route_chart_trend, ACCESS_READ,
     "chart_trend"},
    {"GET", "/p/{}/charts/trend.json", route_chart_trend_points, ACCESS_READ,
     "chart_trend_points"},
    {"GET", "/p/{}/charts/sparkline.png", route_chart_sparkline, ACCESS_READ,
     "chart_sparkline"},
    {"GET", "/p/{}/charts/compare.png", route_chart_compare, ACCESS_READ,
     "chart_compare"},
    {"GET", "/p/{}/charts/distribution.png", route_chart_distribution,
     ACCESS_READ, "chart_distribution"},
    {"GET", "/p/{}/charts/distribution.svg", route_chart_distribution_svg,
     ACCESS_READ, "chart_distribution_svg"},
    {"GET", "/p/{}/charts/resources.png", route_chart_resources, ACCESS_READ,
     "chart_resources"},
    {"GET", "/p/{}/charts/scaling.png", route_chart_scaling, ACCESS_READ,
     "chart_scaling"},
    {"GET", "/api/v1/projects/{}/series", route_series, ACCESS_READ, "series"},
    {"GET", "/api/v1/projects/{}/alerts", route_alerts_list, ACCESS_READ,
     "alerts"},
    {"GET", "/api/v1/projects/{}/regressions", route_regressions, ACCESS_READ,
     "regressions"},
    {"PATCH", "/api/v1/alerts/{}", route_alert_patch, ACCESS_WRITE,
     "alert_patch"},
    /* Operations (route_ops.c, route_tokens.c; issue 16). */
    {"GET", "/api/v1/openapi.json", route_openapi, ACCESS_PUBLIC, "openapi"},
    {"DELETE", "/api/v1/projects/{}", route_project_delete, ACCESS_ADMIN,
     "project_delete"},
    {"DELETE", "/api/v1/projects/{}/runs/{}", route_run_delete, ACCESS_WRITE,
     "run_delete"},
    {"DELETE", "/api/v1/projects/{}/benchmarks/{}", route_benchmark_delete,
     ACCESS_WRITE, "benchmark_delete"},
    {"DELETE", "/api/v1/projects/{}/branches/{+}", route_branch_delete,
     ACCESS_WRITE, "branch_delete"},
    {"GET", "/api/v1/projects/{}/deletions", route_deletions, ACCESS_READ,
     "deletions"},
    {"GET", "/api/v1/projects/{}/retention", route_retention_get, ACCESS_READ,
     "retention"},
    {"PUT", "/api/v1/projects/{}/retention", route_retention_put, ACCESS_WRITE,
     "retention_put"},
    {"GET", "/api/v1/tokens", route_tokens_list, ACCESS_ADMIN, "tokens"},
    {"POST", "/api/v1/tokens", route_token_create, ACCESS_ADMIN,
     "token_create"},
    {"DELETE", "/api/v1/tokens/{}", route_token_revoke, ACCESS_ADMIN,
     "token_revoke"},
    {"GET", "/api/v1/projects/{}/webhooks", route_webhooks_list, ACCESS_ADMIN,
     "webhooks"},
    {"POST", "/api/v1/projects/{}/webhooks", route_webhook_add, ACCESS_ADMIN,
     "webhook_add"},
    {"DELETE", "/api/v1/projects/{}/webhooks/{}", route_webhook_delete,
     ACCESS_ADMIN, "webhook_delete"},
};

/* What each body route takes (server.c checks it on the first call, before
 * any body byte is kept).  The form routes are public: their small limit is
 * what a client without a token can make us keep. */
static const struct {
    const char *name;
    unsigned kinds;
    size_t max; /* 0: limits.max_body */
} bodies[] = {
    {"ingest", BODY_JSON | BODY_TEXT | BODY_MULTIPART, 0},
    {"budgets_put", BODY_JSON, 1u << 20},
    {"alert_patch", BODY_JSON, 64u << 10},
    {"retention_put", BODY_JSON, 64u << 10},
    {"token_create", BODY_JSON, 64u << 10},
    {"webhook_add", BODY_JSON, 16u << 10},

    {"project_patch", BODY_JSON, 64u << 10},
    {"page_login", BODY_FORM, SRV_FORM_BODY_MAX},
    {"page_alert_action", BODY_FORM, SRV_FORM_BODY_MAX},
};

void routes_body(const struct route *r, unsigned *kinds, size_t *max)
{
    *kinds = 0;
    *max = 0;
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        if (strcmp(bodies[i].name, r->name) == 0) {
            *kinds = bodies[i].kinds;
            *max = bodies[i].max;
            return;
        }
    }
}

const struct route *routes_table(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

/* Matches path against pattern; fills params (owned) on success. */
static bool match(const char *pattern, const char *path, char **params)
{
    int np = 0;

    while (*pattern && *path) {
        if (!strcmp(pattern, "{+}")) {
            size_t len = strlen(path);

            while (len && path[len - 1] == '/')
                len--;
            if (len == 0 || np >= ROUTE_MAX_PARAMS)
                goto fail;
            params[np++] = xstrndup(path, len);
            return true;
        }
        if (pattern[0] == '{' && pattern[1] == '}') {
            size_t len = strcspn(path, "/");

            if (len == 0 || np >= ROUTE_MAX_PARAMS)
                goto fail;
            params[np++] = xstrndup(path, len);
            pattern += 2;
            path += len;
            continue;
        }
        if (*pattern != *path)
            goto fail;
        pattern++;
        path++;
    }
    /* A trailing slash is tolerated: /api/v1/projects/ */
    if (*path == '/' && path[1] == '\0')
        path++;
    if (!*pattern && !*path)
        return true;
fail:
    for (int i = 0; i < np; i++) {
        free(params[i]);
        params[i] = NULL;
    }
    return false;
}

/* Adds method (and HEAD after GET) to the comma-separated list. */
static void allow_add(struct buf *allow, const char *method)
{
    const char *p = buf_str(allow);
    size_t n = strlen(method);

    for (;;) {
        const char *q = strstr(p, method);

        if (!q)
            break;
        if ((q == buf_str(allow) || q[-1] == ' ') &&
            (q[n] == '\0' || q[n] == ','))
            return;
        p = q + n;
    }
    /* A method list of a route table: far below any limit. */
    if (allow->len)
        (void)buf_adds(allow, ", ");
    (void)buf_adds(allow, method);
    if (strcmp(method, "GET") == 0)
        allow_add(allow, "HEAD");
}

int routes_match(const struct route *table, size_t n, const char *method,
                 const char *path, char **params, struct buf *allow)
{
    struct buf others;
    int found = -1;

    buf_init(&others, 256);
    for (size_t i = 0; i < n && found < 0; i++) {
        char *tmp[ROUTE_MAX_PARAMS] = {NULL};

        if (!match(table[i].pattern, path, tmp))
            continue;
        if (strcmp(table[i].method, method) == 0) {
            memcpy(params, tmp, sizeof tmp);
            found = (int)i;
            break;
        }
        allow_add(&others, table[i].method);
        for (int k = 0; k < ROUTE_MAX_PARAMS; k++)
            free(tmp[k]);
    }
    if (found < 0 && allow && others.len)
        (void)buf_adds(allow, buf_str(&others));
    buf_cleanup(&others);
    return found;
}
