import StewardWire

/// Connections as people read them.
enum ConnectionText {
    static func state(_ state: StewardV1.ConnectionState) -> String {
        (state.protoName ?? "\(state.rawValue)").replacing("CONNECTION_STATE_", with: "")
    }

    static func summary(_ connection: StewardV1.Connection) -> String {
        let settings = connection.settings ?? .init()
        let deployment = (settings.deploymentType.protoName ?? "").replacing("DEPLOYMENT_TYPE_", with: "")
        let ssl = (settings.sslMode.protoName ?? "").replacing("SSL_MODE_", with: "").lowercased().replacing("_", with: "-")
        let e = TerminalText.escaped(_:)
        return """
            connection        \(e(connection.key))
            state             \(state(connection.state))
            deployment        \(deployment)
            server            \(e(settings.host)):\(settings.port) (sslmode \(ssl))
            state database    \(e(settings.stateDatabase))
            governed          \(e(settings.governedDatabases.joined(separator: ", ")))
            role              \(e(settings.username))
            provision roles   \(settings.provisionMissingRoles ? "yes (missing roles are created NOLOGIN)" : "no (missing roles are reported)")
            revision          \(connection.revision)
            """
    }

    static func table(_ connections: [StewardV1.Connection], nowUnixMs: Int64) -> String {
        guard !connections.isEmpty else { return "no connections" }
        let rows = connections.map { connection in
            let settings = connection.settings ?? .init()
            let databases = settings.governedDatabases.isEmpty ? "(discovered)" : settings.governedDatabases.joined(separator: ",")
            return [connection.key, state(connection.state), "\(settings.host):\(settings.port)", databases,
                    lastValidation(connection.lastValidation, nowUnixMs: nowUnixMs)]
        }
        return AlignedTable.render(header: ["KEY", "STATE", "SERVER", "DATABASES", "LAST VALIDATION"], rows: rows)
    }

    /// "passed 5m ago", "failed 2d ago", or "never".
    static func lastValidation(_ report: StewardV1.ValidationReport?, nowUnixMs: Int64) -> String {
        guard let report, report.validatedAtUnixMs > 0 else { return "never" }
        return (report.passed ? "passed " : "failed ") + age(milliseconds: nowUnixMs - report.validatedAtUnixMs)
    }

    static func age(milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds / 1000)
        switch seconds {
        case ..<60: return "\(seconds)s ago"
        case ..<3600: return "\(seconds / 60)m ago"
        case ..<86_400: return "\(seconds / 3600)h ago"
        default: return "\(seconds / 86_400)d ago"
        }
    }
}

/// A validation report as people read it, coloured on a terminal.
enum ValidationText {
    /// Values from the daemon are escaped here (``TerminalText``), so that
    /// the colours may be the only escape sequences in the result.
    static func render(_ report: StewardV1.ValidationReport, color: Bool) -> String {
        let e = TerminalText.escaped(_:)
        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var lines = ["Validation of \(e(report.connectionKey)): " + (report.passed ? paint("PASSED", "32") : paint("FAILED", "31"))]
        for check in report.checks {
            let status: String = switch check.status {
            case .passed: paint("PASS", "32")
            case .failed: paint("FAIL", "31")
            case .warning: paint("WARN", "33")
            default: paint("SKIP", "90")
            }
            lines.append("  [\(status)] \(pad(check.name, 18)) \(e(check.message))")
            if check.failingObjectCount > 0 {
                let shown = e(check.failingObjects.joined(separator: ", "))
                let more = Int(check.failingObjectCount) - check.failingObjects.count
                lines.append("         \(check.failingObjectCount) failing: \(shown)" + (more > 0 ? " and \(more) more" : ""))
            }
            if !check.remediationSql.isEmpty {
                lines.append("         fix (run as a superuser with psql):")
                lines += check.remediationSql.split(separator: "\n", omittingEmptySubsequences: false).map { "           " + e(String($0)) }
            }
        }
        return lines.joined(separator: "\n")
    }
}
