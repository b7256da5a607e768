import StewardModel
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
                    "INSERT INTO user_permissions (user_id, permission, mac) VALUES ($1::bigint, $2::text, $3::bytea)",
                    id, permission.rawValue, grants.mac(userID: id, uid: uid, permission: permission))
            }
            return UserRecord(name: name, uid: uid, permissions: permissions, createdAt: now.date)
        }
    }

    public func user(name: String) throws(StoreError) -> UserRecord {
        let loaded = try read { [grants] session in
            guard let user = try Self.loadUser(column: "name", name, grants: grants, in: session) else {
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
        let loaded = try read { [grants] session in try Self.loadUser(column: "uid", uid, grants: grants, in: session) }
        guard let loaded else { return nil }
        report(loaded.unverified, log: unverifiedGrants, now: clock())
        return loaded.record
    }

    public func listUsers(page: PageRequest) throws(StoreError) -> Page<UserRecord> {
        let after = try page.token.map { token throws(StoreError) in
            try PageToken.decode(token, kind: "users", count: 1)[0]
        }
        let size = page.effectiveSize
        let loaded = try read { [grants] session in
            try session.query(
                "\(Self.userSelect) WHERE u.name > $1::text ORDER BY u.name LIMIT $2::bigint", after ?? "", size + 1
            ).map { row in try Self.userRow(row, grants: grants) }
        }
        report(loaded.flatMap(\.unverified), log: unverifiedGrants, now: clock())
        return Page(fetched: loaded.map(\.record), size: size, tokenKind: "users") { [$0.name] }
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
            guard let row = try session.queryFirst("SELECT id, uid FROM users WHERE name = $1::text", name) else {
                throw StoreError.userNotFound(name)
            }
            let id = try row.int64Value("id")
            // A row already there keeps its place but gets a valid MAC: granting
            // again repairs a grant whose MAC does not verify.
            try session.query(
                """
                INSERT INTO user_permissions (user_id, permission, mac) VALUES ($1::bigint, $2::text, $3::bytea)
                ON CONFLICT (user_id, permission) DO UPDATE SET mac = EXCLUDED.mac
                """, id, permission.rawValue, grants.mac(userID: id, uid: try row.uidValue("uid"), permission: permission))
            guard let user = try Self.loadUser(column: "id", id, grants: grants, in: session) else {
                throw StoreError.userNotFound(name)
            }
            return user.record
        }
    }

    @discardableResult
    public func revoke(_ permission: Permission, fromUser name: String) throws(StoreError) -> UserRecord {
        try write { session in
            let id = try Self.userID(name: name, in: session)
            try session.query(
                "DELETE FROM user_permissions WHERE user_id = $1::bigint AND permission = $2::text", id,
                permission.rawValue)
            guard let user = try Self.loadUser(column: "id", id, grants: grants, in: session) else {
                throw StoreError.userNotFound(name)
            }
            return user.record
        }
    }
}

// MARK: - Shared steps

extension PostgresRegistryStore {
    static let userSelect = """
        SELECT u.id, u.name, u.uid, u.created_at,
            (SELECT coalesce(json_agg(p.permission ORDER BY p.permission), '[]'::json)
             FROM user_permissions AS p WHERE p.user_id = u.id)::text AS permissions,
            (SELECT coalesce(json_agg(coalesce(encode(p.mac, 'hex'), '') ORDER BY p.permission), '[]'::json)
             FROM user_permissions AS p WHERE p.user_id = u.id)::text AS permission_macs
        FROM users AS u
        """

    /// A user as read, with the grants that were ignored because their MAC
    /// does not verify.
    struct LoadedUser: Sendable {
        var record: UserRecord
        var unverified: [UnverifiedGrant]
    }

    static func userRow(_ row: PostgresRow, grants: GrantAuthenticator) throws(StoreError) -> LoadedUser {
        let names = try row.stringArray("permissions")
        let macs = try row.stringArray("permission_macs")
        guard names.count == macs.count else {
            throw StoreError(.corrupt, "the registry store returned a malformed list", detail: "permission_macs")
        }
        let id = try row.int64Value("id")
        let name = try row.textValue("name")
        let uid = try row.uidValue("uid")
        let stored = zip(names, macs).map { permission, hex in
            GrantAuthenticator.StoredGrant(permission: permission, mac: hex.isEmpty ? nil : Self.bytes(hex: hex))
        }
        let (permissions, unverified) = grants.verified(stored, userID: id, uid: uid, userName: name)
        return LoadedUser(
            record: UserRecord(
                name: name, uid: uid, permissions: permissions, createdAt: try row.dateValue("created_at")),
            unverified: unverified)
    }

    /// Lower-case hex (`encode(…, 'hex')`) as bytes; nil when malformed.
    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
            index += 2
        }
        return bytes
    }

    /// `column` is one of the fixed names `id`, `name`, `uid`.
    static func loadUser(
        column: String, _ value: any PostgresBindable, grants: GrantAuthenticator, in session: PostgresSession
    ) throws -> LoadedUser? {
        precondition(["id", "name", "uid"].contains(column))
        let type = column == "name" ? "text" : "bigint"
        guard let row = try session.queryFirst("\(userSelect) WHERE u.\(column) = $1::\(type)", value) else {
            return nil
        }
        return try userRow(row, grants: grants)
    }

    static func userID(name: String, in session: PostgresSession) throws -> Int64 {
        guard let row = try session.queryFirst("SELECT id FROM users WHERE name = $1::text", name) else {
            throw StoreError.userNotFound(name)
        }
        return try row.int64Value("id")
    }
}
