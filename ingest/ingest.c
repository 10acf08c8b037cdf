/*
 * ingest_parse: limits, format dispatch, overrides and defaults.
 *
 * Flow: name the format (or "auto") -> body size -> ingest_json_load
 * (pre-scan + jansson) -> pick the adapter (named, or the first whose
 * detect() accepts the root) -> adapter fills the run, reporting at JSON
 * pointers -> overrides and defaults shared by every format -> status.
 *
 * The status comes from what was reported, not from the adapter: any
 * error makes the result ERR_INVALID, or ERR_TOO_LARGE when one of them was
 * a volume limit (samples, results).  On any failure the run goes back to
 * its run_init() state, so a caller can never store half a run.
 */
#include "ingest/ingest_int.h"

#include <string.h>

#define NATIVE_NAME "benchvault/v1"

/* Tried in order by "auto"; a new tool format is one more line. */
static const struct ingest_format formats[] = {
    {NATIVE_NAME, ingest_native_detect, ingest_native_parse},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

void ingest_limits_default(struct ingest_limits *lim)
{
    lim->max_body = (size_t)16 << 20;
    lim->max_depth = 64;
    lim->max_name = 256;
    lim->max_samples = 1000000;
    lim->max_results = 100000;
}

const char *const *ingest_format_names(void)
{
    /* Constant data, so any thread may call this; the assertion keeps it
     * in step with the table. */
    static const char *const names[] = {NATIVE_NAME, NULL};

    _Static_assert(sizeof names / sizeof names[0] == NFORMATS + 1,
                   "ingest_format_names() must list every format");
    return names;
}

bool ingest_slug_valid(const char *s, size_t max)
{
    size_t n;

    if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
                (s[0] >= '0' && s[0] <= '9')))
        return false;
    for (n = 0; s[n]; n++) {
        char ch = s[n];

        if (n >= max)
            return false;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* "a, b, c" of the known format names, for messages. */
static void list_formats(struct buf *b)
{
    for (size_t i = 0; i < NFORMATS; i++) {
        if (i)
            (void)buf_adds(b, ", ");
        (void)buf_adds(b, formats[i].name);
    }
}

static const struct ingest_format *format_find(const char *name)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    return NULL;
}

/* An override string: checked like the body field it replaces. */
static void override_name(struct ingest_ctx *c, const char *field,
                          const char *value, char **dst)
{
    size_t n = strlen(value);
    bool bad = n == 0 || n > c->lim->max_name;

    for (size_t i = 0; i < n && !bad; i++)
        bad = (unsigned char)value[i] < 0x20 || value[i] == 0x7f;
    if (bad) {
        ingest_error_key(c, field,
                         "the %s given beside the body is not valid: %s", field,
                         ingest_quote(c, value, n));
        return;
    }
    free(*dst);
    *dst = xstrdup(value);
}

static void set_default(char **field, const char *value)
{
    if (!*field)
        *field = xstrdup(value);
}

/*
 * What every format shares after its adapter: the project check, the
 * overrides, the defaults.  The body's project may only agree with the one
 * beside it (the URL decides which project a token writes to).
 */
static void finish_run(struct ingest_ctx *c, const struct ingest_format *fmt)
{
    const struct ingest_overrides *ov = c->ov;
    struct run *run = c->run;

    if (ov->project) {
        if (!ingest_slug_valid(ov->project, c->lim->max_name)) {
            ingest_error_key(c, "project",
                             "the project given beside the body is not a "
                             "valid slug: %s",
                             ingest_quote(c, ov->project, strlen(ov->project)));
        } else if (run->project && strcmp(run->project, ov->project) != 0) {
            ingest_error_key(c, "project",
                             "does not match the project in the URL (%s)",
                             ingest_quote(c, ov->project, strlen(ov->project)));
        } else {
            free(run->project);
            run->project = xstrdup(ov->project);
        }
    } else if (!run->project && !c->project_handled) {
        ingest_error_key(c, "project",
                         "is required (or name the project in the URL)");
    }
    if (ov->branch)
        override_name(c, "branch", ov->branch, &run->branch);
    if (ov->commit)
        override_name(c, "commit", ov->commit, &run->commit_sha);
    if (ov->testbed)
        override_name(c, "testbed", ov->testbed, &run->testbed);
    if (ov->base_branch)
        override_name(c, "base_branch", ov->base_branch, &run->base_branch);
    if (ov->pr_number > 0)
        run->pr_number = ov->pr_number;
    else if (ov->pr_number < 0)
        ingest_error_key(c, "pull_request",
                         "the pull request number given beside the body "
                         "must be positive");
    set_default(&run->branch, "unknown");
    set_default(&run->commit_sha, "unknown");
    set_default(&run->testbed, "default");
    set_default(&run->testbed_info, "{}");
    set_default(&run->metadata, "{}");
    free(run->format);
    run->format = xstrdup(fmt->name);
}

enum err ingest_parse(const char *body, size_t len, const char *format,
                      const struct ingest_overrides *ov,
                      const struct ingest_limits *lim, struct run *out,
                      struct errbuf *eb)
{
    struct ingest_limits deflim;
    struct ingest_ctx c;
    const struct ingest_format *fmt = NULL;
    json_t *root = NULL;
    struct buf names;
    enum err e;

    if (!lim) {
        ingest_limits_default(&deflim);
        lim = &deflim;
    }
    run_cleanup(out);
    ingest_ctx_init(&c, lim, ov, eb, out);
    buf_init(&names, 0);
    /* "" counts as "auto": an empty ?format= names nothing. */
    if (format && *format && strcmp(format, "auto") != 0) {
        fmt = format_find(format);
        if (!fmt) {
            list_formats(&names);
            err_set(eb, "unknown format %s; known: %s",
                    ingest_quote(&c, format, strlen(format)), buf_str(&names));
            e = ERR_UNSUPPORTED;
            goto out;
        }
    }
    if (len > lim->max_body) {
        err_set(eb, "body is larger than %zu bytes", lim->max_body);
        e = ERR_TOO_LARGE;
        goto out;
    }
    if (!body)
        len = 0;
    e = ingest_json_load(&c, body ? body : "", len, &root);
    if (e)
        goto out;
    for (size_t i = 0; !fmt && i < NFORMATS; i++)
        if (formats[i].detect && formats[i].detect(root))
            fmt = &formats[i];
    if (!fmt) {
        list_formats(&names);
        err_set(eb, "no known format matched the body; tried: %s",
                buf_str(&names));
        e = ERR_UNSUPPORTED;
        goto out;
    }
    fmt->parse(&c, root);
    finish_run(&c, fmt);
    if (c.nerrors)
        e = c.too_large ? ERR_TOO_LARGE : ERR_INVALID;
out:
    if (e)
        run_cleanup(out);
    json_decref(root);
    buf_cleanup(&names);
    ingest_ctx_cleanup(&c);
    return e;
}
