/*
 * core: the domain model and the small tools every layer shares.
 *
 * Errors (enum err + struct errbuf), allocation that aborts on out-of-memory
 * (x*), a bounded growable buffer (struct buf) with a JSON writer on top
 * (jw_*), logging, time and unit parsing, and the run model that ingest/
 * fills, store/ writes and reads, and server/ and cli/ print.
 *
 * Ownership: a struct run owns every string and array hanging off it;
 * run_cleanup() frees them all.  Functions named x_init and x_cleanup work on
 * caller-owned structs; nothing here keeps global state except the log level.
 */
#ifndef BV_CORE_H
#define BV_CORE_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef BV_VERSION
#define BV_VERSION "0.0.0"
#endif

#if defined(__GNUC__)
#define CORE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CORE_PRINTF(f, a)
#endif

/* ---- errors ------------------------------------------------------------ */

/* Stable values: they may be logged and compared across versions. */
enum err {
    ERR_OK = 0,
    ERR_NOMEM = 1,
    ERR_INVALID = 2,   /* well-formed input with invalid content (422) */
    ERR_TOO_LARGE = 3, /* over a configured limit (413) */
    ERR_NOT_FOUND = 4,
    ERR_CONFLICT = 5, /* clashes with what is stored (409/422) */
    ERR_AUTH = 6,     /* no or unknown credentials (401) */
    ERR_IO = 7,
    ERR_DB = 8,
    ERR_INTERNAL = 9,
    ERR_FORBIDDEN = 10,   /* credentials lack the scope (403) */
    ERR_MALFORMED = 11,   /* syntax error: not JSON, bad number (400) */
    ERR_UNSUPPORTED = 12, /* unknown format or content type (415) */
    ERR_FULL = 13         /* the disk or the database is full (507) */
};

const char *err_str(enum err e);

/* One problem with the input, located by a JSON pointer into the body ("" =
 * the whole), or, for a query parameter or flag, by its name. */
struct err_item {
    char *pointer;   /* owns; "" when parameter is set */
    char *message;   /* owns */
    char *parameter; /* owns; NULL unless the item is about a parameter */
};

#define ERRBUF_MAX_ITEMS 50

/*
 * Detail for a person.  msg holds one line; items collects field errors
 * (at most ERRBUF_MAX_ITEMS; the rest are counted in dropped).  Every
 * function that takes a struct errbuf * accepts NULL.
 */
struct errbuf {
    char msg[1024];
    struct err_item *items; /* owns */
    size_t nitems;
    size_t dropped;
};

void err_init(struct errbuf *eb);
void err_cleanup(struct errbuf *eb);
/* Sets msg (overwriting). */
void err_set(struct errbuf *eb, const char *fmt, ...) CORE_PRINTF(2, 3);
/* Adds a field error; also sets msg to "pointer: message" if msg is empty. */
void err_add(struct errbuf *eb, const char *pointer, const char *fmt, ...)
    CORE_PRINTF(3, 4);
/* Adds an error about the query parameter (or flag) name; msg, if empty,
 * becomes "query parameter \"name\": message". */
void err_add_param(struct errbuf *eb, const char *name, const char *fmt, ...)
    CORE_PRINTF(3, 4);

/* ---- memory: out-of-memory aborts (every network size is bounded first) */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array of nmemb elements of size bytes; aborts on overflow. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s); /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) CORE_PRINTF(1, 2);
/* The formatted text, at most max bytes: a longer one is cut at a UTF-8
 * character boundary and ends in "...", so it is never lost whole. */
char *xvasprintf_cut(size_t max, const char *fmt, va_list ap);

/* ---- bounded growable buffer ------------------------------------------- */

/*
 * Always NUL-terminated after the first append.  max bounds len (0 means
 * SIZE_MAX / 2); appends past it fail with ERR_TOO_LARGE and leave the buffer
 * as it was (curl's dynbuf).
 */
struct buf {
    char *data; /* owns; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_cleanup(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps memory */
enum err buf_add(struct buf *b, const void *p, size_t n);
enum err buf_adds(struct buf *b, const char *s);
enum err buf_addc(struct buf *b, char c);
enum err buf_printf(struct buf *b, const char *fmt, ...) CORE_PRINTF(2, 3);
enum err buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Hands the data to the caller (never NULL: "" for an empty buffer). */
char *buf_take(struct buf *b);
/* The contents as a C string ("" when empty); borrowed. */
const char *buf_str(const struct buf *b);

/* ---- JSON writer over a buf -------------------------------------------- */

/*
 * Writes compact JSON; commas and key order are the caller's sequence.
 * Non-finite numbers are written as null.  The first buffer error sticks in
 * w->err and later calls do nothing.
 */
#define JW_MAX_DEPTH 64
struct jw {
    struct buf *out; /* borrows */
    unsigned depth;
    bool first[JW_MAX_DEPTH];
    bool after_key;
    enum err err;
};

void jw_init(struct jw *w, struct buf *out);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
/* Strings: bytes that are not UTF-8 are written as \ufffd, so the output
 * is valid JSON whatever was stored. */
void jw_str(struct jw *w, const char *s); /* NULL writes null */
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, int64_t v);
void jw_num(struct jw *w, double v); /* shortest text that round-trips */
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Inserts already-valid JSON text (stored canonical params, metadata);
 * bytes that are not UTF-8 in it become U+FFFD. */
void jw_raw(struct jw *w, const char *json);
/* Convenience: key + value. */
void jw_kstr(struct jw *w, const char *key, const char *s);
void jw_kint(struct jw *w, const char *key, int64_t v);
void jw_knum(struct jw *w, const char *key, double v);
/* key + ISO 8601 UTC time, or null for TIME_NONE. */
void jw_ktime(struct jw *w, const char *key, int64_t ms);
/* Writes the string with JSON escaping only (no quotes) into b. */
enum err jw_escape(struct buf *b, const char *s, size_t n);

/* ---- text: the one check for every string that reaches the store ------- */

/*
 * Every string a client sends that we keep (names, params, branches,
 * commits, testbeds, notes, budget globs) passes text_valid(): valid UTF-8
 * (no overlongs, no surrogates), no NUL, no control character (C0, DEL,
 * C1), at most max bytes (0: no bound), and neither empty nor white space
 * only.  Flags relax it for free text.
 */
#define TEXT_MULTILINE 0x1 /* TAB, LF and CR allowed (messages, notes) */
#define TEXT_BLANK_OK 0x2  /* empty or white space only allowed */
#define TEXT_WHY_LEN 96

/* True when s (n bytes, not NUL-terminated) passes; else false with why
 * ("contains a NUL character", "longer than 256 bytes", ...) written into
 * why (whylen bytes; TEXT_WHY_LEN suffice). */
bool text_valid(const char *s, size_t n, size_t max, unsigned flags, char *why,
                size_t whylen);
/* text_valid, with eb->msg set to "field: why" and ERR_INVALID on failure;
 * the caller picks the status (a query parameter's is 400). */
enum err text_check(const char *field, const char *s, size_t n, size_t max,
                    unsigned flags, struct errbuf *eb);
/* The length (1-4) of the valid UTF-8 sequence at s (n bytes available),
 * and its code point in *cp when cp is not NULL; 0 when s starts no valid
 * sequence (or n is 0).  Inline: the JSON writer calls it for every
 * non-ASCII character it writes. */
static inline size_t text_utf8_seq(const char *str, size_t n, uint32_t *cp_out)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char ch;
    size_t len;
    uint32_t cp;

    if (n == 0)
        return 0;
    ch = s[0];
    if (ch < 0x80) {
        if (cp_out)
            *cp_out = ch;
        return 1;
    }
    if (ch >= 0xC2 && ch <= 0xDF) {
        len = 2;
        cp = ch & 0x1F;
    } else if (ch >= 0xE0 && ch <= 0xEF) {
        len = 3;
        cp = ch & 0x0F;
    } else if (ch >= 0xF0 && ch <= 0xF4) {
        len = 4;
        cp = ch & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    if (cp_out)
        *cp_out = cp;
    return len;
}
bool text_utf8_valid(const char *s, size_t n);
/* Appends s (n bytes) to out with each byte that starts no valid UTF-8
 * sequence replaced by U+FFFD; *nbad (may be NULL) counts them.
 * ERR_TOO_LARGE past out's maximum. */
enum err text_utf8_repair(struct buf *out, const char *s, size_t n,
                          size_t *nbad);

/* ---- logging ----------------------------------------------------------- */

enum log_level {
    LOG_DEBUG = 0,
    LOG_INFO = 1,
    LOG_WARN = 2,
    LOG_ERROR = 3,
    LOG_OFF = 4
};
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* One line to stderr, prefixed with a UTC timestamp and the level. */
void log_msg(enum log_level lvl, const char *fmt, ...) CORE_PRINTF(2, 3);
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* ---- time -------------------------------------------------------------- */

/* Times are int64 milliseconds since the Unix epoch, UTC; TIME_NONE = absent.
 */
#define TIME_NONE INT64_MIN

/*
 * Parses ISO 8601 / RFC 3339: "2026-11-26T12:00:00Z", "+02:00" offsets,
 * fractional seconds, a space instead of T, and naive times (read as UTC,
 * *naive set true).  A date alone is midnight UTC.  ERR_INVALID otherwise.
 */
enum err time_parse_iso(const char *s, int64_t *ms, bool *naive);
/* "2026-11-26T12:00:00Z" or "...00.123Z"; out must hold TIME_ISO_LEN. */
#define TIME_ISO_LEN 40
void time_format_iso(int64_t ms, char *out);
int64_t time_now_ms(void);
/* Monotonic clock in nanoseconds, for durations. */
uint64_t time_mono_ns(void);

/* ---- units and directions ---------------------------------------------- */

enum direction { DIR_LOWER = 0, DIR_HIGHER = 1, DIR_UNSET = -1 };

const char *direction_str(enum direction d); /* "lower" / "higher" */
/* Whether going from before to after is worse for a measure of direction
 * d (DIR_UNSET counts as lower-is-better): the one "is worse" rule. */
bool direction_worse(enum direction d, double before, double after);

/* Reads the whole of path ("-" = standard input) into out (appends; at
 * most max bytes in all; out->data is set even for an empty file).
 * ERR_NOT_FOUND when it does not exist, ERR_TOO_LARGE past max, ERR_IO;
 * the message names the file. */
enum err file_read(const char *path, size_t max, struct buf *out,
                   struct errbuf *eb);

/* qsort's comparison for doubles, ascending (NAN-free input). */
int double_cmp(const void *a, const void *b);
/* Parses "lower"/"higher" (also "lower_is_better", "higher_is_better"). */
enum err direction_parse(const char *s, enum direction *d);

/*
 * Maps a unit as written ("ms", "MiB", "ops/s", "%", "" ...) to its
 * canonical unit ("s", "B", "1/s", "B/s", "%", "") and the factor that
 * converts a value: canonical = value * factor.  Case matters where it
 * must ("MB" vs "Mb" are not both accepted; "mb" is refused).  ERR_INVALID
 * for an unknown unit.  *canonical points to static storage.
 */
enum err unit_canonical(const char *unit, const char **canonical,
                        double *factor);
/*
 * Converts a value with a factor from unit_canonical.  Factors below one
 * (ms, us, ns) divide by their exact reciprocal instead of multiplying, so
 * 12.3 ms becomes the double nearest 0.0123, not 0.012300000000000002.
 */
double unit_convert(double v, double factor);
/* The default direction for a measure name and its canonical unit. */
enum direction unit_default_direction(const char *measure,
                                      const char *canonical_unit);
/*
 * The display scale for values of a canonical unit whose magnitude is about
 * |v|: *div divides values, *label is the unit shown ("ms", "MiB", "k/s"):
 * the largest prefix that keeps the value at 1 or more.  Charts, pages,
 * texts and comments all use it, so every view says "12.3 ms".
 */
void unit_scale(const char *unit, double v, double *div, const char **label);
/* v in a unit a person reads, 4 significant digits ("12.3 ms", "1.5 MiB",
 * "87 %"); "-" for NAN.  out holds n bytes; 32 always suffice. */
void unit_format(char *out, size_t n, double v, const char *unit);

/* ---- the run model ----------------------------------------------------- */

/* Absent doubles are NAN; absent counts are -1. */
struct result {
    int64_t id;               /* 0 until stored */
    char *benchmark;          /* family name */
    char *params;             /* canonical JSON object text, sorted keys */
    char *key;                /* display key: name[k=v,...] or name */
    char *measure;            /* measure name */
    char *unit;               /* canonical unit */
    enum direction direction; /* DIR_UNSET: the measure's default */
    double value;             /* central statistic, canonical unit */
    double mean, median, stddev, min, max, lower, upper;
    int64_t n;       /* how many values stand behind the statistics:
                        nsamples when samples are stored, else the
                        count behind a mean with a stddev, else 1 (a
                        single value); -1 if unknown */
    double *samples; /* owns; canonical unit */
    size_t nsamples;
    char *pointer; /* owns; JSON pointer of the source, for errors */
    bool derived;  /* computed by the tool from another measure of
                      the same benchmark (pytest's ops = 1/mean),
                      not measured on its own */
};

struct resource_sample {
    int64_t t_ms;
    double cpu_pct, rss_bytes, read_bytes, write_bytes, gpu_util_pct,
        gpu_mem_bytes; /* NAN = absent */
};

struct run {
    int64_t id;    /* 0 until stored */
    char *project; /* slug */
    char *branch;
    char *commit_sha;
    char *commit_message, *commit_author;
    int64_t commit_time; /* TIME_NONE if absent */
    int64_t pr_number;   /* 0 if none */
    char *base_branch;
    char *testbed;      /* name */
    char *testbed_info; /* JSON object text: cpu, cores, memory_bytes ... */
    int64_t started_at, finished_at, created_at;
    char *format; /* "benchvault/v1", "pytest-benchmark", ... */
    char *ci_provider, *ci_url, *ci_job;
    char *metadata;         /* JSON object text */
    struct result *results; /* owns */
    size_t nresults, capresults;
    struct resource_sample *resources; /* owns */
    size_t nresources, capresources;
    char **warnings; /* owns; messages for the ingest answer */
    size_t nwarnings;
    int64_t result_count; /* results stored (store reads fill it) */
};

void run_init(struct run *r);
void run_cleanup(struct run *r);
/* Appends a zeroed result (doubles NAN, n = -1, direction unset). */
struct result *run_result_add(struct run *r);
struct resource_sample *run_resource_add(struct run *r);
void run_warn(struct run *r, const char *fmt, ...) CORE_PRINTF(2, 3);
void result_init(struct result *res);
void result_cleanup(struct result *res);

/* One point of a series: a run's central value for one benchmark/measure. */
struct series_point {
    int64_t run_id;
    char *commit_sha;           /* owns */
    int64_t time;               /* commit time, else run start, else ingest */
    double value, lower, upper; /* NAN when absent */
    int64_t n;
};

/* A series: benchmark x measure x branch x testbed, in commit order. */
struct series {
    int64_t benchmark_id, measure_id;
    char *benchmark_key, *measure, *unit, *branch, *testbed; /* owns */
    enum direction direction;
    struct series_point *points; /* owns */
    size_t npoints;
};

void series_cleanup(struct series *s);

/* ---- hashing and randomness (OpenSSL libcrypto underneath) -------------- */

#define HASH_SHA256_LEN 32
void hash_sha256(const void *data, size_t n,
                 unsigned char out[HASH_SHA256_LEN]);
/* HMAC-SHA-256 (RFC 2104) of data under key: webhook signatures. */
void hash_hmac_sha256(const void *key, size_t keylen, const void *data,
                      size_t n, unsigned char out[HASH_SHA256_LEN]);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hash_hex(const unsigned char *in, size_t n, char *out);
/* Constant-time comparison; true when equal. */
bool hash_equal(const unsigned char *a, const unsigned char *b, size_t n);
/* n random bytes from the OS (getrandom). */
enum err rand_bytes(void *out, size_t n);
/*
 * Streaming SHA-256, for a hash over content that is never held in one
 * buffer (a key over a header and a whole file).  create aborts on
 * out-of-memory; end writes the digest and leaves the stream reset;
 * free accepts NULL.
 */
struct hash_stream;
struct hash_stream *hash_stream_create(void);
void hash_stream_add(struct hash_stream *h, const void *data, size_t n);
void hash_stream_end(struct hash_stream *h, unsigned char out[HASH_SHA256_LEN]);
void hash_stream_free(struct hash_stream *h);

/* ---- small parsing helpers ---------------------------------------------- */

/* strtoll with full checks: the whole string, in [min, max]. */
enum err parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);
/* A byte size: "16MiB", "1048576", "64k". */
enum err parse_size(const char *s, uint64_t *out);
/* glob match with * and ? (fnmatch-like, no classes). */
bool glob_match(const char *pattern, const char *s);

#endif /* BV_CORE_H */
