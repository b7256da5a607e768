import Foundation
import StewardModel

/// The policies tables, written once for both backends (``RegistrySQLSession``).
/// Callers run these inside their store's read or write transaction.
enum PolicyQueries {
    static let tokenKind = "policies"

    static func notFound(_ name: String) -> StoreError { StoreError(.notFound, "no policy named \"\(name)\"") }

    /// A definition's references as the ids the tables hold; NOT_FOUND,
    /// naming the field, for a user, group, connection or data source that
    /// does not exist.
    struct Resolved {
        var selectors: [(dataSource: String?, connectionID: Int64?, database: String?, schema: String?)] = []
        var subjects: [(userID: Int64?, groupID: Int64?)] = []
    }

    static func resolve(_ definition: PolicyDefinition, in session: some RegistrySQLSession) throws -> Resolved {
        var resolved = Resolved()
        for selector in definition.selectors {
            switch selector {
            case .dataSource(let name):
                let rows = try session.rows(columns: 1) { sql in "SELECT 1 FROM data_sources WHERE name = \(sql.bind(name))" }
                guard !rows.isEmpty else { throw StoreError(.notFound, "data_sources: no data source named \"\(name)\"") }
                resolved.selectors.append((name, nil, nil, nil))
            case .scope(let connection, let database, let schema):
                guard let id = try session.firstID({ sql in "SELECT id FROM connections WHERE key = \(sql.bind(connection))" })
                else { throw StoreError(.notFound, "scopes: no connection with key \"\(connection)\"") }
                resolved.selectors.append((nil, id, database, schema))
            }
        }
        for subject in definition.subjects {
            switch subject {
            case .user(let name):
                guard let id = try session.firstID({ sql in "SELECT id FROM users WHERE name = \(sql.bind(name))" })
                else { throw StoreError(.notFound, "subjects: no user named \"\(name)\"") }
                resolved.subjects.append((id, nil))
            case .group(let name):
                guard let id = try GroupQueries.id(name: name, in: session)
                else { throw StoreError(.notFound, "subjects: no group named \"\(name)\"") }
                resolved.subjects.append((nil, id))
            }
        }
        return resolved
    }

    /// What ``create`` would store, checked without writing (a dry run).
    static func checkCreate(_ definition: PolicyDefinition, now: (date: Date, microseconds: Int64), in session: some RegistrySQLSession) throws -> PolicyRecord {
        guard try id(name: definition.name, in: session) == nil else {
            throw StoreError(.alreadyExists, "a policy named \"\(definition.name)\" already exists")
        }
        _ = try resolve(definition, in: session)
        return PolicyRecord(definition: definition, revision: 1, createdAt: now.date, updatedAt: now.date)
    }

    /// What ``update`` would store, checked without writing (a dry run).
    static func checkUpdate(
        name: String, expectedRevision: Int64?, with definition: PolicyDefinition,
        now: (date: Date, microseconds: Int64), in session: some RegistrySQLSession
    ) throws -> PolicyRecord {
        let current = try load(name: name, in: session)
        if let expectedRevision, expectedRevision != current.revision {
            throw StoreError(.revisionConflict, "policy \"\(name)\" is at revision \(current.revision), not \(expectedRevision): read it again")
        }
        _ = try resolve(definition, in: session)
        return PolicyRecord(definition: definition, revision: current.revision + 1, createdAt: current.createdAt, updatedAt: now.date)
    }

    static func create(_ definition: PolicyDefinition, now: (date: Date, microseconds: Int64), in session: some RegistrySQLSession) throws -> PolicyRecord {
        let record = try checkCreate(definition, now: now, in: session)
        let resolved = try resolve(definition, in: session)
        try session.run { sql in
            let values = [sql.bind(definition.name), sql.bind(definition.access.rawValue), sql.bind(now.microseconds), sql.bind(now.microseconds)]
            return "INSERT INTO policies (name, access, revision, created_at, updated_at) VALUES (\(values[0]), \(values[1]), 1, \(values[2]), \(values[3]))"
        }
        guard let id = try id(name: definition.name, in: session) else { throw notFound(definition.name) }
        try writeParts(resolved, policyID: id, in: session)
        return record
    }

    /// Replaces the definition (keeping the name) when the policy is still
    /// at `expectedRevision` (nil: any); ABORTED otherwise.
    static func update(
        name: String, expectedRevision: Int64?, with definition: PolicyDefinition,
        now: (date: Date, microseconds: Int64), in session: some RegistrySQLSession
    ) throws -> PolicyRecord {
        let record = try checkUpdate(name: name, expectedRevision: expectedRevision, with: definition, now: now, in: session)
        let resolved = try resolve(definition, in: session)
        guard let id = try id(name: name, in: session) else { throw notFound(name) }
        try session.run { sql in
            "UPDATE policies SET access = \(sql.bind(definition.access.rawValue)), revision = \(sql.bind(record.revision)), updated_at = \(sql.bind(now.microseconds)) WHERE id = \(sql.bind(id))"
        }
        try session.run { sql in "DELETE FROM policy_selectors WHERE policy_id = \(sql.bind(id))" }
        try session.run { sql in "DELETE FROM policy_subjects WHERE policy_id = \(sql.bind(id))" }
        try writeParts(resolved, policyID: id, in: session)
        return record
    }

    static func delete(name: String, in session: some RegistrySQLSession) throws {
        guard let id = try id(name: name, in: session) else { throw notFound(name) }
        try session.run { sql in "DELETE FROM policies WHERE id = \(sql.bind(id))" }
    }

    static func id(name: String, in session: some RegistrySQLSession) throws -> Int64? {
        try session.firstID { sql in "SELECT id FROM policies WHERE name = \(sql.bind(name))" }
    }

    static func load(name: String, in session: some RegistrySQLSession) throws -> PolicyRecord {
        guard let policy = try policies(in: session, where: { sql in "p.name = \(sql.bind(name))" }).first else {
            throw notFound(name)
        }
        return policy
    }

    /// Every policy, by name: what enforcement reads.
    static func all(in session: some RegistrySQLSession) throws -> [PolicyRecord] {
        try policies(in: session, where: { sql in sql.dialect.literal(true) })
    }

    static func list(page: PageRequest, in session: some RegistrySQLSession) throws -> Page<PolicyRecord> {
        let after = try page.token.map { token throws(StoreError) in try PageToken.decode(token, kind: tokenKind, count: 1)[0] }
        let size = page.effectiveSize
        let loaded = try policies(in: session) { sql in
            "p.id IN (SELECT id FROM policies WHERE name > \(sql.bind(after ?? "")) ORDER BY name LIMIT \(sql.bind(Int64(size + 1))))"
        }
        return Page(fetched: loaded, size: size, tokenKind: tokenKind) { [$0.name] }
    }

    private static func writeParts(_ resolved: Resolved, policyID: Int64, in session: some RegistrySQLSession) throws {
        for (position, selector) in resolved.selectors.enumerated() {
            try session.run { sql in
                let values = [
                    sql.bind(policyID), sql.bind(Int64(position)), optional(selector.dataSource, &sql),
                    selector.connectionID.map { sql.bind($0) } ?? "NULL", optional(selector.database, &sql),
                    optional(selector.schema, &sql),
                ]
                return "INSERT INTO policy_selectors (policy_id, position, data_source_name, connection_id, database_name, schema_name) VALUES (\(values.joined(separator: ", ")))"
            }
        }
        for (position, subject) in resolved.subjects.enumerated() {
            try session.run { sql in
                let values = [
                    sql.bind(policyID), sql.bind(Int64(position)), subject.userID.map { sql.bind($0) } ?? "NULL",
                    subject.groupID.map { sql.bind($0) } ?? "NULL",
                ]
                return "INSERT INTO policy_subjects (policy_id, position, user_id, group_id) VALUES (\(values.joined(separator: ", ")))"
            }
        }
    }

    private static func optional(_ value: String?, _ sql: inout SQLConditions) -> String {
        value.map { sql.bind($0) } ?? "NULL"
    }

    /// Policies matching `condition` (over alias `p`), by name, each with its
    /// selectors and subjects: three queries however many policies.
    private static func policies(
        in session: some RegistrySQLSession, where condition: (inout SQLConditions) -> String
    ) throws -> [PolicyRecord] {
        let heads = try session.rows(columns: 6) { sql in
            "SELECT p.id, p.name, p.access, p.revision, p.created_at, p.updated_at FROM policies AS p WHERE \(condition(&sql)) ORDER BY p.name"
        }
        guard !heads.isEmpty else { return [] }
        let selectors = try session.rows(columns: 5) { sql in
            """
            SELECT s.policy_id, s.data_source_name, c.key, s.database_name, s.schema_name
            FROM policy_selectors AS s JOIN policies AS p ON p.id = s.policy_id
            LEFT JOIN connections AS c ON c.id = s.connection_id
            WHERE \(condition(&sql))
            """
        }
        let subjects = try session.rows(columns: 3) { sql in
            """
            SELECT s.policy_id, u.name, g.name
            FROM policy_subjects AS s JOIN policies AS p ON p.id = s.policy_id
            LEFT JOIN users AS u ON u.id = s.user_id
            LEFT JOIN groups AS g ON g.id = s.group_id
            WHERE \(condition(&sql))
            """
        }
        var selectorsByPolicy: [String: [DataSourceSelector]] = [:]
        for row in selectors {
            guard let policy = row[0] else { continue }
            if let name = row[1] {
                selectorsByPolicy[policy, default: []].append(.dataSource(name))
            } else if let key = row[2] {
                selectorsByPolicy[policy, default: []].append(.scope(connection: key, database: row[3], schema: row[4]))
            }
        }
        var subjectsByPolicy: [String: [PolicySubject]] = [:]
        for row in subjects {
            guard let policy = row[0] else { continue }
            if let user = row[1] { subjectsByPolicy[policy, default: []].append(.user(user)) }
            if let group = row[2] { subjectsByPolicy[policy, default: []].append(.group(group)) }
        }
        return try heads.map { row in
            guard let id = row[0], let name = row[1], let accessText = row[2], let access = PolicyAccess(rawValue: accessText),
                let revision = row[3].flatMap({ Int64($0) }), let created = row[4].flatMap({ Int64($0) }),
                let updated = row[5].flatMap({ Int64($0) })
            else { throw StoreError(.corrupt, "the registry store holds a malformed policy") }
            let definition = PolicyDefinition(
                name: name, access: access, selectors: selectorsByPolicy[id] ?? [], subjects: subjectsByPolicy[id] ?? [])
            return PolicyRecord(
                definition: definition, revision: revision, createdAt: StoreTime.date(created), updatedAt: StoreTime.date(updated))
        }
    }
}
