import ArgumentParser
import StewardWire

/// The audit filters that take a value of a fixed shape.
enum AuditFilters {
    /// A full method path, from the path itself or the short form the audit
    /// table prints (Connections/Register means steward.v1's).
    @Sendable
    static func methodPath(_ argument: String) throws -> String {
        let parts = argument.drop { $0 == "/" }.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("give a method like Connections/Register or /steward.v1.Connections/Register")
        }
        let service = parts[0].contains(".") ? parts[0] : "steward.v1." + parts[0]
        let path = "/\(service)/\(parts[1])"
        // Only methods this CLI knows: a typo would otherwise match nothing, silently.
        let known = StewardProtoRegistry.allMethods.map(\.path)
        guard known.contains(path) else {
            let names = known.filter { $0.hasPrefix("/steward.v1.") }.map { $0.dropFirst("/steward.v1.".count) }
            throw ValidationError("unknown method \(argument); use one of \(names.joined(separator: ", "))")
        }
        return path
    }

    @Sendable
    static func outcome(_ argument: String) throws -> StewardV1.AuditOutcome {
        switch argument.lowercased() {
        case "succeeded": return .succeeded
        case "failed": return .failed
        case "denied": return .denied
        default: throw ValidationError("the outcome must be succeeded, failed or denied, not \(argument)")
        }
    }
}
