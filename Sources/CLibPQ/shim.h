#ifndef STEWARD_CLIBPQ_SHIM_H
#define STEWARD_CLIBPQ_SHIM_H
// libpq, as installed by Debian's libpq-dev.
#include <libpq-fe.h>
#endif
