import StewardWire

/// Policies and enforcement plans as people read them. Names and SQL come
/// from the registry and governed servers: every value is escaped
/// (``TerminalText``), so a line break in a table name cannot forge a line.
enum PolicyText {
    static func access(_ access: StewardV1.PolicyAccess) -> String {
        switch access {
        case .read: "READ"
        case .write: "WRITE"
        default: "?"
        }
    }

    static func subject(_ subject: StewardV1.PolicySubject) -> String {
        switch subject.subject {
        case .userName(let name)?: "user " + name
        case .groupName(let name)?: "group " + name
        case nil: "?"
        }
    }

    static func scope(_ scope: StewardV1.DataSourceScope) -> String {
        [scope.connectionKey, scope.database, scope.schema].filter { !$0.isEmpty }.joined(separator: "/")
    }

    static func table(_ policies: [StewardV1.Policy]) -> String {
        guard !policies.isEmpty else { return "no policies" }
        return AlignedTable.render(
            header: ["NAME", "ACCESS", "COVERS", "SUBJECTS", "REVISION"],
            rows: policies.map { policy in
                [policy.name, access(policy.access), (policy.dataSources + policy.scopes.map(scope)).joined(separator: ", "),
                 policy.subjects.map(subject).joined(separator: ", "), "\(policy.revision)"]
            })
    }

    static func detail(_ policy: StewardV1.Policy) -> String {
        let e = TerminalText.escaped(_:)
        var lines = [
            "policy            \(e(policy.name))",
            "access            \(access(policy.access))",
            "revision          \(policy.revision)",
            "updated           \(Timestamp.text(unixMs: policy.updatedAtUnixMs))",
        ]
        lines += policy.dataSources.map { "data source       \(e($0))" }
        lines += policy.scopes.map { "scope             \(e(scope($0)))" }
        lines += policy.subjects.map { "subject           \(e(subject($0)))" }
        return lines.joined(separator: "\n")
    }

    /// The plan (or what was done): each database's statements in order,
    /// then drift, missing roles and subscribers who got nothing.
    static func plan(_ response: StewardV1.EnforceResponse) -> String {
        let e = TerminalText.escaped(_:)
        var lines = ["\(response.dryRun ? "plan for" : "enforced") connection \(e(response.connectionKey))"]
        for database in response.databases {
            let state = response.dryRun ? "dry run" : database.applied ? "applied" : database.failure.isEmpty ? "not applied" : "FAILED: " + e(database.failure)
            lines.append("")
            lines.append("database \(e(database.database)) (\(database.statements.count) statements, \(state))")
            for statement in database.statements {
                let cause = statement.policies.isEmpty ? "" : "  -- \(statement.policies.map(e).joined(separator: ", "))"
                lines.append("  \(e(statement.sql));  -- \(e(statement.purpose))\(cause)")
            }
        }
        if response.databases.allSatisfy({ $0.statements.isEmpty }) { lines.append("no statements: the grants are as the policies say") }
        if !response.drift.isEmpty {
            lines.append("")
            lines.append("drift")
            lines += response.drift.map { "  \(e($0.kind)) in \(e($0.database)): \(e($0.detail))" }
        }
        if !response.missingRoles.isEmpty {
            lines.append("")
            lines.append("missing roles (not created): " + response.missingRoles.map(e).joined(separator: ", "))
        }
        if !response.unresolved.isEmpty {
            lines.append("")
            lines.append("subscribers with no grant")
            lines += response.unresolved.map { "  \(e($0.userName)) (\($0.policies.map(e).joined(separator: ", "))): \(e($0.reason))" }
        }
        if !response.unknownOsGroups.isEmpty {
            lines.append("")
            lines.append("OS groups NSS does not know: " + response.unknownOsGroups.map(e).joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    static func subscribers(_ subscribers: [StewardV1.Subscriber]) -> String {
        guard !subscribers.isEmpty else { return "no subscribers" }
        return AlignedTable.render(
            header: ["USER", "ROLE", "ACCESS", "POLICIES", "NOTE"],
            rows: subscribers.map {
                [$0.userName, AlignedTable.orDash($0.role), access($0.access), $0.policies.joined(separator: ", "), $0.unresolvedReason]
            })
    }
}
