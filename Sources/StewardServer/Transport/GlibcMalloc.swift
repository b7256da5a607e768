import Dispatch
import Glibc
import StewardStore

/// The daemon's settings of glibc's allocator, and the calls behind them
/// and ``HeapTrimmer``: `malloc.h` is not in Swift's Glibc module, so each
/// function is looked up by name once.
public enum GlibcMalloc {
    /// At most one arena per core.
    ///
    /// glibc gives threads that contend for the allocator arenas of their
    /// own, up to eight per core, and each arena keeps what is freed in it
    /// for its own next allocations. A first sync of 100,000 tables decodes
    /// on the scanning threads and stores on another, each in an arena
    /// that then holds its share of the freed tens of MiB: the process kept
    /// more after every such sync. Measured with `steward-bench sync` (peak
    /// RSS of a first sync, then of two more first syncs into fresh
    /// registries in the same process; two runs each, alternating, on two
    /// cores): glibc's default 123-133, 164-170 MiB; one arena per core
    /// 116-121, 130-154 MiB; and `steward-bench load` showed no loss of
    /// throughput or latency (Server.Info at 4 × 32 in flight 297k and 359k
    /// calls/s against 218k and 281k; the mixed run's p99 7-10 ms against
    /// 6-8 ms). One arena for the process kept it flat (110-121 MiB) but
    /// slowed the first sync by a third.
    static var arenaLimit: Int32 { Int32(OnlineProcessors.count) }

    /// Sets the allocator up for a long-lived process: call once, at start,
    /// before threads have made arenas of their own. Returns false if glibc
    /// refused (or is not the allocator).
    @discardableResult
    public static func configureForDaemon() -> Bool {
        // M_ARENA_MAX is -8 in malloc.h; mallopt returns 1 on success.
        mallopt?(-8, arenaLimit) == 1
    }

    /// `malloc_trim(0)`: returns free memory at the top of the heap, and
    /// the free pages inside every arena, to the system.
    public static func trim() {
        _ = mallocTrim?(0)
    }

    /// ``trim()`` on a utility queue, for after a large piece of work (a
    /// sync of 100,000 tables frees tens of MiB) without holding up its
    /// answer. Measured with `steward-bench sync` (peak RSS of the first
    /// syncs into fresh registries after a first, with one arena per core):
    /// 124, 124 and 126, 136 MiB with a trim after each sync; 135, 139 and
    /// 139, 142 MiB without.
    public static func trimSoon() {
        DispatchQueue.global(qos: .utility).async { trim() }
    }

    private static let mallopt: (@convention(c) (Int32, Int32) -> Int32)? = function("mallopt")
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = function("malloc_trim")

    private static func function<Function>(_ name: String) -> Function? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }
}
