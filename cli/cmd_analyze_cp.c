/*
 * benchvault analyze changepoints [FILE]: change points of one series read
 * from FILE or standard input (numbers in order, white space separated or
 * a JSON array), printed as {"method", "n", "params", "change_points":
 * [{index, p_value, before_mean, after_mean, change}]}.  index is the
 * 0-based first point of the new segment.
 *
 * The defaults are the server's (analysis.h): the steps method; --p
 * defaults by method (steps and hunter 0.001, permutation 0.05).  p, magnitude
 * and the outlier filter are decimals, read here with strtod and range-checked
 * by an_cpd_params_check, so the messages match the server's.
 */
#include "analysis/analysis.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt opts[] = {
    {"method", OPT_STR, 0, 0, "steps", NULL, "steps|hunter|permutation|ttest",
     "steps (default): Hunter's windows on log values, a step kept only "
     "when it beats a drift; hunter: Otava's windows, t-test and merge; "
     "permutation: the divisive procedure with a permutation test (short "
     "series)"},
    {"window", OPT_INT, 2, AN_CPD_MAX_WINDOW, "50", NULL, "N",
     "steps, hunter: window length"},
    {"p", OPT_STR, 0, 0, NULL, NULL, "P",
     "significance level (steps, hunter 0.001, permutation 0.05)"},
    {"magnitude", OPT_STR, 0, 0, NULL, NULL, "M",
     "steps, hunter: least relative change kept (0.05)"},
    {"min-size", OPT_INT, 1, AN_CPD_MAX_WINDOW / 2, "5", NULL, "N",
     "least points in a segment"},
    {"permutations", OPT_INT, 1, 100000, "199", NULL, "N",
     "permutation: permutations per test"},
    {"seed", OPT_INT, 0, INT64_MAX, "1", NULL, "S", "permutation: random seed"},
    {"outlier-filter", OPT_STR, 0, 0, NULL, NULL, "K",
     "steps, hunter: replace points K robust SDs from their neighbours' "
     "median first (5; 0 turns it off, as Otava)"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static const struct {
    const char *name;
    enum an_cpd_method method;
} methods[] = {
    {"steps", AN_CPD_STEPS},
    {"hunter", AN_CPD_HUNTER},
    {"permutation", AN_CPD_PERMUTATION},
    {"ttest", AN_CPD_TTEST},
};

/* A decimal option: unchanged when absent, false after a message. */
static bool decimal_opt(const struct cli_args *a, const char *name, double *out)
{
    const char *v = cli_str(a, name);
    char *end;
    double d;

    if (!v)
        return true;
    errno = 0;
    d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d)) {
        fprintf(stderr,
                "benchvault analyze changepoints: --%s: expected a "
                "number, got \"%s\"\n",
                name, v);
        return false;
    }
    *out = d;
    return true;
}

int cli_analyze_changepoints(int argc, char **argv)
{
    struct cli_args a;
    struct an_cpd_params p;
    struct an_cp *cps = NULL;
    double *v = NULL;
    size_t n = 0, ncps = 0;
    int cols, rc = EXIT_USAGE;
    const char *mname;
    bool known = false;
    struct errbuf eb;
    struct buf out;
    struct jw w;

    err_init(&eb);
    buf_init(&out, 0);
    if (cli_parse(opts, NOPTS, argc, argv, &a, &eb)) {
        fprintf(stderr, "benchvault analyze changepoints: %s\n", eb.msg);
        goto out;
    }
    if (a.help) {
        cli_usage(stdout, "benchvault analyze changepoints [FILE] [OPTIONS]",
                  "Change points of a series (E-divisive means, Matteson & "
                  "James). Reads numbers in order from FILE or standard "
                  "input; prints JSON with each change point's index (first "
                  "point of the new segment), p-value, and the means before "
                  "and after. docs/changepoints.md explains the methods.",
                  opts, NOPTS);
        rc = EXIT_OK;
        goto out;
    }
    if (a.npos > 1) {
        fprintf(stderr, "benchvault analyze changepoints: one FILE at most "
                        "(see --help)\n");
        goto out;
    }
    mname = cli_str(&a, "method");
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        if (strcmp(mname, methods[i].name) == 0) {
            an_cpd_params_default(&p, methods[i].method);
            known = true;
        }
    }
    if (!known) {
        fprintf(stderr, "benchvault analyze changepoints: --method must be "
                        "steps, hunter, permutation or ttest\n");
        goto out;
    }
    p.window = (size_t)cli_int(&a, "window");
    p.min_size = (size_t)cli_int(&a, "min-size");
    p.permutations = (unsigned)cli_int(&a, "permutations");
    p.seed = (uint64_t)cli_int(&a, "seed");
    if (!decimal_opt(&a, "p", &p.max_pvalue) ||
        !decimal_opt(&a, "magnitude", &p.min_magnitude) ||
        !decimal_opt(&a, "outlier-filter", &p.outlier_filter))
        goto out;
    if (an_cpd_params_check(&p, &eb) != ERR_OK) {
        fprintf(stderr, "benchvault analyze changepoints: %s\n", eb.msg);
        goto out;
    }
    if (cli_analyze_read(a.npos ? a.pos[0] : NULL, &v, &n, &cols, &eb)) {
        fprintf(stderr, "benchvault analyze changepoints: %s\n", eb.msg);
        goto out;
    }
    if (cols != 1) {
        fprintf(stderr, "benchvault analyze changepoints: expected one "
                        "number per point, got pairs\n");
        goto out;
    }
    if (an_changepoints(v, n, &p, &cps, &ncps, &eb) != ERR_OK) {
        fprintf(stderr, "benchvault analyze changepoints: %s\n", eb.msg);
        goto out;
    }
    jw_init(&w, &out);
    jw_obj_begin(&w);
    jw_kstr(&w, "method", mname);
    jw_kint(&w, "n", (int64_t)n);
    jw_key(&w, "params");
    jw_obj_begin(&w);
    if (p.method == AN_CPD_HUNTER || p.method == AN_CPD_STEPS)
        jw_kint(&w, "window", (int64_t)p.window);
    jw_knum(&w, "p", p.max_pvalue);
    if (p.method == AN_CPD_HUNTER || p.method == AN_CPD_STEPS) {
        jw_knum(&w, "magnitude", p.min_magnitude);
        jw_knum(&w, "outlier_filter", p.outlier_filter);
    }
    jw_kint(&w, "min_size", (int64_t)p.min_size);
    if (p.method == AN_CPD_PERMUTATION) {
        jw_kint(&w, "permutations", (int64_t)p.permutations);
        jw_kint(&w, "seed", (int64_t)p.seed);
    }
    jw_obj_end(&w);
    jw_key(&w, "change_points");
    jw_arr_begin(&w);
    for (size_t i = 0; i < ncps; i++) {
        jw_obj_begin(&w);
        jw_kint(&w, "index", (int64_t)cps[i].index);
        jw_knum(&w, "p_value", cps[i].p_value);
        jw_knum(&w, "before_mean", cps[i].before_mean);
        jw_knum(&w, "after_mean", cps[i].after_mean);
        jw_knum(&w, "change", cps[i].change);
        if (p.method == AN_CPD_STEPS) {
            jw_knum(&w, "step", cps[i].step);
            jw_knum(&w, "drift", cps[i].drift);
        }
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    if (w.err) {
        fprintf(stderr, "benchvault analyze changepoints: %s\n",
                err_str(w.err));
        goto out;
    }
    printf("%s\n", buf_str(&out));
    rc = EXIT_OK;
out:
    free(v);
    free(cps);
    buf_cleanup(&out);
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}
