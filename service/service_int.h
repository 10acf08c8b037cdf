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

#endif /* BV_SERVICE_INT_H */
