import Foundation
import StewardCore
@testable import StewardServer
import StewardStore
import StewardWire
import Synchronization
import Testing

/// The folder's arithmetic with a hand-driven clock and timer: the first
/// rows of a window are written, the rest counted into one summary row
/// when the window ends, and memory stays bounded however many uids try.
@Suite("Unknown callers' audit folding")
struct UnknownCallerAuditFolderTests {
    /// An audit trail over an in-memory list, a clock the test moves, and
    /// timers the test fires.
    final class Recorder: Sendable {
        let rows = Mutex<[(String, UInt32, String)]>([])
        let clock = Mutex<UInt64>(0)
        let timers = Mutex<[(at: UInt64, work: @Sendable () -> Void)]>([])
    }

    final class Harness: Sendable {
        let recorder = Recorder()
        let folder: UnknownCallerAuditFolder

        init(rowsPerWindow: Int = 3, maxTrackedPairs: Int = 4) {
            let recorder = self.recorder
            folder = UnknownCallerAuditFolder(
                write: { method, caller, message in recorder.rows.withLock { $0.append((method, caller.uid, message)) } },
                rowsPerWindow: rowsPerWindow, windowNanoseconds: 1_000, maxTrackedPairs: maxTrackedPairs,
                now: { recorder.clock.withLock { $0 } },
                schedule: { delay, work in
                    let at = recorder.clock.withLock { $0 } + delay
                    recorder.timers.withLock { $0.append((at, work)) }
                })
        }

        func attempt(uid: UInt32, method: String = "/steward.v1.Users/Create") {
            folder.record(method, Caller.unknown(uid: uid), message: "refused")
        }

        /// Moves the clock to `time` and fires the timers due by then.
        func advance(to time: UInt64) {
            recorder.clock.withLock { $0 = time }
            let due = recorder.timers.withLock { timers in
                let due = timers.filter { $0.at <= time }
                timers.removeAll { $0.at <= time }
                return due
            }
            due.forEach { $0.work() }
        }
    }

    @Test("Per uid and window: the first rows are written, the rest folded into one summary when the window ends")
    func foldsPerWindow() {
        let harness = Harness()
        for _ in 0..<50 { harness.attempt(uid: 1001) }
        #expect(harness.recorder.rows.withLock { $0.count } == 3)
        #expect(harness.recorder.timers.withLock { $0.count } == 1)
        harness.advance(to: 1_000)
        let rows = harness.recorder.rows.withLock { $0 }
        #expect(rows.count == 4)
        #expect(rows.last?.1 == 1001)
        #expect(rows.last?.2.hasPrefix("47 more attempts at this method by uid 1001") == true, "\(rows.last?.2 ?? "")")
        // A new window starts afresh.
        harness.attempt(uid: 1001)
        #expect(harness.recorder.rows.withLock { $0.count } == 5)
    }

    @Test("A window that folded nothing writes no summary and ends when the next attempt finds it old")
    func quietWindow() {
        let harness = Harness()
        for _ in 0..<3 { harness.attempt(uid: 7) }
        #expect(harness.recorder.timers.withLock { $0.isEmpty })
        harness.advance(to: 5_000)
        for _ in 0..<3 { harness.attempt(uid: 7) }
        #expect(harness.recorder.rows.withLock { $0.count } == 6)
    }

    @Test("Each method has its own window: a flood of one does not hide the first attempts at another")
    func perMethod() {
        let harness = Harness()
        for _ in 0..<20 { harness.attempt(uid: 5, method: "/steward.v1.Users/Create") }
        harness.attempt(uid: 5, method: "/steward.v1.Users/Delete")
        let methods = harness.recorder.rows.withLock { $0.map(\.0) }
        #expect(methods == Array(repeating: "/steward.v1.Users/Create", count: 3) + ["/steward.v1.Users/Delete"])
    }

    @Test("Pairs past the tracked number share one window, so memory stays bounded")
    func manyUIDs() {
        let harness = Harness(rowsPerWindow: 1, maxTrackedPairs: 4)
        for uid in UInt32(1)...4 { harness.attempt(uid: uid) }
        for uid in UInt32(100)...1_099 { harness.attempt(uid: uid) }
        // One row each for the four tracked, one for the shared window's first.
        #expect(harness.recorder.rows.withLock { $0.count } == 5)
        harness.advance(to: 1_000)
        let summary = harness.recorder.rows.withLock { $0.last?.2 ?? "" }
        #expect(summary.hasPrefix("999 more attempts at mutating methods by 4 or more unknown uids past the 4 (uid, method) pairs tracked"), "\(summary)")
    }

    @Test("With the daemon's timer, a window's summary row is written on the blocking executor (a store write, made outside any call)")
    func summaryOnBlockingExecutor() async {
        let (written, writer) = AsyncStream.makeStream(of: Bool.self)
        let folder = UnknownCallerAuditFolder(
            write: { _, _, message in
                guard message.contains("folded") else { return }
                let onBlockingExecutor = withUnsafeCurrentTask { task in
                    task?.unownedTaskExecutor == BlockingExecutor.shared.asUnownedTaskExecutor()
                }
                writer.yield(onBlockingExecutor)
            },
            rowsPerWindow: 1, windowNanoseconds: 1_000_000)
        for _ in 0..<3 { folder.record("/steward.v1.Users/Create", Caller.unknown(uid: 9), message: "refused") }
        var summaries = written.makeAsyncIterator()
        #expect(await summaries.next() == true)
    }
}
