/*
 * preload.c: the fault shim as an LD_PRELOAD library for the end-to-end
 * tests (tests/fault.cmake builds libbv_fault.so).  Its constructor runs
 * before benchvault's main(), so before SQLite is initialised: when
 * BV_FAULT_CTL names a control file it installs the shim (fault.h) and
 * takes its orders from that file, logging each fault it answers to
 * BV_FAULT_LOG.  Without BV_FAULT_CTL it does nothing.  The benchvault
 * binary never reads either variable: only this test library does.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fault/fault.h"

__attribute__((constructor)) static void fault_preload(void)
{
    const char *ctl = getenv("BV_FAULT_CTL");
    int rc;

    if (!ctl || !*ctl)
        return;
    rc = fault_install();
    if (rc != 0) {
        fprintf(stderr, "fault: cannot install the shim (SQLite rc %d)\n", rc);
        return;
    }
    fault_control(ctl, getenv("BV_FAULT_LOG"));
}
