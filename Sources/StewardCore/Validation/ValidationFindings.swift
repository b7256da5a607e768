import StewardStore

/// What one validation found: the checks in order, and the server's
/// version string when a session was opened (nil when none was).
public struct ValidationFindings: Sendable, Hashable {
    public var checks: [CheckResult]
    /// `server_version` as the server reported it at login, escaped.
    public var serverVersion: String?

    public init(checks: [CheckResult], serverVersion: String? = nil) {
        self.checks = checks
        self.serverVersion = serverVersion
    }
}
