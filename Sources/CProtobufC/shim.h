#ifndef STEWARD_CPROTOBUFC_SHIM_H
#define STEWARD_CPROTOBUFC_SHIM_H
// libprotobuf-c, as installed by Debian's libprotobuf-c-dev.
#include <protobuf-c/protobuf-c.h>
#endif
