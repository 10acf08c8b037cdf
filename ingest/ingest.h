/*
 * ingest: bytes in, a validated struct run out.  The native benchvault/v1
 * format and (later) one adapter per tool format.  No SQL, no HTTP; jansson
 * is used here and json_t never leaves this folder.
 *
 * Every problem is reported with a JSON pointer to the field and what was
 * expected, e.g. "/results/3/measures/latency/unit": unknown unit
 * "parsecs".  Values come out in canonical units (s, B, 1/s, B/s, %, "").
 *
 * Ownership: the caller run_init()s the output run and run_cleanup()s it on
 * every path; the body is borrowed.
 */
#ifndef BV_INGEST_H
#define BV_INGEST_H

#include "core/core.h"

struct ingest_limits {
    size_t max_body;     /* bytes; default 16 MiB */
    unsigned max_depth;  /* JSON nesting; default 64 */
    size_t max_name;     /* bytes of a name; default 256 */
    size_t max_samples;  /* samples per result; default 1,000,000 */
    size_t max_results;  /* results per run; default 100,000 */
};

void ingest_limits_default(struct ingest_limits *lim);

/*
 * Run fields given beside the body (URL path, query parameters, push flags).
 * They override what the body says.  Each may be NULL / 0.
 */
struct ingest_overrides {
    const char *project;
    const char *branch;
    const char *commit;
    const char *testbed;
    int64_t pr_number;
    const char *base_branch;
};

/*
 * Parses and validates body (len bytes) as format ("benchvault/v1"; NULL or
 * "auto" detects).  Returns:
 *   ERR_OK          out holds the run, values in canonical units; warnings
 *                   in out->warnings;
 *   ERR_MALFORMED   not parseable (eb->msg says where: line, column);
 *   ERR_INVALID     parseable but wrong: eb->items hold pointer + message;
 *   ERR_TOO_LARGE   over a limit;
 *   ERR_UNSUPPORTED unknown format name, or no format matched (eb->msg
 *                   lists those tried).
 * On failure out is left empty (run_init state).
 */
enum err ingest_parse(const char *body, size_t len, const char *format,
                      const struct ingest_overrides *ov,
                      const struct ingest_limits *lim, struct run *out,
                      struct errbuf *eb);

/* Validates a project slug: 1..max bytes of [A-Za-z0-9._-], starting with a
 * letter or digit. */
bool ingest_slug_valid(const char *s, size_t max);

/* NULL-terminated list of the format names ingest_parse accepts. */
const char *const *ingest_format_names(void);

#endif /* BV_INGEST_H */
