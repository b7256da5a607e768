import Foundation

/// The result of one named validation check.
public enum CheckStatus: String, Sendable, Hashable, CaseIterable {
    case passed = "PASSED"
    case failed = "FAILED"
    case warning = "WARNING"
    case skipped = "SKIPPED"
}

/// A validation's overall result: FAILED if any check failed, else WARNING if
/// any warned, else PASSED.
public enum ValidationOutcome: String, Sendable, Hashable, CaseIterable {
    case passed = "PASSED"
    case warning = "WARNING"
    case failed = "FAILED"

    public init(checks: [CheckResult]) {
        if checks.contains(where: { $0.status == .failed }) {
            self = .failed
        } else if checks.contains(where: { $0.status == .warning }) {
            self = .warning
        } else {
            self = .passed
        }
    }
}

public struct CheckResult: Sendable, Hashable {
    public var name: String
    public var status: CheckStatus
    public var message: String
    /// All failing objects, counted.
    public var failingObjectCount: Int
    /// The first few failing objects, listed.
    public var failingObjects: [String]
    /// SQL that would fix the failures, if there is any.
    public var remediationSQL: String?

    public init(
        name: String, status: CheckStatus, message: String, failingObjectCount: Int = 0,
        failingObjects: [String] = [], remediationSQL: String? = nil
    ) {
        self.name = name
        self.status = status
        self.message = message
        self.failingObjectCount = failingObjectCount
        self.failingObjects = failingObjects
        self.remediationSQL = remediationSQL
    }
}

/// A validation as the domain hands it to the store.
public struct ValidationResult: Sendable, Hashable {
    /// When the checks ran.
    public var at: Date
    /// In the order they ran.
    public var checks: [CheckResult]
    /// The server's version string, when a session was opened.
    public var serverVersion: String?

    public init(at: Date, checks: [CheckResult], serverVersion: String? = nil) {
        self.at = at
        self.checks = checks
        self.serverVersion = serverVersion
    }
}

/// A stored validation report.
public struct ValidationReport: Sendable, Hashable {
    public var id: Int64
    public var connectionKey: String
    /// The connection's revision when the report was recorded; the report
    /// tested the settings current then (see ``ConnectionRecord/settingsRevision``).
    public var connectionRevision: Int64
    public var at: Date
    public var outcome: ValidationOutcome
    public var checks: [CheckResult]
    /// The server's version string, when a session was opened.
    public var serverVersion: String?

    public init(
        id: Int64, connectionKey: String, connectionRevision: Int64, at: Date,
        outcome: ValidationOutcome, checks: [CheckResult], serverVersion: String? = nil
    ) {
        self.id = id
        self.connectionKey = connectionKey
        self.connectionRevision = connectionRevision
        self.at = at
        self.outcome = outcome
        self.checks = checks
        self.serverVersion = serverVersion
    }
}
