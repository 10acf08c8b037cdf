/*
 * ingest_parse: limits, format dispatch, overrides and defaults.
 *
 * Flow: name the format (or "auto") -> body size -> multipart split (when
 * the Content-Type says so; the main part is "stats", else the first) ->
 * text formats: sniff the raw bytes (auto) and parse them as text, never
 * through the JSON pre-scan -> JSON formats: ingest_json_load (pre-scan +
 * jansson), then the first adapter whose detect() accepts the root ->
 * adapter fills the run, reporting at JSON pointers -> overrides and
 * defaults shared by every format -> status.
 *
 * The status comes from what was reported, not from the adapter: any
 * error makes the result ERR_INVALID, or ERR_TOO_LARGE when one of them was
 * a volume limit (samples, results).  An adapter that found nothing to
 * store without saying why gets a generic "no results" error, so a run is
 * never stored empty.  On any failure the run goes back to its run_init()
 * state, so a caller can never store half a run.
 *
 * Detection order matters only where two shapes could overlap: hyperfine
 * and the native format both have a top-level "results" (each detect()
 * looks inside it), pytest-benchmark and gbench both have "benchmarks"
 * (gbench has "context", pytest "machine_info"/"stats").  bmf, the
 * loosest shape (an object of objects of {"value": ...}), is tried last.
 */
#include "ingest/ingest_int.h"

#include <string.h>
#include <strings.h>

#define NATIVE_NAME "benchvault/v1"

/* Tried in order by "auto"; a new tool format is one more line. */
static const struct ingest_format formats[] = {
    {NATIVE_NAME, ingest_native_detect, ingest_native_parse, NULL, NULL},
    {"pytest-benchmark", ingest_pytest_detect, ingest_pytest_parse, NULL, NULL},
    {"gbench", ingest_gbench_detect, ingest_gbench_parse, NULL, NULL},
    {"hyperfine", ingest_hyperfine_detect, ingest_hyperfine_parse, NULL, NULL},
    {"locust", NULL, NULL, ingest_locust_sniff, ingest_locust_parse},
    {"gotest", NULL, NULL, ingest_gotest_sniff, ingest_gotest_parse},
    {"bmf", ingest_bmf_detect, ingest_bmf_parse, NULL, NULL},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

void ingest_limits_default(struct ingest_limits *lim)
{
    lim->max_body = (size_t)16 << 20;
    lim->max_depth = 64;
    lim->max_name = 256;
    lim->max_text = 64 << 10;
    lim->max_samples = 1000000;
    lim->max_results = 100000;
}

const char *const *ingest_format_names(void)
{
    /* Constant data, so any thread may call this; the assertion keeps it
     * in step with the table. */
    static const char *const names[] = {
        NATIVE_NAME, "pytest-benchmark", "gbench", "hyperfine",
        "locust",    "gotest",           "bmf",    NULL};

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

/*
 * An error about a run field given beside the body (a query parameter of
 * POST .../runs, a push flag): it names the parameter, never a pointer
 * into a body that does not hold the field.
 */
static void param_error(struct ingest_ctx *c, const char *name, const char *fmt,
                        ...) CORE_PRINTF(3, 4);
static void param_error(struct ingest_ctx *c, const char *name, const char *fmt,
                        ...)
{
    va_list ap;
    struct buf msg;

    c->nerrors++;
    buf_init(&msg, 4096);
    va_start(ap, fmt);
    (void)buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    err_add_param(c->eb, name, "%s", buf_str(&msg));
    buf_cleanup(&msg);
}

/*
 * The run fields given beside the body, checked before the body is read:
 * a query parameter or a flag that is not a valid name is the caller's
 * syntax error (400), whatever the body holds.  The value is not quoted
 * back: it may be the very bytes that are not text.
 */
static bool overrides_valid(struct ingest_ctx *c)
{
    const struct ingest_overrides *ov = c->ov;
    const struct {
        const char *name, *value;
    } fields[] = {{"branch", ov->branch},
                  {"commit", ov->commit},
                  {"testbed", ov->testbed},
                  {"base_branch", ov->base_branch}};
    char why[TEXT_WHY_LEN];
    bool ok = true;

    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = fields[i].value;

        if (v &&
            !text_valid(v, strlen(v), c->lim->max_name, 0, why, sizeof why)) {
            param_error(c, fields[i].name, "%s", why);
            ok = false;
        }
    }
    if (ov->pr_number < 0) {
        param_error(c, "pr",
                    "the pull request number given beside the body "
                    "must be positive");
        ok = false;
    }
    return ok;
}

/* An override string (checked by overrides_valid()) replaces the field. */
static void override_set(char **dst, const char *value)
{
    free(*dst);
    *dst = xstrdup(value);
}

static void set_default(char **field, const char *value)
{
    if (!*field)
        *field = xstrdup(value);
}

/*
 * The one place that says a run's branch or commit is missing, for every
 * format (only pytest-benchmark's adapter used to, and only for its own
 * fields): a run stored as branch "unknown" is in no branch's history, so
 * no comparison will ever use it.  Not said when the override names it,
 * nor when the run failed anyway.  A dirty working tree is said unless the
 * commit was named beside the body (the caller then vouches for it).
 */
static void missing_warnings(struct ingest_ctx *c,
                             const struct ingest_format *fmt)
{
    static const struct {
        const char *field, *flag;
    } what[] = {{"branch", "branch"}, {"commit", "commit"}};
    const struct ingest_overrides *ov = c->ov;
    struct run *run = c->run;

    if (c->nerrors)
        return;
    for (size_t i = 0; i < sizeof what / sizeof what[0]; i++) {
        bool branch = i == 0;
        const char *have = branch ? run->branch : run->commit_sha;
        const char *given = branch ? ov->branch : ov->commit;
        const char *said = branch ? c->branch_said : c->commit_said;

        if (have || given)
            continue;
        run_warn(run,
                 "no %s in the %s input%s%s%s: stored as %s \"unknown\", "
                 "which no comparison uses; name it with ?%s= (push and "
                 "run: --%s)",
                 what[i].field, fmt->name, said ? " (it says " : "",
                 said ? ingest_quote(c, said, strlen(said)) : "",
                 said ? ")" : "", what[i].field, what[i].flag, what[i].flag);
    }
    if (c->dirty && !ov->commit)
        run_warn(run,
                 "the working tree had uncommitted changes (dirty): these "
                 "results are not exactly commit %s",
                 ingest_quote(
                     c, run->commit_sha ? run->commit_sha : "unknown",
                     strlen(run->commit_sha ? run->commit_sha : "unknown")));
}

/*
 * The first problem of the strings in a JSON text written by
 * ingest_json_canon (which escapes '"', '\\' and C0 controls only, as
 * \n \r \t \b \f or \u00XX), else NULL: bytes that are not UTF-8, an
 * escaped NUL or control character other than TAB, LF, CR, a raw DEL or
 * C1 control.
 */
static const char *json_text_problem(const char *s)
{
    size_t n = strlen(s);

    if (!text_utf8_valid(s, n))
        return "not valid UTF-8";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '\\') {
            if (s[i + 1] == 'u')
                return strncmp(s + i + 2, "0000", 4) == 0
                           ? "contains a NUL character"
                           : "contains a control character";
            if (s[i + 1] == 'b' || s[i + 1] == 'f')
                return "contains a control character";
            i++;
        } else if (ch == 0x7f ||
                   (ch == 0xC2 && (unsigned char)s[i + 1] >= 0x80 &&
                    (unsigned char)s[i + 1] <= 0x9F)) {
            return "contains a control character";
        }
    }
    return NULL;
}

/*
 * The stored JSON texts once more, whatever adapter built them: the
 * readers check each string where they find it (with its pointer); this
 * is the one place that sees what every format stores, so a member an
 * adapter copied without reading (a tool's version string) cannot bring
 * a NUL or a control character into the store.
 */
static void stored_json_check(struct ingest_ctx *c)
{
    const struct run *run = c->run;
    const char *prev = NULL, *why;

    if (run->metadata && (why = json_text_problem(run->metadata)))
        ingest_error_key(c, "metadata", "%s", why);
    if (run->testbed_info && (why = json_text_problem(run->testbed_info)))
        ingest_error_key(c, "testbed", "%s", why);
    for (size_t i = 0; i < run->nresults; i++) {
        const struct result *res = &run->results[i];
        size_t mark = c->ptr.len;

        if (!res->params || (prev && strcmp(prev, res->params) == 0))
            continue;
        prev = res->params;
        if (!(why = json_text_problem(res->params)))
            continue;
        (void)buf_adds(&c->ptr, res->pointer ? res->pointer : "");
        ingest_error(c, "params: %s", why);
        ingest_ptr_pop(c, mark);
    }
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
        override_set(&run->branch, ov->branch);
    if (ov->commit)
        override_set(&run->commit_sha, ov->commit);
    if (ov->testbed)
        override_set(&run->testbed, ov->testbed);
    if (ov->base_branch)
        override_set(&run->base_branch, ov->base_branch);
    if (ov->pr_number > 0)
        run->pr_number = ov->pr_number;
    if (!c->nerrors)
        stored_json_check(c);
    missing_warnings(c, fmt);
    set_default(&run->branch, "unknown");
    set_default(&run->commit_sha, "unknown");
    set_default(&run->testbed, "default");
    set_default(&run->testbed_info, "{}");
    set_default(&run->metadata, "{}");
    free(run->format);
    run->format = xstrdup(fmt->name);
}

/* Skips a UTF-8 byte order mark (some Windows tools write one). */
static void skip_bom(const char **p, size_t *n)
{
    if (*n >= 3 && memcmp(*p, "\xEF\xBB\xBF", 3) == 0) {
        *p += 3;
        *n -= 3;
    }
}

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
            return false;
    return true;
}

/*
 * The main bytes of a multipart body: the "stats" part (locust's main
 * file), else the first.  Parts the format does not read are named in a
 * warning, not silently dropped.
 */
static const struct ingest_part *main_part(const struct ingest_part *parts,
                                           size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(parts[i].name, "stats") == 0)
            return &parts[i];
    return n ? &parts[0] : NULL;
}

/*
 * A text/... type other than text/json: the body claims to be text, so a
 * body that turns out to be a JSON format is refused (415) rather than
 * guessed at; the text formats are sent as text/csv or text/plain.
 */
static bool text_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return strncasecmp(ct, "text/", 5) == 0 &&
           strncasecmp(ct, "text/json", 9) != 0;
}

/* application/json, text/json, application/<anything>+json. */
static bool is_json_type(const char *ct)
{
    size_t len;

    while (*ct == ' ' || *ct == '\t')
        ct++;
    len = strcspn(ct, "; \t");
    return (len == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
           (len == 9 && strncasecmp(ct, "text/json", 9) == 0) ||
           (len > 17 && strncasecmp(ct, "application/", 12) == 0 &&
            strncasecmp(ct + len - 5, "+json", 5) == 0);
}

/* Whether the first significant byte opens a JSON object or array. */
static bool json_like(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
            continue;
        return p[i] == '{' || p[i] == '[';
    }
    return false;
}

/* Text input must not hold NUL bytes: every reader works on C strings. */
static enum err text_nul_check(const char *p, size_t n, struct errbuf *eb)
{
    const char *nul = memchr(p, '\0', n);
    size_t line = 1;

    if (!nul)
        return ERR_OK;
    for (const char *q = p; q < nul; q++)
        line += *q == '\n';
    err_set(eb, "line %zu: a NUL byte; a text format must be text", line);
    return ERR_MALFORMED;
}

enum err ingest_parse(const char *body, size_t len, const char *format,
                      const struct ingest_overrides *ov,
                      const struct ingest_limits *lim, struct run *out,
                      struct errbuf *eb)
{
    return ingest_parse_body(body, len, NULL, format, ov, lim, out, eb);
}

enum err ingest_parse_body(const char *body, size_t len,
                           const char *content_type, const char *format,
                           const struct ingest_overrides *ov,
                           const struct ingest_limits *lim, struct run *out,
                           struct errbuf *eb)
{
    struct ingest_limits deflim;
    struct ingest_ctx c;
    const struct ingest_format *fmt = NULL;
    struct ingest_part *parts = NULL;
    const struct ingest_part *mainpart = NULL;
    struct ingest_input in = {NULL, 0, NULL, 0};
    size_t nparts = 0;
    json_t *root = NULL;
    struct buf names;
    enum err e = ERR_OK;

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
            err_add_param(eb, "format", "%s", eb ? eb->msg : "");
            e = ERR_UNSUPPORTED;
            goto out;
        }
    }
    if (!overrides_valid(&c)) {
        e = ERR_MALFORMED;
        goto out;
    }
    if (len > lim->max_body) {
        err_set(eb, "body is larger than %zu bytes", lim->max_body);
        e = ERR_TOO_LARGE;
        goto out;
    }
    if (!body)
        len = 0;
    in.data = body ? body : "";
    in.len = len;
    if (ingest_is_multipart(content_type)) {
        e = ingest_multipart_decode(in.data, len, content_type, &parts, &nparts,
                                    eb);
        if (e)
            goto out;
        mainpart = main_part(parts, nparts);
        in.data = mainpart->data;
        in.len = mainpart->len;
        in.parts = parts;
        in.nparts = nparts;
    }
    skip_bom(&in.data, &in.len);
    if (blank(in.data, in.len)) {
        err_set(eb,
                mainpart ? "the multipart part \"%s\" is empty" : "empty body",
                mainpart ? mainpart->name : "");
        e = ERR_MALFORMED;
        goto out;
    }
    for (size_t i = 0; !fmt && i < NFORMATS; i++)
        if (formats[i].sniff && formats[i].sniff(in.data, in.len))
            fmt = &formats[i];
    if (fmt && fmt->parse_text) {
        e = text_nul_check(in.data, in.len, eb);
        if (e)
            goto out;
        fmt->parse_text(&c, &in);
    } else if (!fmt && !json_like(in.data, in.len) && content_type &&
               !is_json_type(content_type)) {
        /* Text sent as text that no text format recognised: "invalid
         * token near 'goos'" from jansson would not help anyone.  Sent as
         * JSON (or with no type), it gets jansson's message. */
        list_formats(&names);
        err_set(eb,
                "no known format matched the body (it is not JSON, "
                "and not a locust CSV or go test output); tried: %s",
                buf_str(&names));
        e = ERR_UNSUPPORTED;
        goto out;
    } else {
        e = ingest_json_load(&c, in.data, in.len, &root);
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
        if (text_type(content_type)) {
            err_set(eb,
                    "the body is %s JSON: send it as Content-Type: "
                    "application/json, not %s",
                    fmt->name, content_type);
            e = ERR_UNSUPPORTED;
            goto out;
        }
        for (size_t i = 0; i < nparts; i++)
            if (&parts[i] != mainpart)
                ingest_warn(
                    &c,
                    "multipart part %s ignored: %s reads one "
                    "file",
                    ingest_quote(&c, parts[i].name, strlen(parts[i].name)),
                    fmt->name);
        fmt->parse(&c, root);
    }
    /* An adapter that found nothing and said nothing: never store an
     * empty run. */
    if (!c.nerrors && out->nresults == 0) {
        /* The warnings go with the run; say here what was left out. */
        buf_reset(&names);
        for (size_t i = 0; i < out->nwarnings && i < 3; i++)
            (void)buf_printf(&names, "%s%s",
                             i ? "; " : " (warnings: ", out->warnings[i]);
        if (out->nwarnings > 3)
            (void)buf_printf(&names, "; %zu more", out->nwarnings - 3);
        if (out->nwarnings)
            (void)buf_addc(&names, ')');
        ingest_error(&c, "no benchmark results found in the %s input%s",
                     fmt->name, buf_str(&names));
    }
    finish_run(&c, fmt);
    if (c.nerrors)
        e = c.too_large ? ERR_TOO_LARGE : ERR_INVALID;
out:
    if (e)
        run_cleanup(out);
    json_decref(root);
    ingest_parts_free(parts, nparts);
    buf_cleanup(&names);
    ingest_ctx_cleanup(&c);
    return e;
}
