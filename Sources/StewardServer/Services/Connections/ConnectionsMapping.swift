import Foundation
import StewardCore
import StewardModel
import StewardStore
import StewardWire

/// Between the steward.v1 messages and the domain's records. Passwords go
/// in only: every message going out shows "[REDACTED]".
enum ConnectionsMapping {
    static func settings(_ message: StewardV1.ConnectionSettings?, displayName: String) throws(DomainError) -> (ConnectionSettings, String?) {
        guard let message else { throw DomainError.invalidArgument("settings", "is required") }
        let deployment = try deploymentType(message.deploymentType)
        let sslMode = try sslMode(message.sslMode) ?? (deployment == .neon ? .verifyFull : .prefer)
        guard message.port <= UInt32(Int32.max) else { throw DomainError.invalidArgument("port", "\(message.port) is not between 1 and 65535") }
        let settings = ConnectionSettings(
            displayName: displayName, deploymentType: deployment, host: message.host, port: Int(message.port),
            stateDatabase: message.stateDatabase, governedDatabases: message.governedDatabases,
            username: message.username, sslMode: sslMode,
            caCertificate: message.caCertificatePem.isEmpty ? nil : message.caCertificatePem,
            provisionMissingRoles: message.provisionMissingRoles)
        return (settings, message.password.isEmpty ? nil : message.password)
    }

    static func deploymentType(_ value: StewardV1.DeploymentType) throws(DomainError) -> DeploymentType {
        if let type = DeploymentType(value) { return type }
        guard value == .unspecified else {
            throw DomainError.invalidArgument("deployment_type", "\(value.rawValue) is not NEON or SELF_MANAGED")
        }
        throw DomainError.invalidArgument("deployment_type", "is required: NEON or SELF_MANAGED")
    }

    static func sslMode(_ value: StewardV1.SslMode) throws(DomainError) -> SSLMode? {
        if let mode = SSLMode(value) { return mode }
        guard value == .unspecified else { throw DomainError.invalidArgument("ssl_mode", "\(value.rawValue) is not a known sslmode") }
        return nil
    }

    static func state(_ value: StewardV1.ConnectionState) throws(DomainError) -> LifecycleState? {
        if let state = LifecycleState(value) { return state }
        guard value == .unspecified else { throw DomainError.invalidArgument("state", "\(value.rawValue) is not a connection state") }
        return nil
    }

    static func message(_ record: ConnectionRecord, report: ValidationReport?) -> StewardV1.Connection {
        var settings = StewardV1.ConnectionSettings()
        settings.deploymentType = StewardV1.DeploymentType(record.deploymentType)
        settings.host = record.host
        settings.port = UInt32(record.port)
        settings.stateDatabase = record.stateDatabase
        settings.governedDatabases = record.governedDatabases
        settings.username = record.username
        settings.password = Secret.redacted
        settings.sslMode = StewardV1.SslMode(record.sslMode)
        settings.caCertificatePem = record.caCertificate ?? ""
        settings.provisionMissingRoles = record.settings.provisionMissingRoles
        var connection = StewardV1.Connection()
        connection.key = record.key
        connection.settings = settings
        connection.state = StewardV1.ConnectionState(record.state)
        connection.revision = UInt64(record.revision)
        connection.createdAtUnixMs = milliseconds(record.createdAt)
        connection.updatedAtUnixMs = milliseconds(record.updatedAt)
        connection.createdByUid = record.createdBy
        connection.lastValidation = report.map(message)
        return connection
    }

    static func message(_ transition: LifecycleTransition) -> StewardV1.ConnectionTransition {
        var message = StewardV1.ConnectionTransition()
        message.fromState = transition.from.map { StewardV1.ConnectionState($0) } ?? .unspecified
        message.toState = StewardV1.ConnectionState(transition.to)
        message.atUnixMs = milliseconds(transition.at)
        message.actorUid = transition.actor
        message.actorUserName = transition.actorName ?? ""
        message.reason = transition.reason
        return message
    }

    static func message(_ report: ValidationReport) -> StewardV1.ValidationReport {
        var message = StewardV1.ValidationReport()
        message.connectionKey = report.connectionKey
        message.validatedAtUnixMs = milliseconds(report.at)
        message.passed = report.outcome != .failed
        message.connectionRevision = UInt64(report.connectionRevision)
        message.serverVersion = report.serverVersion ?? ""
        message.checks = report.checks.map { check in
            var result = StewardV1.CheckResult()
            result.name = check.name
            result.status = switch check.status {
            case .passed: .passed
            case .failed: .failed
            case .warning: .warning
            case .skipped: .skipped
            }
            result.message = check.message
            result.failingObjectCount = UInt32(clamping: check.failingObjectCount)
            result.failingObjects = check.failingObjects
            result.remediationSql = check.remediationSQL ?? ""
            return result
        }
        return message
    }

    /// nil for 0 (no check); a revision is an Int64, so a larger number can
    /// match none and is refused rather than converted (which would trap).
    static func expectedRevision(_ value: UInt64) throws(DomainError) -> Int64? {
        guard value != 0 else { return nil }
        guard let revision = Int64(exactly: value) else {
            throw .invalidArgument("expected_revision", "\(value) is larger than any revision (at most \(Int64.max))")
        }
        return revision
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// RotateCredentials' request as domain changes. It has no
    /// `update_paths`: an empty request is refused naming its own fields.
    static func rotation(_ request: StewardV1.RotateCredentialsRequest) throws(DomainError) -> [SettingsChange] {
        var changes: [SettingsChange] = []
        if !request.username.isEmpty { changes.append(.username(request.username)) }
        if !request.password.isEmpty { changes.append(.password(request.password)) }
        guard !changes.isEmpty else {
            throw .invalidArgument("password", "is required: give the new password (and username, to change the role too); the request has nothing to rotate")
        }
        return changes
    }

    /// The update paths of UpdateConnectionRequest as domain changes.
    static func changes(_ request: StewardV1.UpdateConnectionRequest) throws(DomainError) -> [SettingsChange] {
        let settings = request.settings ?? StewardV1.ConnectionSettings()
        var changes: [SettingsChange] = []
        for path in request.updatePaths {
            guard let field = ConnectionSettingsField(path: path) else {
                let updatable = ConnectionSettingsField.allCases.map(\.path).joined(separator: ", ")
                throw DomainError.invalidArgument("update_paths", "\"\(path)\" is not an updatable field (\(updatable))")
            }
            switch field {
            case .host: changes.append(.host(settings.host))
            case .port: changes.append(.port(Int(settings.port)))
            case .deploymentType: changes.append(.deploymentType(try deploymentType(settings.deploymentType)))
            case .sslMode:
                guard let mode = try sslMode(settings.sslMode) else { throw DomainError.invalidArgument("ssl_mode", "is required when updating it") }
                changes.append(.sslMode(mode))
            case .caCertificate: changes.append(.caCertificate(settings.caCertificatePem.isEmpty ? nil : settings.caCertificatePem))
            case .stateDatabase: changes.append(.stateDatabase(settings.stateDatabase))
            case .governedDatabases: changes.append(.governedDatabases(settings.governedDatabases))
            case .username: changes.append(.username(settings.username))
            case .password: changes.append(.password(settings.password))
            case .provisionMissingRoles: changes.append(.provisionMissingRoles(settings.provisionMissingRoles))
            }
        }
        return changes
    }
}
