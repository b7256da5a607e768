import Foundation
import Glibc
import StewardModel
import StewardWire

/// One answer the guided `steward connection add` asks for, in the order the
/// product's steps ask them. The name comes first: it is looked up before
/// anything else is asked (taken, or a registration to resume).
enum AddConnectionField: Int, CaseIterable, Sendable {
    case displayName, deployment, host, port, stateDatabase, governedDatabases, username, password, sslMode, caFile

    /// The field after this one on the first pass, nil after the last.
    var next: AddConnectionField? { AddConnectionField(rawValue: rawValue + 1) }

    /// The settings field this step sets (nil: the display name, which
    /// cannot change after registering).
    var settingsField: ConnectionSettingsField? {
        switch self {
        case .deployment: .deploymentType
        case .displayName: nil
        case .host: .host
        case .port: .port
        case .stateDatabase: .stateDatabase
        case .governedDatabases: .governedDatabases
        case .username: .username
        case .password: .password
        case .sslMode: .sslMode
        case .caFile: .caCertificate
        }
    }

    /// The `update_paths` entry of Connections.Update (nil: cannot change after registering).
    var updatePath: String? { settingsField?.path }

    var label: String { settingsField?.descriptor.label ?? "display name" }

    /// The step a field named in a daemon error belongs to, e.g.
    /// "governed_databases[1]" or "ca_certificate_pem".
    init?(serverField: String) {
        let base = serverField.split(separator: "[").first.map(String.init) ?? serverField
        if base == "display_name" || base == "key" {
            self = .displayName
            return
        }
        guard let settingsField = ConnectionSettingsField(path: base),
            let field = AddConnectionField.allCases.first(where: { $0.settingsField == settingsField })
        else { return nil }
        self = field
    }
}

/// Where the guided walk is. The terminal I/O lives in ``AddConnectionWizard``.
enum AddConnectionStep: Equatable, Sendable {
    /// Asking for one setting (checked as it is entered).
    case ask(AddConnectionField)
    /// Look the entered name up: free, taken, or REGISTERED (offer to resume).
    case checkName
    /// Register over the socket.
    case save
    /// Ask where to write the setup script, write it, show it.
    case writeScript
    /// Wait while the administrator runs the script.
    case pause
    /// Validate and show the report.
    case validate
    /// Validation failed: re-validate, edit or quit.
    case failed
    /// Choose a setting to change (after a failed validation).
    case edit
    /// Send the changed settings with Connections.Update.
    case applyEdits
    /// Show the connection and ask to complete setup.
    case summary
    /// ACTIVE: offer the first sync.
    case offerSync
    /// Done.
    case finished
    /// Stopped with the connection registered.
    case stopped
}

/// The answers so far.
struct AddConnectionDraft: Sendable {
    var deployment: StewardV1.DeploymentType = .unspecified
    var displayName = ""
    var host = ""
    var port: UInt32 = 5432
    var stateDatabase = ""
    var governedDatabases: [String] = []
    var username = ""
    var password = ""
    var sslMode: StewardV1.SslMode = .prefer
    var caFile = ""
    var caCertificatePem = ""

    var settings: StewardV1.ConnectionSettings {
        StewardV1.ConnectionSettings(
            deploymentType: deployment, host: host, port: port, stateDatabase: stateDatabase,
            governedDatabases: governedDatabases, username: username, password: password,
            sslMode: sslMode, caCertificatePem: caCertificatePem)
    }

    static func sslModeName(_ mode: StewardV1.SslMode) -> String {
        SSLMode(mode)?.rawValue ?? SSLMode.prefer.rawValue
    }
}

/// The guided walk's logic, without a terminal: which step comes next, the
/// prompt of each setting, and the checks on each answer (the same rules the
/// daemon applies; its answer on register stays authoritative).
struct AddConnectionFlow: Sendable {
    var draft = AddConnectionDraft()
    var step: AddConnectionStep = .ask(.displayName)
    /// Where to go once the setting being asked is answered (nil: the next setting).
    var returnTo: AddConnectionStep?
    /// Settings changed since the last Update (after registering).
    var edited: [AddConnectionField] = []
    /// The registered connection's key, once saved.
    var key: String?
    /// The setup script file and what was written to it.
    var scriptPath: String?
    var writtenScript: String?

    /// The question for a setting, with its current or default value.
    func prompt(for field: AddConnectionField) -> String {
        let d = draft
        func current(_ value: String) -> String { value.isEmpty ? "" : " [\(value)]" }
        switch field {
        case .deployment:
            let now = d.deployment == .neon ? "1" : d.deployment == .selfManaged ? "2" : ""
            return "Deployment type: 1) NEON  2) SELF_MANAGED\(current(now)): "
        case .displayName: return "Display name (letters, digits, '-', '_'; it becomes the connection key)\(current(d.displayName)): "
        case .host: return "Hostname\(current(d.host)): "
        case .port: return "Port [\(d.port)]: "
        case .stateDatabase: return "State database (the separate database Steward keeps its state in)\(current(d.stateDatabase)): "
        case .governedDatabases:
            return "Databases to govern, comma-separated (empty: discover them)\(current(d.governedDatabases.joined(separator: ","))): "
        case .username: return "Username (the PostgreSQL role Steward connects as)\(current(d.username)): "
        case .password: return d.password.isEmpty ? "Password for \(d.username): " : "Password for \(d.username) (Enter keeps it): "
        case .sslMode:
            let modes = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
            return "sslmode (\(modes)) [\(AddConnectionDraft.sslModeName(d.sslMode))]: "
        case .caFile:
            return "CA certificate file (PEM; optional, '-' for none)\(current(d.caFile)): "
        }
    }

    /// Applies an answer; returns the problem to show before asking again, or nil.
    /// An empty answer keeps the current value where there is one.
    mutating func apply(_ field: AddConnectionField, answer raw: String) -> String? {
        let answer = field == .password ? raw : raw.trimmingCharacters(in: .whitespaces)
        switch field {
        case .deployment:
            switch answer.lowercased().replacing("-", with: "_") {
            case "1", "neon": draft.deployment = .neon
            case "2", "self_managed", "self managed": draft.deployment = .selfManaged
            case "" where draft.deployment != .unspecified: break
            default: return "choose 1 (NEON) or 2 (SELF_MANAGED)"
            }
            if draft.deployment == .neon { draft.sslMode = .verifyFull }
        case .displayName:
            let name = answer.isEmpty ? draft.displayName : answer
            if let problem = Self.checkKey(name) { return problem }
            draft.displayName = name
        case .host:
            let host = answer.isEmpty ? draft.host : answer
            if let problem = Self.checkHost(host) { return problem }
            draft.host = host
        case .port:
            guard !answer.isEmpty else { break }
            guard let port = UInt32(answer), (1...65_535).contains(port) else {
                return "\"\(answer)\" is not a port; enter a number from 1 to 65535"
            }
            draft.port = port
        case .stateDatabase:
            let name = answer.isEmpty ? draft.stateDatabase : answer
            if let problem = Self.checkIdentifier(name) { return problem }
            if draft.governedDatabases.contains(name) {
                return "\"\(name)\" is also a governed database; Steward's state must live apart from governed data"
            }
            draft.stateDatabase = name
        case .governedDatabases:
            if answer.isEmpty { break }
            let names = answer.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            var seen: Set<String> = []
            for name in names {
                if let problem = Self.checkIdentifier(name) { return "\"\(name)\": \(problem)" }
                if name == draft.stateDatabase {
                    return "\"\(name)\" is the state database; Steward's state must live apart from governed data"
                }
                guard seen.insert(name).inserted else { return "\"\(name)\" is listed twice" }
            }
            draft.governedDatabases = names
        case .username:
            let name = answer.isEmpty ? draft.username : answer
            if let problem = Self.checkIdentifier(name) { return problem }
            draft.username = name
        case .password:
            if answer.isEmpty {
                return draft.password.isEmpty ? "a password is required" : nil
            }
            draft.password = answer
        case .sslMode:
            if draft.deployment == .neon { draft.sslMode = .verifyFull; break }
            guard !answer.isEmpty else { break }
            guard let mode = SSLMode(rawValue: answer.lowercased()) else {
                return "\"\(answer)\" is not an sslmode; choose \(SSLMode.choices)"
            }
            draft.sslMode = StewardV1.SslMode(mode)
        case .caFile:
            if answer == "-" { draft.caFile = ""; draft.caCertificatePem = ""; break }
            guard !answer.isEmpty else { break }
            let path = (answer as NSString).expandingTildeInPath
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                return "cannot read \(path)"
            }
            guard text.contains("-----BEGIN CERTIFICATE-----") else {
                return "\(path) is not a PEM certificate bundle (no BEGIN CERTIFICATE line)"
            }
            draft.caFile = path
            draft.caCertificatePem = text
        }
        return nil
    }

    /// After a setting was accepted: the next setting, or where a correction returns to.
    mutating func answered(_ field: AddConnectionField) {
        if key != nil, field.updatePath != nil, !edited.contains(field) {
            edited.append(field)
            if field == .deployment, !edited.contains(.sslMode) { edited.append(.sslMode) }
        }
        if field == .displayName, key == nil {
            step = .checkName  // returnTo waits until the name is known to be free
        } else if let back = returnTo {
            returnTo = nil
            step = back
        } else {
            step = field.next.map { .ask($0) } ?? .save
        }
    }

    /// The name is not taken: on to where a correction returns, or the next setting.
    mutating func nameIsFree() {
        if let back = returnTo {
            returnTo = nil
            step = back
        } else {
            step = AddConnectionField.displayName.next.map { .ask($0) } ?? .save
        }
    }

    /// Resumes a registration left REGISTERED: its stored settings become the
    /// draft (the password is not served; an edit that needs it asks for it)
    /// and the walk goes on at the setup script.
    mutating func resume(_ connection: StewardV1.Connection) {
        let settings = connection.settings ?? .init()
        key = connection.key
        returnTo = nil
        draft.displayName = connection.key
        draft.deployment = settings.deploymentType
        draft.host = settings.host
        draft.port = settings.port
        draft.stateDatabase = settings.stateDatabase
        draft.governedDatabases = settings.governedDatabases
        draft.username = settings.username
        draft.password = ""
        draft.sslMode = settings.sslMode
        draft.caCertificatePem = settings.caCertificatePem
        step = .writeScript
    }

    /// A refused Register: the step of the field the daemon named (returning to
    /// save once corrected), or nil when no step can fix it.
    mutating func registerRefused(_ error: RPCError) -> Bool {
        let field: AddConnectionField?
        switch error.code {
        case .alreadyExists: field = .displayName
        case .invalidArgument:
            let name = error.message.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            field = AddConnectionField(serverField: name.trimmingCharacters(in: .whitespaces))
        default: field = nil
        }
        guard let field else { return false }
        returnTo = .save
        step = .ask(field)
        return true
    }

    /// The settings that can change after registering, for the edit menu.
    static let editable: [AddConnectionField] = AddConnectionField.allCases.filter { $0.updatePath != nil }

    /// The default file for the setup script.
    var defaultScriptPath: String { "./steward-setup-\(key ?? draft.displayName).sql" }

    /// The settings and paths of an Update for the edits so far.
    /// An edit of where the password is sent (host, port, username, TLS)
    /// carries the password typed earlier in this walk: the daemon never
    /// sends a stored password to a new destination unless it is given
    /// again, and here the person at the terminal gave both.
    var update: (settings: StewardV1.ConnectionSettings, paths: [String]) {
        var paths = edited.compactMap(\.updatePath)
        let movesPassword = edited.contains { $0.settingsField?.descriptor.decidesPasswordDestination == true }
        if movesPassword, !draft.password.isEmpty, !edited.contains(.password) {
            paths.append(ConnectionSettingsField.password.path)
        }
        return (draft.settings, paths)
    }

    // MARK: The daemon's rules, checked locally

    // The model's rules, which the daemon applies too (ConnectionNameRules),
    // so a bad answer is re-asked at once; the daemon's verdict on save
    // stays authoritative.

    static func checkKey(_ key: String) -> String? {
        problem { () throws(InputProblem) in try ConnectionNameRules.checkKey(key) }
    }

    static func checkIdentifier(_ name: String) -> String? {
        problem { () throws(InputProblem) in try ConnectionNameRules.checkIdentifier(name, field: "name") }
    }

    static func checkHost(_ host: String) -> String? {
        problem { () throws(InputProblem) in try ConnectionNameRules.checkHost(host) }
    }

    /// The rule's complaint without its field ("host"), or nil.
    private static func problem(_ check: () throws(InputProblem) -> Void) -> String? {
        do {
            try check()
            return nil
        } catch {
            return error.problem
        }
    }
}
