import StewardPostgres

extension PostgresRegistryStore {
    /// Race: two daemons creating users with one name or uid. The unique
    /// constraints arbitrate `ON CONFLICT DO NOTHING`: the second waits for
    /// the first and inserts nothing. A new user's name becomes its
    /// PostgreSQL username wherever it has no mapping; the trigger that
    /// records that is refused by the ownership index when it is taken.
    @discardableResult
    public func createUser(name: String, uid: UInt32, permissions: Set<Permission>) throws(StoreError)
        -> UserRecord
    {
        let now = now()
        return try write { session in
            let inserted: [PostgresRow]
            do {
                inserted = try session.savepoint {
                    try session.query(
                        """
                        INSERT INTO users (name, uid, created_at) VALUES ($1::text, $2::bigint, $3::bigint)
                        ON CONFLICT DO NOTHING RETURNING id
                        """, name, uid, now.microseconds)
                }
            } catch where StoreError.isUniqueViolation(error, on: Self.usernameOwnerIndex) {
                throw try Self.usernameConflict(
                    userID: nil, userName: name, mappings: [:], cause: error, in: session)
            }
            guard let id = try inserted.first?.int64Value("id") else {
                if try session.queryFirst("SELECT 1 FROM users WHERE name = $1::text", name) != nil {
                    throw StoreError(.alreadyExists, "a user named \"\(name)\" already exists")
                }
                let owner = try session.queryFirst("SELECT name FROM users WHERE uid = $1::bigint", uid)
                throw StoreError(
                    .alreadyExists, "uid \(uid) already belongs to user \"\(try owner?.textValue("name") ?? "?")\"")
            }
            for permission in permissions.sorted(by: { $0.rawValue < $1.rawValue }) {
                try session.query(
                    "INSERT INTO user_permissions (user_id, permission) VALUES ($1::bigint, $2::text)", id,
                    permission.rawValue)
            }
            return UserRecord(name: name, uid: uid, permissions: permissions, createdAt: now.date)
        }
    }

    public func user(name: String) throws(StoreError) -> UserRecord {
        try read { session in
            guard let user = try Self.loadUser(column: "name", name, in: session) else {
                throw StoreError.userNotFound(name)
            }
            return user
        }
    }

    public func user(uid: UInt32) throws(StoreError) -> UserRecord? {
        try read { session in try Self.loadUser(column: "uid", uid, in: session) }
    }

    public func listUsers(page: PageRequest) throws(StoreError) -> Page<UserRecord> {
        let after = try page.token.map { token throws(StoreError) in
            try PageToken.decode(token, kind: "users", count: 1)[0]
        }
        let size = page.effectiveSize
        let users = try read { session in
            try session.query(
                "\(Self.userSelect) WHERE u.name > $1::text ORDER BY u.name LIMIT $2::bigint", after ?? "", size + 1
            ).map { row in try Self.userRow(row) }
        }
        let items = Array(users.prefix(size))
        let next = users.count > size
            ? PageToken(kind: "users", position: [items[items.count - 1].name]).encoded : nil
        return Page(items: items, nextPageToken: next)
    }

    public func deleteUser(name: String) throws(StoreError) {
        try write { session in
            guard try !session.query("DELETE FROM users WHERE name = $1::text RETURNING id", name).isEmpty else {
                throw StoreError.userNotFound(name)
            }
        }
    }

    /// Idempotent, also between daemons: `ON CONFLICT DO NOTHING`.
    @discardableResult
    public func grant(_ permission: Permission, toUser name: String) throws(StoreError) -> UserRecord {
        try write { session in
            let id = try Self.userID(name: name, in: session)
            try session.query(
                """
                INSERT INTO user_permissions (user_id, permission) VALUES ($1::bigint, $2::text)
                ON CONFLICT DO NOTHING
                """, id, permission.rawValue)
            guard let user = try Self.loadUser(column: "id", id, in: session) else { throw StoreError.userNotFound(name) }
            return user
        }
    }

    @discardableResult
    public func revoke(_ permission: Permission, fromUser name: String) throws(StoreError) -> UserRecord {
        try write { session in
            let id = try Self.userID(name: name, in: session)
            try session.query(
                "DELETE FROM user_permissions WHERE user_id = $1::bigint AND permission = $2::text", id,
                permission.rawValue)
            guard let user = try Self.loadUser(column: "id", id, in: session) else { throw StoreError.userNotFound(name) }
            return user
        }
    }
}

// MARK: - Shared steps

extension PostgresRegistryStore {
    static let userSelect = """
        SELECT u.id, u.name, u.uid, u.created_at,
            (SELECT coalesce(json_agg(p.permission ORDER BY p.permission), '[]'::json)
             FROM user_permissions AS p WHERE p.user_id = u.id)::text AS permissions
        FROM users AS u
        """

    static func userRow(_ row: PostgresRow) throws(StoreError) -> UserRecord {
        var permissions = Set<Permission>()
        for raw in try row.stringArray("permissions") {
            guard let permission = Permission(rawValue: raw) else {
                throw StoreError(
                    .corrupt, "the registry store holds an unknown Permission value", detail: raw)
            }
            permissions.insert(permission)
        }
        return UserRecord(
            name: try row.textValue("name"), uid: try row.uidValue("uid"), permissions: permissions,
            createdAt: try row.dateValue("created_at"))
    }

    /// `column` is one of the fixed names `id`, `name`, `uid`.
    static func loadUser(column: String, _ value: any PostgresBindable, in session: PostgresSession) throws
        -> UserRecord?
    {
        precondition(["id", "name", "uid"].contains(column))
        let type = column == "name" ? "text" : "bigint"
        guard let row = try session.queryFirst("\(userSelect) WHERE u.\(column) = $1::\(type)", value) else {
            return nil
        }
        return try userRow(row)
    }

    static func userID(name: String, in session: PostgresSession) throws -> Int64 {
        guard let row = try session.queryFirst("SELECT id FROM users WHERE name = $1::text", name) else {
            throw StoreError.userNotFound(name)
        }
        return try row.int64Value("id")
    }
}
