/*
 * The one check for every string that reaches the store, and the repair
 * of bytes that are not UTF-8 wherever text leaves us.
 *
 * Design notes:
 *  1. UTF-8 is read as RFC 3629 says: no overlong forms (C0 80 is not NUL),
 *     no surrogates (ED A0 80), nothing past U+10FFFF.  text_utf8_seq()
 *     (inline in core.h) is the one decoder; the check, the JSON writer
 *     and the store's repair all use it, so they cannot disagree about
 *     what is valid.
 *  2. Control characters are Unicode's Cc: C0 (U+0000-U+001F), DEL and C1
 *     (U+0080-U+009F).  TAB, LF and CR are allowed only in multi-line
 *     text (a commit message, a note).  Format characters (zero-width
 *     joiners, bidi marks) are data and pass: a name may be written in
 *     any script.
 *  3. Blank means white space only (Unicode White_Space); the empty string
 *     is blank.  Identity fields (names, branches, commits) must not be.
 *  4. The cheap checks come first: a 1 MB value is refused for its length
 *     without being decoded.
 *  5. The repair replaces each byte that starts no valid sequence by
 *     U+FFFD (EF BF BD) and keeps every valid sequence as it is.
 */
#include "core/core.h"

#include <stdio.h>
#include <string.h>

bool text_utf8_valid(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t k;

        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        k = text_utf8_seq(s + i, n - i, NULL);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

static bool is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 ||
           cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

static bool is_control(uint32_t cp, unsigned flags)
{
    if ((flags & TEXT_MULTILINE) && (cp == '\t' || cp == '\n' || cp == '\r'))
        return false;
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

bool text_valid(const char *s, size_t n, size_t max, unsigned flags, char *why,
                size_t whylen)
{
    bool blank = true;
    size_t i = 0;

    if (n == 0) {
        if (flags & TEXT_BLANK_OK)
            return true;
        snprintf(why, whylen, "must not be empty");
        return false;
    }
    if (max && n > max) {
        snprintf(why, whylen, "longer than %zu bytes", max);
        return false;
    }
    while (i < n) {
        uint32_t cp;
        size_t k = text_utf8_seq(s + i, n - i, &cp);

        if (!k) {
            snprintf(why, whylen, "not valid UTF-8 (byte 0x%02x at offset %zu)",
                     (unsigned char)s[i], i);
            return false;
        }
        if (cp == 0) {
            snprintf(why, whylen, "contains a NUL character");
            return false;
        }
        if (is_control(cp, flags)) {
            snprintf(why, whylen, "contains a control character");
            return false;
        }
        blank &= is_space(cp);
        i += k;
    }
    if (blank && !(flags & TEXT_BLANK_OK)) {
        snprintf(why, whylen, "must not be blank (white space only)");
        return false;
    }
    return true;
}

enum err text_check(const char *field, const char *s, size_t n, size_t max,
                    unsigned flags, struct errbuf *eb)
{
    char why[TEXT_WHY_LEN];

    if (text_valid(s, n, max, flags, why, sizeof why))
        return ERR_OK;
    err_set(eb, "%s: %s", field, why);
    return ERR_INVALID;
}

enum err text_utf8_repair(struct buf *out, const char *s, size_t n,
                          size_t *nbad)
{
    size_t i = 0, start = 0, bad = 0;
    enum err e = ERR_OK;

    while (i < n && !e) {
        size_t k;

        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        k = text_utf8_seq(s + i, n - i, NULL);
        if (k) {
            i += k;
            continue;
        }
        e = buf_add(out, s + start, i - start);
        if (!e)
            e = buf_add(out, "\xEF\xBF\xBD", 3);
        bad++;
        start = ++i;
    }
    if (!e)
        e = buf_add(out, s + start, n - start);
    if (nbad)
        *nbad = bad;
    return e;
}
