import StewardModel
import StewardPostgres

extension ServerCallContext {
    /// The deadline for database work under this call: a little short of the
    /// call's own (a tenth, at most half a second), so that work that runs
    /// out of time is reported in the answer instead of being cut off by the
    /// call's deadline; or `milliseconds` from now when the call has none,
    /// since work against a live server is never unbounded.
    func databaseDeadline(orAfter milliseconds: Int) -> Deadline {
        guard let remaining = remainingMilliseconds else { return .after(milliseconds: milliseconds) }
        let margin = min(500, remaining / 10)
        return .after(milliseconds: Int(clamping: remaining - margin))
    }
}
