/*
 * Text checks on what a request carries beside its body: every query
 * parameter, and the body's Content-Encoding.
 *
 * Design notes:
 * 1. libmicrohttpd decodes "%ff" and "%00" into the value without a check;
 *    a C-string lookup then reads "a%00b" as "a".  The iterator with sizes
 *    sees every byte, so a NUL is found by length and the rest by
 *    text_valid() (core/text.c, the one check for stored strings), here
 *    with empty and blank values allowed: "?branch=" means "absent" on
 *    list routes, and a route that stores a value checks it again as a
 *    name.
 * 2. A body in a Content-Encoding we do not decode (gzip, br, ...) would
 *    be read as if it were the bytes of the format: it is refused (415,
 *    RFC 9110 section 15.5.16) instead.
 */
#include "server/server_int.h"

#include <microhttpd.h>
#include <string.h>
#include <strings.h>

struct query_walk {
    struct req *rq;
    bool bad;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind,
                                 const char *key, size_t key_size,
                                 const char *value, size_t value_size)
{
    struct query_walk *qw = cls;
    char why[TEXT_WHY_LEN];

    (void)kind;
    if (!text_valid(key, key_size, 0, TEXT_BLANK_OK, why, sizeof why)) {
        req_query_problem(qw->rq, key, "the parameter's name is %s",
                          strcmp(why, "contains a NUL character") == 0
                              ? "cut by a NUL character"
                              : "not text");
        qw->bad = true;
        return MHD_NO;
    }
    if (value &&
        !text_valid(value, value_size, 0, TEXT_BLANK_OK, why, sizeof why)) {
        req_query_problem(qw->rq, key, "%s", why);
        qw->bad = true;
        return MHD_NO;
    }
    return MHD_YES;
}

bool req_query_text_ok(struct req *rq)
{
    struct query_walk qw = {rq, false};

    (void)MHD_get_connection_values_n(rq->conn, MHD_GET_ARGUMENT_KIND,
                                      check_arg, &qw);
    return !qw.bad;
}

bool req_identity_encoding(struct req *rq)
{
    const char *ce = req_header(rq, MHD_HTTP_HEADER_CONTENT_ENCODING);
    size_t n;

    if (!ce)
        return true;
    ce += strspn(ce, " \t");
    n = strcspn(ce, " \t");
    if ((n == 0 && !*ce) || (n == 8 && !strncasecmp(ce, "identity", 8)))
        return true;
    req_problem_status(rq, 415,
                       "Content-Encoding is not supported: send the "
                       "body uncompressed (Content-Encoding: identity or "
                       "none)");
    return false;
}
