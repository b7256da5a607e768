import CEventPoll
import CProcessControl
import Dispatch
import Glibc
import Synchronization

/// Readiness of the process's sockets: one epoll instance, watched by one
/// thread, delivering each event to its socket's owner on the owner's queue.
///
/// Why not dispatch read and write sources: libdispatch's epoll backend
/// (swift-corelibs-libdispatch `event_epoll.c`, `_dispatch_event_merge_fd`)
/// answers a peer's hang-up (EPOLLHUP, which a Unix stream socket reports
/// when its peer closes) by marking every source on the descriptor for
/// deletion from the manager thread, and the source then unregisters itself
/// from its own queue, outside the manager's serialisation. When that runs
/// while the manager is still merging the hang-up (an owner's `cancel` or
/// `resume` had the source scheduled at that moment), both sides finalise
/// the source: the trap "Source finalized twice" in
/// `_dispatch_source_refs_finalize_unregistration` that killed the daemon
/// after a registry outage (issue 13, item 11), and the same unsynchronised
/// path frees the descriptor's bookkeeping under the manager's feet.
///
/// Here each socket has one registration (``SocketWatch``), armed one-shot
/// (`EPOLLONESHOT`): once an event is taken the socket reports nothing more
/// until its owner, on its own queue, arms it again. So an event and its
/// owner never run at once, a hang-up is one more event, and registering,
/// rearming and removing are plain `epoll_ctl` calls by the owner.
///
/// A reactor lives as long as the process: its thread is never stopped.
public final class SocketReactor: Sendable {
    /// The process's reactor for sockets of any owner; its thread starts
    /// with the first socket.
    public static let shared = SocketReactor(delivery: .queued)

    /// How an event reaches its owner's queue.
    public enum Delivery: Sendable {
        /// `queue.async`: the reactor thread never waits for an owner, and
        /// a thread of the queue's pool is woken to run the handler.
        case queued
        /// `queue.sync`: the handler runs on the reactor thread itself
        /// (libdispatch runs a `sync` block on the calling thread once it
        /// holds the queue), which saves waking a second thread for every
        /// event, a large part of a short call's latency on this machine.
        /// For owners whose work on their queue never blocks, with a
        /// reactor to each group of them: while one owner's queue is busy,
        /// the reactor's other sockets wait.
        case inline
    }

    private struct Registration: Sendable {
        let queue: DispatchQueue
        let handler: @Sendable (UInt32) -> Void
    }

    private let delivery: Delivery
    private let epollFD: Int32
    /// By registration id (the epoll event's data): an event that was taken
    /// just before its socket was removed finds nothing and is dropped, and a
    /// descriptor number reused by a new socket gets a new id.
    private let registrations = Mutex<[UInt64: Registration]>([:])
    private let nextID = Atomic<UInt64>(0)

    /// A reactor with a thread of its own.
    public init(delivery: Delivery) {
        self.delivery = delivery
        let fd = steward_epoll_create()
        // Without it no socket can be served at all; it fails only when the
        // process is out of descriptors before it has served anything.
        precondition(fd >= 0, "epoll_create1 failed: \(String(cString: strerror(errno)))")
        epollFD = fd
        let box = Unmanaged.passRetained(ReactorThreadBox(reactor: self))
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            let box = Unmanaged<ReactorThreadBox>.fromOpaque(context!).takeRetainedValue()
            // Named for top and perf (threads it starts would take the name).
            _ = steward_set_thread_name("steward-reactor")
            box.reactor.run()
            return nil
        }, box.toOpaque())
        precondition(created == 0, "pthread_create failed: \(String(cString: strerror(created)))")
        pthread_detach(thread)
    }

    /// Registers `fd`, armed for `events` (`EPOLLIN`, `EPOLLOUT`; hang-ups
    /// and errors always), and returns the id that ``arm(_:fd:events:)`` and
    /// ``remove(_:fd:)`` take. `handler` runs on `queue` with the events seen.
    func add(
        fd: Int32, events: UInt32, queue: DispatchQueue, handler: @escaping @Sendable (UInt32) -> Void
    ) throws(SystemCallError) -> UInt64 {
        let id = nextID.add(1, ordering: .relaxed).newValue
        registrations.withLock { $0[id] = Registration(queue: queue, handler: handler) }
        do throws(SystemCallError) {
            try control(.add, fd: fd, id: id, events: events)
        } catch {
            registrations.withLock { $0[id] = nil }
            throw error
        }
        return id
    }

    /// Arms the registration again for `events` after an event (or changes
    /// what it waits for). Call on the owner's queue.
    func arm(_ id: UInt64, fd: Int32, events: UInt32) throws(SystemCallError) {
        try control(.modify, fd: fd, id: id, events: events)
    }

    /// Removes the registration; the owner closes `fd` afterwards. An event
    /// already taken may still reach the owner's queue: owners ignore events
    /// once closed.
    func remove(_ id: UInt64, fd: Int32) {
        _ = steward_epoll_ctl(epollFD, Operation.delete.rawValue, fd, 0, 0)
        registrations.withLock { $0[id] = nil }
    }

    private enum Operation: Int32 {
        case add = 0, modify = 1, delete = 2
    }

    private func control(_ operation: Operation, fd: Int32, id: UInt64, events: UInt32) throws(SystemCallError) {
        let mask = events | steward_epoll_oneshot | steward_epoll_rdhup
        guard steward_epoll_ctl(epollFD, operation.rawValue, fd, mask, id) == 0 else {
            throw SystemCallError(operation == .add ? "epoll_ctl(ADD)" : "epoll_ctl(MOD)", errno: errno)
        }
    }

    private func run() {
        let masks = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
        let ids = UnsafeMutablePointer<UInt64>.allocate(capacity: 64)
        while true {
            let count = steward_epoll_wait(epollFD, masks, ids, -1)
            guard count > 0 else {
                // EINTR; nothing else can happen to a valid epoll descriptor.
                continue
            }
            for index in 0..<Int(count) {
                let id = ids[index]
                let mask = masks[index]
                guard let registration = registrations.withLock({ $0[id] }) else { continue }
                let handler = registration.handler
                switch delivery {
                case .queued: registration.queue.async { handler(mask) }
                case .inline: registration.queue.sync { handler(mask) }
                }
            }
        }
    }
}

private final class ReactorThreadBox {
    let reactor: SocketReactor
    init(reactor: SocketReactor) { self.reactor = reactor }
}

/// One socket's registration with the ``SocketReactor``, owned by one object
/// and used on that owner's queue only: armed one-shot, rearmed by the owner
/// after each event, removed exactly once before the owner closes the socket.
public final class SocketWatch: @unchecked Sendable {
    public struct Interest: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let read = Interest(rawValue: steward_epoll_in)
        public static let write = Interest(rawValue: steward_epoll_out)
    }

    /// What the reactor saw on the socket.
    public struct Events: Sendable {
        public let mask: UInt32
        public var readable: Bool { mask & steward_epoll_in != 0 }
        public var writable: Bool { mask & steward_epoll_out != 0 }
        /// The peer has gone (both directions shut) or the socket has an error.
        public var hungUpOrFailed: Bool { mask & (steward_epoll_hup | steward_epoll_err) != 0 }
    }

    private let fd: Int32
    private let reactor: SocketReactor
    private var id: UInt64?

    /// Registers `fd` with the reactor, armed for `interest`; `handler`
    /// runs on `queue`, after which the watch reports nothing until
    /// ``arm(_:)`` is called again.
    public init(
        fd: Int32, queue: DispatchQueue, interest: Interest, reactor: SocketReactor = .shared,
        handler: @escaping @Sendable (Events) -> Void
    ) throws(SystemCallError) {
        self.fd = fd
        self.reactor = reactor
        id = try reactor.add(fd: fd, events: interest.rawValue, queue: queue) { mask in handler(Events(mask: mask)) }
    }

    deinit {
        // The owner removes the watch before closing the descriptor; this is
        // the safety net for an owner that went away without closing.
        if let id { reactor.remove(id, fd: fd) }
    }

    /// Arms the watch for `interest` (hang-ups and errors are always
    /// reported). Does nothing once removed.
    public func arm(_ interest: Interest) throws(SystemCallError) {
        guard let id else { return }
        try reactor.arm(id, fd: fd, events: interest.rawValue)
    }

    /// Stops watching; call before closing the descriptor. Safe to call twice.
    public func remove() {
        guard let id else { return }
        self.id = nil
        reactor.remove(id, fd: fd)
    }
}
