/*
 * A comparison as text (a ministat-like table, what `benchvault compare`
 * prints and CI logs show) and as Markdown (the pull-request comment, the
 * one the agent posts too): pure writers of the comparison's data
 * (struct page_cmp_text, filled by service/compare.c) to bytes.
 * Design notes:
 *  1. Names are user input: the Markdown escapes every one for Markdown
 *     (page_esc_md) and every URL part for its context; the text is for
 *     terminals and logs and prints them as they are.
 *  2. Links need the server's URL as readers reach it (link_base, checked
 *     by service/ with svc_link_ok); without one the comment has none.
 *     Rows link to their series by benchmark id on the head's branch and
 *     testbed; the chart and the full comparison name the runs by id, so
 *     an old comment keeps showing what it said.
 *  3. GitHub refuses a comment over 65,536 characters: the changed rows
 *     and every row each stop at a byte budget with a line saying how
 *     many are left out and where to see them.
 */
#include "render/page.h"
#include "render/render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* As analysis' an_verdict_str, in enum page_verdict's (the same) order. */
static const char *verdict_str(enum page_verdict v)
{
    static const char *const names[] = {"unchanged", "regressed", "improved",
                                        "inconclusive"};

    return (unsigned)v < 4 ? names[v] : "inconclusive";
}

/* "12,13": a side's run ids, as a reference that does not move. */
static void side_ids(struct buf *out, const struct page_cmp_text_side *s)
{
    for (size_t i = 0; i < s->n; i++)
        (void)buf_printf(out, "%s%lld", i ? "," : "", (long long)s->runs[i].id);
}

/* A value with a readable unit: 28.6 us, 1.5 MiB, 812 /s. */
static void fmt_pct(char *out, size_t n, double v)
{
    if (isfinite(v))
        snprintf(out, n, "%+.1f%%", 100 * v);
    else
        snprintf(out, n, "-");
}

static void fmt_ci(char *out, size_t n, const double ci[2])
{
    if (isfinite(ci[0]) && isfinite(ci[1]))
        snprintf(out, n, "[%+.1f%%, %+.1f%%]", 100 * ci[0], 100 * ci[1]);
    else
        snprintf(out, n, "-");
}

static void fmt_p(char *out, size_t n, double p)
{
    if (isfinite(p))
        snprintf(out, n, "%.2g", p);
    else
        snprintf(out, n, "-");
}

static void side_line(struct buf *out, const char *label,
                      const struct page_cmp_text_side *s)
{
    (void)buf_printf(out, "%s %s:", label, s->ref ? s->ref : "");
    for (size_t i = 0; i < s->n; i++)
        (void)buf_printf(out, "%s run %lld (%s, %.12s, testbed %s)",
                         i ? "," : "", (long long)s->runs[i].id,
                         s->runs[i].branch, s->runs[i].commit_sha,
                         s->runs[i].testbed);
    (void)buf_addc(out, '\n');
    if (s->how)
        (void)buf_printf(out, "  (%s)\n", s->how);
}

void page_compare_text_write(const struct page_cmp_text *c, struct buf *out)
{
    int kw = 9;
    const char *p;

    side_line(out, "base", &c->side[0]);
    side_line(out, "head", &c->side[1]);
    for (size_t i = 0; i < c->nrows; i++) {
        int l = (int)strlen(c->rows[i].key);

        kw = l > kw ? (l > 60 ? 60 : l) : kw;
    }
    (void)buf_printf(out, "\n%-*s %-10s %12s %12s %8s %18s %8s  %s\n", kw,
                     "benchmark", "measure", "base", "head", "change", "95% CI",
                     "q", "verdict");
    for (size_t i = 0; i < c->nrows; i++) {
        const struct page_cmp_text_row *r = &c->rows[i];
        char b[32], h[32], ch[16], ci[40], q[16];

        unit_format(b, sizeof b, r->base, r->unit);
        unit_format(h, sizeof h, r->head, r->unit);
        fmt_pct(ch, sizeof ch, r->change);
        fmt_ci(ci, sizeof ci, r->ci);
        fmt_p(q, sizeof q, r->q);
        (void)buf_printf(out, "%-*s %-10s %12s %12s %8s %18s %8s  %s\n", kw,
                         r->key, r->measure, b, h, ch, ci, q,
                         verdict_str(r->verdict));
    }
    (void)buf_printf(out,
                     "\nsummary: %zu regressed, %zu improved, %zu "
                     "unchanged, %zu inconclusive (threshold %.0f%%, "
                     "Benjamini-Hochberg at %.0f%%)\n",
                     c->counts[PAGE_REGRESSED], c->counts[PAGE_IMPROVED],
                     c->counts[PAGE_UNCHANGED], c->counts[PAGE_INCONCLUSIVE],
                     100 * c->threshold, 100 * c->alpha);
    if (!c->nrows)
        (void)buf_printf(out, "nothing was comparable: base and head share "
                              "no benchmark and measure with samples\n");
    for (size_t i = 0; i < c->nrows; i++)
        if (c->rows[i].verdict != PAGE_UNCHANGED)
            (void)buf_printf(out, "%s %s (%s): %s\n",
                             verdict_str(c->rows[i].verdict), c->rows[i].key,
                             c->rows[i].measure, c->rows[i].reason);
    for (size_t i = 0; i < c->nfolded; i++) {
        char ch[16];

        fmt_pct(ch, sizeof ch, c->folded[i].change);
        (void)buf_printf(out, "derived, beside its source: %s (%s): %s, %s\n",
                         c->folded[i].key, c->folded[i].measure, ch,
                         verdict_str(c->folded[i].verdict));
    }
    if (c->nsingles)
        (void)buf_printf(out,
                         "%zu not compared (one value per run; judged "
                         "by budgets and trends):\n",
                         c->nsingles);
    for (size_t i = 0; i < c->nsingles; i++) {
        char ch[16];

        fmt_pct(ch, sizeof ch, c->singles[i].change);
        (void)buf_printf(out, "  %s (%s): %s\n", c->singles[i].key,
                         c->singles[i].measure, ch);
    }
    for (size_t i = 0; i < c->nonly[0]; i++)
        (void)buf_printf(out, "only in base: %s\n", c->only[0][i]);
    for (size_t i = 0; i < c->nonly[1]; i++)
        (void)buf_printf(out, "only in head: %s\n", c->only[1][i]);
    if (c->nbudgets)
        (void)buf_printf(out, "\nbudgets:\n");
    for (size_t i = 0; i < c->nbudgets; i++)
        (void)buf_printf(out, "  %-7s %s\n", c->budgets[i].status,
                         c->budgets[i].message);
    if (c->nrecs)
        (void)buf_printf(out, "\nrecommendations:\n");
    for (size_t i = 0; i < c->nrecs; i++)
        (void)buf_printf(out, "  - %s\n", c->recs[i]);
    p = c->notes ? c->notes : "";
    if (*p)
        (void)buf_printf(out, "\nnotes:\n  %s\n", p);
}

static const char *verdict_mark(enum page_verdict v)
{
    static const char *const m[] = {"unchanged", "**regressed**", "improved",
                                    "inconclusive"};

    return (unsigned)v < 4 ? m[v] : "inconclusive";
}

/* The history page of a row's series on the head's branch and testbed. */
static void md_series_url(struct buf *out, const struct page_cmp_text *c,
                          const struct page_cmp_text_row *r)
{
    (void)buf_printf(out, "%s/p/", c->link_base);
    (void)page_esc_segment(out, c->project);
    (void)buf_printf(out, "/benchmarks/%lld?branch=", (long long)r->bench_id);
    (void)page_esc_query(out, c->side[1].runs[0].branch);
    (void)buf_adds(out, "&testbed=");
    (void)page_esc_query(out, c->side[1].runs[0].testbed);
}

static void md_row(struct buf *out, const struct page_cmp_text *c,
                   const struct page_cmp_text_row *r)
{
    char b[32], h[32], ch[16], ci[40], q[16];
    bool link = c->link_base && c->project && r->bench_id > 0;

    unit_format(b, sizeof b, r->base, r->unit);
    unit_format(h, sizeof h, r->head, r->unit);
    fmt_pct(ch, sizeof ch, r->change);
    fmt_ci(ci, sizeof ci, r->ci);
    fmt_p(q, sizeof q, r->q);
    (void)buf_adds(out, link ? "| [" : "| ");
    (void)page_esc_md(out, r->key);
    if (link) {
        (void)buf_adds(out, "](");
        md_series_url(out, c, r);
        (void)buf_adds(out, ")");
    }
    (void)buf_adds(out, " | ");
    (void)page_esc_md(out, r->measure);
    (void)buf_printf(out, " | %s | %s | %s | %s | %s | %s |\n", b, h, ch, ci, q,
                     verdict_mark(r->verdict));
}

static const char md_head[] = "| benchmark | measure | base | head | change "
                              "| 95% CI | q | verdict |\n"
                              "|---|---|---:|---:|---:|---:|---:|---|\n";

static void plural(struct buf *out, size_t n, const char *one, const char *many)
{
    (void)buf_printf(out, "%zu %s", n, n == 1 ? one : many);
}

static void md_side(struct buf *out, const struct page_cmp_text *c,
                    const struct page_cmp_text_side *s)
{
    bool ids_only = s->ref && strspn(s->ref, "0123456789,") == strlen(s->ref);

    if (!ids_only) {
        (void)page_esc_md(out, s->ref);
        (void)buf_adds(out, ", ");
    }
    (void)buf_adds(out, s->n == 1 ? "run " : "runs ");
    for (size_t i = 0; i < s->n; i++) {
        (void)buf_adds(out, i ? ", " : "");
        if (c->link_base && c->project) {
            (void)buf_printf(out, "[%lld](%s/p/", (long long)s->runs[i].id,
                             c->link_base);
            (void)page_esc_segment(out, c->project);
            (void)buf_printf(out, "/runs/%lld)", (long long)s->runs[i].id);
        } else {
            (void)buf_printf(out, "%lld", (long long)s->runs[i].id);
        }
    }
}

/*
 * GitHub refuses a comment over 65,536 characters, and the agent adds a
 * few hundred bytes of its own: the changed rows stop at about 24 KB, all
 * rows at about 56 KB, each with a line saying how many are left out and
 * where to see them (note 3).
 */
#define MD_CHANGED_BYTES 24000
#define MD_ALL_BYTES 56000

/* After a table: a blank line, or "N more rows in the full comparison". */
static void md_more(struct buf *out, const struct page_cmp_text *c, size_t left,
                    const char *what)
{
    if (!left) {
        (void)buf_addc(out, '\n');
        return;
    }
    (void)buf_printf(out, "\n%zu more %s ", left, what);
    if (c->link_base && c->project) {
        (void)buf_printf(out, "in the [full comparison](%s/p/", c->link_base);
        (void)page_esc_segment(out, c->project);
        (void)buf_adds(out, "/compare?base=");
        side_ids(out, &c->side[0]);
        (void)buf_adds(out, "&head=");
        side_ids(out, &c->side[1]);
        (void)buf_adds(out, ")");
    } else {
        (void)buf_adds(out, "in the full comparison");
    }
    (void)buf_adds(out, " (a comment holds at most 64 KiB).\n\n");
}

/* Why each row that is not unchanged got its verdict, within the changed
 * rows' byte budget. */
static void md_reasons(struct buf *out, const struct page_cmp_text *c,
                       size_t start)
{
    size_t shown = 0, left = 0;

    for (size_t i = 0; i < c->nrows; i++) {
        const struct page_cmp_text_row *r = &c->rows[i];

        if (r->verdict == PAGE_UNCHANGED)
            continue;
        if (out->len - start >= MD_CHANGED_BYTES) {
            left++;
            continue;
        }
        if (!shown++)
            (void)buf_adds(out, "**Why**\n\n");
        (void)buf_printf(out, "- %s ", verdict_str(r->verdict));
        (void)page_esc_md(out, r->key);
        (void)buf_adds(out, " ");
        (void)page_esc_md(out, r->measure);
        (void)buf_adds(out, ": ");
        (void)page_esc_md(out, r->reason);
        (void)buf_addc(out, '\n');
    }
    if (left)
        (void)buf_printf(out, "- and %zu more in the full comparison\n", left);
    if (shown)
        (void)buf_addc(out, '\n');
}

/*
 * A pull-request comment (note 2): the verdict as its first line, what
 * was compared, the rows that changed with a link to their history, the
 * chart and a link to the full comparison when a server URL is known,
 * budgets and recommendations, every row in a collapsed block, and last a
 * hidden marker, so a bot updates its comment instead of adding one.
 */
void page_compare_md_write(const struct page_cmp_text *c, struct buf *out)
{
    size_t changed = c->counts[PAGE_REGRESSED] + c->counts[PAGE_IMPROVED];
    size_t start = out->len;

    (void)buf_adds(out, "### benchvault: ");
    plural(out, c->counts[PAGE_REGRESSED], "regression", "regressions");
    (void)buf_adds(out, ", ");
    plural(out, c->counts[PAGE_IMPROVED], "improvement", "improvements");
    (void)buf_printf(out, ", %zu unchanged, %zu inconclusive",
                     c->counts[PAGE_UNCHANGED], c->counts[PAGE_INCONCLUSIVE]);
    if (c->nsingles)
        (void)buf_printf(out, " (%zu not compared: one value per run)",
                         c->nsingles);
    (void)buf_adds(out, "\n\n");
    if (c->nfolded)
        (void)buf_printf(out,
                         "%zu derived %s (such as throughput from the "
                         "same timings) %s beside %s source and %s not "
                         "counted.\n\n",
                         c->nfolded, c->nfolded == 1 ? "row" : "rows",
                         c->nfolded == 1 ? "is" : "are",
                         c->nfolded == 1 ? "its" : "their",
                         c->nfolded == 1 ? "is" : "are");
    if (!c->nrows)
        (void)buf_printf(out,
                         "**Nothing was comparable**: base and head "
                         "share no benchmark and measure with samples "
                         "(%zu series only in the base, %zu only in the "
                         "head, %zu with one value per run).\n\n",
                         c->nonly[0], c->nonly[1], c->nsingles);
    (void)buf_adds(out, "Base: ");
    md_side(out, c, &c->side[0]);
    (void)buf_adds(out, "; head: ");
    md_side(out, c, &c->side[1]);
    (void)buf_printf(out,
                     ". Noise threshold %.0f%%, Benjamini-Hochberg at "
                     "%.0f%%.\n\n",
                     100 * c->threshold, 100 * c->alpha);
    if (changed) {
        size_t left = 0;

        (void)buf_adds(out, md_head);
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < c->nrows; i++) {
                if (c->rows[i].verdict !=
                    (pass ? PAGE_IMPROVED : PAGE_REGRESSED))
                    continue;
                if (out->len - start < MD_CHANGED_BYTES)
                    md_row(out, c, &c->rows[i]);
                else
                    left++;
            }
        md_more(out, c, left, "changed rows");
    }
    md_reasons(out, c, start);
    if (c->link_base && c->project && c->nrows) {
        struct buf q;

        buf_init(&q, 0);
        (void)buf_adds(&q, "base=");
        side_ids(&q, &c->side[0]);
        (void)buf_adds(&q, "&head=");
        side_ids(&q, &c->side[1]);
        (void)buf_printf(out, "![comparison chart](%s/p/", c->link_base);
        (void)page_esc_segment(out, c->project);
        (void)buf_printf(out,
                         "/charts/compare.png?%s)\n\n[Full comparison]"
                         "(%s/p/",
                         buf_str(&q), c->link_base);
        (void)page_esc_segment(out, c->project);
        (void)buf_printf(out, "/compare?%s)\n\n", buf_str(&q));
        buf_cleanup(&q);
    }
    if (c->nbudgets)
        (void)buf_adds(out, "**Budgets**\n\n");
    for (size_t i = 0; i < c->nbudgets; i++) {
        (void)buf_printf(out, "- %s: ", c->budgets[i].status);
        (void)page_esc_md(out, c->budgets[i].message);
        (void)buf_addc(out, '\n');
    }
    if (c->nbudgets)
        (void)buf_addc(out, '\n');
    if (c->nrecs)
        (void)buf_adds(out, "**Recommendations**\n\n");
    for (size_t i = 0; i < c->nrecs; i++) {
        (void)buf_adds(out, "- ");
        (void)page_esc_md(out, c->recs[i]);
        (void)buf_addc(out, '\n');
    }
    if (c->nrecs)
        (void)buf_addc(out, '\n');
    (void)buf_printf(out, "<details><summary>All %zu rows</summary>\n\n",
                     c->nrows);
    (void)buf_adds(out, md_head);
    for (size_t i = 0; i < c->nrows; i++) {
        if (out->len - start >= MD_ALL_BYTES) {
            md_more(out, c, c->nrows - i, "rows");
            break;
        }
        md_row(out, c, &c->rows[i]);
    }
    for (size_t i = 0; i < c->nfolded && out->len - start < MD_ALL_BYTES; i++)
        md_row(out, c, &c->folded[i]);
    (void)buf_adds(out, "\n</details>\n\n" COMMENT_MARKER "\n");
}
