#ifndef STEWARD_CPROCESSCONTROL_SHIM_H
#define STEWARD_CPROCESSCONTROL_SHIM_H

#include <sys/prctl.h>
#include <sys/resource.h>

/// prctl(PR_SET_DUMPABLE, 0): prctl is variadic, which Swift cannot call.
/// Returns -1 and sets errno on failure, like prctl.
static inline int steward_prctl_set_not_dumpable(void) {
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/// prctl(PR_GET_DUMPABLE): 0 when the process is not dumpable.
static inline int steward_prctl_get_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

/// setrlimit(RLIMIT_CORE, {0, 0}): no core file, and no raising the limit
/// again. In C because the resource's type differs with _GNU_SOURCE.
static inline int steward_setrlimit_no_core(void) {
    struct rlimit none = { 0, 0 };
    return setrlimit(RLIMIT_CORE, &none);
}

#endif
