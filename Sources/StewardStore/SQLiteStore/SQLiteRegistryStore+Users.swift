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
                    "INSERT INTO user_permissions (user_id, permission) VALUES (?, ?)", id, permission.rawValue)
            }
            return UserRecord(name: name, uid: uid, permissions: permissions, createdAt: now.date)
        }
    }

    public func user(name: String) throws(StoreError) -> UserRecord {
        try read { database in
            guard let user = try Self.loadUser(column: "name", name, in: database) else {
                throw StoreError.userNotFound(name)
            }
            return user
        }
    }

    public func user(uid: UInt32) throws(StoreError) -> UserRecord? {
        try read { database in try Self.loadUser(column: "uid", uid, in: database) }
    }

    public func listUsers(page: PageRequest) throws(StoreError) -> Page<UserRecord> {
        let after = try page.token.map { token throws(StoreError) in
            try PageToken.decode(token, kind: "users", count: 1)[0]
        }
        let size = page.effectiveSize
        let users = try read { database in
            let rows = try database.query(
                "SELECT id, name, uid, created_at FROM users WHERE name > ? ORDER BY name LIMIT ?",
                after ?? "", size + 1, as: Self.userRow)
            return try rows.map { row in try Self.withPermissions(row, in: database) }
        }
        let items = Array(users.prefix(size))
        let next = users.count > size
            ? PageToken(kind: "users", position: [items[items.count - 1].name]).encoded : nil
        return Page(items: items, nextPageToken: next)
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
            let id = try Self.userID(name: name, in: database)
            try database.run(
                "INSERT OR IGNORE INTO user_permissions (user_id, permission) VALUES (?, ?)", id,
                permission.rawValue)
            return try Self.loadUser(column: "id", id, in: database)!
        }
    }

    @discardableResult
    public func revoke(_ permission: Permission, fromUser name: String) throws(StoreError) -> UserRecord {
        try write { database in
            let id = try Self.userID(name: name, in: database)
            try database.run(
                "DELETE FROM user_permissions WHERE user_id = ? AND permission = ?", id, permission.rawValue)
            return try Self.loadUser(column: "id", id, in: database)!
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

    static func withPermissions(_ row: (id: Int64, record: UserRecord), in database: SQLiteDatabase) throws
        -> UserRecord
    {
        var user = row.record
        user.permissions = Set(
            try database.query("SELECT permission FROM user_permissions WHERE user_id = ?", row.id) {
                row in try row.value(Permission.self, 0)
            })
        return user
    }

    /// `column` is one of the fixed names `id`, `name`, `uid`.
    static func loadUser(column: String, _ value: any SQLiteBindable, in database: SQLiteDatabase) throws
        -> UserRecord?
    {
        precondition(["id", "name", "uid"].contains(column))
        guard
            let row = try database.queryFirst(
                "SELECT id, name, uid, created_at FROM users WHERE \(column) = ?", value, as: userRow)
        else { return nil }
        return try withPermissions(row, in: database)
    }

    static func userID(name: String, in database: SQLiteDatabase) throws -> Int64 {
        guard let id = try database.queryFirst("SELECT id FROM users WHERE name = ?", name, as: { $0.int64(0) })
        else { throw StoreError.userNotFound(name) }
        return id
    }
}
