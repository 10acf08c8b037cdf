/*
 * analysis: statistics on plain arrays with GNU GSL.  Pure: arrays in,
 * structs out; no I/O, no SQL, no JSON.  Depends on core/ only.
 *
 * Ownership: input arrays are borrowed and never modified (functions that
 * need to sort work on copies).  Output structs are caller-owned; those with
 * heap members have an *_cleanup function.
 *
 * Call an_init() once at program start (it turns GSL's abort-on-error
 * handler off; every GSL status is checked instead).
 */
#ifndef BV_ANALYSIS_H
#define BV_ANALYSIS_H

#include "core/core.h"

void an_init(void);

/* ==== statistics engine: describe, compare, trend, scaling, budgets ===== */
/*
 * Conventions (docs/statistics.md says them for users): percentiles are
 * NumPy's default "linear"; stddev is the sample one (ddof = 1); MAD is the
 * raw median absolute deviation (not scaled by 1.4826; the run-to-run noise
 * estimate scales it); CV = stddev / mean; intervals are two-sided 95%.
 * Bootstraps are percentile bootstraps with a stream seeded from the data
 * and opt->seed: the same input always gives the same answer.  Absent
 * numbers are NAN.  Functions that return enum err refuse NaN and infinite
 * inputs with ERR_INVALID and a message; the void ones (Welch, BH, noise,
 * budgets) pass NAN through.
 */
#define AN_BOOTSTRAP_DEFAULT 2000u
#define AN_BOOTSTRAP_MAX 100000u
#define AN_THRESHOLD_DEFAULT 0.05 /* relative noise threshold, asv/Conbench */
#define AN_ALPHA_DEFAULT 0.05     /* false discovery rate (BH) */
#define AN_ALLOWANCE_DEFAULT 0.5  /* run-to-run allowance without history */
#define AN_MIN_HISTORY_DEFAULT 5u /* base-branch runs for a noise estimate */
#define AN_NOISE_LEVEL_DEFAULT 0.995 /* one-sided run-to-run bound */
#define AN_NOISE_FLOOR_DEFAULT 0.02  /* least run-to-run noise assumed */

struct an_options {
    unsigned bootstrap; /* resamples, 0 = no bootstrap intervals */
    uint64_t seed;      /* mixed into every stream */
};
/* bootstrap = AN_BOOTSTRAP_DEFAULT, seed = 0. */
void an_options_default(struct an_options *o);

/* np.median of x[0..n) (borrowed); NAN for n = 0. */
double an_median(const double *x, size_t n);
/* m >= 2 evenly spaced quantiles of x[0..n) (borrowed, n >= 1) into
 * out[0..m): NumPy's linear percentiles 0, 100/(m-1), ..., 100. */
void an_quantiles(const double *x, size_t n, size_t m, double *out);

/* ---- describe ---- */
struct an_describe {
    size_t n;
    double mean, median, stddev, mad, min, max, p90, p95, p99, q1, q3, iqr, cv;
    double mean_ci[2];   /* t interval; NAN for n < 2 */
    double median_ci[2]; /* bootstrap; NAN without bootstrap */
    double *outliers;    /* owns: Tukey (beyond 1.5 IQR), ascending */
    size_t noutliers;
};
/*
 * Describes x[0..n), n >= 1 (borrowed).  The caller an_describe_cleanup()s
 * out on every path.  ERR_INVALID for n = 0 or a non-finite value.
 */
enum err an_describe(const double *x, size_t n, const struct an_options *opt,
                     struct an_describe *out, struct errbuf *eb);
void an_describe_cleanup(struct an_describe *d);

/* ---- two-sample tests ---- */
struct an_mwu {
    double u;   /* U of the first sample (SciPy's statistic) */
    double p;   /* two-sided */
    bool exact; /* exact distribution (no ties, a side <= 8) */
};
/*
 * Mann-Whitney U, two-sided, as SciPy 1.10's mannwhitneyu(x, y,
 * method='auto'): exact when a side has at most 8 values and there are no
 * ties, else the normal approximation with tie and continuity correction.
 * ERR_INVALID for an empty side or a non-finite value.
 */
enum err an_mannwhitney(const double *x, size_t nx, const double *y, size_t ny,
                        struct an_mwu *out, struct errbuf *eb);

struct an_welch {
    double t, df, p; /* p two-sided; NAN when a side has fewer than 2 */
};
/* Welch's t-test of x against y (SciPy's ttest_ind(equal_var=False)). */
void an_welch(const double *x, size_t nx, const double *y, size_t ny,
              struct an_welch *out);
/* The same from summary statistics (ttest_ind_from_stats). */
void an_welch_summary(double mean1, double sd1, double n1, double mean2,
                      double sd2, double n2, struct an_welch *out);

/* Benjamini-Hochberg adjusted p-values of p[0..n) into q (NAN p: NAN q,
 * not counted among the tests).  q may be p. */
void an_bh_adjust(const double *p, size_t n, double *q);

/* ---- compare: one benchmark x measure, base against head ---- */
enum an_kind {
    AN_KIND_SAMPLES = 0, /* raw samples on both sides */
    AN_KIND_SUMMARY = 1, /* mean, stddev and n only: Welch alone */
    AN_KIND_SINGLE = 2,  /* a value per side: "no samples" */
    AN_KIND_RUNS = 3     /* run against run: each run's central value */
};

/* One side as stored: samples when there are any, else summary fields. */
struct an_side {
    const double *samples; /* borrowed; NULL when none */
    size_t nsamples;
    double value, mean, stddev; /* NAN when absent */
    int64_t n;                  /* -1 when unknown */
};

struct an_compare {
    enum an_kind kind;
    double base, head;   /* central values: medians (or the values) */
    double change;       /* head / base - 1 */
    double change_ci[2]; /* bootstrap of the median ratio; NAN if none */
    struct an_welch welch;
    struct an_mwu mwu;   /* p NAN unless kind is AN_KIND_SAMPLES */
    double p_value;      /* the test the verdict uses: MWU or Welch */
    size_t nbase, nhead; /* samples (or n) per side; runs for AN_KIND_RUNS */
    struct an_describe dbase, dhead; /* AN_KIND_SAMPLES only */
    /* AN_KIND_RUNS only (NAN otherwise): */
    double t, df;       /* the run-level t statistic and its df */
    double noise;       /* run-to-run noise used (sd of log run centers) */
    double head_spread; /* sd of the head runs' logs (2+ head runs) */
    size_t nhist;       /* history runs the noise came from */
    size_t wild_up, wild_down; /* history runs far above, far below the
                                  series (compare_runs.c note 6) */
    double hist_lo, hist_hi;   /* the history's lowest and highest run
                                  against the base's center (note 7) */
    double own_noise, own_df;  /* the series' own noise estimate (before
                                  the floor and the prior) and its df */
    double prior_df;           /* the shared noise's df it was moderated
                                  with (note 8); 0 for none */
};
/*
 * Compares two sides.  With samples on both (at least one each), the change
 * of the medians with a bootstrap CI (head resampled from its own stream,
 * base from the stream describe uses), Welch and Mann-Whitney, and with
 * describe_head the head's own median CI (one more bootstrap).  With
 * summaries only, Welch; with values only, the change.  The caller
 * an_compare_cleanup()s out on every path.  ERR_INVALID for a side with
 * nothing usable or a non-finite number.
 */
enum err an_compare(const struct an_side *base, const struct an_side *head,
                    const struct an_options *opt, bool describe_head,
                    struct an_compare *out, struct errbuf *eb);
void an_compare_cleanup(struct an_compare *c);

/* Run against run (compare_runs.c): central values of each side's runs and
 * of the series' history on the base branch (all borrowed). */
struct an_runs {
    const double *base;
    size_t nbase;
    const double *head;
    size_t nhead;
    const double *hist;
    size_t nhist;
    double floor; /* least run-to-run noise assumed (relative) */
    /* The noise the comparison's other series share (an_noise_prior),
     * 0 and 0 for none: the series' own estimate is moderated towards it
     * (compare_runs.c note 8). */
    double prior_sd, prior_df;
};
/*
 * Fills out (kind AN_KIND_RUNS; no heap members) with the change of the
 * head runs' median against the base runs' median, its 95% CI and the
 * two-sided p-value of a t test whose noise is the history's run-to-run
 * spread.  false (out's numbers NAN) when a side is empty, the history has
 * fewer than 2 runs or a value is not positive: logs need positive values.
 */
bool an_compare_runs(const struct an_runs *in, struct an_compare *out);

/*
 * The noise the series of one comparison share (compare_runs.c note 8):
 * sd[i] and df[i] are each series' own estimate (an_compare's own_noise and
 * own_df; entries not finite or not > 0 are skipped).  Fits a scaled
 * inverse chi-square prior to the variances (Smyth 2004's empirical Bayes,
 * limma's fitFDist) and gives its sd and degrees of freedom, the latter
 * capped at AN_PRIOR_DF_MAX.  false (both 0) with fewer than
 * AN_PRIOR_MIN_SERIES usable series or a prior worth fewer than
 * AN_PRIOR_DF_MIN degrees of freedom (series too unalike to share).
 */
#define AN_PRIOR_DF_MAX 40.0
#define AN_PRIOR_DF_MIN 2.0
#define AN_PRIOR_MIN_SERIES 3
bool an_noise_prior(const double *sd, const double *df, size_t n,
                    double *prior_sd, double *prior_df);

/* What is worse now: a series' latest level against the runs before it
 * (compare_runs.c, notes 6 and 7). */
#define AN_NOW_MAX_TAIL 5
struct an_now {
    size_t tail;         /* latest runs taken as the new level (>= 1) */
    size_t base_runs;    /* runs before them it is measured against */
    double change;       /* median(tail) / median(base) - 1 */
    struct an_compare c; /* the run-level comparison (AN_KIND_RUNS) */
};
/*
 * v[0..n) a series' central values in commit order (borrowed); hist the
 * runs before the tail to measure against (20 is usual); threshold the
 * relative change a level must pass to count as one.  false (out->change
 * NAN) for fewer than 4 runs or values that are not positive.
 */
bool an_level_now(const double *v, size_t n, size_t hist, double threshold,
                  double floor, struct an_now *out);

/* ---- run-to-run noise ---- */
struct an_noise {
    size_t runs;   /* history runs used */
    double center; /* median of their central values */
    double mad;    /* raw MAD of them */
    double noise;  /* relative: 1.4826 * MAD / |center|; NAN if < 2 runs */
};
/* Robust run-to-run noise of a series from its runs' central values
 * (borrowed); runs = 0 gives NANs. */
void an_noise_estimate(const double *values, size_t n, struct an_noise *out);

/* ---- verdicts ---- */
enum an_verdict {
    AN_UNCHANGED = 0,
    AN_REGRESSED = 1,
    AN_IMPROVED = 2,
    AN_INCONCLUSIVE = 3
};
const char *an_verdict_str(enum an_verdict v);

struct an_rules {
    double threshold;   /* relative; a change must pass it (0.05) */
    double alpha;       /* BH false discovery rate (0.05) */
    double allowance;   /* run-to-run allowance without history (0.5) */
    size_t min_history; /* base-branch runs needed for a noise estimate */
    double level;       /* one-sided level of the run-to-run prediction
                           bound a change must pass (0.995) */
    double noise_floor; /* the history's noise is taken as at least this
                           (0.02): drift a short history cannot show */
};
void an_rules_default(struct an_rules *r);

#define AN_REASON_MAX 320
struct an_decision {
    enum an_verdict verdict;
    char reason[AN_REASON_MAX]; /* why this verdict, with its numbers */
    bool needs_confirmation; /* one run cannot decide: confirm with another */
    bool significant;        /* q < alpha */
    double bar;              /* the relative change a verdict has to pass:
                                the threshold for a run-level comparison,
                                max(threshold, allowance) for samples of
                                single runs without history */
    bool have_history;       /* the noise came from the history */
    double vs_history;       /* head / history center - 1, NAN without */
    double mde;              /* minimum detectable effect (relative), NAN */
    int64_t more_samples;    /* per side to resolve it, -1 when unknown */
};
/*
 * The run-to-run bound: how far (relative) a head's central value may land
 * from the history center by chance, t(level, h-1) x max(noise, floor) x
 * sqrt(1 + 1/h), a one-sided prediction bound from h history runs; NAN
 * when hist has fewer than 2 runs.
 */
double an_noise_bound(const struct an_noise *hist, double level, double floor);
/*
 * The verdict of one row (rules in docs/statistics.md): c from an_compare,
 * q its Benjamini-Hochberg adjusted p-value (NAN: untested), dir the
 * measure's direction, hist the series' run-to-run noise on the base
 * branch (NULL or runs = 0: no history), head_center the head's central
 * value in the history's terms (NAN: c->head; a summary's mean is not what
 * the history holds).
 */
void an_decide(const struct an_compare *c, double q, enum direction dir,
               const struct an_noise *hist, double head_center,
               const struct an_rules *r, struct an_decision *out);

/* ---- trend ---- */
struct an_trend {
    size_t n;
    double slope, slope_ci[2], intercept, r2, p_value, slope_stderr;
    double theil_sen_slope, theil_sen_intercept;
    double mann_kendall_s, mann_kendall_z, mann_kendall_p;
};
/*
 * Trend of y over x (x NULL: 0, 1, ..., n-1), both borrowed: OLS as SciPy's
 * linregress with a t interval for the slope, Theil-Sen (theilslopes,
 * "separate" intercept), Mann-Kendall with tie correction.  ERR_INVALID
 * for n < 2, identical x values or a non-finite number.
 */
enum err an_trend(const double *x, const double *y, size_t n,
                  struct an_trend *out, struct errbuf *eb);

struct an_ols {
    size_t n, p;       /* observations, coefficients (intercept first) */
    double *coef, *se; /* owns, p each */
    double rsd, r2;    /* residual standard deviation, R^2 */
};
/*
 * Least squares y = b0 + X b (intercept true) or y = X b, X row-major n x k
 * (borrowed).  GSL's SVD solver (gsl_multifit_linear, column-balanced).
 * The caller an_ols_cleanup()s out.  ERR_INVALID for n <= p or a singular
 * design.
 */
enum err an_ols_fit(const double *X, const double *y, size_t n, size_t k,
                    bool intercept, struct an_ols *out, struct errbuf *eb);
void an_ols_cleanup(struct an_ols *o);

/* ---- scaling ---- */
enum an_complexity {
    AN_O1 = 0,
    AN_OLOGN,
    AN_ON,
    AN_ONLOGN,
    AN_ON2,
    AN_ON3,
    AN_COMPLEXITIES
};
/* "O(1)", "O(log n)", "O(n)", "O(n log n)", "O(n^2)", "O(n^3)" */
const char *an_complexity_str(enum an_complexity c);

struct an_scaling {
    enum an_complexity best; /* lowest normalised RMS (Google Benchmark) */
    double coefficient[AN_COMPLEXITIES], rms[AN_COMPLEXITIES];
    double loglog_slope, loglog_slope_ci[2];
    const char *verdict;     /* "sub-linear", "linear", "super-linear",
                                "inconclusive" (log-log slope against 1) */
    double throughput_ratio; /* n/t at the largest n over the best n/t */
    bool throughput_kept;    /* throughput_ratio >= 0.9 */
};
/*
 * Fits t(n) for pairs (n[i], t[i]) (borrowed), n > 0, t > 0, at least two
 * distinct n.  ERR_INVALID otherwise.
 */
enum err an_scaling_fit(const double *n, const double *t, size_t count,
                        struct an_scaling *out, struct errbuf *eb);

/* ---- budgets ---- */
struct an_budget_check {
    bool pass; /* true also when nothing was checked */
    size_t checked, violations;
    double worst; /* the value furthest on the wrong side, NAN if none */
};
/* Checks values[0..n) (borrowed) against "max threshold" (is_max) or
 * "min threshold"; NAN values are skipped. */
void an_budget_check(bool is_max, double threshold, const double *values,
                     size_t n, struct an_budget_check *out);

/* A rule as both the project's stored budgets and a --budgets file give
 * it; every member borrowed.  unit "" or NULL: the measure's canonical. */
struct an_budget_rule {
    const char *benchmark_glob, *measure, *unit;
    bool is_max;
    double threshold; /* canonical unit */
};
struct an_budget_series {
    char *key;    /* owns; the benchmark key, NULL for a resource rule */
    double value; /* the median over the runs that have it */
    size_t nruns; /* how many runs had it */
    bool broken;
};
struct an_budget_eval {
    struct an_budget_series *series; /* owns; in the runs' result order */
    size_t nseries;
    struct an_budget_check check; /* over the series' medians */
    size_t worst;                 /* index into series; SIZE_MAX if none */
    bool from_samples;            /* a resource rule read off the samples */
};
/*
 * The one evaluation of a budget (analysis/budget.c, notes 1-3): each
 * matching series' median over runs[0..nruns) (the runs of one commit),
 * checked against the rule.  Free with an_budget_eval_free.
 */
void an_budget_eval(const struct an_budget_rule *rule, const struct run *runs,
                    size_t nruns, struct an_budget_eval *out);
void an_budget_eval_free(struct an_budget_eval *e);

/* ==== recommendations ================================================== */
/*
 * Short sentences with the evidence they rest on (analysis/recommend.c),
 * shown on run, compare and alert views and in pull-request comments.  The
 * subject (series) is the caller's words, e.g. "parse_json latency"; values
 * are formatted with unit_format.  The caller adds links.
 */
enum an_advice_kind {
    AN_ADVICE_REGRESSION = 0, /* a confirmed regression, its commit range */
    AN_ADVICE_BUDGET,         /* a broken budget */
    AN_ADVICE_NOISE,          /* too noisy to detect the threshold */
    AN_ADVICE_SCALING,        /* super-linear scaling */
    AN_ADVICE_MEMORY,         /* memory growth over a run */
    AN_ADVICE_CPU,            /* CPU-bound */
    AN_ADVICE_IO,             /* I/O-bound */
    AN_ADVICE_WAIT,           /* neither: waiting */
    AN_ADVICE_GPU,            /* an idle GPU */
    AN_ADVICE_PROCESS /* about the comparison itself: confirm, history */
};

/* One piece of advice: a sentence with its evidence. */
struct an_advice {
    enum an_advice_kind kind;
    char text[600];
};

/*
 * What a run's resource samples say: memory that grows over the run (a
 * sustained rise over the live samples: Theil-Sen and Mann-Kendall over
 * the whole and over each half, adding over 10% of the mean RSS; a step
 * is not growth; recommend.c note 1), CPU-bound (mean CPU >= 80% of a
 * core), I/O-bound (low CPU with over 1 MiB/s of disk traffic), waiting
 * (low CPU and little I/O: locks, sleeps, the network), an idle GPU (mean
 * utilisation under 10%).  Fills at most
 * max items of out; returns how many.  Needs at least 5 samples over at
 * least 2 s, else says nothing.
 */
size_t an_recommend_resources(const struct resource_sample *s, size_t n,
                              struct an_advice *out, size_t max);

/* The evidence of a regression, from a comparison or a change point. */
struct an_regression_facts {
    const char *series;    /* what regressed, as shown */
    double change;         /* relative, head / base - 1 */
    double change_ci[2];   /* 95%; NAN when unknown */
    double p_value;        /* NAN when unknown */
    const char *p_name;    /* "q" (BH-adjusted) or "p"; NULL: "p" */
    double threshold;      /* the noise threshold passed; NAN: none */
    double before, after;  /* central values; NAN when unknown */
    const char *unit;      /* canonical unit of before and after */
    const char *last_good; /* commit of the last good run; NULL unknown */
    const char *first_bad; /* commit of the first bad run; NULL unknown */
};
/* "X regressed by +15.2% (...): the cause is among the commits after A up
 * to B; git bisect start B A". */
void an_advise_regression(const struct an_regression_facts *f,
                          struct an_advice *out);

/*
 * Samples per side a two-sided 5% test with 80% power needs to detect a
 * relative change effect (> 0) in a measure whose coefficient of variation
 * is cv: ceil(2 (z.975 + z.80)^2 cv^2 / effect^2), at least 2; -1 for a
 * non-finite or non-positive cv or effect.
 */
int64_t an_repetitions_needed(double cv, double effect);

/*
 * A noisy benchmark, or nothing (false):
 *  - within a run: its samples' CV (cv, NAN when unknown) with nsamples of
 *    them cannot detect a change of effect (the repetitions needed are
 *    more than it has), or
 *  - run to run: hist's robust noise gives a prediction bound (at level,
 *    as an_noise_bound with no floor, for a long history) above effect.
 * The sentence gives the CV, the run-to-run noise and the repetitions
 * needed for an effect-sized change.
 */
bool an_advise_noise(const char *series, double cv, size_t nsamples,
                     const struct an_noise *hist, double level, double effect,
                     struct an_advice *out);

/* Super-linear scaling (s->verdict "super-linear") of a cost, a measure
 * whose direction is lower-is-better (time, memory), or nothing (false;
 * always for DIR_HIGHER: a throughput that grows fast is good news): the
 * log-log slope with its CI, the best-fitting complexity, what doubling the
 * parameter costs and the throughput kept. */
bool an_advise_scaling(const char *series, const char *param,
                       enum direction dir, const struct an_scaling *s,
                       struct an_advice *out);

/* A broken budget ("max" or "min" threshold in unit), or nothing (false
 * when c passed). */
bool an_advise_budget(const char *series, bool is_max, double threshold,
                      const char *unit, const struct an_budget_check *c,
                      struct an_advice *out);

/* About a comparison itself (AN_ADVICE_PROCESS): n more noisy series than
 * were listed; n significant changes that one run cannot confirm (head:
 * the head reference, to extend with a new run); n of total series with
 * fewer than min_history runs on branch, judged by the allowance. */
void an_advise_more_noisy(size_t n, struct an_advice *out);
void an_advise_confirm(size_t n, const char *head, struct an_advice *out);
void an_advise_short_history(size_t n, size_t total, size_t min_history,
                             const char *branch, double allowance,
                             struct an_advice *out);

/* ==== change points ===================================================== */
/* (issue: regression detection over history; declarations go here) */
/*
 * E-divisive means (Matteson & James 2014, alpha = 1) on a series of values
 * in order.  A change point's index is the 0-based first point of the new
 * segment (the convention of Otava, MongoDB and TCPD).  Inputs are borrowed;
 * *out arrays are caller-owned (free()).  Design notes in changepoint.c.
 * The default (AN_CPD_DEFAULT, steps) tells steps from trends; hunter keeps
 * Otava's rules and, with Otava's parameters, reproduces Otava.
 */
enum an_cpd_method {
    AN_CPD_HUNTER = 0,      /* Hunter/Otava: windows, t-test, merge */
    AN_CPD_PERMUTATION = 1, /* Matteson-James: permutation test */
    AN_CPD_TTEST = 2,       /* whole-series divisive, t-test (checking) */
    AN_CPD_STEPS = 3        /* the default: Hunter's windows on log values,
                               a merge that keeps a step only when it beats
                               a drift (changepoint.c note 10) */
};

/* The method benchvault uses unless told otherwise (CLI and server). */
#define AN_CPD_DEFAULT AN_CPD_STEPS

#define AN_CPD_WINDOW 50
#define AN_CPD_PVALUE 0.001
#define AN_CPD_MAGNITUDE 0.05
#define AN_CPD_MIN_SIZE 5
#define AN_CPD_OUTLIER_FILTER 5.0
#define AN_CPD_PERM_PVALUE 0.05
#define AN_CPD_PERMUTATIONS 199
#define AN_CPD_MAX_WINDOW 1000      /* window bound (memory: window^2) */
#define AN_CPD_PERM_MAX_POINTS 1000 /* permutation, ttest: memory n^2 */

struct an_cpd_params {
    enum an_cpd_method method;
    size_t window;          /* hunter, steps: 2..AN_CPD_MAX_WINDOW */
    double max_pvalue;      /* significance level, (0, 1] */
    double min_magnitude;   /* hunter, steps: least relative change kept */
    size_t min_size;        /* least points in a segment, >= 1 */
    double outlier_filter;  /* hunter, steps: a point further than this many
                               robust SDs from the median of its 7 neighbours
                               is replaced by that median first; 0 = off (as
                               Otava) */
    unsigned permutations;  /* permutation: 1..100000 */
    uint64_t seed;          /* permutation: same seed, same answer */
    bool otava_stale_merge; /* tests only: Otava 0.8.0's merge, which keeps
                               a stale left neighbour (not for use) */
};

/* The defaults of a method (hunter and steps: window 50, p 0.001,
 * magnitude 0.05, min_size 5, outlier filter 5; permutation and ttest:
 * p 0.05, 199 permutations, min_size 5, no filter).  docs/changepoints.md
 * says why. */
void an_cpd_params_default(struct an_cpd_params *p, enum an_cpd_method m);
/* ERR_INVALID with a message naming the bad parameter. */
enum err an_cpd_params_check(const struct an_cpd_params *p, struct errbuf *eb);

struct an_cp {
    size_t index;   /* first point of the new segment */
    double p_value; /* hunter, ttest: pooled t-test of the adjacent
                       segments; permutation: the permutation p */
    double before_mean, after_mean; /* means of the adjacent segments */
    double before_sd, after_sd;     /* their population SDs */
    size_t before_n, after_n;
    double change;    /* after_mean / before_mean - 1 (NAN if 0) */
    double magnitude; /* hunter, ttest, permutation: max(|after/before -
                         1|, |before/after - 1|); steps: exp(|step|) - 1
                         of the drift-adjusted step on the log scale
                         (the same size up and down) */
    double step;      /* steps: the jump on the log scale (or in the
                         data's unit when a value is <= 0) net of the
                         segments' common drift; others: NAN */
    double drift;     /* steps: that common drift per point, on the same
                         scale (a trend, not a change point); others:
                         NAN */
};

/*
 * The change points of x[0..n) by p->method, in index order: *out (caller
 * frees) and *nout, NULL/0 when there are none.  ERR_INVALID for a bad
 * parameter or a non-finite value, ERR_TOO_LARGE for a permutation series
 * over AN_CPD_PERM_MAX_POINTS.
 */
enum err an_changepoints(const double *x, size_t n,
                         const struct an_cpd_params *p, struct an_cp **out,
                         size_t *nout, struct errbuf *eb);

/*
 * Otava's incremental mode, made exact: the state remembers the weak change
 * points and the window walk of the last analysis of a prefix of the same
 * series, so an update re-scans only the windows that the old end cut
 * short, and answers what a full analysis of x[0..n) would.  An empty state
 * (an_cpd_state_init) or one from other parameters or a longer series gives
 * a full analysis.  The state owns its arrays.
 */
struct an_cpd_prefix; /* private to changepoint.c */
struct an_cpd_state {
    size_t n;                /* points analysed */
    size_t window, min_size; /* parameters the walk was made with */
    double split_pvalue, outlier_filter;
    double *y;                 /* owns: the filtered series (filter on) */
    enum an_cpd_method method; /* hunter or steps */
    bool log_scale;            /* steps: the walk ran on log values */
    double *z;                 /* owns: steps: the series the walk saw */
    struct an_cpd_prefix *pre; /* owns: steps: its prefix sums (n + 1) */
    size_t *weak, nweak;       /* owns: change points before merging */
    size_t *starts, nstarts;   /* owns: window starts of the walk */
};
void an_cpd_state_init(struct an_cpd_state *s);
void an_cpd_state_cleanup(struct an_cpd_state *s);
/* As an_changepoints for AN_CPD_HUNTER or AN_CPD_STEPS (both walk the
 * same windows), and updates *state.  ERR_INVALID for another method. */
enum err an_cpd_hunter_update(const double *x, size_t n,
                              const struct an_cpd_params *p,
                              struct an_cpd_state *state, struct an_cp **out,
                              size_t *nout, struct errbuf *eb);

/*
 * What an ingest looks at: the newest points of a series.  An ingest of
 * n_new points re-examines the last an_cpd_tail_len() points; a change point
 * counts when it lies in the newest window + n_new points and the analyses
 * of the AN_CPD_CONFIRM - 1 previous lengths (x[0..n-1), x[0..n-2), ...)
 * found it too, within AN_CPD_MATCH points and in the same direction: a
 * change point that one noisy run brings and the next takes away never
 * becomes an alert (docs/changepoints.md has the figures).
 */
#define AN_CPD_TAIL_WINDOWS 4
#define AN_CPD_CONFIRM 3
#define AN_CPD_MATCH 5

struct an_cpd_tail {
    struct an_cp *recent; /* owns: confirmed change points of the newest
                             part, in index order */
    size_t nrecent;
    struct an_cp *all; /* owns: every change point of x[0..n) */
    size_t nall;
    size_t last_start; /* first index of the newest segment */
    double last_mean;  /* its mean (after the outlier filter) */
    size_t last_n;     /* its length */
};

/* Points to fetch for an ingest of n_new points (4 windows + n_new). */
size_t an_cpd_tail_len(const struct an_cpd_params *p, size_t n_new);
/*
 * Examines the tail x[0..n) after n_new new points with p (hunter or
 * steps).  The
 * caller an_cpd_tail_cleanup()s out, also on failure.  Errors as
 * an_changepoints.
 */
enum err an_cpd_tail_examine(const double *x, size_t n, size_t n_new,
                             const struct an_cpd_params *p,
                             struct an_cpd_tail *out, struct errbuf *eb);
void an_cpd_tail_cleanup(struct an_cpd_tail *t);

/*
 * q-hat of every split tau of x[0..n) with the right part running to the
 * end (kappa = n): q[tau] for X = x[0..tau), Y = x[tau..n), 0 when a side is
 * empty.  Binomial normalisation (see changepoint.c).  q holds n values.
 */
void an_edivisive_qhat(const double *x, size_t n, double *q);

#endif /* BV_ANALYSIS_H */
