/*
 * web: the static assets of the HTML pages, embedded at build time
 * (web/embed.cmake), so the server needs no files beside its binary.
 * The data is static and read-only: borrow it, never free it.
 */
#ifndef BV_WEB_H
#define BV_WEB_H

#include <stddef.h>

/* web/style.css, NUL-terminated; web_style_css_len excludes the NUL. */
extern const char web_style_css[];
extern const size_t web_style_css_len;
/* web/tooltips.js: the pages' one script (progressive: pages work
 * without it), the same way. */
extern const char web_tooltips_js[];
extern const size_t web_tooltips_js_len;

/* docs/openapi.json (the API's OpenAPI 3.1 document), the same way. */
extern const char web_openapi_json[];
extern const size_t web_openapi_json_len;

#endif /* BV_WEB_H */
