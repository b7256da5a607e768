@testable import StewardServer
import StewardWire
import Synchronization
import Testing

/// The outbox batches answers from handler tasks for the I/O queue, and holds
/// streaming handlers back while the peer is not reading.
///
/// No test sleeps to synchronise. The outbox has no way to tell that a waiter
/// has registered, so each test is built so that its outcome is the same
/// whether the waiter registered before or after the test acts (the state a
/// late waiter finds says the same as the event it missed). Where a test shows
/// that a waiter is still waiting, it gives the waiter a bounded number of
/// `Task.yield()`s to finish wrongly: that can miss a bug, never invent one.
@Suite("Connection outbox", .timeLimit(.minutes(1)))
struct ConnectionOutboxTests {
    static func message(_ callID: UInt64, bytes: Int = 8) -> ConnectionOutbox.Item {
        .message(callID: callID, token: callID, payload: [UInt8](repeating: 1, count: bytes))
    }

    static func end(_ callID: UInt64) -> ConnectionOutbox.Item {
        .end(callID: callID, token: callID, outcome: .ok([]))
    }

    static func callIDs(_ items: [ConnectionOutbox.Item]) -> [UInt64] {
        items.map { item in
            switch item {
            case .message(let callID, _, _), .end(let callID, _, _): callID
            }
        }
    }

    /// Set once by a waiter that got through.
    final class Flag: Sendable {
        private let state = Mutex(false)
        func set() { state.withLock { $0 = true } }
        var isSet: Bool { state.withLock { $0 } }
    }

    /// Yields often enough that a runnable waiter would have finished.
    static func letOthersRun() async {
        for _ in 0..<200 { await Task.yield() }
    }

    /// Starts a task waiting for capacity that sets `flag` when let through.
    static func startWaiter(_ outbox: ConnectionOutbox, flag: Flag = Flag()) -> Task<Void, any Error> {
        Task {
            try await outbox.waitForCapacity()
            flag.set()
        }
    }

    /// Awaits `waiter`. Should the test be cancelled (its time limit has
    /// passed), the waiter is cancelled and the outbox closed, so that a waiter
    /// nobody resumes fails the test instead of hanging the whole run.
    static func result(of waiter: Task<Void, any Error>, _ outbox: ConnectionOutbox) async throws {
        try await withTaskCancellationHandler {
            try await waiter.value
        } onCancel: {
            waiter.cancel()
            outbox.close()
        }
    }

    // MARK: Batching

    @Test("post returns true only for the first item of a batch, until takeAll")
    func batching() {
        let outbox = ConnectionOutbox(limitBytes: 1_000)
        #expect(outbox.post(Self.message(1), bytes: 8))
        #expect(!outbox.post(Self.message(2), bytes: 8))
        #expect(!outbox.post(Self.end(3), bytes: 8))
        #expect(Self.callIDs(outbox.takeAll()) == [1, 2, 3])
        #expect(outbox.takeAll().isEmpty)
        #expect(outbox.post(Self.end(4), bytes: 8))
        #expect(!outbox.post(Self.message(5), bytes: 8))
        #expect(Self.callIDs(outbox.takeAll()) == [4, 5])
    }

    @Test("a post over the limit is still queued; the limit only holds streams back")
    func postOverLimit() {
        let outbox = ConnectionOutbox(limitBytes: 10)
        #expect(outbox.post(Self.message(1, bytes: 100), bytes: 100))
        #expect(!outbox.post(Self.end(2), bytes: 100))
        #expect(Self.callIDs(outbox.takeAll()) == [1, 2])
    }

    @Test("posts from many tasks at once schedule exactly one drain and lose nothing")
    func concurrentPosts() async {
        let outbox = ConnectionOutbox(limitBytes: 1 << 20)
        let drains = await withTaskGroup(of: Bool.self) { group in
            for callID in 1...200 as ClosedRange<UInt64> {
                group.addTask { outbox.post(Self.end(callID), bytes: 8) }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(drains == 1)
        #expect(Set(Self.callIDs(outbox.takeAll())) == Set(1...200))
    }

    @Test("after close, post refuses items and queued items are dropped")
    func closeRefusesPosts() {
        let outbox = ConnectionOutbox(limitBytes: 1_000)
        #expect(outbox.post(Self.message(1), bytes: 8))
        outbox.close()
        #expect(!outbox.post(Self.message(2), bytes: 8))
        #expect(outbox.takeAll().isEmpty)
        #expect(!outbox.post(Self.message(3), bytes: 8))
    }

    // MARK: Capacity

    @Test("hasCapacity counts queued and unsent bytes together against the limit")
    func hasCapacity() {
        let outbox = ConnectionOutbox(limitBytes: 100)
        #expect(outbox.hasCapacity)
        _ = outbox.post(Self.message(1), bytes: 60)
        #expect(outbox.hasCapacity)
        outbox.updateUnsentBytes(40)
        #expect(outbox.hasCapacity, "exactly at the limit is still room")
        outbox.updateUnsentBytes(41)
        #expect(!outbox.hasCapacity)
        _ = outbox.takeAll()
        #expect(outbox.hasCapacity, "taken items no longer count as queued")
        outbox.updateUnsentBytes(101)
        #expect(!outbox.hasCapacity)
        outbox.updateUnsentBytes(0)
        #expect(outbox.hasCapacity)
    }

    @Test("waitForCapacity returns at once under or at the limit", arguments: [(0, 0), (60, 0), (0, 100), (60, 40)])
    func noWaitUnderLimit(queued: Int, unsent: Int) async throws {
        let outbox = ConnectionOutbox(limitBytes: 100)
        if queued > 0 { _ = outbox.post(Self.message(1), bytes: queued) }
        outbox.updateUnsentBytes(unsent)
        try await outbox.waitForCapacity()
        try await outbox.waitForCapacity()
    }

    @Test(
        "a waiter waits while queued + unsent bytes exceed the limit and resumes once they do not",
        arguments: [
            // queued bytes, unsent bytes while over, unsent bytes that make room
            (0, 150, 100), (0, 101, 0), (60, 41, 40), (60, 1_000, 0), (100, 1, 0),
        ])
    func waitsThenResumes(queued: Int, unsentOver: Int, unsentUnder: Int) async throws {
        let outbox = ConnectionOutbox(limitBytes: 100)
        if queued > 0 { _ = outbox.post(Self.message(1), bytes: queued) }
        outbox.updateUnsentBytes(unsentOver)
        let letThrough = Flag()
        let waiter = Self.startWaiter(outbox, flag: letThrough)
        await Self.letOthersRun()
        #expect(!letThrough.isSet, "let through while over the limit")

        // An update that still leaves it over the limit keeps it waiting.
        outbox.updateUnsentBytes(unsentOver + 1)
        await Self.letOthersRun()
        #expect(!letThrough.isSet, "let through while still over the limit")

        outbox.updateUnsentBytes(unsentUnder)
        try await Self.result(of: waiter, outbox)
        #expect(letThrough.isSet)
    }

    @Test("queued bytes alone over the limit: the drain's takeAll and then its update let the waiter through")
    func queuedOverLimit() async throws {
        let outbox = ConnectionOutbox(limitBytes: 100)
        _ = outbox.post(Self.message(1), bytes: 150)
        let letThrough = Flag()
        let waiter = Self.startWaiter(outbox, flag: letThrough)
        await Self.letOthersRun()
        #expect(!letThrough.isSet, "let through while 150 bytes are queued")
        // What a drain does: take the batch, write it, report what is left.
        _ = outbox.takeAll()
        outbox.updateUnsentBytes(30)
        try await Self.result(of: waiter, outbox)
        #expect(letThrough.isSet)
    }

    @Test("one update with room resumes every waiter")
    func resumesAllWaiters() async throws {
        let outbox = ConnectionOutbox(limitBytes: 100)
        outbox.updateUnsentBytes(500)
        let flags = (0..<5).map { _ in Flag() }
        let waiters = flags.map { Self.startWaiter(outbox, flag: $0) }
        await Self.letOthersRun()
        #expect(flags.allSatisfy { !$0.isSet })
        outbox.updateUnsentBytes(0)
        for waiter in waiters { try await Self.result(of: waiter, outbox) }
        #expect(flags.allSatisfy { $0.isSet })
    }

    // MARK: Cancellation and close

    @Test("a waiting task that is cancelled throws CancellationError", arguments: [0, 1, 10, 100, 1_000])
    func cancelledWhileWaiting(yieldsBeforeCancel: Int) async throws {
        let outbox = ConnectionOutbox(limitBytes: 100)
        outbox.updateUnsentBytes(101)
        let waiter = Self.startWaiter(outbox)
        for _ in 0..<yieldsBeforeCancel { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await Self.result(of: waiter, outbox) }
    }

    @Test("a task cancelled before it starts waiting throws CancellationError")
    func cancelledBeforeRegistering() async throws {
        let outbox = ConnectionOutbox(limitBytes: 100)
        outbox.updateUnsentBytes(101)
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await outbox.waitForCapacity()
        }
        await #expect(throws: CancellationError.self) { try await Self.result(of: waiter, outbox) }
    }

    @Test("cancelling one waiter leaves the others waiting, and a later update resumes only them")
    func cancelOneOfMany() async throws {
        let outbox = ConnectionOutbox(limitBytes: 100)
        outbox.updateUnsentBytes(200)
        let cancelled = Self.startWaiter(outbox)
        let keptFlag = Flag()
        let kept = Self.startWaiter(outbox, flag: keptFlag)
        await Self.letOthersRun()
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await Self.result(of: cancelled, outbox) }
        await Self.letOthersRun()
        #expect(!keptFlag.isSet)
        // The cancelled waiter's continuation must be gone: resuming it again
        // here would trap ("continuation resumed more than once").
        outbox.updateUnsentBytes(0)
        try await Self.result(of: kept, outbox)
        #expect(keptFlag.isSet)
    }

    @Test("close fails every waiter with CancellationError")
    func closeFailsWaiters() async {
        let outbox = ConnectionOutbox(limitBytes: 100)
        outbox.updateUnsentBytes(101)
        let waiters = (0..<3).map { _ in Self.startWaiter(outbox) }
        await Self.letOthersRun()
        outbox.close()
        for waiter in waiters {
            await #expect(throws: CancellationError.self) { try await Self.result(of: waiter, outbox) }
        }
    }

    @Test("after close, waitForCapacity throws at once, with or without room", arguments: [0, 101])
    func waitAfterClose(unsent: Int) async {
        let outbox = ConnectionOutbox(limitBytes: 100)
        outbox.updateUnsentBytes(unsent)
        outbox.close()
        await #expect(throws: CancellationError.self) { try await outbox.waitForCapacity() }
        // An update after close resumes nothing and lets nobody through.
        outbox.updateUnsentBytes(0)
        await #expect(throws: CancellationError.self) { try await outbox.waitForCapacity() }
    }
}
