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

/// prctl(PR_SET_NAME): names the calling thread for top, perf and
/// /proc (15 bytes kept). Returns -1 and sets errno on failure.
static inline int steward_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

/// prctl(PR_GET_NAME): the calling thread's name into `name`, which must
/// hold 16 bytes. Returns -1 and sets errno on failure.
static inline int steward_get_thread_name(char *name) {
    return prctl(PR_GET_NAME, (unsigned long)name, 0, 0, 0);
}

#endif
