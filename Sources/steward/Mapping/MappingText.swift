import StewardWire

/// Mappings and their checks as people read them.
enum MappingText {
    /// "default" for the user's default mapping, else the connection key.
    static func scope(_ connectionKey: String) -> String {
        connectionKey.isEmpty ? "default" : connectionKey
    }

    static func kind(_ kind: StewardV1.IdentityKind) -> String {
        (kind.protoName ?? "\(kind.rawValue)").replacing("IDENTITY_KIND_", with: "")
    }

    /// The KIND and IDENTITY cells of a table; UNSET and NONE carry no value,
    /// so they say what they mean instead.
    static func identityCells(_ identity: StewardV1.Identity?) -> [String] {
        let identity = identity ?? .init()
        let value: String = switch identity.kind {
        case .unset: "(the Steward user name)"
        case .none: "(no identity)"
        default: AlignedTable.orDash(identity.value)
        }
        return [kind(identity.kind), value]
    }

    /// One mapping as a sentence, for set.
    static func sentence(_ mapping: StewardV1.Mapping) -> String {
        let cells = identityCells(mapping.identity)
        let e = TerminalText.escaped(_:)
        let place = mapping.connectionKey.isEmpty ? " by default" : " on \(e(mapping.connectionKey))"
        return "\(e(mapping.userName))\(place): \(cells[0]) \(e(cells[1]))"
    }

    static func table(_ mappings: [StewardV1.Mapping]) -> String {
        guard !mappings.isEmpty else { return "no mappings" }
        return AlignedTable.render(
            header: ["USER", "SCOPE", "KIND", "IDENTITY"],
            rows: mappings.map { [$0.userName, scope($0.connectionKey)] + identityCells($0.identity) })
    }

    static func source(_ source: StewardV1.IdentitySource) -> String {
        (source.protoName ?? "\(source.rawValue)").replacing("IDENTITY_SOURCE_", with: "")
    }

    static func outcome(_ outcome: StewardV1.MappingCheckOutcome) -> String {
        (outcome.protoName ?? "\(outcome.rawValue)").replacing("MAPPING_CHECK_OUTCOME_", with: "")
    }

    /// Whether a checked mapping can be used as it is: the role logs in, or
    /// there is no role to check (NONE, an IAM principal).
    static func isUsable(_ outcome: StewardV1.MappingCheckOutcome) -> Bool {
        outcome == .ok || outcome == .notApplicable
    }

    /// The checks, then the connections that could not be checked, then a verdict.
    static func report(_ response: StewardV1.CheckMappingsResponse) -> String {
        var sections: [String] = []
        if response.checks.isEmpty {
            sections.append("nothing to check (no users, or no VALIDATED, ACTIVE or UNHEALTHY connection)")
        } else {
            sections.append(AlignedTable.render(
                header: ["CONNECTION", "USER", "POSTGRES USERNAME", "SOURCE", "OUTCOME"],
                rows: response.checks.map { check in
                    [check.connectionKey, check.userName, AlignedTable.orDash(check.postgresUsername),
                     source(check.source), outcome(check.outcome)]
                }))
        }
        if !response.failures.isEmpty {
            sections.append("Could not check:\n" + AlignedTable.render(
                header: ["  CONNECTION", "STATUS", "MESSAGE"],
                rows: response.failures.map { ["  " + $0.connectionKey, StatusCode(rawValue: $0.code).name, $0.message] }))
        }
        let unusable = response.checks.count(where: { !isUsable($0.outcome) })
        var verdict: [String] = []
        if unusable > 0 {
            verdict.append(counted(unusable, "mapping") + (unusable == 1 ? " needs" : " need") + " attention (of \(response.checks.count) checked)")
        }
        if !response.failures.isEmpty {
            verdict.append(counted(response.failures.count, "connection") + " could not be checked")
        }
        if !verdict.isEmpty { sections.append(verdict.joined(separator: "; ")) }
        return sections.joined(separator: "\n\n")
    }

    /// "1 mapping", "3 mappings".
    static func counted(_ count: some BinaryInteger, _ noun: String) -> String {
        "\(count) \(noun)" + (count == 1 ? "" : "s")
    }
}
