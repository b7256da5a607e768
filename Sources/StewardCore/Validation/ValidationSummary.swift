import StewardStore

/// A validation at a glance: the overall outcome, decided as the store's
/// ``ValidationOutcome`` decides it, and which checks failed, warned or
/// were skipped.
public struct ValidationSummary: Sendable, Hashable, CustomStringConvertible {
    public let outcome: ValidationOutcome
    /// Names of the FAILED checks, in order.
    public let failed: [String]
    /// Names of the WARNING checks, in order.
    public let warnings: [String]
    /// Names of the SKIPPED checks, in order.
    public let skipped: [String]
    public let passedCount: Int

    public init(checks: [CheckResult]) {
        outcome = ValidationOutcome(checks: checks)
        failed = checks.filter { $0.status == .failed }.map(\.name)
        warnings = checks.filter { $0.status == .warning }.map(\.name)
        skipped = checks.filter { $0.status == .skipped }.map(\.name)
        passedCount = checks.count { $0.status == .passed }
    }

    /// `FAILED: login failed; 7 skipped`, `WARNING: tls warned; 10 passed`.
    public var description: String {
        var parts: [String] = []
        if !failed.isEmpty { parts.append("\(failed.joined(separator: ", ")) failed") }
        if !warnings.isEmpty { parts.append("\(warnings.joined(separator: ", ")) warned") }
        if !skipped.isEmpty { parts.append("\(skipped.count) skipped") }
        if passedCount > 0 { parts.append("\(passedCount) passed") }
        return "\(outcome.rawValue): " + parts.joined(separator: "; ")
    }
}
