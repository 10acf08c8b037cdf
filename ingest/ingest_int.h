/*
 * ingest internals shared by the files of ingest/: the parse context, JSON
 * pointer tracking, typed readers over json_t, canonical JSON, and the steps
 * every format adapter ends with (params and key, unit conversion, adding a
 * result).  Nothing outside ingest/ includes this header; json_t stays here.
 *
 * A format adapter (ingest/fmt_<name>.c) is one entry of the format table:
 * detect(root) says whether a parsed document looks like the format, and
 * parse(c, root) fills c->run; a text format (CSV, go test output) has
 * sniff(bytes) and parse_text(c, input) instead, and never meets the JSON
 * pre-scan.  It reports problems with ingest_error*()
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
    /* What the input said instead of a branch or commit (pytest's
     * "(detached head)", "unversioned"): shown in the one warning
     * finish_run() gives for each (borrowed from the tree; may be NULL). */
    const char *branch_said, *commit_said;
    bool dirty; /* the input says its working tree had changes */
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

/* String checks: without INGEST_STR_NAME a string is free text
 * (ingest_textfield_check). */
#define INGEST_STR_NAME 0x1     /* a name: ingest_name_check */
#define INGEST_STR_REQUIRED 0x2 /* absent or null is an error */

/* "an object", "a string", "NaN" ... for messages. */
const char *ingest_type_name(const struct ingest_ctx *c, const json_t *v);

/*
 * A name (a benchmark, measure, branch, commit, testbed, param key or
 * value): text_valid() with no flags, 1..max_name bytes, not blank, no
 * control character (NUL included), valid UTF-8.  False after reporting at
 * the current pointer.
 */
bool ingest_name_check(struct ingest_ctx *c, const char *s, size_t n);
/*
 * Free text stored with a run (a commit message, an author, a URL, a
 * metadata string): valid UTF-8, no NUL or control character except TAB,
 * LF and CR, at most max_text bytes; may be empty.  False after reporting at
 * the current pointer.
 */
bool ingest_textfield_check(struct ingest_ctx *c, const char *s, size_t n);

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
 * Free JSON (metadata, testbed, extra info): markers become null, each with
 * a warning at its pointer; every key must be a one-line text of at most
 * max_name bytes and every string a text of at most max_text bytes
 * (ingest_textfield_check), or an error is reported at its pointer.  v is
 * at the current pointer; changed in place.
 */
void ingest_json_clean(struct ingest_ctx *c, json_t *v);
/* ingest_json_clean for a benchmark's params, which make its key: string
 * values are held to max_name bytes on one line like the keys (they may
 * be empty). */
void ingest_params_clean(struct ingest_ctx *c, json_t *v);
/* The key check of ingest_json_clean (names: of ingest_params_clean) for a
 * member key kept as free JSON, reported at the current pointer (which
 * already names the key) as "key: ...". */
void ingest_free_key_check(struct ingest_ctx *c, const char *key, bool names);

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

/*
 * What a text adapter reads: the main bytes (the whole body, or the main
 * part of a multipart body; a UTF-8 byte order mark removed) and, for a
 * multipart body, every part (borrowed; parts NULL otherwise).
 */
struct ingest_input {
    const char *data;
    size_t len;
    const struct ingest_part *parts;
    size_t nparts;
};

typedef bool (*ingest_detect_fn)(const json_t *root);
typedef void (*ingest_parse_fn)(struct ingest_ctx *c, json_t *root);
typedef bool (*ingest_sniff_fn)(const char *p, size_t n);
typedef void (*ingest_text_fn)(struct ingest_ctx *c,
                               const struct ingest_input *in);

/*
 * A JSON format has detect and parse (the body goes through the pre-scan
 * and jansson first); a text format (CSV, go test's text) has sniff and
 * parse_text and never meets the JSON pre-scan.  "auto" sniffs the text
 * formats on the raw bytes first, then loads JSON and asks detect().
 */
struct ingest_format {
    const char *name;
    ingest_detect_fn detect; /* for "auto"; NULL: only when named */
    ingest_parse_fn parse;   /* root is an object or array, never NULL */
    ingest_sniff_fn sniff;   /* text formats: for "auto" */
    ingest_text_fn parse_text;
};

/* fmt_native.c */
bool ingest_native_detect(const json_t *root);
void ingest_native_parse(struct ingest_ctx *c, json_t *root);
/* fmt_pytest.c */
bool ingest_pytest_detect(const json_t *root);
void ingest_pytest_parse(struct ingest_ctx *c, json_t *root);
/* fmt_gbench.c */
bool ingest_gbench_detect(const json_t *root);
void ingest_gbench_parse(struct ingest_ctx *c, json_t *root);
/* fmt_hyperfine.c */
bool ingest_hyperfine_detect(const json_t *root);
void ingest_hyperfine_parse(struct ingest_ctx *c, json_t *root);
/* fmt_bmf.c */
bool ingest_bmf_detect(const json_t *root);
void ingest_bmf_parse(struct ingest_ctx *c, json_t *root);
/* fmt_locust.c */
bool ingest_locust_sniff(const char *p, size_t n);
void ingest_locust_parse(struct ingest_ctx *c, const struct ingest_input *in);
/* fmt_gotest.c */
bool ingest_gotest_sniff(const char *p, size_t n);
void ingest_gotest_parse(struct ingest_ctx *c, const struct ingest_input *in);

/* ---- multipart/form-data (multipart.c) ----------------------------------- */

#define INGEST_MAX_PARTS 16

/* True for a Content-Type of multipart/form-data (any case, any params). */
bool ingest_is_multipart(const char *content_type);
/*
 * Splits body into its parts (at most INGEST_MAX_PARTS; data borrowed from
 * body, names and types owned by the array).  ERR_MALFORMED with eb->msg
 * for a missing boundary, a part without a name, a missing closing
 * delimiter, too many parts.  Free with ingest_parts_free.
 */
enum err ingest_multipart_decode(const char *body, size_t len,
                                 const char *content_type,
                                 struct ingest_part **parts, size_t *n,
                                 struct errbuf *eb);
void ingest_parts_free(struct ingest_part *parts, size_t n);

/* ---- CSV, RFC 4180 (csv.c) ----------------------------------------------- */

#define INGEST_CSV_MAX_FIELDS 4096

/*
 * A reader over CSV bytes (borrowed): records end at LF or CRLF outside
 * quotes; a quoted field may hold ',', '""' and line ends.  Fields are
 * copied, unquoted and NUL-terminated into the reader.
 */
struct ingest_csv {
    const char *p; /* borrows */
    size_t n, pos;
    size_t line;      /* the line where the last record read starts */
    size_t next_line; /* the line where the next one starts */
    struct buf text;  /* the fields' bytes, each NUL-terminated */
    size_t *off;      /* owns; field i is text.data + off[i] */
    size_t *len;      /* owns; its length (a field may hold a NUL) */
    size_t nfields, cap;
};

void ingest_csv_init(struct ingest_csv *r, const char *p, size_t n);
void ingest_csv_cleanup(struct ingest_csv *r);
/* 1: a record was read; 0: the end; -1: malformed, *why says how. */
int ingest_csv_next(struct ingest_csv *r, const char **why);
/* Field i of the record just read ("" past the last); borrowed. */
const char *ingest_csv_field(const struct ingest_csv *r, size_t i);
size_t ingest_csv_field_len(const struct ingest_csv *r, size_t i);

/* ---- helpers the tool adapters share (adapt.c) --------------------------- */

/* What a number written as text turned out to be. */
enum ingest_textnum {
    INGEST_TN_OK = 0,
    INGEST_TN_ABSENT,    /* "", "N/A" */
    INGEST_TN_NONFINITE, /* NaN, Inf, +Inf, -Inf, Infinity (any case) */
    INGEST_TN_BAD        /* anything else that is not a decimal number */
};
/* A decimal number (n bytes, no white space around it). */
enum ingest_textnum ingest_text_num(const char *s, size_t n, double *out);
/* A JSON-grammar integer or real in s (n bytes) as a json_t number, else
 * NULL: "3" -> 3, "0.5" -> 0.5, "007" and "1e999" -> NULL.  New reference. */
json_t *ingest_text_json_num(const char *s, size_t n);

/*
 * An optional statistic obj[key]: a number gives OK; absent or null
 * ABSENT; a NaN/Infinity marker ABSENT with a warning (tools write them
 * for undefined statistics; they are never stored); anything else is an
 * error (BAD).
 */
enum ingest_got ingest_get_stat(struct ingest_ctx *c, const json_t *obj,
                                const char *key, double *out);

/*
 * The numbers of array arr (at the current pointer) as samples, like
 * ingest_num_array, except that NaN/Infinity markers are left out with one
 * warning at the array (tools write them for a failed repetition).  Other
 * non-numbers are errors at their index.
 */
enum ingest_got ingest_sample_array(struct ingest_ctx *c, const json_t *arr,
                                    double **out, size_t *n);

/* Free JSON members of obj (at the current pointer), except the member
 * `except` (NULL: none): markers become null with a warning, also at the
 * top level of obj; a member named "params" is cleaned as params
 * (ingest_params_clean), the others as free JSON (ingest_json_clean). */
void ingest_clean_members(struct ingest_ctx *c, json_t *obj,
                          const char *except);

/* A benchmark's identity, shared by its measures. */
struct ingest_bench {
    char *name;   /* owns */
    char *params; /* owns; canonical JSON */
    char *key;    /* owns */
};

/* Fills b from a family name and params (an object or NULL). */
void ingest_bench_set(struct ingest_bench *b, const char *name,
                      const json_t *params);
void ingest_bench_cleanup(struct ingest_bench *b);

/*
 * Adds res as measure `measure` of benchmark b: res holds the statistics
 * and samples in `unit` as written (a unit core knows: our own tables
 * name it), converted to the canonical unit here.  Takes res's contents.
 */
void ingest_measure_add(struct ingest_ctx *c, const struct ingest_bench *b,
                        const char *measure, const char *unit,
                        struct result *res);

/* mean, median, min, max (and stddev from two samples on) from res's
 * samples where they are absent. */
void ingest_stats_from_samples(struct result *res);

/* Replaces an owned string field with a copy of s. */
void ingest_set_owned(char **field, const char *s);
/* Canonical JSON of obj (NULL: nothing) into an owned field. */
void ingest_set_json(char **field, const json_t *obj);

#endif /* BV_INGEST_INT_H */
