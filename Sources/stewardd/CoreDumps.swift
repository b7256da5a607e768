import CProcessControl
import StewardWire

/// The daemon holds the store key and, while it validates or syncs, database
/// passwords in memory. A core dump would write them to a file, and a
/// dumpable process can be read by any process of its user (ptrace,
/// /proc/pid/mem). So both are turned off before the key is read.
enum CoreDumps {
    /// Wraps `setrlimit(RLIMIT_CORE, {0, 0})` and `prctl(PR_SET_DUMPABLE, 0)`.
    static func disable() throws(SystemCallError) {
        try blockingSystemCall("setrlimit(RLIMIT_CORE)") { steward_setrlimit_no_core() }
        try blockingSystemCall("prctl(PR_SET_DUMPABLE)") { steward_prctl_set_not_dumpable() }
    }
}
