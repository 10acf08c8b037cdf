/*
 * ingest internals shared by the files of ingest/: the parse context, JSON
 * pointer tracking, typed readers over json_t, canonical JSON, and the steps
 * every format adapter ends with (params and key, unit conversion, adding a
 * result).  Nothing outside ingest/ includes this header; json_t stays here.
 *
 * A format adapter (ingest/fmt_<name>.c) is one entry of the format table:
 * detect(root) says whether a parsed document looks like the format, and
 * parse(c, root) fills c->run.  It reports problems with ingest_error*()
 * at JSON pointers, keeps going after the first, and never returns a
 * status: ingest_parse() decides 413/422 from what was reported.
 *
 * Ownership: the context borrows limits, overrides, errbuf and run; readers
 * hand out strings borrowed from the json_t tree (valid until the root is
 * released), so copy (xstrdup) what the run keeps.
 */
#ifndef BV_INGEST_INT_H
#define BV_INGEST_INT_H

#include <jansson.h>

#include "ingest/ingest.h"

/* ---- context ------------------------------------------------------------ */

/* (key, measure) -> index into run->results; open addressing. */
struct ingest_dupslot {
    uint32_t idx;           /* 0 = empty, else result index + 1 */
    uint32_t hash, hash_hi; /* the pair's 64-bit hash, low and high half */
};

struct ingest_dupset {
    struct ingest_dupslot *slots; /* owns */
    size_t cap;                   /* a power of two, or 0 */
    size_t n;
};

struct ingest_ctx {
    const struct ingest_limits *lim;   /* borrows */
    const struct ingest_overrides *ov; /* borrows; never NULL */
    struct errbuf *eb;                 /* borrows; may be NULL */
    struct run *run;                   /* borrows */
    struct buf ptr;       /* JSON pointer of the value being read */
    struct buf scratch;   /* ingest_quote()'s result */
    size_t nerrors;       /* reported, including those eb dropped */
    bool too_large;       /* a volume limit was hit: the status is 413 */
    bool results_capped;  /* lim->max_results reached and reported */
    bool markers;         /* the pre-scan rewrote NaN/Infinity tokens */
    bool project_handled; /* the adapter read a project (valid or not), or
                             the body is too wrong to ask for one */
    struct ingest_dupset dups;
};

void ingest_ctx_init(struct ingest_ctx *c, const struct ingest_limits *lim,
                     const struct ingest_overrides *ov, struct errbuf *eb,
                     struct run *run);
void ingest_ctx_cleanup(struct ingest_ctx *c);

/* ---- JSON pointer and reporting ---------------------------------------- */

/*
 * Push appends "/" + the RFC 6901-escaped key (or the decimal index) to the
 * current pointer and returns a mark; pop(mark) restores it.  Pushes and
 * pops nest like the document.
 */
size_t ingest_ptr_push(struct ingest_ctx *c, const char *key);
size_t ingest_ptr_push_index(struct ingest_ctx *c, size_t i);
void ingest_ptr_pop(struct ingest_ctx *c, size_t mark);
const char *ingest_ptr(const struct ingest_ctx *c); /* borrowed */

/* A field error at the current pointer (422 unless a limit was hit). */
void ingest_error(struct ingest_ctx *c, const char *fmt, ...) CORE_PRINTF(2, 3);
/* A field error at the current pointer + "/" + key. */
void ingest_error_key(struct ingest_ctx *c, const char *key, const char *fmt,
                      ...) CORE_PRINTF(3, 4);
/* Like ingest_error, and makes the status 413 (a volume limit). */
void ingest_error_limit(struct ingest_ctx *c, const char *fmt, ...)
    CORE_PRINTF(2, 3);
/* A warning "pointer: message" for the ingest answer (run->warnings). */
void ingest_warn(struct ingest_ctx *c, const char *fmt, ...) CORE_PRINTF(2, 3);
/*
 * s (n bytes) as a short quoted JSON string for a message, cut after 64
 * bytes with "...".  Borrowed; valid until the next call.
 */
const char *ingest_quote(struct ingest_ctx *c, const char *s, size_t n);

/* ---- loading (json_scan.c) ---------------------------------------------- */

/*
 * Pre-scans body (nesting depth, bare NaN/Infinity/-Infinity tokens, which
 * become marker strings) and parses it with jansson.  Returns ERR_OK with
 * *root (the caller json_decref()s it), ERR_MALFORMED with eb->msg.
 */
enum err ingest_json_load(struct ingest_ctx *c, const char *body, size_t len,
                          json_t **root);

enum ingest_nonfinite {
    INGEST_FINITE = 0,
    INGEST_NAN,
    INGEST_INF,
    INGEST_NEG_INF
};
/* Which non-finite token v stood for (a marker string), else INGEST_FINITE. */
enum ingest_nonfinite ingest_nonfinite_of(const struct ingest_ctx *c,
                                          const json_t *v);
/* "NaN", "Infinity", "-Infinity" */
const char *ingest_nonfinite_name(enum ingest_nonfinite k);

/* ---- typed readers (json_read.c) ---------------------------------------- */

/* What a reader found.  BAD means it has reported an error. */
enum ingest_got { INGEST_BAD = -1, INGEST_ABSENT = 0, INGEST_OK = 1 };

/* String checks; every string is also refused if it holds a NUL byte. */
#define INGEST_STR_NAME 0x1     /* 1..max_name bytes, no control characters */
#define INGEST_STR_REQUIRED 0x2 /* absent or null is an error */

/* "an object", "a string", "NaN" ... for messages. */
const char *ingest_type_name(const struct ingest_ctx *c, const json_t *v);

/*
 * A name: 1..max_name bytes, no control characters (NUL included).  False
 * after reporting at the current pointer.
 */
bool ingest_name_check(struct ingest_ctx *c, const char *s, size_t n);

/*
 * Value readers: check v (at the current pointer) and deliver it.  A JSON
 * null is ABSENT.  Numbers may be JSON integers or reals; markers are
 * refused as "NaN is not a finite number".
 */
enum ingest_got ingest_str(struct ingest_ctx *c, const json_t *v,
                           unsigned flags, const char **out);
enum ingest_got ingest_num(struct ingest_ctx *c, const json_t *v, double *out);
/* An integer in [min, max]; an integral real (5.0) is accepted. */
enum ingest_got ingest_int(struct ingest_ctx *c, const json_t *v, int64_t min,
                           int64_t max, int64_t *out);
/* An ISO 8601 string; a naive time is read as UTC with a warning. */
enum ingest_got ingest_time(struct ingest_ctx *c, const json_t *v,
                            int64_t *out);

/*
 * Member readers: obj[key] (obj may be NULL), errors at pointer/key.  Absent
 * or null gives ABSENT (an error with INGEST_STR_REQUIRED for strings).
 */
enum ingest_got ingest_get_str(struct ingest_ctx *c, const json_t *obj,
                               const char *key, unsigned flags,
                               const char **out);
/* ingest_get_str into an owned run field: frees the old value, xstrdup()s. */
enum ingest_got ingest_set_str(struct ingest_ctx *c, const json_t *obj,
                               const char *key, unsigned flags, char **field);
enum ingest_got ingest_get_num(struct ingest_ctx *c, const json_t *obj,
                               const char *key, double *out);
/* As ingest_get_num, and refuses a negative number. */
enum ingest_got ingest_get_nonneg(struct ingest_ctx *c, const json_t *obj,
                                  const char *key, double *out);
enum ingest_got ingest_get_int(struct ingest_ctx *c, const json_t *obj,
                               const char *key, int64_t min, int64_t max,
                               int64_t *out);
enum ingest_got ingest_get_time(struct ingest_ctx *c, const json_t *obj,
                                const char *key, int64_t *out);
/* Type-checked members; *out is borrowed from the tree. */
enum ingest_got ingest_get_obj(struct ingest_ctx *c, const json_t *obj,
                               const char *key, json_t **out);
enum ingest_got ingest_get_arr(struct ingest_ctx *c, const json_t *obj,
                               const char *key, json_t **out);
/*
 * The numbers of array arr (at the current pointer) into a new array *out
 * (xmalloc, *n elements; NULL when empty), at most lim->max_samples (more
 * is a limit error).  On BAD *out is NULL.
 */
enum ingest_got ingest_num_array(struct ingest_ctx *c, const json_t *arr,
                                 double **out, size_t *n);

/*
 * Free JSON (metadata, testbed, params): markers become null, each with a
 * warning at its pointer.  v is at the current pointer; changed in place.
 */
void ingest_json_clean(struct ingest_ctx *c, json_t *v);

/* ---- canonical JSON (json_canon.c) -------------------------------------- */

/*
 * Compact JSON with object keys sorted bytewise (what jansson writes with
 * JSON_COMPACT | JSON_SORT_KEYS), except that reals take the shortest text
 * that round-trips (0.1, not 0.10000000000000001) and keep a ".0" when
 * integral.  Integers are written exactly as int64.  Strings escape only
 * '"', '\\' and control characters; UTF-8 passes through.
 */
enum err ingest_json_canon(const json_t *v, struct buf *out);
/* The same into a new string (xmalloc'd; "null" for NULL). */
char *ingest_json_canon_str(const json_t *v);
/* JSON string escaping (no quotes) as above. */
enum err ingest_json_escape(struct buf *out, const char *s, size_t n);

/* ---- results (result.c) -------------------------------------------------- */

/*
 * Canonical params text and the display key of a benchmark: params NULL,
 * null or {} give "{}" and key = name; otherwise key =
 * name[k1=v1,k2=v2] in sorted key order, v the raw text of a string and
 * the canonical JSON of anything else.  params must be an object or null.
 * Both outputs are xmalloc'd.
 */
void ingest_params_key(const char *name, const json_t *params,
                       char **params_json, char **key);

/* Looks up a unit; reports `unknown unit "x"` at the current pointer. */
enum ingest_got ingest_unit(struct ingest_ctx *c, const char *unit,
                            const char **canonical, double *factor);

/* Median of n values (a sorted copy; even n: mean of the middle two). */
double ingest_median(const double *v, size_t n);

/*
 * Finishes a result and moves it into c->run (takes res's contents; res is
 * left result_init()ed).  res holds benchmark, params, key, measure,
 * unit (canonical) and its statistics and samples as written; factor
 * converts them to the canonical unit.  Derives value (samples' median,
 * else median, else mean), n (nsamples), sets pointer to the current
 * pointer, refuses a (key, measure) already in the run, and enforces
 * lim->max_results.  Errors at the current pointer.
 */
void ingest_result_add(struct ingest_ctx *c, struct result *res, double factor);

/* ---- the format table (ingest.c) ----------------------------------------- */

typedef bool (*ingest_detect_fn)(const json_t *root);
typedef void (*ingest_parse_fn)(struct ingest_ctx *c, json_t *root);

struct ingest_format {
    const char *name;
    ingest_detect_fn detect; /* for "auto"; NULL: only when named */
    ingest_parse_fn parse;   /* root is an object or array, never NULL */
};

/* fmt_native.c */
bool ingest_native_detect(const json_t *root);
void ingest_native_parse(struct ingest_ctx *c, json_t *root);

#endif /* BV_INGEST_INT_H */
