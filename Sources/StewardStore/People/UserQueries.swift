import Foundation
import StewardModel

/// The users and their permissions, written once for both backends
/// (``RegistrySQLSession``). Callers run these inside their store's read or
/// write transaction.
enum UserQueries {
    static let tokenKind = "users"

    /// A user as read, with the grants that were ignored because their MAC
    /// does not verify.
    struct Loaded: Sendable {
        var record: UserRecord
        var unverified: [UnverifiedGrant]
    }

    /// A user as read, with every mapping they have (default first).
    struct LoadedWithMappings: Sendable {
        var user: Loaded
        var mappings: [IdentityMapping]
    }

    enum Key {
        case id(Int64)
        case name(String)
        case uid(UInt32)
    }

    /// Race (shared mode): two daemons creating one name or uid. `ON
    /// CONFLICT DO NOTHING` makes the second wait for the first and insert
    /// nothing; the answer then says which was taken. A new user's name is
    /// its PostgreSQL username wherever it has no mapping, so it must be
    /// free among defaults and on every connection.
    static func create(
        name: String, uid: UInt32, permissions: Set<Permission>, now: (date: Date, microseconds: Int64),
        grants: GrantAuthenticator, in session: some RegistrySQLSession
    ) throws -> UserRecord {
        try session.lockUsernames()
        try refuseTaken(name: name, uid: uid, in: session)
        if let conflict = try UsernameClaims.conflict(.newDefault(userID: nil, username: name), in: session) {
            throw conflict
        }
        let inserted = try session.firstID { sql in
            """
            INSERT INTO users (name, uid, created_at)
            VALUES (\(sql.bind(name)), \(sql.bind(Int64(uid))), \(sql.bind(now.microseconds)))
            ON CONFLICT DO NOTHING RETURNING id
            """
        }
        guard let id = inserted else {
            // Another daemon took the name or uid since the check.
            try refuseTaken(name: name, uid: uid, in: session)
            throw StoreError(.alreadyExists, "a user named \"\(name)\" already exists")
        }
        for permission in permissions.sorted(by: { $0.rawValue < $1.rawValue }) {
            try session.run { sql in
                let mac = sql.dialect.blobLiteral(grants.mac(userID: id, uid: uid, permission: permission))
                return "INSERT INTO user_permissions (user_id, permission, mac) VALUES (\(sql.bind(id)), \(sql.bind(permission.rawValue)), \(mac))"
            }
        }
        return UserRecord(name: name, uid: uid, permissions: permissions, createdAt: now.date)
    }

    /// Refuses a name or uid another user has, the name named first: one
    /// statement for both (a shared registry's round trip saved, under the
    /// usernames lock every daemon waits for).
    private static func refuseTaken(name: String, uid: UInt32, in session: some RegistrySQLSession) throws {
        let holders = try session.rows(columns: 2) { sql in
            "SELECT name, uid FROM users WHERE name = \(sql.bind(name)) OR uid = \(sql.bind(Int64(uid)))"
        }
        if holders.contains(where: { $0[0] == name }) {
            throw StoreError(.alreadyExists, "a user named \"\(name)\" already exists")
        }
        if let owner = holders.first {
            throw StoreError(.alreadyExists, "uid \(uid) already belongs to user \"\(owner[0] ?? "?")\"")
        }
    }

    static func load(_ key: Key, grants: GrantAuthenticator, in session: some RegistrySQLSession) throws -> Loaded? {
        try users(grants: grants, in: session) { sql in
            switch key {
            case .id(let id): "SELECT id, name, uid, created_at FROM users WHERE id = \(sql.bind(id))"
            case .name(let name): "SELECT id, name, uid, created_at FROM users WHERE name = \(sql.bind(name))"
            case .uid(let uid): "SELECT id, name, uid, created_at FROM users WHERE uid = \(sql.bind(Int64(uid)))"
            }
        }.first
    }

    /// Users by name after `after`, at most `limit`.
    static func list(after: String, limit: Int, grants: GrantAuthenticator, in session: some RegistrySQLSession)
        throws -> [Loaded]
    {
        try users(grants: grants, in: session) { sql in
            "SELECT id, name, uid, created_at FROM users WHERE name > \(sql.bind(after)) ORDER BY name LIMIT \(sql.bind(Int64(limit)))"
        }
    }

    /// The users `selection` (a SELECT over `users`) picks, by name, each
    /// with its verified permissions: one statement, a row per grant.
    private static func users(
        grants: GrantAuthenticator, in session: some RegistrySQLSession,
        _ selection: (inout SQLConditions) -> String
    ) throws -> [Loaded] {
        let rows = try session.rows(columns: 6) { sql in
            let picked = selection(&sql)
            return """
                SELECT u.id, u.name, u.uid, u.created_at, p.permission, \(sql.dialect.hex("p.mac"))
                FROM (\(picked)) AS u LEFT JOIN user_permissions AS p ON p.user_id = u.id
                ORDER BY u.name, p.permission
                """
        }
        var loaded: [Loaded] = []
        var index = rows.startIndex
        while index < rows.endIndex {
            let id = try session.int64(rows[index][0])
            let name = rows[index][1] ?? ""
            guard let uid = UInt32(exactly: try session.int64(rows[index][2])) else {
                throw StoreError(.corrupt, "the registry store holds a uid out of range", detail: rows[index][2] ?? "")
            }
            let createdAt = StoreTime.date(try session.int64(rows[index][3]))
            var stored: [GrantAuthenticator.StoredGrant] = []
            while index < rows.endIndex, rows[index][0] == String(id) {
                if let permission = rows[index][4] {
                    let mac = rows[index][5].flatMap { $0.isEmpty ? nil : SQLDialect.bytes(hex: $0) }
                    stored.append(.init(permission: permission, mac: mac))
                }
                index += 1
            }
            let (permissions, unverified) = grants.verified(stored, userID: id, uid: uid, userName: name)
            loaded.append(
                Loaded(
                    record: UserRecord(name: name, uid: uid, permissions: permissions, createdAt: createdAt),
                    unverified: unverified))
        }
        return loaded
    }

    /// The user's claims and mappings go with it (cascades), under the
    /// usernames lock like every change to usernames.
    static func delete(name: String, in session: some RegistrySQLSession) throws {
        try session.lockUsernames()
        guard try session.firstID({ sql in "DELETE FROM users WHERE name = \(sql.bind(name)) RETURNING id" }) != nil
        else { throw StoreError.userNotFound(name) }
    }

    /// Idempotent, also between daemons; a row already there gets a valid
    /// MAC, which repairs a grant whose MAC does not verify.
    static func grant(
        _ permission: Permission, toUser name: String, grants: GrantAuthenticator, in session: some RegistrySQLSession
    ) throws -> UserRecord {
        let found = try session.rows(columns: 2) { sql in "SELECT id, uid FROM users WHERE name = \(sql.bind(name))" }
        guard let row = found.first else { throw StoreError.userNotFound(name) }
        let id = try session.int64(row[0])
        guard let uid = UInt32(exactly: try session.int64(row[1])) else {
            throw StoreError(.corrupt, "the registry store holds a uid out of range", detail: row[1] ?? "")
        }
        try session.run { sql in
            let mac = sql.dialect.blobLiteral(grants.mac(userID: id, uid: uid, permission: permission))
            return """
                INSERT INTO user_permissions (user_id, permission, mac) VALUES (\(sql.bind(id)), \(sql.bind(permission.rawValue)), \(mac))
                ON CONFLICT (user_id, permission) DO UPDATE SET mac = excluded.mac
                """
        }
        return try reloaded(id: id, name: name, grants: grants, in: session)
    }

    static func revoke(
        _ permission: Permission, fromUser name: String, grants: GrantAuthenticator, in session: some RegistrySQLSession
    ) throws -> UserRecord {
        let id = try requireID(name: name, in: session)
        try session.run { sql in
            "DELETE FROM user_permissions WHERE user_id = \(sql.bind(id)) AND permission = \(sql.bind(permission.rawValue))"
        }
        return try reloaded(id: id, name: name, grants: grants, in: session)
    }

    private static func reloaded(id: Int64, name: String, grants: GrantAuthenticator, in session: some RegistrySQLSession)
        throws -> UserRecord
    {
        guard let user = try load(.id(id), grants: grants, in: session) else { throw StoreError.userNotFound(name) }
        return user.record
    }

    static func requireID(name: String, in session: some RegistrySQLSession) throws -> Int64 {
        guard let id = try session.firstID({ sql in "SELECT id FROM users WHERE name = \(sql.bind(name))" }) else {
            throw StoreError.userNotFound(name)
        }
        return id
    }

    /// Gives every permission row its MAC (an upgrade to permission MACs,
    /// in its transaction, so no grant is left without one).
    static func macExistingGrants(grants: GrantAuthenticator, in session: some RegistrySQLSession) throws {
        let rows = try session.rows(columns: 3) { _ in
            "SELECT p.user_id, u.uid, p.permission FROM user_permissions AS p JOIN users AS u ON u.id = p.user_id"
        }
        for row in rows {
            let userID = try session.int64(row[0])
            guard let uid = UInt32(exactly: try session.int64(row[1])), let name = row[2],
                let permission = Permission(rawValue: name)
            else { continue }
            try session.run { sql in
                let mac = sql.dialect.blobLiteral(grants.mac(userID: userID, uid: uid, permission: permission))
                return "UPDATE user_permissions SET mac = \(mac) WHERE user_id = \(sql.bind(userID)) AND permission = \(sql.bind(name))"
            }
        }
    }
}
