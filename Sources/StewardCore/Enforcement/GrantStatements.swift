import StewardPostgres

/// The GRANT and REVOKE text the planner sends. Every name is quoted by
/// `SQLQuoting`; privileges come from Steward's own lists, never from input.
/// One statement per (object, purpose, privileges), naming every role that
/// needs exactly that, so that each object's ACL is rewritten as few times
/// as possible.
enum GrantStatements {
    /// Revokes, relations first, then schemas, then the database (the
    /// reverse of the order access is built up in).
    static func revokes(_ revokes: [(GrantKey, Set<String>)], database: String) -> [PlannedStatement] {
        grouped(revokes.map { ($0.0, $0.1, PlannedStatement.Purpose.revoke) }).reversed().map { group in
            PlannedStatement(
                database: database,
                sql: "REVOKE \(group.privileges) ON \(group.object.kindWord) \(group.object.quotedName) FROM \(roleList(group.roles))",
                purpose: .revoke, policies: [])
        }
    }

    /// Grants and repairs: the database, then schemas, then relations.
    static func grants(
        _ grants: [(GrantKey, Set<String>, PlannedStatement.Purpose)], database: String, policies: [GrantKey: Set<String>]
    ) -> [PlannedStatement] {
        grouped(grants).map { group in
            let causes = group.roles.reduce(into: Set<String>()) { $0.formUnion(policies[GrantKey(object: group.object, role: $1)] ?? []) }
            return PlannedStatement(
                database: database,
                sql: "GRANT \(group.privileges) ON \(group.object.kindWord) \(group.object.quotedName) TO \(roleList(group.roles))",
                purpose: group.purpose, policies: causes.sorted())
        }
    }

    private static func roleList(_ roles: [String]) -> String {
        roles.map(SQLQuoting.identifier).joined(separator: ", ")
    }

    private struct Group {
        var object: GrantedObject
        var purpose: PlannedStatement.Purpose
        /// As written: `SELECT, INSERT`, in the kind's order.
        var privileges: String
        var roles: [String]
    }

    /// Per object (sorted), the roles per (purpose, privileges), repairs
    /// before grants, each role list sorted.
    private static func grouped(_ items: [(GrantKey, Set<String>, PlannedStatement.Purpose)]) -> [Group] {
        struct Label: Hashable { var purpose: PlannedStatement.Purpose; var privileges: String }
        var byObject: [GrantedObject: [Label: [String]]] = [:]
        for (key, privileges, purpose) in items {
            let written = key.object.managedPrivileges.filter(privileges.contains).joined(separator: ", ")
            byObject[key.object, default: [:]][Label(purpose: purpose, privileges: written), default: []].append(key.role)
        }
        func rank(_ label: Label) -> (Int, String) { (label.purpose == .repair ? 0 : 1, label.privileges) }
        return byObject.keys.sorted().flatMap { object in
            byObject[object]!.sorted { rank($0.key) < rank($1.key) }.map { label, roles in
                Group(object: object, purpose: label.purpose, privileges: label.privileges, roles: roles.sorted())
            }
        }
    }
}
