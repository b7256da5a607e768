/// The rule "one PostgreSQL username, one user, per connection" in words a
/// caller can act on: which username, on which connection, is whose.
///
/// The schema enforces the rule by itself (`username_claims`, migration 9 /
/// PostgreSQL 8): each user's default username and each connection
/// mapping's username are claims; defaults are unique among all users (a
/// default reaches every connection, including later ones), a connection's
/// mappings are unique on it, and a connection mapping may not take the
/// default of a user with no mapping of its own there. This file asks the
/// same questions before a change, so that a refusal names the owner; the
/// schema's own refusal is the backstop. Each question reads a handful of
/// index entries: nothing here grows with users × connections.
enum UsernameClaims {
    enum Change {
        /// The user's default username becomes `username` (a new user: its
        /// name, `userID` nil; a default mapping set or removed).
        case newDefault(userID: Int64?, username: String)
        /// The user's username on one connection becomes `username` (a
        /// connection mapping set, or removed so that the default applies).
        case onConnection(userID: Int64, connectionID: Int64, connectionKey: String, username: String)
    }

    /// The refusal `change` meets, if any.
    static func conflict(_ change: Change, in session: some RegistrySQLSession) throws -> StoreError? {
        switch change {
        case .newDefault(let userID, let username):
            // Another user's default (reported first), or another user's
            // claim on a connection where this user has no mapping of its
            // own (so its default would apply there), first by key.
            let user = userID ?? 0
            let owner = try session.rows(columns: 2) { sql in
                """
                SELECT k.key, u.name FROM username_claims AS c
                JOIN users AS u ON u.id = c.user_id LEFT JOIN connections AS k ON k.id = c.connection_id
                WHERE c.pg_username = \(sql.bind(username)) AND c.user_id <> \(sql.bind(user))
                    AND (c.connection_id IS NULL OR NOT EXISTS (
                        SELECT 1 FROM identity_mappings AS m
                        WHERE m.user_id = \(sql.bind(user)) AND m.connection_id = c.connection_id))
                ORDER BY c.connection_id IS NOT NULL, k.key LIMIT 1
                """
            }.first
            guard let owner else { return nil }
            guard let connectionKey = owner[0] else {
                return refusal("PostgreSQL username \"\(username)\" is already the default of user \"\(owner[1] ?? "?")\"")
            }
            return taken(username, on: connectionKey, by: owner[1] ?? "?")
        case .onConnection(let userID, let connectionID, let connectionKey, let username):
            // Another user's mapping there, or another user's default where
            // that user has no mapping there.
            let owner = try session.rows(columns: 1) { sql in
                """
                SELECT u.name FROM username_claims AS c JOIN users AS u ON u.id = c.user_id
                WHERE c.pg_username = \(sql.bind(username)) AND c.user_id <> \(sql.bind(userID))
                    AND (c.connection_id = \(sql.bind(connectionID))
                        OR (c.connection_id IS NULL AND NOT EXISTS (
                            SELECT 1 FROM identity_mappings AS m
                            WHERE m.user_id = c.user_id AND m.connection_id = \(sql.bind(connectionID)))))
                ORDER BY c.connection_id IS NULL
                LIMIT 1
                """
            }.first
            guard let owner else { return nil }
            return taken(username, on: connectionKey, by: owner[0] ?? "?")
        }
    }

    static func taken(_ username: String, on connectionKey: String, by owner: String) -> StoreError {
        refusal("PostgreSQL username \"\(username)\" on connection \"\(connectionKey)\" already belongs to user \"\(owner)\"")
    }

    static func refusal(_ message: String) -> StoreError { StoreError(.alreadyExists, message) }
}
