/*
 * A benchmark family's scaling data: its members whose one numeric
 * parameter is the family's, each with its latest value on its default
 * branch and testbed.  The scaling chart, the benchmark page and the
 * comparison's advice rest on it.
 */
#include "service/service_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool svc_one_numeric_param(const char *params, double *v, char *name,
                           size_t name_len)
{
    const char *colon, *end, *q1, *q2;
    char *stop;

    if (!params || params[0] != '{' || !(colon = strchr(params, ':')))
        return false;
    if (strchr(colon, ',') || strchr(colon, ':') != colon)
        return false;
    *v = strtod(colon + 1, &stop);
    end = stop;
    while (*end == ' ')
        end++;
    if (stop == colon + 1 || *end != '}' || end[1] != '\0' || !isfinite(*v) ||
        *v <= 0)
        return false;
    q1 = strchr(params, '"');
    q2 = q1 && q1 < colon ? strchr(q1 + 1, '"') : NULL;
    if (q2 && q2 < colon && (size_t)(q2 - q1 - 1) < name_len)
        snprintf(name, name_len, "%.*s", (int)(q2 - q1 - 1), q1 + 1);
    else
        snprintf(name, name_len, "n");
    return true;
}

void svc_scaling_cleanup(struct svc_scaling *sc)
{
    free(sc->n);
    free(sc->t);
    free(sc->unit);
    memset(sc, 0, sizeof *sc);
}

/* The parameter name most of family's members in bm[0..n) carry (ties:
 * the first seen) into out; false when no member has one numeric one. */
static bool common_param(const struct store_benchmark *bm, size_t n,
                         const char *family, char *out, size_t len)
{
    size_t best = 0;

    for (size_t i = 0; i < n; i++) {
        char name[64], other[64];
        size_t count = 0;
        double v;

        if (!bm[i].name || strcmp(bm[i].name, family) ||
            !svc_one_numeric_param(bm[i].params, &v, name, sizeof name))
            continue;
        for (size_t j = i; j < n; j++)
            count +=
                bm[j].name && !strcmp(bm[j].name, family) &&
                svc_one_numeric_param(bm[j].params, &v, other, sizeof other) &&
                !strcmp(name, other);
        if (count > best) {
            best = count;
            snprintf(out, len, "%s", name);
        }
    }
    return best > 0;
}

enum err svc_scaling_load(struct store *st, int64_t project_id,
                          const char *family, const char *param,
                          const char *measure, struct svc_scaling *out,
                          struct errbuf *eb)
{
    struct store_benchmark *bm = NULL;
    size_t nbm = 0;
    enum err e;

    memset(out, 0, sizeof *out);
    out->direction = DIR_UNSET;
    e = store_benchmarks_list(st, project_id, &bm, &nbm, eb);
    if (e)
        return e;
    out->n = xcalloc(nbm ? nbm : 1, sizeof *out->n);
    out->t = xcalloc(nbm ? nbm : 1, sizeof *out->t);
    if (param)
        snprintf(out->param, sizeof out->param, "%s", param);
    else if (!common_param(bm, nbm, family, out->param, sizeof out->param))
        out->param[0] = '\0'; /* no member to place: none matches "" */
    /* Each member's latest value on its default branch and testbed. */
    for (size_t i = 0; i < nbm; i++) {
        struct store_series_query q = {0};
        struct series s;
        struct errbuf skip;
        char name[sizeof out->param];
        double p;

        if (!bm[i].name || strcmp(bm[i].name, family) ||
            !svc_one_numeric_param(bm[i].params, &p, name, sizeof name) ||
            strcmp(name, out->param))
            continue;
        q.benchmark = bm[i].key;
        q.measure = measure;
        memset(&s, 0, sizeof s);
        err_init(&skip);
        if (store_series_get(st, project_id, &q, &s, &skip) == ERR_OK &&
            s.npoints > 0 && isfinite(s.points[s.npoints - 1].value)) {
            size_t k;

            for (k = 0; k < out->count && out->n[k] != p; k++)
                ;
            out->distinct += k == out->count;
            out->n[out->count] = p;
            out->t[out->count++] = s.points[s.npoints - 1].value;
            if (!out->unit && s.unit)
                out->unit = xstrdup(s.unit);
            if (out->direction == DIR_UNSET)
                out->direction = s.direction;
        }
        series_cleanup(&s);
        /* A member without this measure is skipped, not an error. */
        err_cleanup(&skip);
    }
    store_benchmarks_free(bm, nbm);
    return ERR_OK;
}
