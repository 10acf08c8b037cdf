/*
 * The charts' data: what each chart of the pages shows, gathered from the
 * store and analysis/ and handed to its render/ writer.  The server's chart
 * routes (server/route_charts.c: query, caching, answer) and the static
 * report (cli/cmd_report.c: files) both call these, so a chart in the
 * report is the one the server draws.
 * Design notes:
 *  1. A trend's change points are the series API's (svc_series_change_
 *     points); one whose segment is worse than the one before is marked
 *     as an alert.
 *  2. compare.png shows every row of the comparison (svc_compare_create,
 *     the API's engine) with the widest row threshold as its band, so no
 *     row hides in it; without a height it is as tall as its rows need
 *     (chart_comparison_height).
 *  3. distribution.png shows one row of a comparison: its sides resolve
 *     and its samples pool as the comparison's do (svc_compare_samples),
 *     so the picture matches the verdict beside it.
 *  4. svc_chart_key serialises everything the picture depends on (the
 *     program's version, RENDER_REVISION, the options, labels and every
 *     value): the server's ETag and chart cache hash it, so only a
 *     changed chart is drawn again.
 */
#include "service/service_int.h"

#include "render/render.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void svc_chart_size(enum svc_chart_kind kind, unsigned *width, unsigned *height)
{
    *width = 900;
    *height = 400;
    if (kind == SVC_CHART_SPARKLINE) {
        *width = 120;
        *height = 24;
    } else if (kind == SVC_CHART_DISTRIBUTION) {
        *width = PAGE_DIST_WIDTH;
        *height = PAGE_DIST_HEIGHT;
    }
}

void svc_chart_cleanup(struct svc_chart *c)
{
    if (!c)
        return;
    series_cleanup(&c->series);
    free(c->changes);
    if (c->has_run)
        run_cleanup(&c->run);
    for (size_t i = 0; i < c->nrows; i++)
        free(c->names[i]);
    free(c->names);
    free(c->rows);
    svc_scaling_cleanup(&c->scaling);
    svc_row_samples_cleanup(&c->samples);
    memset(c, 0, sizeof *c);
}

static void chart_start(struct svc_chart *c, enum svc_chart_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->coef = NAN;
}

/* ---- trend and sparkline: one series ------------------------------------ */

enum err svc_chart_trend(struct store *st, int64_t project_id,
                         const struct store_series_query *q, bool changes,
                         struct svc_chart *out, struct errbuf *eb)
{
    enum err e;

    chart_start(out, SVC_CHART_TREND);
    e = store_series_get(st, project_id, q, &out->series, eb);
    if (!e && changes) { /* note 1 */
        struct an_cp *cps = NULL;
        size_t ncps = 0;

        svc_series_change_points(st, project_id, &out->series, &cps, &ncps);
        out->changes = xcalloc(ncps ? ncps : 1, sizeof *out->changes);
        out->nchanges = ncps;
        for (size_t i = 0; i < ncps; i++) {
            out->changes[i].index = cps[i].index;
            out->changes[i].alert = direction_worse(
                out->series.direction, cps[i].before_mean, cps[i].after_mean);
        }
        free(cps);
    }
    return e;
}

enum err svc_chart_sparkline(struct store *st, int64_t project_id,
                             const struct store_series_query *q, size_t last,
                             struct svc_chart *out, struct errbuf *eb)
{
    struct series *s = &out->series;
    enum err e = svc_chart_trend(st, project_id, q, false, out, eb);

    out->kind = SVC_CHART_SPARKLINE;
    if (e)
        return e;
    assert(last >= 1);
    if (s->npoints > last) { /* only the newest points */
        size_t drop = s->npoints - last;

        for (size_t i = 0; i < drop; i++)
            free(s->points[i].commit_sha);
        memmove(s->points, s->points + drop, last * sizeof *s->points);
        s->npoints = last;
    }
    return ERR_OK;
}

/* ---- resources: one run's samples --------------------------------------- */

enum err svc_chart_resources(struct store *st, int64_t project_id,
                             int64_t run_id, struct svc_chart *out,
                             struct errbuf *eb)
{
    enum err e;

    chart_start(out, SVC_CHART_RESOURCES);
    run_init(&out->run);
    out->has_run = true;
    e = store_run_get(st, project_id, run_id, &out->run, eb);
    if (!e)
        snprintf(out->title, sizeof out->title,
                 "run %lld \xc2\xb7 %s \xc2\xb7 resources", (long long)run_id,
                 out->run.branch ? out->run.branch : "?");
    return e;
}

/* ---- compare: every row of a comparison (note 2) ------------------------ */

/* A bare run id ("12", "12,13") reads better as "run 12". */
static bool ref_is_run(const char *ref)
{
    return ref[strspn(ref, "0123456789,")] == '\0';
}

enum err svc_chart_compare(struct store *st, const struct svc_compare_query *q,
                           struct svc_chart *out, struct errbuf *eb)
{
    struct svc_compare *cmp = NULL;
    enum err e;

    chart_start(out, SVC_CHART_COMPARE);
    e = svc_compare_create(st, q, &cmp, eb);
    if (e)
        return e;
    out->nrows = svc_compare_nrows(cmp);
    out->rows = xcalloc(out->nrows ? out->nrows : 1, sizeof *out->rows);
    out->names = xcalloc(out->nrows ? out->nrows : 1, sizeof *out->names);
    snprintf(out->title, sizeof out->title, "%s%s vs %s%s",
             ref_is_run(q->head) ? "run " : "", q->head,
             q->base && ref_is_run(q->base) ? "run " : "",
             q->base ? q->base : "its base");
    for (size_t i = 0; i < out->nrows; i++) {
        struct chart_cmp_row *r = &out->rows[i];
        const char *key, *measure;
        double ci[2], th;
        int v;

        svc_compare_row(cmp, i, &key, &measure, &r->change, ci, &v, &th);
        /* The measure only when it is not the usual one: keys stay short. */
        out->names[i] = measure && strcmp(measure, "latency")
                            ? xasprintf("%s (%s)", key ? key : "?", measure)
                            : xstrdup(key ? key : "?");
        r->key = out->names[i];
        r->ci_lo = ci[0];
        r->ci_hi = ci[1];
        r->verdict = v == AN_REGRESSED      ? CHART_REGRESSED
                     : v == AN_IMPROVED     ? CHART_IMPROVED
                     : v == AN_INCONCLUSIVE ? CHART_INCONCLUSIVE
                                            : CHART_UNCHANGED;
        if (i == 0 || th > out->threshold)
            out->threshold = th; /* the widest band: no row hides in it */
    }
    if (!isfinite(out->threshold))
        out->threshold = 0;
    svc_compare_free(cmp);
    return ERR_OK;
}

void svc_chart_fit_height(const struct svc_chart *c, struct chart_opts *o)
{
    double max =
        SVC_CHART_MAX_PIXELS / ((double)o->width * o->scale * o->scale);

    if (c->kind != SVC_CHART_COMPARE)
        return;
    o->height = chart_comparison_height(c->rows, c->nrows);
    if (o->height > max)
        o->height = (unsigned)max;
}

/* ---- scaling: a benchmark family against its one numeric parameter ------ */

enum err svc_chart_scaling(struct store *st, int64_t project_id,
                           const char *family, const char *param,
                           const char *measure, struct svc_chart *out,
                           struct errbuf *eb)
{
    struct svc_scaling *sc = &out->scaling;
    struct an_scaling fit;
    struct errbuf fit_eb;
    enum err e;

    chart_start(out, SVC_CHART_SCALING);
    e = svc_scaling_load(st, project_id, family, param, measure, sc, eb);
    if (e)
        return e;
    if (sc->count == 0) {
        err_set(eb, "no benchmark of that family with one numeric parameter "
                    "and this measure");
        return ERR_NOT_FOUND;
    }
    err_init(&fit_eb);
    if (an_scaling_fit(sc->n, sc->t, sc->count, &fit, &fit_eb) == ERR_OK) {
        out->cls = an_complexity_str(fit.best);
        out->coef = fit.coefficient[fit.best];
    }
    err_cleanup(&fit_eb);
    snprintf(out->title, sizeof out->title, "%s \xc2\xb7 %s", family,
             measure ? measure : "latency");
    return ERR_OK;
}

/* ---- distribution: one row of a comparison (note 3) --------------------- */

enum err svc_chart_distribution(struct store *st,
                                const struct svc_compare_query *q,
                                const char *key, const char *measure,
                                struct svc_chart *out, struct errbuf *eb)
{
    struct svc_row_samples *s = &out->samples;
    enum err e;

    chart_start(out, SVC_CHART_DISTRIBUTION);
    e = svc_compare_samples(st, q, key, measure, s, eb);
    if (e)
        return e;
    snprintf(out->title, sizeof out->title,
             "%s \xc2\xb7 %s \xc2\xb7 run%s %s vs run%s %s", key, s->measure,
             strchr(s->head_runs, ',') ? "s" : "", s->head_runs,
             strchr(s->base_runs, ',') ? "s" : "", s->base_runs);
    return ERR_OK;
}

/* ---- the key of a picture (note 4) and drawing -------------------------- */

static void key_head(struct buf *b, const char *kind,
                     const struct chart_opts *o)
{
    (void)buf_printf(b, "%s|%s|r%d|%u|%u|%g|%d|", kind, BV_VERSION,
                     RENDER_REVISION, o->width, o->height, o->scale, o->format);
}

static void key_series(const struct svc_chart *c, const char *kind,
                       const struct chart_opts *o, struct buf *b)
{
    const struct series *s = &c->series;

    key_head(b, kind, o);
    (void)buf_printf(
        b, "%s|%s|%s|%s|%s|%zu|", s->benchmark_key ? s->benchmark_key : "",
        s->measure ? s->measure : "", s->unit ? s->unit : "",
        s->branch ? s->branch : "", s->testbed ? s->testbed : "", s->npoints);
    for (size_t i = 0; i < s->npoints; i++) {
        const struct series_point *p = &s->points[i];

        (void)buf_add(b, &p->run_id, sizeof p->run_id);
        (void)buf_add(b, &p->time, sizeof p->time);
        (void)buf_add(b, &p->value, sizeof p->value);
        (void)buf_add(b, &p->lower, sizeof p->lower);
        (void)buf_add(b, &p->upper, sizeof p->upper);
    }
    for (size_t i = 0; i < c->nchanges; i++) /* settings can move them */
        (void)buf_printf(b, "|cp%zu%c", c->changes[i].index,
                         c->changes[i].alert ? 'a' : 'c');
}

void svc_chart_key(const struct svc_chart *c, const struct chart_opts *o,
                   struct buf *b)
{
    switch (c->kind) {
    case SVC_CHART_TREND:
        key_series(c, "trend", o, b);
        break;
    case SVC_CHART_SPARKLINE:
        key_series(c, "sparkline", o, b);
        break;
    case SVC_CHART_RESOURCES:
        key_head(b, "resources", o);
        (void)buf_printf(b, "%s|%zu|", c->title, c->run.nresources);
        (void)buf_add(b, c->run.resources,
                      c->run.nresources * sizeof *c->run.resources);
        break;
    case SVC_CHART_COMPARE:
        key_head(b, "compare", o);
        (void)buf_printf(b, "%s|%zu|", c->title, c->nrows);
        (void)buf_add(b, &c->threshold, sizeof c->threshold);
        for (size_t i = 0; i < c->nrows; i++) {
            const struct chart_cmp_row *r = &c->rows[i];

            (void)buf_printf(b, "%s|%d|", r->key, (int)r->verdict);
            (void)buf_add(b, &r->change, sizeof r->change);
            (void)buf_add(b, &r->ci_lo, sizeof r->ci_lo);
            (void)buf_add(b, &r->ci_hi, sizeof r->ci_hi);
        }
        break;
    case SVC_CHART_SCALING: {
        const struct svc_scaling *sc = &c->scaling;

        key_head(b, "scaling", o);
        (void)buf_printf(b, "%s|%s|%s|%zu|", c->title, sc->unit ? sc->unit : "",
                         c->cls ? c->cls : "", sc->count);
        (void)buf_add(b, sc->n, sc->count * sizeof *sc->n);
        (void)buf_add(b, sc->t, sc->count * sizeof *sc->t);
        (void)buf_add(b, &c->coef, sizeof c->coef);
        break;
    }
    case SVC_CHART_DISTRIBUTION: {
        const struct svc_row_samples *s = &c->samples;

        key_head(b, "distribution", o);
        (void)buf_printf(b, "%s|%s|%zu|", c->title, s->unit ? s->unit : "",
                         s->nbase);
        (void)buf_add(b, s->base, s->nbase * sizeof *s->base);
        (void)buf_printf(b, "|%zu|", s->nhead);
        (void)buf_add(b, s->head, s->nhead * sizeof *s->head);
        break;
    }
    }
}

enum err svc_chart_draw(const struct svc_chart *c, const struct chart_opts *o,
                        struct buf *out, struct errbuf *eb)
{
    switch (c->kind) {
    case SVC_CHART_TREND:
        return chart_trend_draw(o, &c->series, c->changes, c->nchanges, out,
                                eb);
    case SVC_CHART_SPARKLINE: {
        const struct series *s = &c->series;
        double *v = xcalloc(s->npoints ? s->npoints : 1, sizeof *v);
        enum err e;

        for (size_t i = 0; i < s->npoints; i++)
            v[i] = s->points[i].value;
        e = chart_sparkline_draw(o, v, s->npoints, out, eb);
        free(v);
        return e;
    }
    case SVC_CHART_RESOURCES:
        return chart_resources_draw(o, c->title, c->run.resources,
                                    c->run.nresources, out, eb);
    case SVC_CHART_COMPARE:
        return chart_comparison_draw(o, c->title, c->rows, c->nrows,
                                     c->threshold, out, eb);
    case SVC_CHART_SCALING:
        return chart_scaling_draw(o, c->title, c->scaling.unit, c->scaling.n,
                                  c->scaling.t, c->scaling.count, c->cls,
                                  c->coef, out, eb);
    case SVC_CHART_DISTRIBUTION:
        return chart_distribution_draw(
            o, c->title, c->samples.unit, c->samples.base, c->samples.nbase,
            c->samples.head, c->samples.nhead, out, eb);
    }
    err_set(eb, "unknown chart kind %d", (int)c->kind);
    return ERR_INTERNAL;
}
