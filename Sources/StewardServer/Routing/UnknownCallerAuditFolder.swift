import Dispatch
import StewardCore
import StewardStore
import StewardWire
import Synchronization

/// Folds unknown callers' attempts at mutating methods into a bounded number
/// of audit rows.
///
/// Every attempt is audited, but an unknown uid (any local account that can
/// reach the socket) could otherwise write a row per frame, thousands a
/// second, into an append-only table. Per uid, method and window, the first
/// `rowsPerWindow` attempts are written as they come; the rest are counted,
/// and when the window ends one row says how many there were. Methods are
/// the routed ones (an unknown path never reaches admission), and (uid,
/// method) pairs are tracked up to `maxTrackedPairs`; attempts beyond that
/// share one count, so the folder's own memory is bounded too. In memory only: a
/// daemon stopped within a window loses that window's count (the rows
/// already written stand), which is why no schema change is needed.
final class UnknownCallerAuditFolder: Sendable {
    typealias Schedule = @Sendable (_ afterNanoseconds: UInt64, _ work: @escaping @Sendable () -> Void) -> Void

    let rowsPerWindow: Int
    let windowNanoseconds: UInt64
    let maxTrackedPairs: Int
    private let write: @Sendable (_ method: String, _ caller: Caller, _ message: String) -> Void
    private let now: @Sendable () -> UInt64
    private let schedule: Schedule

    private struct Window {
        var startedAt: UInt64
        var written = 0
        var folded = 0
        /// The method and caller the summary row is written under: the
        /// first folded attempt's.
        var summaryMethod = ""
        var summaryCaller: Caller?
        var otherUIDs: Set<UInt32> = []
    }
    struct Key: Hashable {
        var uid: UInt32
        var method: String
    }
    /// nil key: the shared window of pairs past `maxTrackedPairs`.
    private let windows = Mutex<[Key?: Window]>([:])

    convenience init(trail: AuditTrail) {
        self.init(write: { method, caller, message in
            trail.record(method, caller, target: nil, connectionKey: nil, status: .unauthenticated, message: message)
        })
    }

    /// - Parameters:
    ///   - write: records one row (the trail, in the daemon).
    ///   - now, schedule: the clock and the timer, replaceable so a test can drive them.
    init(
        write: @escaping @Sendable (_ method: String, _ caller: Caller, _ message: String) -> Void,
        rowsPerWindow: Int = 10, windowNanoseconds: UInt64 = 60_000_000_000, maxTrackedPairs: Int = 1024,
        now: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds },
        schedule: @escaping Schedule = { delay, work in
            // The summary row is a store write, which blocks: on the blocking
            // executor, like every store call made outside a call's task.
            Task(executorPreference: BlockingExecutor.shared) {
                try? await Task.sleep(nanoseconds: delay)
                work()
            }
        }
    ) {
        self.rowsPerWindow = rowsPerWindow
        self.windowNanoseconds = windowNanoseconds
        self.maxTrackedPairs = maxTrackedPairs
        self.write = write
        self.now = now
        self.schedule = schedule
    }

    /// Audits one refused attempt of `caller` (unknown) at `method`, or counts it.
    func record(_ method: String, _ caller: Caller, message: String) {
        let at = now()
        // .some(key, delay): the first folded attempt of a window, which
        // schedules the window's summary row.
        enum Step { case write, fold, foldFirst(key: Key?, delay: UInt64) }
        let step: Step = windows.withLock { windows in
            let window = windowNanoseconds
            // A window that folded nothing has no timer: it ends here, when
            // an attempt finds it old.
            func isSpent(_ entry: Window) -> Bool { entry.folded == 0 && at - entry.startedAt >= window }
            let own = Key(uid: caller.uid, method: method)
            if let entry = windows[own], isSpent(entry) { windows[own] = nil }
            var key: Key? = own
            if windows[key] == nil, windows.count >= maxTrackedPairs {
                windows = windows.filter { !isSpent($0.value) }
                if windows.count >= maxTrackedPairs { key = nil }
            }
            var entry = windows[key] ?? Window(startedAt: at)
            defer { windows[key] = entry }
            if entry.written < rowsPerWindow {
                entry.written += 1
                return .write
            }
            entry.folded += 1
            if key == nil, entry.otherUIDs.count < maxTrackedPairs { entry.otherUIDs.insert(caller.uid) }
            guard entry.folded == 1 else { return .fold }
            entry.summaryMethod = method
            entry.summaryCaller = caller
            let endsAt = entry.startedAt + window
            return .foldFirst(key: key, delay: endsAt > at ? endsAt - at : 0)
        }
        switch step {
        case .write:
            write(method, caller, message)
        case .fold:
            break
        case .foldFirst(let key, let delay):
            schedule(delay) { [self] in closeWindow(key) }
        }
    }

    /// Writes the summary of `key`'s window and forgets it.
    func closeWindow(_ key: Key?) {
        guard let window = windows.withLock({ $0.removeValue(forKey: key) }), window.folded > 0,
            let caller = window.summaryCaller
        else { return }
        let seconds = windowNanoseconds / 1_000_000_000
        let others = window.otherUIDs.count >= maxTrackedPairs ? "\(maxTrackedPairs) or more" : "\(window.otherUIDs.count)"
        let what = key.map { "attempts at this method by uid \($0.uid)" }
            ?? "attempts at mutating methods by \(others) unknown uids past the \(maxTrackedPairs) (uid, method) pairs tracked one by one"
        write(
            window.summaryMethod, caller,
            "\(window.folded) more \(what) within \(seconds) s were refused "
                + "UNAUTHENTICATED and folded into this row (the first \(rowsPerWindow) have rows of their own)")
    }
}
