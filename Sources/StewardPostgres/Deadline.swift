import Dispatch
import Glibc

/// A point in monotonic time by which work must be done.
public struct Deadline: Sendable, Comparable {
    public let uptimeNanoseconds: UInt64

    public init(uptimeNanoseconds: UInt64) { self.uptimeNanoseconds = uptimeNanoseconds }

    /// `milliseconds` from now.
    public static func after(milliseconds: Int) -> Deadline {
        Deadline(uptimeNanoseconds: DispatchTime.now().uptimeNanoseconds + UInt64(max(0, milliseconds)) * 1_000_000)
    }

    public var remainingMilliseconds: Int {
        let now = DispatchTime.now().uptimeNanoseconds
        return uptimeNanoseconds > now ? Int((uptimeNanoseconds - now + 999_999) / 1_000_000) : 0
    }

    public var hasPassed: Bool { remainingMilliseconds == 0 }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.uptimeNanoseconds < rhs.uptimeNanoseconds }
}

/// Waits until `fd` is ready for `events` or the deadline passes; returns
/// false on timeout. Retries EINTR.
func waitForSocket(_ fd: Int32, events: Int16, until deadline: Deadline) -> Bool {
    while true {
        let remaining = deadline.remainingMilliseconds
        if remaining == 0 { return false }
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        let result = poll(&descriptor, 1, Int32(min(remaining, Int(Int32.max))))
        if result > 0 { return true }
        if result == 0 { return false }
        if errno != EINTR { return true }  // let libpq report the error
    }
}
