/*
 * Module set-up.  GSL's default error handler aborts the process; a service
 * must not die on a singular matrix or a domain error, so it is switched
 * off once and every GSL status is checked where it is returned.
 */
#include "analysis/analysis.h"

#include <gsl/gsl_errno.h>

void an_init(void)
{
    gsl_set_error_handler_off();
}
