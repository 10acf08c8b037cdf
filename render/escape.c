/*
 * Escaping per output context.  Entities rather than stripping: a name
 * containing "<script>" is shown as exactly that, as text.  Text and
 * attributes are always valid UTF-8: a byte that starts no UTF-8 sequence
 * is written as U+FFFD.
 */
#include "render/render.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static enum err esc_markup(struct buf *b, const char *s, bool attr)
{
    const char *run = s;
    enum err e = ERR_OK;

    for (; *s && !e; s++) {
        const char *rep = NULL;

        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '`':
            rep = attr ? "&#96;" : NULL;
            break;
        case '=':
            rep = attr ? "&#61;" : NULL;
            break;
        default:
            break;
        }
        if (!rep && (unsigned char)*s >= 0x80) {
            /* 4: the decoder stops at the terminating NUL, which is
             * no continuation byte. */
            size_t k = text_utf8_seq(s, 4, NULL);

            /* A byte that is not UTF-8 (a query value echoed back)
             * becomes U+FFFD: the page stays valid UTF-8. */
            if (k) {
                s += k - 1;
                continue;
            }
            rep = "\xEF\xBF\xBD";
        }
        if (!rep)
            continue;
        e = buf_add(b, run, (size_t)(s - run));
        if (!e)
            e = buf_adds(b, rep);
        run = s + 1;
    }
    if (!e)
        e = buf_adds(b, run);
    return e;
}

enum err page_esc_text(struct buf *b, const char *s)
{
    return esc_markup(b, s ? s : "", false);
}

enum err page_esc_attr(struct buf *b, const char *s)
{
    return esc_markup(b, s ? s : "", true);
}

enum err page_esc_href(struct buf *b, const char *s)
{
    return esc_markup(b, s ? s : "", false);
}

static enum err esc_percent(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    enum err e = ERR_OK;

    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && !e;
         p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            e = buf_addc(b, (char)*p);
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

            e = buf_add(b, enc, 3);
        }
    }
    return e;
}

enum err page_esc_segment(struct buf *b, const char *s)
{
    return esc_percent(b, s);
}

enum err page_esc_query(struct buf *b, const char *s)
{
    return esc_percent(b, s);
}

enum err page_esc_md(struct buf *b, const char *s)
{
    static const char special[] = "\\`*_{}[]()#+-.!|~";
    enum err e = ERR_OK;

    for (; s && *s && !e; s++) {
        if (*s == '\n' || *s == '\r' || *s == '\t')
            e = buf_addc(b, ' ');
        else if (*s == '<')
            e = buf_adds(b, "&lt;");
        else if (*s == '>')
            e = buf_adds(b, "&gt;");
        else if (*s == '&')
            e = buf_adds(b, "&amp;");
        else if (*s == '@') /* "@org/team" would notify the team */
            e = buf_adds(b, "&#64;");
        else if (strchr(special, *s)) {
            e = buf_addc(b, '\\');
            if (!e)
                e = buf_addc(b, *s);
        } else {
            e = buf_addc(b, *s);
        }
    }
    return e;
}

bool page_url_safe(const char *url)
{
    if (!url)
        return false;
    if (strncasecmp(url, "https://", 8) && strncasecmp(url, "http://", 7))
        return false;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' ||
            *p == '`' || *p == ' ')
            return false;
    return true;
}
