import StewardStore
import StewardWire

/// A requested change of one settings field.
public enum SettingsChange: Sendable, Hashable {
    case host(String)
    case port(Int)
    case deploymentType(DeploymentType)
    case sslMode(StewardStore.SSLMode)
    case caCertificate(String?)
    case stateDatabase(String)
    case governedDatabases([String])
    case username(String)
    case password(String)

    /// The API's name for the field.
    public var path: String {
        switch self {
        case .host: "host"
        case .port: "port"
        case .deploymentType: "deployment_type"
        case .sslMode: "ssl_mode"
        case .caCertificate: "ca_certificate_pem"
        case .stateDatabase: "state_database"
        case .governedDatabases: "governed_databases"
        case .username: "username"
        case .password: "password"
        }
    }

    /// The checks whose verdict this change may alter.
    var checksToRerun: [String] {
        switch self {
        case .host, .port, .deploymentType, .sslMode, .caCertificate: ConnectionChecks.all
        case .username, .password: Array(ConnectionChecks.all.drop { $0 != "login" })
        case .stateDatabase: ["state_database", "state_marker"]
        case .governedDatabases: ["database_connect", "schema_usage", "table_privileges", "alter_table"]
        }
    }
}

/// The stable names of the validation checks, in the order they run.
public enum ConnectionChecks {
    public static let all = ValidationCheck.allCases.map(\.rawValue)
}

/// What an update changes (or, for a dry run, would change).
public struct UpdatePlan: Sendable {
    public struct FieldChange: Sendable, Hashable {
        public var path: String
        public var oldValue: String
        public var newValue: String
    }

    public var connection: ConnectionRecord
    public var changes: [FieldChange]
    /// Checks that must run again; non-empty means back to REGISTERED.
    public var checksToRerun: [String]
    public var dryRun: Bool
    /// The stored password is (or would be) sent to a changed destination
    /// because the caller asked to keep it.
    public var passwordKept = false
}

extension ConnectionsService {
    /// Applies `changes` (or, with `dryRun`, only reports them). A change to
    /// where or how Steward connects sends the connection back to
    /// REGISTERED, to be validated again. `changes` and `expectedRevision` are mapped only once
    /// the caller is known to be allowed, so a denied caller's malformed
    /// request is still a denial.
    ///
    /// A change of where the stored password is sent (host, port, username,
    /// sslmode, CA) needs the password again, or `keepPassword`: the caller
    /// then says on the record that the stored password may go there.
    public func update(
        key: String, changes requestedChanges: @autoclosure () throws(DomainError) -> [SettingsChange],
        expectedRevision requestedRevision: @autoclosure () throws(DomainError) -> Int64?, dryRun: Bool,
        keepPassword: Bool = false, call: AuditedCall
    ) throws(DomainError) -> UpdatePlan {
        let caller = call.caller
        func plan(_ successEvent: CallAuditEvent?) throws(DomainError) -> UpdatePlan {
            try caller.require(.applicationAdmin, to: "update connections")
            let changes = try requestedChanges()
            let expectedRevision = try requestedRevision()
            guard !changes.isEmpty else { throw DomainError.invalidArgument("update_paths", "names no field to change") }
            let record = try connection(key: key)
            if let expectedRevision, expectedRevision != record.revision {
                throw DomainError(.aborted, "connection \"\(key)\" is at revision \(record.revision), not \(expectedRevision): read it again and retry")
            }
            var settings = record.settings
            var password: String?
            var fieldChanges: [UpdatePlan.FieldChange] = []
            var rerun: [String] = []
            for change in changes {
                let old = Self.value(of: change.path, in: settings)
                switch change {
                case .host(let value): settings.host = value
                case .port(let value): settings.port = value
                case .deploymentType(let value): settings.deploymentType = value
                case .sslMode(let value): settings.sslMode = value
                case .caCertificate(let value): settings.caCertificate = value
                case .stateDatabase(let value): settings.stateDatabase = value
                case .governedDatabases(let value): settings.governedDatabases = value
                case .username(let value): settings.username = value
                case .password(let value): password = value
                }
                let new = change.path == "password" ? Secret.redacted : Self.value(of: change.path, in: settings)
                if change.path == "password" || old != new {
                    fieldChanges.append(.init(path: change.path, oldValue: old, newValue: new))
                    rerun += change.checksToRerun
                }
            }
            settings = try ConnectionInputRules.accepted(settings, password: password)
            let passwordKept = try Self.checkPasswordDestination(fieldChanges, newPassword: password != nil, keepPassword: keepPassword)
            if passwordKept {
                successEvent?.note("keep_password: the stored password is kept for the changed "
                    + fieldChanges.map(\.path).filter(PasswordBinding.fieldPaths.contains).joined(separator: ", "))
            }
            let checks = ConnectionChecks.all.filter(rerun.contains)
            var updated = record
            updated.settings = settings
            guard !dryRun, !fieldChanges.isEmpty else {
                return UpdatePlan(
                    connection: updated, changes: fieldChanges, checksToRerun: checks, dryRun: dryRun, passwordKept: passwordKept)
            }
            var stateChange: StateChange?
            if !checks.isEmpty, case .moveTo(let next) = try ConnectionLifecycle.outcome(of: .connectionSettingsChanged, in: record.state),
                next != record.state {
                stateChange = StateChange(to: next, actor: caller.uid, reason: "settings changed: " + fieldChanges.map(\.path).joined(separator: ", "))
            }
            let newSettings = settings
            let stored = try storeCall { () throws(StoreError) in
                try store.updateConnection(ConnectionUpdate(
                    key: key, expectedRevision: record.revision, settings: newSettings,
                    password: password.map(Secret.init), stateChange: stateChange))
            }
            return UpdatePlan(
                connection: stored, changes: fieldChanges, checksToRerun: checks, dryRun: false, passwordKept: passwordKept)
        }
        // A dry run changes nothing, so only its denial is an audit event.
        if dryRun {
            do { return try plan(nil) } catch where error.code == .permissionDenied {
                audit.record(call, status: error.code, message: error.message)
                throw error
            }
        }
        return try audit.audited(call, noting: { event throws(DomainError) in
            try plan(event)
        })
    }

    /// Refuses a change of the password's destination that does not give the
    /// password again and does not say to keep it; returns whether the
    /// stored password is kept for a new destination.
    static func checkPasswordDestination(
        _ changes: [UpdatePlan.FieldChange], newPassword: Bool, keepPassword: Bool
    ) throws(DomainError) -> Bool {
        if keepPassword && newPassword {
            throw .invalidArgument("keep_password", "cannot be set together with a new password: give one or the other")
        }
        let moved = changes.map(\.path).filter(PasswordBinding.fieldPaths.contains)
        guard !moved.isEmpty, !newPassword else { return false }
        guard keepPassword else {
            throw .invalidArgument(
                "password",
                "is required when \(moved.joined(separator: ", ")) changes, so that the stored password never goes "
                    + "to a server it was not given for: give the password again, or set keep_password "
                    + "(steward connection update --keep-password) to send the stored one there")
        }
        return true
    }

    /// The API's text for a settings field, for change reports. The
    /// password is never shown.
    static func value(of path: String, in settings: ConnectionSettings) -> String {
        switch path {
        case "host": settings.host
        case "port": String(settings.port)
        case "deployment_type": settings.deploymentType.rawValue
        case "ssl_mode": settings.sslMode.rawValue
        case "ca_certificate_pem": settings.caCertificate ?? ""
        case "state_database": settings.stateDatabase
        case "governed_databases": settings.governedDatabases.joined(separator: ",")
        case "username": settings.username
        default: Secret.redacted
        }
    }
}

extension Secret {
    /// What every response and log shows in place of a secret.
    public static let redacted = "[REDACTED]"
}
