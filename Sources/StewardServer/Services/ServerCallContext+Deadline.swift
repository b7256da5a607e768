import StewardPostgres

extension ServerCallContext {
    /// The call's deadline for database work, or `milliseconds` from now
    /// when the call has none: work against a live server is never unbounded.
    func databaseDeadline(orAfter milliseconds: Int) -> Deadline {
        Deadline.after(milliseconds: remainingMilliseconds.map { Int(clamping: $0) } ?? milliseconds)
    }
}
