/*
 * analysis: statistics on plain arrays with GNU GSL.  Pure: arrays in,
 * structs out; no I/O, no SQL, no JSON.  Depends on core/ only.
 *
 * Ownership: input arrays are borrowed and never modified (functions that
 * need to sort work on copies).  Output structs are caller-owned; those with
 * heap members have an *_cleanup function.
 *
 * Call an_init() once at program start (it turns GSL's abort-on-error
 * handler off; every GSL status is checked instead).
 */
#ifndef BV_ANALYSIS_H
#define BV_ANALYSIS_H

#include "core/core.h"

void an_init(void);

/* ==== statistics engine: describe, compare, trend, scaling, budgets ===== */
/* (issue: the statistics engine; declarations go in this section) */

/* ==== change points ===================================================== */
/* (issue: regression detection over history; declarations go here) */

#endif /* BV_ANALYSIS_H */
