#ifndef STEWARD_CSQLITE_SHIM_H
#define STEWARD_CSQLITE_SHIM_H
// SQLite, as installed by Debian's libsqlite3-dev.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift
// cannot import: it tells sqlite3_bind_* to copy the bytes before returning.
static inline void (*steward_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }

// sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0), which Swift cannot call (it is
// variadic): SQLite stops keeping memory statistics. While it keeps them,
// every sqlite3_malloc and sqlite3_free in the process takes one global
// mutex, so reads on one connection queue behind a writer on another
// (measured: the I/O threads blocked there beside 16 writers). Effective
// only before SQLite initializes (the first open); SQLITE_MISUSE after.
static inline int steward_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
