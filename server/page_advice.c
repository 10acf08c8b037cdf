/*
 * What pages show of a comparison and of alerts: the verdict, the changed
 * rows, budgets and recommendations.  Design notes:
 *  1. One comparison block serves the compare page (every row) and the run
 *     page (the run against its base, changed rows only, with a link to
 *     the full comparison).  Chart and link name the runs by id, so they
 *     show the same runs later, when the branch has moved on.
 *  2. Recommendations are worded by analysis/recommend.c; a page only adds
 *     the link to where the evidence is (the benchmark's history).
 *  3. An alert's advice is for open and acknowledged alerts: dismissed and
 *     resolved ones need no action.
 *  4. In static mode (page_int.h) there is no compare page to link to; the
 *     chart is a file the report saves like any other image.
 *  5. Under the rows, the samples of the changed rows (regressed or
 *     improved; the DIST_MAX largest changes, in the comparison chart's
 *     order): a verdict is easier to trust when the two clouds of points
 *     are in view.  The images name the runs by id, as the chart does.
 *  6. The comparison's recommendations include what the head run's
 *     resource samples say; the run page shows those beside its resources
 *     chart instead, so they are left out of its comparison block.
 */
#include "server/page_int.h"

#include "analysis/analysis.h"
#include "render/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIDE_IDS_MAX 50
#define DIST_MAX 6

static void pct(struct buf *b, double v)
{
    if (isnan(v))
        buf_adds(b, "–");
    else
        buf_printf(b, "%+.1f%%", v * 100);
}

static void plural(struct buf *b, size_t n, const char *one, const char *many)
{
    buf_printf(b, "%zu %s", n, n == 1 ? one : many);
}

/* "12,13": a side's run ids as a reference (note 1). */
static void side_ids(struct buf *b, const struct svc_compare *c, int head)
{
    int64_t ids[SIDE_IDS_MAX];
    const char *ref, *how;
    size_t n = svc_compare_side(c, head, &ref, &how, ids, SIDE_IDS_MAX);

    for (size_t i = 0; i < n && i < SIDE_IDS_MAX; i++)
        buf_printf(b, "%s%lld", i ? "," : "", (long long)ids[i]);
}

/* "Base: branch:main, run 3: the run of main before the head". */
static void side_line(struct buf *b, const char *slug,
                      const struct svc_compare *c, int head)
{
    int64_t ids[SIDE_IDS_MAX];
    const char *ref, *how;
    size_t n = svc_compare_side(c, head, &ref, &how, ids, SIDE_IDS_MAX);

    buf_adds(b, head ? "<li>Head: " : "<li>Base: ");
    /* a reference that is just the ids says nothing more */
    if (ref && strspn(ref, "0123456789,") != strlen(ref)) {
        page_esc_text(b, ref);
        buf_adds(b, ", ");
    }
    buf_adds(b, n == 1 ? "run " : "runs ");
    for (size_t i = 0; i < n && i < SIDE_IDS_MAX; i++) {
        char sfx[48];
        char text[24];

        snprintf(sfx, sizeof sfx, "/runs/%lld", (long long)ids[i]);
        snprintf(text, sizeof text, "%lld", (long long)ids[i]);
        if (i)
            buf_adds(b, ", ");
        srv_page_link(b, slug, sfx, text);
    }
    if (how) {
        buf_adds(b, ": ");
        page_esc_text(b, how);
    }
    buf_adds(b, "</li>\n");
}

/* Rows with one value per run: listed with their change, not judged. */
static void single_rows(struct buf *b, const struct svc_compare *c)
{
    size_t n = svc_compare_nsingle(c);

    if (!n)
        return;
    buf_printf(b, "<details><summary>%zu not compared: one value per run "
                  "(judged by budgets and trends)</summary>\n<ul>\n", n);
    for (size_t i = 0; i < n; i++) {
        const char *key, *measure;
        double change;

        svc_compare_single(c, i, &key, &measure, &change);
        buf_adds(b, "<li>");
        page_esc_text(b, key);
        buf_adds(b, " ");
        page_esc_text(b, measure);
        buf_adds(b, ": ");
        pct(b, change);
        buf_adds(b, "</li>\n");
    }
    buf_adds(b, "</ul>\n</details>\n");
}

static void rows_table(struct buf *b, const struct svc_compare *c,
                       bool all_rows)
{
    size_t shown = 0;

    for (size_t i = 0; i < svc_compare_nrows(c); i++) {
        const char *key, *measure, *unit;
        double change, ci[2], thr, base, head, q;
        int verdict;

        svc_compare_row(c, i, &key, &measure, &change, ci, &verdict, &thr);
        svc_compare_row_values(c, i, &base, &head, &unit, &q);
        if (!all_rows && verdict != AN_REGRESSED && verdict != AN_IMPROVED)
            continue;
        if (!shown++)
            buf_adds(b, "<table>\n<thead><tr><th>Benchmark</th><th>Measure"
                        "</th><th class=\"num\">Base</th><th class=\"num\">"
                        "Head</th><th class=\"num\">Change</th><th "
                        "class=\"num\">95% CI</th><th class=\"num\">q</th>"
                        "<th class=\"num\">Threshold</th><th>Verdict</th>"
                        "<th>Why</th></tr></thead>\n<tbody>\n");
        buf_adds(b, "<tr><td>");
        page_esc_text(b, key);
        buf_adds(b, "</td><td>");
        page_esc_text(b, measure);
        buf_adds(b, "</td><td class=\"num\">");
        srv_page_value(b, base, unit);
        buf_adds(b, "</td><td class=\"num\">");
        srv_page_value(b, head, unit);
        buf_adds(b, "</td><td class=\"num\">");
        pct(b, change);
        buf_adds(b, "</td><td class=\"num\">");
        if (isnan(ci[0]) || isnan(ci[1])) {
            buf_adds(b, "–");
        } else {
            pct(b, ci[0]);
            buf_adds(b, " … ");
            pct(b, ci[1]);
        }
        buf_adds(b, "</td><td class=\"num\">");
        if (isnan(q))
            buf_adds(b, "–");
        else
            buf_printf(b, "%.2g", q);
        buf_adds(b, "</td><td class=\"num\">");
        if (isnan(thr))
            buf_adds(b, "–");
        else
            buf_printf(b, "%.1f%%", thr * 100);
        buf_adds(b, verdict == AN_REGRESSED  ? "</td><td class=\"bad\">"
                    : verdict == AN_IMPROVED ? "</td><td class=\"good\">"
                                             : "</td><td>");
        page_esc_text(b, an_verdict_str((enum an_verdict)verdict));
        buf_adds(b, "</td><td class=\"muted small\">");
        if (verdict != AN_UNCHANGED)
            page_esc_text(b, svc_compare_row_reason(c, i));
        buf_adds(b, "</td></tr>\n");
    }
    if (shown)
        buf_adds(b, "</tbody>\n</table>\n");
    else if (svc_compare_nrows(c) == 0)
        buf_printf(b, "<p class=\"bad\">Nothing was comparable: base and "
                      "head share no benchmark and measure with samples to "
                      "compare (%zu series only in the base, %zu only in the "
                      "head, %zu with one value per run).</p>\n",
                   svc_compare_nonly(c, 0), svc_compare_nonly(c, 1),
                   svc_compare_nsingle(c));
    else if (!all_rows)
        buf_adds(b, "<p class=\"muted\">No benchmark changed beyond its "
                    "threshold and noise.</p>\n");
    single_rows(b, c);
}

/* The changed rows, largest |change| first, at most DIST_MAX (note 5). */
static size_t changed_rows(const struct svc_compare *c, size_t idx[DIST_MAX])
{
    double size[DIST_MAX];
    size_t n = 0;

    for (size_t i = 0; i < svc_compare_nrows(c); i++) {
        const char *key, *measure;
        double change, ci[2], thr, a;
        int verdict;
        size_t k;

        svc_compare_row(c, i, &key, &measure, &change, ci, &verdict, &thr);
        if (!key || !measure ||
            (verdict != AN_REGRESSED && verdict != AN_IMPROVED))
            continue;
        a = isfinite(change) ? fabs(change) : 0;
        if (n == DIST_MAX && a <= size[DIST_MAX - 1])
            continue;
        k = n < DIST_MAX ? n++ : DIST_MAX - 1;
        for (; k > 0 && size[k - 1] < a; k--) {
            idx[k] = idx[k - 1];
            size[k] = size[k - 1];
        }
        idx[k] = i;
        size[k] = a;
    }
    return n;
}

/* The changed rows' samples (note 5); sides is "base=IDS&head=IDS". */
static void distributions(struct buf *b, const char *slug,
                          const struct svc_compare *c, const char *sides)
{
    size_t idx[DIST_MAX], n = changed_rows(c, idx);
    struct buf q;

    if (n == 0)
        return;
    buf_adds(b, "<h3>Samples of the changed rows</h3>\n<p>");
    buf_init(&q, 0);
    for (size_t i = 0; i < n; i++) {
        const char *key, *measure;
        double change, ci[2], thr;
        int verdict;

        svc_compare_row(c, idx[i], &key, &measure, &change, ci, &verdict,
                        &thr);
        buf_reset(&q);
        buf_adds(&q, sides);
        buf_adds(&q, "&benchmark=");
        page_esc_query(&q, key);
        buf_adds(&q, "&measure=");
        page_esc_query(&q, measure);
        /* its size, so the page keeps its place while images load */
        buf_printf(b, "<img class=\"chart\" width=\"%d\" height=\"%d\" "
                      "alt=\"base and head samples of ",
                   SRV_DIST_WIDTH, SRV_DIST_HEIGHT);
        page_esc_attr(b, key);
        buf_adds(b, " (");
        page_esc_attr(b, measure);
        buf_adds(b, ")\" src=\"/p/");
        page_esc_segment(b, slug);
        buf_adds(b, "/charts/distribution.png?");
        page_esc_attr(b, buf_str(&q));
        buf_adds(b, "\">\n");
    }
    buf_adds(b, "</p>\n");
    buf_cleanup(&q);
}

/* Advice that rests on a run's resource samples (note 6). */
static bool is_resource_advice(int kind)
{
    return kind == AN_ADVICE_MEMORY || kind == AN_ADVICE_CPU ||
           kind == AN_ADVICE_IO || kind == AN_ADVICE_WAIT ||
           kind == AN_ADVICE_GPU;
}

void srv_page_comparison(struct buf *b, const char *slug,
                         const struct svc_compare *c, bool all_rows,
                         bool live, bool resources)
{
    size_t counts[4], nb = svc_compare_nbudgets(c), nr = svc_compare_nrecs(c);
    size_t shown = 0;
    struct buf q;

    svc_compare_summary(c, counts);
    buf_adds(b, "<p class=\"verdict\"><strong>");
    plural(b, counts[AN_REGRESSED], "regression", "regressions");
    buf_adds(b, ", ");
    plural(b, counts[AN_IMPROVED], "improvement", "improvements");
    buf_printf(b, ", %zu unchanged, %zu inconclusive</strong>",
               counts[AN_UNCHANGED], counts[AN_INCONCLUSIVE]);
    if (svc_compare_nsingle(c))
        buf_printf(b, " (%zu not compared: one value per run)",
                   svc_compare_nsingle(c));
    buf_adds(b, "</p>\n<ul>\n");
    side_line(b, slug, c, 0);
    side_line(b, slug, c, 1);
    buf_adds(b, "</ul>\n");
    buf_init(&q, 0);
    buf_adds(&q, "base=");
    side_ids(&q, c, 0);
    buf_adds(&q, "&head=");
    side_ids(&q, c, 1);
    if (svc_compare_nrows(c) > 0) {
        buf_adds(b, "<p><img class=\"chart\" alt=\"relative change per "
                    "benchmark with its 95% confidence interval\" src=\"/p/");
        page_esc_segment(b, slug);
        buf_adds(b, "/charts/compare.png?");
        page_esc_attr(b, buf_str(&q));
        buf_adds(b, "\"></p>\n");
    }
    rows_table(b, c, all_rows);
    if (!all_rows && live) {
        buf_adds(b, "<p><a href=\"/p/");
        page_esc_segment(b, slug);
        buf_adds(b, "/compare?");
        page_esc_attr(b, buf_str(&q));
        buf_printf(b, "\">Every row (%zu)</a></p>\n", svc_compare_nrows(c));
    }
    distributions(b, slug, c, buf_str(&q));
    buf_cleanup(&q);
    if (nb)
        buf_adds(b, "<h3>Budgets</h3>\n<ul>\n");
    for (size_t i = 0; i < nb; i++) {
        const char *status, *message;

        svc_compare_budget(c, i, &status, &message);
        buf_adds(b, strcmp(status, "fail") == 0 ? "<li class=\"bad\">"
                                                : "<li>");
        page_esc_text(b, status);
        buf_adds(b, ": ");
        page_esc_text(b, message);
        buf_adds(b, "</li>\n");
    }
    if (nb)
        buf_adds(b, "</ul>\n");
    for (size_t i = 0; i < nr; i++) {
        int kind;
        const char *text = svc_compare_rec(c, i, &kind);

        if (!resources && is_resource_advice(kind))
            continue;
        if (!shown++)
            buf_adds(b, "<h3>Recommendations</h3>\n<ul class=\"advice\">\n");
        buf_adds(b, "<li>");
        page_esc_text(b, text);
        buf_adds(b, "</li>\n");
    }
    if (shown)
        buf_adds(b, "</ul>\n");
}

/* The benchmark page of an alert's series (note 2). */
static void alert_series_link(struct buf *b, const char *slug,
                              const struct store_alert *a)
{
    buf_adds(b, " <a href=\"/p/");
    page_esc_segment(b, slug);
    buf_printf(b, "/benchmarks/%lld?branch=", (long long)a->benchmark_id);
    page_esc_query(b, a->branch);
    buf_adds(b, "&amp;testbed=");
    page_esc_query(b, a->testbed);
    buf_adds(b, "\">history</a>");
}

void srv_page_alert_advice(struct buf *b, const char *slug,
                           const struct store_alert *a, size_t n)
{
    size_t shown = 0;

    for (size_t i = 0; i < n; i++) {
        struct an_regression_facts f;
        struct an_advice adv;
        char *series;

        if (strcmp(a[i].status, "open") && strcmp(a[i].status, "acknowledged"))
            continue;
        if (!shown++)
            buf_adds(b, "<h2>Recommendations</h2>\n<ul class=\"advice\">\n");
        series = xasprintf("%s %s on %s (%s)", a[i].benchmark, a[i].measure,
                           a[i].branch, a[i].testbed);
        f = (struct an_regression_facts){
            .series = series,
            .change = a[i].change,
            .change_ci = {NAN, NAN},
            .p_value = a[i].p_value,
            .p_name = "p",
            .threshold = NAN,
            .before = a[i].before,
            .after = a[i].after,
            .unit = a[i].unit,
            .last_good = a[i].last_good_commit,
            .first_bad = a[i].first_bad_commit,
        };
        an_advise_regression(&f, &adv);
        buf_printf(b, "<li>Alert %lld: ", (long long)a[i].id);
        page_esc_text(b, adv.text);
        alert_series_link(b, slug, &a[i]);
        buf_adds(b, "</li>\n");
        free(series);
    }
    if (shown)
        buf_adds(b, "</ul>\n");
}

/* ---- the benchmark page: noise and scaling -------------------------------
 */

#define NOISE_RUNS 20
#define SCALING_MIN_MEMBERS 3

void srv_page_series_noise(struct buf *b, const struct series *s)
{
    size_t from = s->npoints > NOISE_RUNS ? s->npoints - NOISE_RUNS : 0, m = 0;
    double v[NOISE_RUNS];
    struct an_noise noise;
    struct an_advice adv;
    char *series;

    for (size_t i = from; i < s->npoints; i++)
        if (isfinite(s->points[i].value))
            v[m++] = s->points[i].value;
    an_noise_estimate(v, m, &noise);
    if (!isfinite(noise.noise))
        return;
    buf_printf(b, "<p>Run-to-run noise: %.1f%% (1.4826 \xc3\x97 MAD of the "
                  "last %zu runs over their median).</p>\n",
               100 * noise.noise, noise.runs);
    series = xasprintf("%s %s", s->benchmark_key, s->measure);
    if (noise.runs >= AN_MIN_HISTORY_DEFAULT &&
        an_advise_noise(series, NAN, 0, &noise, AN_NOISE_LEVEL_DEFAULT,
                        AN_THRESHOLD_DEFAULT, &adv)) {
        buf_adds(b, "<ul class=\"advice\"><li>");
        page_esc_text(b, adv.text);
        buf_adds(b, "</li></ul>\n");
    }
    free(series);
}

void srv_page_scaling(struct buf *b, struct store *st,
                      const struct store_project *proj, const char *family,
                      const char *params, const char *measure)
{
    struct svc_scaling sc;
    struct an_scaling fit;
    struct an_advice adv;
    char *series, param[64];
    double v;

    /* the family of members that share this benchmark's parameter */
    if (!family || !svc_one_numeric_param(params, &v, param, sizeof param) ||
        svc_scaling_load(st, proj->id, family, param, measure, &sc, NULL) !=
            ERR_OK)
        return;
    if (sc.distinct < SCALING_MIN_MEMBERS ||
        an_scaling_fit(sc.n, sc.t, sc.count, &fit, NULL) != ERR_OK)
        goto out;
    buf_adds(b, "<h3>Scaling</h3>\n<p><img class=\"chart\" width=\"900\" "
                "height=\"400\" alt=\"");
    page_esc_attr(b, family);
    buf_adds(b, " against its parameter, log-log, with the fitted curve\" "
                "src=\"/p/");
    page_esc_segment(b, proj->slug);
    buf_adds(b, "/charts/scaling.png?benchmark=");
    page_esc_query(b, family);
    buf_adds(b, "&amp;param=");
    page_esc_query(b, param);
    buf_adds(b, "&amp;measure=");
    page_esc_query(b, measure);
    buf_printf(b, "\"></p>\n<p>%zu members; best fit ", sc.count);
    page_esc_text(b, an_complexity_str(fit.best));
    buf_printf(b, ", log-log slope %.2f (95%% CI %.2f to %.2f): ",
               fit.loglog_slope, fit.loglog_slope_ci[0],
               fit.loglog_slope_ci[1]);
    page_esc_text(b, fit.verdict);
    buf_adds(b, ".</p>\n");
    series = xasprintf("%s %s", family, measure);
    if (an_advise_scaling(series, sc.param, sc.direction, &fit, &adv)) {
        buf_adds(b, "<ul class=\"advice\"><li>");
        page_esc_text(b, adv.text);
        buf_adds(b, "</li></ul>\n");
    }
    free(series);
out:
    svc_scaling_cleanup(&sc);
}
