import Dispatch

/// A point in monotonic time by which work must be done: a call's, carried
/// from the socket into the domain and on into libpq.
public struct Deadline: Sendable, Comparable {
    public let uptimeNanoseconds: UInt64

    public init(uptimeNanoseconds: UInt64) { self.uptimeNanoseconds = uptimeNanoseconds }

    /// `milliseconds` from now.
    public static func after(milliseconds: Int) -> Deadline {
        Deadline(uptimeNanoseconds: DispatchTime.now().uptimeNanoseconds + UInt64(max(0, milliseconds)) * 1_000_000)
    }

    /// `milliseconds` after `start` (uptime nanoseconds), saturating: a
    /// timeout too large to represent is a deadline that never comes, not a
    /// trap on overflow.
    public static func after(milliseconds: UInt64, from start: UInt64) -> Deadline {
        let (span, spanOverflow) = milliseconds.multipliedReportingOverflow(by: 1_000_000)
        let (end, endOverflow) = start.addingReportingOverflow(span)
        return Deadline(uptimeNanoseconds: spanOverflow || endOverflow ? .max : end)
    }

    /// Time left, rounded up to whole milliseconds; 0 once it has passed.
    public var remainingMilliseconds: Int {
        let now = DispatchTime.now().uptimeNanoseconds
        return uptimeNanoseconds > now ? Int((uptimeNanoseconds - now + 999_999) / 1_000_000) : 0
    }

    public var hasPassed: Bool { remainingMilliseconds == 0 }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.uptimeNanoseconds < rhs.uptimeNanoseconds }
}

extension Deadline {
    /// The deadline of the call the current task serves, when it has one:
    /// set by the server around a call's work and read by work that cannot
    /// be handed it (the shared registry's statements, made under the
    /// store's protocol), so that a call waiting on a registry that stopped
    /// answering ends by its own deadline, not the store's longer bound.
    @TaskLocal public static var ofCurrentCall: Deadline?

    /// `milliseconds` from now, or the current call's deadline if sooner.
    public static func within(milliseconds: Int) -> Deadline {
        let own = Deadline.after(milliseconds: milliseconds)
        guard let call = ofCurrentCall else { return own }
        return min(own, call)
    }
}
