import CLibPQ
import Glibc
import Synchronization

/// Cancel requests sent without holding anyone up.
///
/// libpq's `PQcancel` connects to the server, sends the request and waits
/// until the server closes that connection. A server that has stopped
/// answering (a frozen host, SIGSTOP) still completes the TCP handshake in
/// the kernel and then never closes: `PQcancel` waits as long as the server
/// is frozen, and a call that waited on it held its session and its caller
/// far past the deadline (issue 13: a call waited 74 s). PostgreSQL 17's
/// libpq has a non-blocking cancel (`PQcancelCreate`, `PQcancelPoll`), but
/// Steward links the system's libpq (Debian 12: version 15), which lacks it.
///
/// So a cancel request goes out on a thread of its own, and the caller
/// abandons its session at once (``PostgresConnection`` closes it): the
/// server's own `statement_timeout`, set from the same deadline, ends the
/// statement even if the request never arrives. At most
/// ``maxOutstanding`` requests wait at once in the process; beyond that a
/// request is skipped (the statement timeout still ends the work), so a
/// long outage cannot pile up threads.
enum CancelRequests {
    static let maxOutstanding = 8
    private static let outstanding = Atomic<Int>(0)

    /// Sends a cancel request for `handle`'s running statement in the
    /// background; returns whether it was sent (false when too many wait).
    @discardableResult
    static func send(for handle: OpaquePointer) -> Bool {
        guard reserve() else { return false }
        // An independent copy of what the request needs: valid after the
        // connection is finished.
        guard let cancel = PQgetCancel(handle) else {
            release()
            return false
        }
        let context = Unmanaged.passRetained(CancelBox(cancel)).toOpaque()
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 128 * 1024)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        defer { pthread_attr_destroy(&attributes) }
        let created = pthread_create(&thread, &attributes, { context in
            let box = Unmanaged<CancelBox>.fromOpaque(context!).takeRetainedValue()
            var errorBuffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(box.cancel, &errorBuffer, Int32(errorBuffer.count))
            PQfreeCancel(box.cancel)
            CancelRequests.release()
            return nil
        }, context)
        if created != 0 {
            let box = Unmanaged<CancelBox>.fromOpaque(context).takeRetainedValue()
            PQfreeCancel(box.cancel)
            release()
            return false
        }
        return true
    }

    /// Requests still waiting for their server; for tests.
    package static var outstandingCount: Int { outstanding.load(ordering: .relaxed) }

    private static func reserve() -> Bool {
        var current = outstanding.load(ordering: .relaxed)
        while current < maxOutstanding {
            let (exchanged, original) = outstanding.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    private static func release() {
        outstanding.subtract(1, ordering: .relaxed)
    }
}

/// Carries one `PGcancel` to its thread, which frees it.
private final class CancelBox {
    let cancel: OpaquePointer
    init(_ cancel: OpaquePointer) { self.cancel = cancel }
}
