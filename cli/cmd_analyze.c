/*
 * benchvault analyze ACTION [FILE...]: the statistics engine without a
 * database, like FreeBSD's ministat.  Each action reads numbers from its
 * files (standard input when a file is absent or "-"), white-space
 * separated or a JSON array, and prints one JSON object (field names in
 * DESIGN.md "CLI"; docs/statistics.md explains them).
 *
 * Actions are a table {name, fn, help}; an action parses its own options
 * from the arguments after its name and uses cli_analyze_read for its
 * input.  Exit status: 0 answered, 2 usage or input error.
 */
#include "analysis/analysis.h"
#include "cli/cli.h"
#include "ingest/ingest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ANALYZE_MAX_BYTES (256u << 20)
#define ANALYZE_MAX_NUMBERS 1000000u

struct analyze_action {
    const char *name;
    cli_analyze_fn fn;
    const char *help;
};

static int an_describe_cmd(int argc, char **argv);
static int an_compare_cmd(int argc, char **argv);
static int an_trend_cmd(int argc, char **argv);
static int an_scaling_cmd(int argc, char **argv);

static const struct analyze_action actions[] = {
    {"describe", an_describe_cmd, "summary statistics of one sample"},
    {"compare", an_compare_cmd, "base sample against head sample"},
    {"trend", an_trend_cmd, "OLS, Theil-Sen and Mann-Kendall over a series"},
    {"scaling", an_scaling_cmd, "complexity fit of \"n value\" pairs"},
    {"changepoints", cli_analyze_changepoints, "change points of a series"},
};

enum err cli_analyze_read(const char *path, double **v, size_t *n, int *cols,
                          struct errbuf *eb)
{
    const char *name = !path || !strcmp(path, "-") ? "standard input" : path;
    struct buf body;
    enum err e;

    *v = NULL;
    *n = 0;
    *cols = 1;
    buf_init(&body, 0);
    e = file_read(path ? path : "-", ANALYZE_MAX_BYTES, &body, eb);
    if (e == ERR_NOT_FOUND)
        e = ERR_IO;
    if (!e) {
        struct errbuf pe;

        err_init(&pe);
        e = ingest_numbers_parse(buf_str(&body), body.len, ANALYZE_MAX_NUMBERS,
                                 v, n, cols, &pe);
        if (e)
            err_set(eb, "%s: %s%s%s", name,
                    pe.nitems && pe.items[0].pointer[0] ? pe.items[0].pointer
                                                        : "",
                    pe.nitems && pe.items[0].pointer[0] ? ": " : "",
                    pe.nitems ? pe.items[0].message : pe.msg);
        else if (*n == 0) {
            err_set(eb, "%s: no numbers", name);
            e = ERR_INVALID;
        }
        err_cleanup(&pe);
    }
    buf_cleanup(&body);
    return e;
}

/* ---- shared option handling ------------------------------------------- */

static const struct cli_opt sample_opts[] = {
    {"bootstrap", OPT_INT, 0, AN_BOOTSTRAP_MAX, "2000", NULL, "N",
     "bootstrap resamples (0: no bootstrap intervals)"},
    {"seed", OPT_INT, 0, INT64_MAX, "0", NULL, "S",
     "seed of the bootstrap (same seed and input, same answer)"},
};

static const struct cli_opt compare_opts[] = {
    {"bootstrap", OPT_INT, 0, AN_BOOTSTRAP_MAX, "2000", NULL, "N",
     "bootstrap resamples (0: no bootstrap intervals)"},
    {"seed", OPT_INT, 0, INT64_MAX, "0", NULL, "S",
     "seed of the bootstrap (same seed and input, same answer)"},
    {"direction", OPT_STR, 0, 0, "lower", NULL, "lower|higher",
     "which way is better"},
    {"threshold", OPT_STR, 0, 0, "0.05", NULL, "F",
     "noise threshold, a fraction (0.05 is 5%)"},
    {"allowance", OPT_STR, 0, 0, "0.5", NULL, "F",
     "run-to-run allowance a change must pass without history (0 when "
     "the files hold one value per run)"},
};

static const struct cli_opt no_opts[] = {
    {"seed", OPT_INT, 0, INT64_MAX, "0", NULL, "S", "(unused; accepted)"},
};

/* Parses argv; prints usage or the error itself.  -1: go on; else the
 * exit status. */
static int parse(const char *action, const char *synopsis, const char *about,
                 const struct cli_opt *opts, size_t nopts, size_t min_pos,
                 size_t max_pos, int argc, char **argv, struct cli_args *a)
{
    struct errbuf eb;
    char usage[256];
    int rc = -1;

    err_init(&eb);
    snprintf(usage, sizeof usage, "benchvault analyze %s %s", action, synopsis);
    if (cli_parse(opts, nopts, argc, argv, a, &eb)) {
        fprintf(stderr, "benchvault analyze %s: %s\n", action, eb.msg);
        rc = EXIT_USAGE;
    } else if (a->help) {
        cli_usage(stdout, usage, about, opts, nopts);
        rc = EXIT_OK;
    } else if (a->npos < min_pos || a->npos > max_pos) {
        fprintf(stderr, "usage: %s (see --help)\n", usage);
        rc = EXIT_USAGE;
    }
    err_cleanup(&eb);
    return rc;
}

static bool fraction_opt(const struct cli_args *a, const char *name,
                         double *out)
{
    const char *s = cli_str(a, name);
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= 0) || !isfinite(v)) {
        fprintf(stderr,
                "benchvault analyze: --%s: expected a fraction such "
                "as 0.05, got \"%s\"\n",
                name, s);
        return false;
    }
    *out = v;
    return true;
}

static void options_from(const struct cli_args *a, struct an_options *o)
{
    an_options_default(o);
    o->bootstrap = (unsigned)cli_int(a, "bootstrap");
    o->seed = (uint64_t)cli_int(a, "seed");
}

static int input_error(const char *action, const struct errbuf *eb)
{
    fprintf(stderr, "benchvault analyze %s: %s\n", action, eb->msg);
    return EXIT_USAGE;
}

static void print_json(struct buf *out)
{
    fputs(buf_str(out), stdout);
    fputc('\n', stdout);
}

static void pair(struct jw *w, const char *key, const double v[2])
{
    jw_key(w, key);
    jw_arr_begin(w);
    jw_num(w, v[0]);
    jw_num(w, v[1]);
    jw_arr_end(w);
}

static void write_describe(struct jw *w, const struct an_describe *d)
{
    jw_obj_begin(w);
    jw_kint(w, "n", (int64_t)d->n);
    jw_knum(w, "mean", d->mean);
    jw_knum(w, "median", d->median);
    jw_knum(w, "stddev", d->stddev);
    jw_knum(w, "mad", d->mad);
    jw_knum(w, "min", d->min);
    jw_knum(w, "max", d->max);
    jw_knum(w, "p90", d->p90);
    jw_knum(w, "p95", d->p95);
    jw_knum(w, "p99", d->p99);
    jw_knum(w, "q1", d->q1);
    jw_knum(w, "q3", d->q3);
    jw_knum(w, "iqr", d->iqr);
    jw_knum(w, "cv", d->cv);
    pair(w, "mean_ci", d->mean_ci);
    pair(w, "median_ci", d->median_ci);
    jw_key(w, "outliers");
    jw_arr_begin(w);
    for (size_t i = 0; i < d->noutliers; i++)
        jw_num(w, d->outliers[i]);
    jw_arr_end(w);
    jw_obj_end(w);
}

/* ---- actions ------------------------------------------------------------- */

static int an_describe_cmd(int argc, char **argv)
{
    struct cli_args a;
    struct an_options o;
    struct an_describe d = {0};
    struct errbuf eb;
    struct buf out;
    struct jw w;
    double *v = NULL;
    size_t n;
    int cols, rc;

    err_init(&eb);
    buf_init(&out, 0);
    rc = parse("describe", "[FILE] [OPTIONS]",
               "Summary statistics of the numbers in FILE (standard input "
               "when absent or -): n, mean, median, stddev, mad (unscaled), "
               "min, max, p90, p95, p99, q1, q3, iqr, cv, 95% CI of the mean "
               "(t) and of the median (bootstrap), Tukey outliers.",
               sample_opts, sizeof sample_opts / sizeof sample_opts[0], 0, 1,
               argc, argv, &a);
    if (rc >= 0)
        goto out;
    options_from(&a, &o);
    if (cli_analyze_read(a.npos ? a.pos[0] : NULL, &v, &n, &cols, &eb) ||
        an_describe(v, n, &o, &d, &eb)) {
        rc = input_error("describe", &eb);
        goto out;
    }
    jw_init(&w, &out);
    write_describe(&w, &d);
    print_json(&out);
    rc = EXIT_OK;
out:
    an_describe_cleanup(&d);
    free(v);
    buf_cleanup(&out);
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}

static int an_compare_cmd(int argc, char **argv)
{
    struct cli_args a;
    struct an_options o;
    struct an_compare c;
    struct an_rules rules;
    struct an_decision d;
    struct errbuf eb;
    struct buf out;
    struct jw w;
    double *b = NULL, *h = NULL;
    size_t nb = 0, nh = 0;
    enum direction dir;
    int cols, rc;

    memset(&c, 0, sizeof c);
    err_init(&eb);
    buf_init(&out, 0);
    rc = parse("compare", "BASE_FILE HEAD_FILE [OPTIONS]",
               "Compares the numbers of HEAD_FILE against BASE_FILE (one may "
               "be -, standard input): the change of the medians with a "
               "bootstrap 95% CI, Welch and Mann-Whitney p-values and a "
               "verdict (regressed, improved, unchanged, inconclusive). "
               "Without history, a change must also pass the run-to-run "
               "allowance to be called a regression.",
               compare_opts, sizeof compare_opts / sizeof compare_opts[0], 2, 2,
               argc, argv, &a);
    if (rc >= 0)
        goto out;
    options_from(&a, &o);
    an_rules_default(&rules);
    if (direction_parse(cli_str(&a, "direction"), &dir)) {
        fprintf(stderr, "benchvault analyze compare: --direction must be "
                        "lower or higher\n");
        rc = EXIT_USAGE;
        goto out;
    }
    if (!fraction_opt(&a, "threshold", &rules.threshold) ||
        !fraction_opt(&a, "allowance", &rules.allowance)) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (!strcmp(a.pos[0], "-") && !strcmp(a.pos[1], "-")) {
        fprintf(stderr, "benchvault analyze compare: only one file may be "
                        "standard input\n");
        rc = EXIT_USAGE;
        goto out;
    }
    if (cli_analyze_read(a.pos[0], &b, &nb, &cols, &eb) ||
        cli_analyze_read(a.pos[1], &h, &nh, &cols, &eb)) {
        rc = input_error("compare", &eb);
        goto out;
    }
    {
        struct an_side sb = {b, nb, NAN, NAN, NAN, -1};
        struct an_side sh = {h, nh, NAN, NAN, NAN, -1};

        if (an_compare(&sb, &sh, &o, true, &c, &eb)) {
            rc = input_error("compare", &eb);
            goto out;
        }
    }
    /* one row: Benjamini-Hochberg leaves its p-value as it is */
    an_decide(&c, c.p_value, dir, NULL, NAN, &rules, &d);
    jw_init(&w, &out);
    jw_obj_begin(&w);
    jw_key(&w, "base");
    write_describe(&w, &c.dbase);
    jw_key(&w, "head");
    write_describe(&w, &c.dhead);
    jw_knum(&w, "change", c.change);
    pair(&w, "change_ci", c.change_ci);
    jw_knum(&w, "p_welch", c.welch.p);
    jw_knum(&w, "p_mannwhitney", c.mwu.p);
    jw_kstr(&w, "mannwhitney_method", c.mwu.exact ? "exact" : "asymptotic");
    jw_knum(&w, "u", c.mwu.u);
    jw_kstr(&w, "direction", direction_str(dir));
    jw_knum(&w, "threshold", rules.threshold);
    jw_kstr(&w, "verdict", an_verdict_str(d.verdict));
    jw_kstr(&w, "reason", d.reason);
    jw_knum(&w, "mde", d.mde);
    jw_key(&w, "more_samples");
    if (d.more_samples >= 0)
        jw_int(&w, d.more_samples);
    else
        jw_null(&w);
    jw_obj_end(&w);
    print_json(&out);
    rc = EXIT_OK;
out:
    an_compare_cleanup(&c);
    free(b);
    free(h);
    buf_cleanup(&out);
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}

/* Splits pairs into x and y (new arrays); for values, x is NULL. */
static void split(const double *v, size_t n, int cols, double **x, double **y,
                  size_t *m)
{
    *x = NULL;
    if (cols != 2) {
        *y = xmalloc(n * sizeof **y);
        memcpy(*y, v, n * sizeof **y);
        *m = n;
        return;
    }
    *m = n / 2;
    *x = xmalloc((*m ? *m : 1) * sizeof **x);
    *y = xmalloc((*m ? *m : 1) * sizeof **y);
    for (size_t i = 0; i < *m; i++) {
        (*x)[i] = v[2 * i];
        (*y)[i] = v[2 * i + 1];
    }
}

static int an_trend_cmd(int argc, char **argv)
{
    struct cli_args a;
    struct an_trend t;
    struct errbuf eb;
    struct buf out;
    struct jw w;
    double *v = NULL, *x = NULL, *y = NULL;
    size_t n, m;
    int cols, rc;

    err_init(&eb);
    buf_init(&out, 0);
    rc = parse("trend", "[FILE]",
               "Trend of a series: values in order, or \"x y\" pairs. OLS "
               "slope with its 95% CI, intercept, R^2 and p-value; "
               "Theil-Sen slope; Mann-Kendall p-value (tie-corrected).",
               no_opts, 0, 0, 1, argc, argv, &a);
    if (rc >= 0)
        goto out;
    if (cli_analyze_read(a.npos ? a.pos[0] : NULL, &v, &n, &cols, &eb)) {
        rc = input_error("trend", &eb);
        goto out;
    }
    split(v, n, cols, &x, &y, &m);
    if (an_trend(x, y, m, &t, &eb)) {
        rc = input_error("trend", &eb);
        goto out;
    }
    jw_init(&w, &out);
    jw_obj_begin(&w);
    jw_kint(&w, "n", (int64_t)t.n);
    jw_knum(&w, "slope", t.slope);
    pair(&w, "slope_ci", t.slope_ci);
    jw_knum(&w, "slope_stderr", t.slope_stderr);
    jw_knum(&w, "intercept", t.intercept);
    jw_knum(&w, "r2", t.r2);
    jw_knum(&w, "p_value", t.p_value);
    jw_knum(&w, "theil_sen_slope", t.theil_sen_slope);
    jw_knum(&w, "theil_sen_intercept", t.theil_sen_intercept);
    jw_knum(&w, "mann_kendall_s", t.mann_kendall_s);
    jw_knum(&w, "mann_kendall_z", t.mann_kendall_z);
    jw_knum(&w, "mann_kendall_p", t.mann_kendall_p);
    jw_obj_end(&w);
    print_json(&out);
    rc = EXIT_OK;
out:
    free(v);
    free(x);
    free(y);
    buf_cleanup(&out);
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}

static int an_scaling_cmd(int argc, char **argv)
{
    struct cli_args a;
    struct an_scaling s;
    struct errbuf eb;
    struct buf out;
    struct jw w;
    double *v = NULL, *x = NULL, *y = NULL;
    size_t n, m;
    int cols, rc;

    err_init(&eb);
    buf_init(&out, 0);
    rc = parse("scaling", "[FILE]",
               "Complexity of \"n value\" pairs (one per line, repetitions "
               "allowed): least-squares fits to O(1), O(log n), O(n), "
               "O(n log n), O(n^2), O(n^3) ranked by normalised RMS as Google "
               "Benchmark does, the log-log slope with its 95% CI, and "
               "verdicts on linear scaling and kept throughput.",
               no_opts, 0, 0, 1, argc, argv, &a);
    if (rc >= 0)
        goto out;
    if (cli_analyze_read(a.npos ? a.pos[0] : NULL, &v, &n, &cols, &eb)) {
        rc = input_error("scaling", &eb);
        goto out;
    }
    if (cols != 2) {
        fprintf(stderr,
                "benchvault analyze scaling: expected \"n value\" "
                "pairs, one per line (or a JSON array of [n, value])\n");
        rc = EXIT_USAGE;
        goto out;
    }
    split(v, n, cols, &x, &y, &m);
    if (an_scaling_fit(x, y, m, &s, &eb)) {
        rc = input_error("scaling", &eb);
        goto out;
    }
    jw_init(&w, &out);
    jw_obj_begin(&w);
    jw_kstr(&w, "best", an_complexity_str(s.best));
    jw_key(&w, "fits");
    jw_arr_begin(&w);
    for (int c = 0; c < AN_COMPLEXITIES; c++) {
        jw_obj_begin(&w);
        jw_kstr(&w, "class", an_complexity_str((enum an_complexity)c));
        jw_knum(&w, "coefficient", s.coefficient[c]);
        jw_knum(&w, "rms", s.rms[c]);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_knum(&w, "loglog_slope", s.loglog_slope);
    pair(&w, "loglog_slope_ci", s.loglog_slope_ci);
    jw_kstr(&w, "scaling", s.verdict);
    jw_knum(&w, "throughput_ratio", s.throughput_ratio);
    jw_key(&w, "throughput_kept");
    jw_bool(&w, s.throughput_kept);
    jw_obj_end(&w);
    print_json(&out);
    rc = EXIT_OK;
out:
    free(v);
    free(x);
    free(y);
    buf_cleanup(&out);
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: benchvault analyze ACTION [FILE...] [OPTIONS]\n\n"
               "The statistics engine without a database: numbers from FILE "
               "(standard input when absent or -), white-space separated or "
               "a JSON array; one JSON object out.\n\nactions:\n");
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        fprintf(f, "  %-13s %s\n", actions[i].name, actions[i].help);
    fprintf(f, "\n`benchvault analyze ACTION --help` describes an action.\n");
}

int cmd_analyze(int argc, char **argv)
{
    if (argc < 1) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        usage(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (!strcmp(argv[0], actions[i].name))
            return actions[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "benchvault analyze: unknown action \"%s\"\n\n", argv[0]);
    usage(stderr);
    return EXIT_USAGE;
}
