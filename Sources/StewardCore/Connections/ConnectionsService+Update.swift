import StewardModel
import StewardStore
import StewardWire

/// A requested change of one settings field.
public enum SettingsChange: Sendable, Hashable {
    case host(String)
    case port(Int)
    case deploymentType(DeploymentType)
    case sslMode(SSLMode)
    case caCertificate(String?)
    case stateDatabase(String)
    case governedDatabases([String])
    case username(String)
    case password(String)
    case provisionMissingRoles(Bool)

    /// The field this changes.
    public var field: ConnectionSettingsField {
        switch self {
        case .host: .host
        case .port: .port
        case .deploymentType: .deploymentType
        case .sslMode: .sslMode
        case .caCertificate: .caCertificate
        case .stateDatabase: .stateDatabase
        case .governedDatabases: .governedDatabases
        case .username: .username
        case .password: .password
        case .provisionMissingRoles: .provisionMissingRoles
        }
    }

    /// The API's name for the field.
    public var path: String { field.path }
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
                let before = settings
                let old = Self.shown(change.field, in: settings)
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
                case .provisionMissingRoles(let value): settings.provisionMissingRoles = value
                }
                let new = Self.shown(change.field, in: settings)
                // A secret reads the same before and after, so it counts as
                // changed whenever it is given.
                if change.field.descriptor.shown == .secret || settings != before {
                    fieldChanges.append(.init(path: change.path, oldValue: old, newValue: new))
                    rerun += change.field.descriptor.checksToRerun.map(\.rawValue)
                }
            }
            settings = try ConnectionInputRules.accepted(settings, password: password)
            let passwordKept = try Self.checkPasswordDestination(fieldChanges, newPassword: password != nil, keepPassword: keepPassword)
            if passwordKept {
                successEvent?.note("keep_password: the stored password is kept for the changed "
                    + fieldChanges.map(\.path).filter(ConnectionSettingsField.passwordDestinationPaths.contains).joined(separator: ", "))
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
        let moved = changes.map(\.path).filter(ConnectionSettingsField.passwordDestinationPaths.contains)
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

    /// A settings field's value as change reports show it
    /// (``ConnectionSettingsFieldDescriptor/Shown``): a secret never, a CA
    /// bundle by its certificates' fingerprints.
    static func shown(_ field: ConnectionSettingsField, in settings: ConnectionSettings) -> String {
        switch field.descriptor.shown {
        case .plain: field.text(in: settings) ?? Secret.redacted
        case .secret: Secret.redacted
        case .fingerprint: CABundle.fingerprints(of: field.text(in: settings) ?? "")
        }
    }
}

extension Secret {
    /// What every response and log shows in place of a secret.
    public static let redacted = "[REDACTED]"
}
