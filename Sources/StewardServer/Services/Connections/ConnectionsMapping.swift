import Foundation
import StewardCore
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
            caCertificate: message.caCertificatePem.isEmpty ? nil : message.caCertificatePem)
        return (settings, message.password.isEmpty ? nil : message.password)
    }

    static func deploymentType(_ value: StewardV1.DeploymentType) throws(DomainError) -> DeploymentType {
        switch value {
        case .neon: return .neon
        case .selfManaged: return .selfManaged
        case .unspecified: throw DomainError.invalidArgument("deployment_type", "is required: NEON or SELF_MANAGED")
        default: throw DomainError.invalidArgument("deployment_type", "\(value.rawValue) is not NEON or SELF_MANAGED")
        }
    }

    static func sslMode(_ value: StewardV1.SslMode) throws(DomainError) -> StewardStore.SSLMode? {
        switch value {
        case .unspecified: return nil
        case .disable: return .disable
        case .allow: return .allow
        case .prefer: return .prefer
        case .require: return .require
        case .verifyCa: return .verifyCA
        case .verifyFull: return .verifyFull
        default: throw DomainError.invalidArgument("ssl_mode", "\(value.rawValue) is not a known sslmode")
        }
    }

    static func state(_ value: StewardV1.ConnectionState) throws(DomainError) -> LifecycleState? {
        switch value {
        case .unspecified: return nil
        case .registered: return .registered
        case .validated: return .validated
        case .validationFailed: return .validationFailed
        case .active: return .active
        case .unhealthy: return .unhealthy
        case .inactive: return .inactive
        default: throw DomainError.invalidArgument("state", "\(value.rawValue) is not a connection state")
        }
    }

    static func message(_ record: ConnectionRecord, report: ValidationReport?) -> StewardV1.Connection {
        var settings = StewardV1.ConnectionSettings()
        settings.deploymentType = record.deploymentType == .neon ? .neon : .selfManaged
        settings.host = record.host
        settings.port = UInt32(record.port)
        settings.stateDatabase = record.stateDatabase
        settings.governedDatabases = record.governedDatabases
        settings.username = record.username
        settings.password = Secret.redacted
        settings.sslMode = message(record.sslMode)
        settings.caCertificatePem = record.caCertificate ?? ""
        var connection = StewardV1.Connection()
        connection.key = record.key
        connection.settings = settings
        connection.state = message(record.state)
        connection.revision = UInt64(record.revision)
        connection.createdAtUnixMs = milliseconds(record.createdAt)
        connection.updatedAtUnixMs = milliseconds(record.updatedAt)
        connection.createdByUid = record.createdBy
        connection.lastValidation = report.map(message)
        return connection
    }

    static func message(_ mode: StewardStore.SSLMode) -> StewardV1.SslMode {
        switch mode {
        case .disable: .disable
        case .allow: .allow
        case .prefer: .prefer
        case .require: .require
        case .verifyCA: .verifyCa
        case .verifyFull: .verifyFull
        }
    }

    static func message(_ state: LifecycleState) -> StewardV1.ConnectionState {
        switch state {
        case .registered: .registered
        case .validated: .validated
        case .validationFailed: .validationFailed
        case .active: .active
        case .unhealthy: .unhealthy
        case .inactive: .inactive
        }
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
            switch path {
            case "host": changes.append(.host(settings.host))
            case "port": changes.append(.port(Int(settings.port)))
            case "deployment_type": changes.append(.deploymentType(try deploymentType(settings.deploymentType)))
            case "ssl_mode":
                guard let mode = try sslMode(settings.sslMode) else { throw DomainError.invalidArgument("ssl_mode", "is required when updating it") }
                changes.append(.sslMode(mode))
            case "ca_certificate_pem": changes.append(.caCertificate(settings.caCertificatePem.isEmpty ? nil : settings.caCertificatePem))
            case "state_database": changes.append(.stateDatabase(settings.stateDatabase))
            case "governed_databases": changes.append(.governedDatabases(settings.governedDatabases))
            case "username": changes.append(.username(settings.username))
            case "password": changes.append(.password(settings.password))
            default:
                throw DomainError.invalidArgument(
                    "update_paths", "\"\(path)\" is not an updatable field (host, port, deployment_type, ssl_mode, ca_certificate_pem, state_database, governed_databases, username, password)")
            }
        }
        return changes
    }
}
