import StewardModel

extension SQLiteRegistryStore {
    @discardableResult
    public func createUser(name: String, uid: UInt32, permissions: Set<Permission>) throws(StoreError)
        -> UserRecord
    {
        let now = now()
        return try write { database in
            do {
                try database.run(
                    "INSERT INTO users (name, uid, created_at) VALUES (?, ?, ?)", name, uid, now.microseconds)
            } catch let error as SQLiteError where error.isUniqueViolation(on: "users.name") {
                throw StoreError(.alreadyExists, "a user named \"\(name)\" already exists", detail: error.description)
            } catch let error as SQLiteError where error.isUniqueViolation(on: "users.uid") {
                let owner = try database.queryFirst("SELECT name FROM users WHERE uid = ?", uid) { $0.text(0) }
                throw StoreError(
                    .alreadyExists, "uid \(uid) already belongs to user \"\(owner ?? "?")\"",
                    detail: error.description)
            } catch let error as SQLiteError where error.isUniqueViolation(on: Self.usernameOwnerIndex) {
                // A new user's name is its PostgreSQL username everywhere it has no mapping.
                throw try Self.usernameConflict(
                    userID: nil, userName: name, mappings: [:], cause: error, in: database)
            }
            let id = database.lastInsertRowID
            for permission in permissions {
                try database.run(
                    "INSERT INTO user_permissions (user_id, permission, mac) VALUES (?, ?, ?)", id,
                    permission.rawValue, grants.mac(userID: id, uid: uid, permission: permission))
            }
            return UserRecord(name: name, uid: uid, permissions: permissions, createdAt: now.date)
        }
    }

    public func user(name: String) throws(StoreError) -> UserRecord {
        let loaded = try read { [grants] database in
            guard let user = try Self.loadUser(column: "name", name, grants: grants, in: database) else {
                throw StoreError.userNotFound(name)
            }
            return user
        }
        report(loaded.unverified, log: unverifiedGrants, now: clock())
        return loaded.record
    }

    /// The caller lookup: a permission whose row's MAC does not verify is
    /// not held, and is reported once (an audit event).
    public func user(uid: UInt32) throws(StoreError) -> UserRecord? {
        let loaded = try read { [grants] database in
            try Self.loadUser(column: "uid", uid, grants: grants, in: database)
        }
        guard let loaded else { return nil }
        report(loaded.unverified, log: unverifiedGrants, now: clock())
        return loaded.record
    }

    public func listUsers(page: PageRequest) throws(StoreError) -> Page<UserRecord> {
        let after = try page.token.map { token throws(StoreError) in
            try PageToken.decode(token, kind: "users", count: 1)[0]
        }
        let size = page.effectiveSize
        let loaded = try read { [grants] database in
            let rows = try database.query(
                "SELECT id, name, uid, created_at FROM users WHERE name > ? ORDER BY name LIMIT ?",
                after ?? "", size + 1, as: Self.userRow)
            return try rows.map { row in try Self.withPermissions(row, grants: grants, in: database) }
        }
        report(loaded.flatMap(\.unverified), log: unverifiedGrants, now: clock())
        return Page(fetched: loaded.map(\.record), size: size, tokenKind: "users") { [$0.name] }
    }

    public func deleteUser(name: String) throws(StoreError) {
        try write { database in
            guard try database.run("DELETE FROM users WHERE name = ?", name) == 1 else {
                throw StoreError.userNotFound(name)
            }
        }
    }

    @discardableResult
    public func grant(_ permission: Permission, toUser name: String) throws(StoreError) -> UserRecord {
        try write { database in
            guard
                let found = try database.queryFirst(
                    "SELECT id, uid FROM users WHERE name = ?", name, as: { row in (row.int64(0), try row.uid(1)) })
            else { throw StoreError.userNotFound(name) }
            let (id, uid) = found
            // Granting again gives a row whose MAC does not verify a valid one.
            try database.run(
                """
                INSERT INTO user_permissions (user_id, permission, mac) VALUES (?, ?, ?)
                ON CONFLICT (user_id, permission) DO UPDATE SET mac = excluded.mac
                """, id, permission.rawValue, grants.mac(userID: id, uid: uid, permission: permission))
            return try Self.loadUser(column: "id", id, grants: grants, in: database)!.record
        }
    }

    @discardableResult
    public func revoke(_ permission: Permission, fromUser name: String) throws(StoreError) -> UserRecord {
        try write { database in
            let id = try Self.userID(name: name, in: database)
            try database.run(
                "DELETE FROM user_permissions WHERE user_id = ? AND permission = ?", id, permission.rawValue)
            return try Self.loadUser(column: "id", id, grants: grants, in: database)!.record
        }
    }
}

// MARK: - Shared steps

extension SQLiteRegistryStore {
    static func userRow(_ row: SQLiteRow) throws -> (id: Int64, record: UserRecord) {
        (
            row.int64(0),
            UserRecord(
                name: row.text(1), uid: try row.uid(2), permissions: [],
                createdAt: StoreTime.date(row.int64(3)))
        )
    }

    /// A user as read, with the grants that were ignored because their MAC
    /// does not verify.
    struct LoadedUser: Sendable {
        var record: UserRecord
        var unverified: [UnverifiedGrant]
    }

    static func withPermissions(
        _ row: (id: Int64, record: UserRecord), grants: GrantAuthenticator, in database: SQLiteDatabase
    ) throws -> LoadedUser {
        let stored = try database.query("SELECT permission, mac FROM user_permissions WHERE user_id = ?", row.id) {
            row in GrantAuthenticator.StoredGrant(permission: row.text(0), mac: row.isNull(1) ? nil : row.blob(1))
        }
        var user = row.record
        let (permissions, unverified) = grants.verified(
            stored, userID: row.id, uid: user.uid, userName: user.name)
        user.permissions = permissions
        return LoadedUser(record: user, unverified: unverified)
    }

    /// `column` is one of the fixed names `id`, `name`, `uid`.
    static func loadUser(
        column: String, _ value: any SQLiteBindable, grants: GrantAuthenticator, in database: SQLiteDatabase
    ) throws -> LoadedUser? {
        precondition(["id", "name", "uid"].contains(column))
        guard
            let row = try database.queryFirst(
                "SELECT id, name, uid, created_at FROM users WHERE \(column) = ?", value, as: userRow)
        else { return nil }
        return try withPermissions(row, grants: grants, in: database)
    }

    /// Gives every permission row its MAC (migration 3, in its transaction).
    static func macExistingGrants(_ database: SQLiteDatabase, grants: GrantAuthenticator) throws {
        let rows = try database.query(
            "SELECT p.user_id, u.uid, p.permission FROM user_permissions AS p JOIN users AS u ON u.id = p.user_id"
        ) { row in (row.int64(0), try row.uid(1), row.text(2)) }
        for (userID, uid, name) in rows {
            guard let permission = Permission(rawValue: name) else { continue }
            try database.run(
                "UPDATE user_permissions SET mac = ? WHERE user_id = ? AND permission = ?",
                grants.mac(userID: userID, uid: uid, permission: permission), userID, name)
        }
    }

    static func userID(name: String, in database: SQLiteDatabase) throws -> Int64 {
        guard let id = try database.queryFirst("SELECT id FROM users WHERE name = ?", name, as: { $0.int64(0) })
        else { throw StoreError.userNotFound(name) }
        return id
    }
}
