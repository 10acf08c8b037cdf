/*
 * service_int.h: what the files of service/ share; nothing outside
 * service/ includes it.
 */
#ifndef BV_SERVICE_INT_H
#define BV_SERVICE_INT_H

#include "service/service.h"

#include "analysis/analysis.h"
#include "ingest/ingest.h"

#include <math.h>

/* Run id of the project, briefly: the first line of its commit message
 * (*subject, caller frees; NULL when none) and its commit time, else its
 * start, else its ingest time (*time; may be NULL).  false (and NULL,
 * TIME_NONE) when the run cannot be read (service/runs.c). */
bool svc_run_brief(struct store *st, int64_t project_id, int64_t id,
                   char **subject, int64_t *time);

#endif /* BV_SERVICE_INT_H */
