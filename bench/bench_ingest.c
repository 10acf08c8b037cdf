/*
 * bench_ingest: how fast benchvault takes runs in, and what limits it.
 *
 * What is measured (bench/run.sh drives it; `make bench` runs that):
 *
 *   bench_ingest http --port P --token-file F [--server-pid PID] --save FILE
 *     Against the real server on 127.0.0.1:P, over HTTP/1.1 keep-alive:
 *     1. small runs: --conns (32) connections post distinct runs of 10
 *        results x 5 latency samples until --runs (20,000) are sent or
 *        --seconds (10) have passed; runs/s counts 201 answers over the
 *        wall time, latency is per request from the first byte sent to the
 *        last byte received (CLOCK_MONOTONIC), p50/p99/max by nearest rank.
 *     2. a large run, 1,000 results x 100 samples, posted --posts (10)
 *        times with distinct commits, one after another; sample values/s
 *        is 100,000 over the median per-post time.
 *     Every answer must be 201: others are counted and the first is shown.
 *     The figures go to FILE ("name value" lines) for the second step.
 *
 *   bench_ingest direct --dir DIR [--load FILE] [--json OUT]
 *     With the server stopped, the limits on the same bytes: jansson's
 *     json_loadb, ingest_parse, and store_runs_insert into DIR/direct.db
 *     (the large run alone; small runs 32 per call).  Then it prints the
 *     report, the HTTP figures from FILE beside these, and writes it as
 *     JSON to OUT.  Exit status 1 when a phase failed or an answer was not
 *     201; targets are shown, never enforced.
 *
 * How: see ingest_http.c (load generator) and ingest_direct.c (limits).
 */
#include "bench/ingest_bench.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- figures ------------------------------------------------------------- */

enum target { T_NONE, T_MIN, T_MAX, T_ZERO };

struct fig {
    const char *name;  /* JSON key and save-file key */
    const char *label; /* report text */
    const char *unit;
    enum target kind;
    double target;
    double value; /* NAN until measured */
};

/* Report order.  Indented labels belong to the line above. */
static struct fig figs[] = {
    {"load_avg_before", "machine load (1 min) at start", "", T_NONE, 0, NAN},
    {"small_runs_per_s", "small runs via HTTP", "runs/s", T_MIN, 5000, NAN},
    {"small_p50_ms", "  latency p50", "ms", T_NONE, 0, NAN},
    {"small_p99_ms", "  latency p99", "ms", T_MAX, 20, NAN},
    {"small_max_ms", "  latency max", "ms", T_NONE, 0, NAN},
    {"small_runs_201", "  runs answered 201", "runs", T_NONE, 0, NAN},
    {"small_seconds", "  duration", "s", T_NONE, 0, NAN},
    {"small_non201", "  answers other than 201", "", T_ZERO, 0, NAN},
    {"small_io_errors", "  connection errors", "", T_ZERO, 0, NAN},
    {"small_server_cpu_us_per_run", "  server CPU per run", "us", T_NONE, 0,
     NAN},
    {"small_server_cpu_util", "  server CPU in use", "cores", T_NONE, 0, NAN},
    {"small_client_cpu_us_per_run", "  load generator CPU per run", "us",
     T_NONE, 0, NAN},
    {"large_values_per_s", "large run via HTTP (1,000 x 100)", "values/s",
     T_MIN, 1e6, NAN},
    {"large_ms_per_post", "  per post, median", "ms", T_NONE, 0, NAN},
    {"large_min_ms", "  per post, best", "ms", T_NONE, 0, NAN},
    {"large_first_ms", "  first post (new benchmarks)", "ms", T_NONE, 0, NAN},
    {"large_posts_201", "  posts answered 201", "posts", T_NONE, 0, NAN},
    {"large_non201", "  answers other than 201", "", T_ZERO, 0, NAN},
    {"large_server_cpu_ms_per_post", "  server CPU per post", "ms", T_NONE, 0,
     NAN},
    {"large_body_bytes", "  body size", "bytes", T_NONE, 0, NAN},
    {"jansson_values_per_s", "limit: jansson json_loadb (large)", "values/s",
     T_NONE, 0, NAN},
    {"jansson_ms", "  per parse", "ms", T_NONE, 0, NAN},
    {"parse_values_per_s", "limit: ingest_parse (large)", "values/s", T_NONE, 0,
     NAN},
    {"parse_ms", "  per parse", "ms", T_NONE, 0, NAN},
    {"store_large_values_per_s", "limit: store_runs_insert (large)", "values/s",
     T_NONE, 0, NAN},
    {"store_large_ms_per_run", "  per run, median", "ms", T_NONE, 0, NAN},
    {"store_large_first_ms", "  first run (new benchmarks)", "ms", T_NONE, 0,
     NAN},
    {"large_http_overhead_ms", "  HTTP post - parse - insert", "ms", T_NONE, 0,
     NAN},
    {"store_small_runs_per_s", "limit: store_runs_insert (small, x32)",
     "runs/s", T_NONE, 0, NAN},
    {"store_small_runs", "  runs inserted", "runs", T_NONE, 0, NAN},
    {"small_parse_us_per_run", "  ingest_parse per small run", "us", T_NONE, 0,
     NAN},
};
#define NFIGS (sizeof figs / sizeof figs[0])

static char bad_answer[1024];

static struct fig *fig_find(const char *name)
{
    for (size_t i = 0; i < NFIGS; i++)
        if (!strcmp(figs[i].name, name))
            return &figs[i];
    return NULL;
}

void bench_fig_set(const char *name, double value)
{
    struct fig *f = fig_find(name);

    assert(f); /* every name set by a phase is in the table */
    if (f)
        f->value = value;
}

static double fig_get(const char *name)
{
    struct fig *f = fig_find(name);

    assert(f);
    return f ? f->value : NAN;
}

void bench_note_bad_answer(const char *text, size_t len)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

    pthread_mutex_lock(&lock);
    if (!bad_answer[0]) {
        size_t n = len < sizeof bad_answer - 1 ? len : sizeof bad_answer - 1;

        /* One line: control characters become spaces. */
        for (size_t i = 0; i < n; i++)
            bad_answer[i] = (unsigned char)text[i] < 0x20 ? ' ' : text[i];
        bad_answer[n] = '\0';
    }
    pthread_mutex_unlock(&lock);
}

/* Did the figure meet its target?  -1 when there is none or no value. */
static int fig_met(const struct fig *f)
{
    if (f->kind == T_NONE || isnan(f->value))
        return -1;
    switch (f->kind) {
    case T_MIN:
        return f->value >= f->target;
    case T_MAX:
        return f->value < f->target;
    case T_ZERO:
        return f->value == 0;
    case T_NONE:
        break;
    }
    return -1;
}

static void value_text(double v, char *out, size_t n);

static void target_text(const struct fig *f, char *out, size_t n)
{
    char v[32];

    value_text(f->target, v, sizeof v);
    switch (f->kind) {
    case T_MIN:
        snprintf(out, n, ">= %s", v);
        break;
    case T_MAX:
        snprintf(out, n, "< %s", v);
        break;
    case T_ZERO:
        snprintf(out, n, "== 0");
        break;
    case T_NONE:
        out[0] = '\0';
        break;
    }
}

/* 1234567.8 -> "1,234,568"; small values keep 1-2 decimals. */
static void value_text(double v, char *out, size_t n)
{
    char raw[64];
    size_t len, k = 0, lead;

    if (isnan(v)) {
        snprintf(out, n, "-");
        return;
    }
    if (fabs(v) < 10 && v != floor(v)) {
        snprintf(out, n, "%.2f", v);
        return;
    }
    if (fabs(v) < 100 && v != floor(v)) {
        snprintf(out, n, "%.1f", v);
        return;
    }
    snprintf(raw, sizeof raw, "%.0f", fabs(v));
    len = strlen(raw);
    lead = len % 3 ? len % 3 : 3;
    if (v < 0 && k + 1 < n)
        out[k++] = '-';
    for (size_t i = 0; i < len && k + 1 < n; i++) {
        if (i && i >= lead && (i - lead) % 3 == 0 && k + 1 < n)
            out[k++] = ',';
        if (k + 1 < n)
            out[k++] = raw[i];
    }
    out[k] = '\0';
}

/* ---- save / load (the hand-over from the http step) ---------------------- */

static int figs_save(const char *path)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        fprintf(stderr, "bench_ingest: %s: %s\n", path, strerror(errno));
        return 1;
    }
    for (size_t i = 0; i < NFIGS; i++)
        if (!isnan(figs[i].value))
            fprintf(f, "%s %.17g\n", figs[i].name, figs[i].value);
    if (bad_answer[0])
        fprintf(f, "bad_answer %s\n", bad_answer);
    if (fclose(f)) {
        fprintf(stderr, "bench_ingest: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

static int figs_load(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    int rc = 0;

    if (!f) {
        fprintf(stderr, "bench_ingest: %s: %s (no HTTP figures)\n", path,
                strerror(errno));
        return 1;
    }
    /* One line per turn: bounded by the file. */
    while (fgets(line, sizeof line, f)) {
        char *sp = strchr(line, ' '), *stop = NULL;
        struct fig *fg;
        double v;

        line[strcspn(line, "\n")] = '\0';
        if (!sp)
            continue;
        *sp++ = '\0';
        if (!strcmp(line, "bad_answer")) {
            bench_note_bad_answer(sp, strlen(sp));
            continue;
        }
        errno = 0;
        v = strtod(sp, &stop);
        fg = fig_find(line);
        if (!fg || errno || stop == sp || *stop) {
            fprintf(stderr, "bench_ingest: %s: ignored line \"%s\"\n", path,
                    line);
            rc = 1;
            continue;
        }
        fg->value = v;
    }
    fclose(f);
    return rc;
}

/* ---- report -------------------------------------------------------------- */

struct context {
    long nproc, conns;
    const char *db_fs; /* file system of the scratch folder, or NULL */
};

static void report_print(const struct context *cx)
{
    printf("\nbenchvault ingest benchmark: nproc %ld, %ld connections, "
           "loopback, database on %s\n",
           cx->nproc, cx->conns, cx->db_fs ? cx->db_fs : "?");
    for (size_t i = 0; i < NFIGS; i++) {
        const struct fig *f = &figs[i];
        char v[64], t[48];
        int met = fig_met(f);

        value_text(f->value, v, sizeof v);
        target_text(f, t, sizeof t);
        printf("  %-38s %12s %-8s %-12s %s\n", f->label, v, f->unit, t,
               met < 0 ? ""
               : met   ? "ok"
                       : "MISSED");
    }
    if (bad_answer[0])
        printf("  first answer other than 201: %s\n", bad_answer);
}

static int report_json(const struct context *cx, const char *path)
{
    struct buf b;
    struct jw w;
    FILE *fp;
    int rc = 0;

    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    jw_kstr(&w, "benchmark", "ingest");
    jw_kstr(&w, "version", BV_VERSION);
    jw_kint(&w, "nproc", cx->nproc);
    jw_kint(&w, "connections", cx->conns);
    jw_kstr(&w, "db_fs", cx->db_fs);
    jw_key(&w, "figures");
    jw_obj_begin(&w);
    for (size_t i = 0; i < NFIGS; i++) {
        const struct fig *f = &figs[i];
        static const char *const ops[] = {NULL, ">=", "<", "=="};
        int met = fig_met(f);

        jw_key(&w, f->name);
        jw_obj_begin(&w);
        jw_knum(&w, "value", f->value);
        jw_kstr(&w, "unit", f->unit);
        jw_key(&w, "target");
        if (f->kind == T_NONE) {
            jw_null(&w);
        } else {
            jw_obj_begin(&w);
            jw_kstr(&w, "op", ops[f->kind]);
            jw_knum(&w, "value", f->target);
            jw_obj_end(&w);
        }
        jw_key(&w, "met");
        if (met < 0)
            jw_null(&w);
        else
            jw_bool(&w, met);
        jw_obj_end(&w);
    }
    jw_obj_end(&w);
    jw_kstr(&w, "first_bad_answer", bad_answer[0] ? bad_answer : NULL);
    jw_obj_end(&w);
    if (w.err || buf_addc(&b, '\n')) {
        fprintf(stderr, "bench_ingest: cannot build the JSON report\n");
        buf_cleanup(&b);
        return 1;
    }
    fp = fopen(path, "w");
    if (!fp || fwrite(b.data, 1, b.len, fp) != b.len) {
        fprintf(stderr, "bench_ingest: %s: %s\n", path, strerror(errno));
        rc = 1;
    }
    if (fp && fclose(fp)) {
        fprintf(stderr, "bench_ingest: %s: %s\n", path, strerror(errno));
        rc = 1;
    }
    buf_cleanup(&b);
    return rc;
}

/* ---- options ------------------------------------------------------------- */

enum opt_type { O_LONG, O_STR };

struct opt {
    const char *name;
    enum opt_type type;
    long min, max;
    void *dst; /* long * or const char ** */
};

struct cmdline {
    struct bench_opts o;
    long port;
    const char *token_file, *save, *load, *json, *db_fs;
    long nproc;
};

static int opts_parse(int argc, char **argv, struct cmdline *cl)
{
    const struct opt table[] = {
        {"port", O_LONG, 1, 65535, &cl->port},
        {"token-file", O_STR, 0, 0, &cl->token_file},
        {"server-pid", O_LONG, 1, 1L << 30, &cl->o.server_pid},
        {"conns", O_LONG, 1, 1024, &cl->o.conns},
        {"runs", O_LONG, 1, 10000000, &cl->o.runs},
        {"seconds", O_LONG, 1, 3600, &cl->o.seconds},
        {"posts", O_LONG, 1, 1000, &cl->o.posts},
        {"dir", O_STR, 0, 0, &cl->o.dir},
        {"save", O_STR, 0, 0, &cl->save},
        {"load", O_STR, 0, 0, &cl->load},
        {"json", O_STR, 0, 0, &cl->json},
        {"db-fs", O_STR, 0, 0, &cl->db_fs},
        {"nproc", O_LONG, 1, 1 << 20, &cl->nproc},
    };

    for (int i = 2; i < argc; i += 2) {
        const struct opt *o = NULL;

        if (strncmp(argv[i], "--", 2) == 0)
            for (size_t k = 0; k < sizeof table / sizeof table[0]; k++)
                if (!strcmp(argv[i] + 2, table[k].name))
                    o = &table[k];
        if (!o || i + 1 >= argc) {
            fprintf(stderr, "bench_ingest: %s: unknown option or no value\n",
                    argv[i]);
            return 1;
        }
        if (o->type == O_STR) {
            *(const char **)o->dst = argv[i + 1];
        } else {
            int64_t v;

            if (parse_int64(argv[i + 1], o->min, o->max, &v)) {
                fprintf(stderr,
                        "bench_ingest: --%s: expected an integer in "
                        "[%ld, %ld]\n",
                        o->name, o->min, o->max);
                return 1;
            }
            *(long *)o->dst = (long)v;
        }
    }
    return 0;
}

/* Reads the secret (first line) of path into a fresh string. */
static char *token_read(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    char *tok = NULL;

    if (!f) {
        fprintf(stderr, "bench_ingest: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        /* It goes into a header line: printable ASCII only. */
        for (size_t i = 0; line[i]; i++)
            if ((unsigned char)line[i] <= 0x20 || line[i] == 0x7f)
                line[0] = '\0';
        if (line[0])
            tok = xstrdup(line);
    }
    fclose(f);
    if (!tok)
        fprintf(stderr, "bench_ingest: %s: no token on the first line\n", path);
    return tok;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_ingest http --port P --token-file F "
                    "[--server-pid PID] [--conns N] [--runs N] [--seconds S] "
                    "[--posts N] --save FILE\n"
                    "       bench_ingest direct --dir DIR [--load FILE] "
                    "[--json OUT] [--db-fs TYPE] [--nproc N] [--conns N] "
                    "[--runs N] [--seconds S] [--posts N]\n");
}

/* The 1-minute load average: other work on the machine skews every figure. */
static double load_avg(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    char text[128];
    char *stop = NULL;
    double v = NAN;

    if (!f)
        return NAN;
    if (fgets(text, sizeof text, f)) {
        errno = 0;
        v = strtod(text, &stop);
        if (errno || stop == text)
            v = NAN;
    }
    fclose(f);
    return v;
}

static int cmd_http(struct cmdline *cl)
{
    char *token;
    int rc = 0;

    if (!cl->port || !cl->token_file || !cl->save) {
        usage();
        return 2;
    }
    token = token_read(cl->token_file);
    if (!token)
        return 1;
    bench_fig_set("load_avg_before", load_avg());
    cl->o.port = (unsigned)cl->port;
    cl->o.token = token;
    fprintf(stderr,
            "bench_ingest: small runs: %ld connections, up to %ld "
            "runs or %ld s\n",
            cl->o.conns, cl->o.runs, cl->o.seconds);
    rc |= bench_http_small(&cl->o);
    fprintf(stderr, "bench_ingest: large run: %ld posts of %d x %d\n",
            cl->o.posts, BENCH_LARGE_RESULTS, BENCH_LARGE_SAMPLES);
    rc |= bench_http_large(&cl->o);
    if (bad_answer[0])
        fprintf(stderr, "bench_ingest: first answer other than 201: %s\n",
                bad_answer);
    rc |= figs_save(cl->save);
    free(token);
    return rc;
}

static int cmd_direct(struct cmdline *cl)
{
    struct context cx = {cl->nproc, cl->o.conns, cl->db_fs};
    double http, parse, store;
    int rc = 0;

    if (!cl->o.dir) {
        usage();
        return 2;
    }
    if (cl->load)
        rc |= figs_load(cl->load);
    fprintf(stderr, "bench_ingest: limits: jansson, ingest_parse, "
                    "store_runs_insert\n");
    rc |= bench_direct_jansson(&cl->o);
    rc |= bench_direct_parse(&cl->o);
    rc |= bench_direct_store(&cl->o);
    http = fig_get("large_ms_per_post");
    parse = fig_get("parse_ms");
    store = fig_get("store_large_ms_per_run");
    bench_fig_set("large_http_overhead_ms", http - parse - store);

    report_print(&cx);
    if (cl->json)
        rc |= report_json(&cx, cl->json);
    /* With HTTP figures, each answer must have been a 201; NAN (a phase
     * that did not run) fails too. */
    if (cl->load &&
        (fig_get("small_non201") != 0 || fig_get("small_io_errors") != 0 ||
         fig_get("large_non201") != 0))
        rc = 1;
    return rc;
}

int main(int argc, char **argv)
{
    struct cmdline cl;
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    memset(&cl, 0, sizeof cl);
    cl.o.conns = 32;
    cl.o.runs = 20000;
    cl.o.seconds = 10;
    cl.o.posts = 10;
    cl.nproc = n > 0 ? n : 1;
    if (argc < 2) {
        usage();
        return 2;
    }
    if (opts_parse(argc, argv, &cl))
        return 2;
    if (!strcmp(argv[1], "http"))
        return cmd_http(&cl);
    if (!strcmp(argv[1], "direct"))
        return cmd_direct(&cl);
    usage();
    return 2;
}
