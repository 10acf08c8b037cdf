/*
 * ingest: bytes in, a validated struct run out.  The native benchvault/v1
 * format and one adapter per tool format (pytest-benchmark, gbench,
 * hyperfine, locust, gotest, bmf; docs/formats.md), auto-detection, and the
 * multipart/form-data decoding that carries several files in one body.  No
 * SQL, no HTTP; jansson is used here and json_t never leaves this folder.
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
    size_t max_body;    /* bytes; default 16 MiB */
    unsigned max_depth; /* JSON nesting; default 64 */
    size_t max_name;    /* bytes of a name, a param value, a branch or
                           commit; default 256 */
    size_t max_text;    /* bytes of free text stored with a run (commit
                           message, CI URL, a metadata string); 64 KiB */
    size_t max_samples; /* samples per result; default 1,000,000 */
    size_t max_results; /* results per run; default 100,000 */
};

void ingest_limits_default(struct ingest_limits *lim);

/*
 * Run fields given beside the body (URL path, query parameters, push flags).
 * They override what the body says.  Each may be NULL / 0.  Each string must
 * pass text_valid() as a name (UTF-8, no control characters, not blank, at
 * most max_name bytes): one that does not makes ingest_parse answer
 * ERR_MALFORMED (400) with an item naming the parameter, before the body is
 * read.
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
 *   ERR_MALFORMED   not parseable (eb->msg says where: line, column), or
 *                   an override that is not a valid name (items name
 *                   the parameter);
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

/*
 * ingest_parse for a body with its Content-Type (NULL or "" when unknown).
 * Only a multipart/form-data type changes anything: the body is split into
 * its parts (locust sends "stats" and "stats_history"; any format may come
 * as one part), and a malformed multipart body is ERR_MALFORMED.  The
 * format is still named or detected from the bytes; a text/... type only
 * makes two answers ERR_UNSUPPORTED: a body that is a JSON format, and
 * text that no text format recognises (which, sent as JSON or with no
 * type, is jansson's ERR_MALFORMED as before).
 */
enum err ingest_parse_body(const char *body, size_t len,
                           const char *content_type, const char *format,
                           const struct ingest_overrides *ov,
                           const struct ingest_limits *lim, struct run *out,
                           struct errbuf *eb);

/* One file of a multipart/form-data body; every pointer is borrowed. */
struct ingest_part {
    const char *name;         /* form field name, e.g. "stats" */
    const char *filename;     /* NULL: none */
    const char *content_type; /* NULL: none (text/plain for a reader) */
    const char *data;
    size_t len;
};

/*
 * Encodes parts as a multipart/form-data body into out (appended) and
 * writes the matching Content-Type header value into ctype (ctype_size
 * bytes; 128 is enough).  The boundary is derived from the parts' bytes,
 * so the same files always give the same body (an Idempotency-Key over
 * it stays stable across retries), and is checked to occur in none of
 * them.  ERR_TOO_LARGE when out's maximum is passed, ERR_INVALID for a
 * name with '"', CR or LF.
 */
enum err ingest_multipart_encode(const struct ingest_part *parts, size_t n,
                                 struct buf *out, char *ctype,
                                 size_t ctype_size);

/* Validates a project slug: 1..max bytes of [A-Za-z0-9._-], starting with a
 * letter or digit. */
bool ingest_slug_valid(const char *s, size_t max);

/* NULL-terminated list of the format names ingest_parse accepts. */
const char *const *ingest_format_names(void);

/* ==== CI-side readers (ingest/ci_json.c, for the runner agent) ========== */
/*
 * Small JSON documents the agent reads beside the results: the CI event
 * file, the server's answers, GitHub's comment list, a budgets file.  They
 * go through the same depth-limited loader as ingest_parse; json_t stays
 * here.  Strings handed out are owned by the caller's struct (free with the
 * matching _cleanup/_free).
 */

/* GITHUB_EVENT_PATH's pull_request.number (*number = 0 when the event is
 * not a pull request).  ERR_MALFORMED when the file is not JSON. */
enum err ingest_ci_event_pr(const char *body, size_t len, int64_t *number,
                            struct errbuf *eb);

/* What the agent reads of GITHUB_EVENT_PATH's pull_request (all owned;
 * 0/NULL when absent, e.g. a push event). */
struct ingest_ci_event {
    int64_t pr_number;
    char *head_sha;  /* pull_request.head.sha: the PR's own commit, not
                        GitHub's synthetic merge commit (GITHUB_SHA) */
    char *head_repo; /* pull_request.head.repo.full_name */
    char *base_repo; /* pull_request.base.repo.full_name: differs for a
                        pull request from a fork */
};
/* Reads it; ERR_MALFORMED when the file is not JSON.
 * ingest_ci_event_cleanup on every path. */
enum err ingest_ci_event_read(const char *body, size_t len,
                              struct ingest_ci_event *out, struct errbuf *eb);
void ingest_ci_event_cleanup(struct ingest_ci_event *ev);

/* The "run_id" of an ingest answer (201/200).  ERR_INVALID when absent. */
enum err ingest_answer_run_id(const char *body, size_t len, int64_t *run_id);

/* One row of GET .../compare (DESIGN.md "HTTP API"); absent numbers NAN. */
struct ingest_compare_row {
    char *benchmark, *measure, *unit, *verdict; /* owns; verdict "" if absent */
    double base, head, change, change_lo, change_hi, p_value;
    bool needs_confirmation; /* the row says one run cannot decide */
};

/* A budget line of the answer: broken when the server says so. */
struct ingest_compare_budget {
    char *benchmark, *measure, *message; /* owns; may be NULL */
    double value, threshold;
    bool broken;
};

struct ingest_compare {
    int64_t regressed, improved, unchanged, inconclusive; /* summary */
    struct ingest_compare_row *rows;                      /* owns */
    size_t nrows;
    struct ingest_compare_budget *budgets; /* owns */
    size_t nbudgets;
    char **recommendations; /* owns; plain text */
    size_t nrecommendations;
};

/* Parses a compare answer into out (zeroed first; ingest_compare_cleanup
 * on every path).  Tolerant of extra members; ERR_MALFORMED/ERR_INVALID
 * when it is not an object with "rows". */
enum err ingest_compare_parse(const char *body, size_t len,
                              struct ingest_compare *out, struct errbuf *eb);
void ingest_compare_cleanup(struct ingest_compare *c);

/* GitHub's issue-comment list (a JSON array): the id of the first comment
 * whose "body" contains marker (*id = 0 if none) and how many there were. */
enum err ingest_gh_comment_find(const char *body, size_t len,
                                const char *marker, int64_t *id, size_t *count);

/* A budget rule from a --budgets file: {"budgets": [{"benchmark": glob,
 * "measure": m, "max"|"min": x, "unit": u}]} (or the bare array). */
struct ingest_budget {
    char *benchmark_glob, *measure, *unit; /* owns; unit canonical */
    bool is_max;
    double threshold; /* canonical unit */
};

enum err ingest_budgets_parse(const char *body, size_t len,
                              struct ingest_budget **out, size_t *n,
                              struct errbuf *eb);
void ingest_budgets_free(struct ingest_budget *b, size_t n);

/* Sets member key of the JSON object text obj (NULL means {}) to the JSON
 * text value; *out is the canonical result (xmalloc'd).  ERR_INVALID when
 * obj is not an object or value is not JSON. */
enum err ingest_json_set(const char *obj, const char *key, const char *value,
                         char **out);

/* ==== statistics engine: analyze input, comparison settings ============= */
/* (ingest/numbers.c, ingest/compare_settings.c; budget rules are read by
 * ingest_budgets_parse above) */

/*
 * Numbers for `benchvault analyze`: a JSON array of numbers or of [x, y]
 * pairs, or text (numbers separated by white space or commas, '#'
 * comments).  *out (caller frees) holds them in order, *cols is 2 when
 * they are pairs (JSON pairs, or text whose lines, two or more, all hold
 * two numbers), else 1.  ERR_MALFORMED for a token or document that does
 * not parse, ERR_INVALID for a non-finite number (message or pointer in
 * eb), ERR_TOO_LARGE past max numbers.
 */
enum err ingest_numbers_parse(const char *body, size_t len, size_t max,
                              double **out, size_t *n, int *cols,
                              struct errbuf *eb);

/* A noise threshold for the benchmarks matching a glob (and a measure). */
struct ingest_threshold {
    char *benchmark_glob; /* owns; "*" when not given */
    char *measure;        /* owns; NULL: every measure */
    double threshold;     /* relative: 0.05 is 5% */
};

struct ingest_compare_settings {
    double threshold; /* project default; NAN when not given */
    double allowance; /* run-to-run allowance; NAN when not given */
    struct ingest_threshold *rules; /* owns; first match wins */
    size_t nrules;
};

/*
 * Reads {"noise_threshold", "thresholds": [{"benchmark", "measure",
 * "threshold"}], "run_to_run_allowance"} (all optional; "threshold" is
 * accepted for "noise_threshold").  The caller
 * ingest_compare_settings_cleanup()s out on every path.  ERR_MALFORMED,
 * ERR_INVALID with pointers in eb.
 */
enum err ingest_compare_settings_parse(const char *body, size_t len,
                                       struct ingest_compare_settings *out,
                                       struct errbuf *eb);
void ingest_compare_settings_cleanup(struct ingest_compare_settings *s);

/* ==== regression detection: the body of PATCH /api/v1/alerts/{id} ===== */
/* (ingest/alert_patch.c) */

#define INGEST_ALERT_NOTE_MAX 4096

/*
 * Reads {"status": "open|acknowledged|dismissed|resolved", "note": "..."}
 * (each optional, one at least).  *status and *note (caller frees) are NULL
 * when absent.  ERR_MALFORMED, ERR_INVALID with pointers in eb.
 */
enum err ingest_alert_patch_parse(const char *body, size_t len, char **status,
                                  char **note, struct errbuf *eb);

/* ==== operations: tokens and retention (ingest/ops_json.c) ============ */

struct ingest_token_req {
    char *name, *scope, *project; /* owns; project NULL: every project */
    int64_t expires_at;           /* TIME_NONE: never */
};
/*
 * Reads {"name" (required), "scope" (read|write|admin, default read),
 * "project", "expires_at" (ISO 8601, after now) or "expires_in_days"
 * (1..36500)}.  ERR_MALFORMED, ERR_INVALID with pointers in eb.  Clean
 * out up with ingest_token_req_cleanup (also on failure).
 */
enum err ingest_token_req_parse(const char *body, size_t len, int64_t now,
                                struct ingest_token_req *out,
                                struct errbuf *eb);
void ingest_token_req_cleanup(struct ingest_token_req *t);

struct ingest_retention {
    int64_t samples_days, default_runs_days, branch_runs_days; /* 0: ever */
    char *default_branch; /* owns; "main" when not given */
};
/*
 * Reads {"samples_days", "default_runs_days", "branch_runs_days" (each
 * 0..36500, 0 or absent: keep forever), "default_branch"}; the default
 * branch's runs must be kept at least as long as the others'.
 * ERR_MALFORMED, ERR_INVALID with pointers.  ingest_retention_cleanup.
 */
enum err ingest_retention_parse(const char *body, size_t len,
                                struct ingest_retention *out,
                                struct errbuf *eb);
void ingest_retention_cleanup(struct ingest_retention *r);
/* ==== webhooks: the body of POST /api/v1/projects/{p}/webhooks ======== */
/* (ingest/webhook.c) */

#define INGEST_WEBHOOK_URL_MAX 2048

/*
 * Reads {"url", "secret", "format"}.  *url and *format (caller frees) are
 * set on success (format "json" when absent); *secret is NULL when absent.
 * ERR_MALFORMED, ERR_INVALID with pointers in eb.
 */
enum err ingest_webhook_parse(const char *body, size_t len, char **url,
                              char **secret, char **format, struct errbuf *eb);

/* ==== a project's settings: the body of PATCH /api/v1/projects/{p} ====== */
/* (ingest/project_patch.c) */

#define INGEST_REPO_URL_MAX 512

/*
 * Reads {"repository_url": URL | null | ""}: *url (caller frees) is the
 * URL without a trailing "/", or NULL to clear it.  ERR_MALFORMED,
 * ERR_INVALID with pointers in eb (a URL that is not http(s), too long,
 * or with characters a link cannot carry).
 */
enum err ingest_project_patch_parse(const char *body, size_t len, char **url,
                                    struct errbuf *eb);

#endif /* BV_INGEST_H */
