#ifndef STEWARD_CSQLITE_SHIM_H
#define STEWARD_CSQLITE_SHIM_H
// SQLite, as installed by Debian's libsqlite3-dev.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift
// cannot import: it tells sqlite3_bind_* to copy the bytes before returning.
static inline void (*steward_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }
#endif
