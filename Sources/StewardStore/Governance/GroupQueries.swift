import Foundation

/// The groups tables, written once for both backends (``RegistrySQLSession``).
/// Callers run these inside their store's read or write transaction.
enum GroupQueries {
    static let tokenKind = "groups"

    static func notFound(_ name: String) -> StoreError { StoreError(.notFound, "no group named \"\(name)\"") }

    static func create(name: String, osGroup: String?, now: (date: Date, microseconds: Int64), in session: some RegistrySQLSession) throws -> GroupRecord {
        guard try id(name: name, in: session) == nil else {
            throw StoreError(.alreadyExists, "a group named \"\(name)\" already exists")
        }
        try session.run { sql in
            // Bound in the order the placeholders appear (SQLite's are positional).
            let values = [sql.bind(name), osGroup.map { sql.bind($0) } ?? "NULL", sql.bind(now.microseconds)]
            return "INSERT INTO groups (name, os_group, created_at) VALUES (\(values.joined(separator: ", ")))"
        }
        return GroupRecord(name: name, osGroup: osGroup, members: [], createdAt: now.date)
    }

    static func id(name: String, in session: some RegistrySQLSession) throws -> Int64? {
        try session.firstID { sql in "SELECT id FROM groups WHERE name = \(sql.bind(name))" }
    }

    static func requireID(name: String, in session: some RegistrySQLSession) throws -> Int64 {
        guard let id = try id(name: name, in: session) else { throw notFound(name) }
        return id
    }

    static func load(name: String, in session: some RegistrySQLSession) throws -> GroupRecord {
        guard let group = try groups(in: session, where: { sql in "g.name = \(sql.bind(name))" }).first else {
            throw notFound(name)
        }
        return group
    }

    /// Every group with its members, by name: what enforcement reads.
    static func all(in session: some RegistrySQLSession) throws -> [GroupRecord] {
        try groups(in: session, where: { sql in sql.dialect.literal(true) })
    }

    static func list(page: PageRequest, in session: some RegistrySQLSession) throws -> Page<GroupRecord> {
        let after = try page.token.map { token throws(StoreError) in try PageToken.decode(token, kind: tokenKind, count: 1)[0] }
        let size = page.effectiveSize
        let names = try session.rows(columns: 1) { sql in
            "SELECT name FROM groups WHERE name > \(sql.bind(after ?? "")) ORDER BY name LIMIT \(sql.bind(Int64(size + 1)))"
        }.compactMap { $0[0] }
        let loaded = names.isEmpty ? [] : try groups(in: session) { sql in
            "g.name IN (\(names.map { sql.bind($0) }.joined(separator: ", ")))"
        }
        return Page(fetched: loaded, size: size, tokenKind: tokenKind) { [$0.name] }
    }

    static func delete(name: String, in session: some RegistrySQLSession) throws {
        let id = try requireID(name: name, in: session)
        try session.run { sql in "DELETE FROM groups WHERE id = \(sql.bind(id))" }
    }

    /// Idempotent: a user already in the group stays once.
    static func addMembers(group: String, users: [String], in session: some RegistrySQLSession) throws -> GroupRecord {
        let groupID = try requireListedGroupID(group, in: session)
        for user in users {
            let userID = try userID(user, in: session)
            try session.run { sql in
                "INSERT INTO group_members (group_id, user_id) VALUES (\(sql.bind(groupID)), \(sql.bind(userID))) ON CONFLICT DO NOTHING"
            }
        }
        return try load(name: group, in: session)
    }

    /// Idempotent: removing a user who is not a member changes nothing.
    static func removeMember(group: String, user: String, in session: some RegistrySQLSession) throws -> GroupRecord {
        let groupID = try requireListedGroupID(group, in: session)
        let userID = try userID(user, in: session)
        try session.run { sql in
            "DELETE FROM group_members WHERE group_id = \(sql.bind(groupID)) AND user_id = \(sql.bind(userID))"
        }
        return try load(name: group, in: session)
    }

    /// Adds every membership or none: the error lists every failing row by
    /// position (``StoreError/itemFailures``).
    static func importMemberships(_ rows: [GroupMembership], in session: some RegistrySQLSession) throws -> Int {
        _ = try checkMemberships(rows, in: session)
        for row in rows { _ = try addMembers(group: row.group, users: [row.user], in: session) }
        return rows.count
    }

    /// Checks every row (the group exists and lists members, the user
    /// exists) without changing anything; the error lists every failing row.
    static func checkMemberships(_ rows: [GroupMembership], in session: some RegistrySQLSession) throws -> Int {
        var failures: [StoreError.ItemFailure] = []
        for (index, row) in rows.enumerated() {
            do {
                _ = try requireListedGroupID(row.group, in: session)
                _ = try userID(row.user, in: session)
            } catch let error as StoreError where error.code == .notFound || error.code == .failedPrecondition {
                failures.append(StoreError.ItemFailure(index: index, error: error))
            }
        }
        guard failures.isEmpty else {
            throw StoreError(.invalidArgument, "\(failures.count) memberships cannot be added", itemFailures: failures)
        }
        return rows.count
    }

    private static func requireListedGroupID(_ name: String, in session: some RegistrySQLSession) throws -> Int64 {
        let rows = try session.rows(columns: 2) { sql in "SELECT id, os_group FROM groups WHERE name = \(sql.bind(name))" }
        guard let row = rows.first, let idText = row[0], let id = Int64(idText) else { throw notFound(name) }
        if let osGroup = row[1] {
            throw StoreError(
                .failedPrecondition,
                "group \"\(name)\" is bound to OS group \"\(osGroup)\": its members are that group's, not listed in Steward")
        }
        return id
    }

    static func userID(_ name: String, in session: some RegistrySQLSession) throws -> Int64 {
        guard let id = try session.firstID({ sql in "SELECT id FROM users WHERE name = \(sql.bind(name))" }) else {
            throw StoreError(.notFound, "no user named \"\(name)\"")
        }
        return id
    }

    /// Groups matching `condition` (over alias `g`) with their members, in one query.
    private static func groups(
        in session: some RegistrySQLSession, where condition: (inout SQLConditions) -> String
    ) throws -> [GroupRecord] {
        let rows = try session.rows(columns: 4) { sql in
            """
            SELECT g.name, g.os_group, g.created_at, u.name
            FROM groups AS g
            LEFT JOIN group_members AS m ON m.group_id = g.id
            LEFT JOIN users AS u ON u.id = m.user_id
            WHERE \(condition(&sql))
            ORDER BY g.name, u.name
            """
        }
        var groups: [GroupRecord] = []
        for row in rows {
            guard let name = row[0], let createdText = row[2], let created = Int64(createdText) else {
                throw StoreError(.corrupt, "the registry store holds a malformed group")
            }
            if groups.last?.name != name {
                groups.append(GroupRecord(name: name, osGroup: row[1], members: [], createdAt: StoreTime.date(created)))
            }
            if let member = row[3] { groups[groups.count - 1].members.append(member) }
        }
        return groups
    }
}
