/// The identity mappings, written once for both backends
/// (``RegistrySQLSession``). Writes run under the usernames lock
/// (``RegistrySQLSession/lockUsernames()``), taken by their caller or here.
enum MappingQueries {
    /// Creates or replaces one mapping inside the caller's transaction. Every
    /// refusal is found before anything is written, so a refused mapping
    /// leaves the transaction as it was (an import goes on to the next row).
    static func set(_ mapping: IdentityMapping, at microseconds: Int64, in session: some RegistrySQLSession) throws {
        let ids = try session.rows(columns: 2) { sql in
            // Bound in the order the placeholders appear (SQLite's are positional).
            let user = "(SELECT id FROM users WHERE name = \(sql.bind(mapping.userName)))"
            let connection = mapping.connectionKey.map { "(SELECT id FROM connections WHERE key = \(sql.bind($0)))" } ?? "NULL"
            return "SELECT \(user), \(connection)"
        }.first
        guard let userID = try ids?[0].map({ try session.int64($0) }) else {
            throw StoreError.userNotFound(mapping.userName)
        }
        let connectionID = try ids?[1].map { try session.int64($0) }
        if let key = mapping.connectionKey, connectionID == nil { throw StoreError.connectionNotFound(key) }
        if let value = mapping.identity.value, value.isEmpty {
            throw StoreError(.invalidArgument, StoreError.checkMessages["identity_mapping_value"]!)
        }
        if let username = mapping.identity.postgresUsername(forUser: mapping.userName) {
            let change: UsernameClaims.Change =
                if let connectionID, let key = mapping.connectionKey {
                    .onConnection(userID: userID, connectionID: connectionID, connectionKey: key, username: username)
                } else {
                    .newDefault(userID: userID, username: username)
                }
            if let conflict = try UsernameClaims.conflict(change, in: session) { throw conflict }
        }
        try session.run { sql in
            let values = [
                sql.bind(userID), connectionID.map { sql.bind($0) } ?? "NULL", sql.bind(mapping.identity.kind.rawValue),
                mapping.identity.value.map { sql.bind($0) } ?? "NULL", sql.bind(microseconds),
            ]
            // One upsert on the scope index. (An UPDATE that matched nothing,
            // then an INSERT, cost time in proportion to the rows already
            // changed in the transaction: a 10,000-row import took seconds.)
            return """
                INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                VALUES (\(values.joined(separator: ", ")))
                ON CONFLICT (user_id, \(sql.dialect.scope("connection_id")))
                DO UPDATE SET kind = excluded.kind, value = excluded.value, updated_at = excluded.updated_at
                """
        }
    }

    /// Without its connection mapping, the user's default applies there
    /// again, and must be free there; without its default mapping, its name
    /// is its default.
    static func remove(userName: String, connectionKey: String?, in session: some RegistrySQLSession) throws {
        try session.lockUsernames()
        let userID = try UserQueries.requireID(name: userName, in: session)
        let connectionID = try connectionKey.map { key in try Self.connectionID(key: key, in: session) }
        let mapped = try session.firstID { sql in
            """
            SELECT user_id FROM identity_mappings
            WHERE user_id = \(sql.bind(userID)) AND \(sql.dialect.scope("connection_id")) = \(sql.bind(connectionID ?? 0))
            """
        }
        guard mapped != nil else {
            throw StoreError(
                .notFound,
                connectionKey.map { "user \"\(userName)\" has no mapping for connection \"\($0)\"" }
                    ?? "user \"\(userName)\" has no default mapping")
        }
        if let connectionID, let connectionKey {
            // The user's default claim, if it has one (NONE and IAM have none).
            let fallback = try session.rows(columns: 1) { sql in
                "SELECT pg_username FROM username_claims WHERE user_id = \(sql.bind(userID)) AND connection_id IS NULL"
            }.first?[0]
            if let fallback, let conflict = try UsernameClaims.conflict(
                .onConnection(userID: userID, connectionID: connectionID, connectionKey: connectionKey, username: fallback),
                in: session)
            {
                throw conflict
            }
        } else if let conflict = try UsernameClaims.conflict(.newDefault(userID: userID, username: userName), in: session) {
            throw conflict
        }
        try session.run { sql in
            """
            DELETE FROM identity_mappings
            WHERE user_id = \(sql.bind(userID)) AND \(sql.dialect.scope("connection_id")) = \(sql.bind(connectionID ?? 0))
            """
        }
    }

    /// Every mapping `filter` selects, page after page in one transaction.
    static func all(_ filter: MappingFilter, in session: some RegistrySQLSession) throws -> [IdentityMapping] {
        var mappings: [IdentityMapping] = []
        var token: String?
        repeat {
            let page = try list(filter, page: PageRequest(size: PageRequest.maximumSize, token: token), in: session)
            mappings += page.items
            token = page.nextPageToken
        } while token != nil
        return mappings
    }

    static func list(_ filter: MappingFilter, page: PageRequest, in session: some RegistrySQLSession) throws
        -> Page<IdentityMapping>
    {
        let query = try MappingQuery(filter, page: page, dialect: session.dialect)
        let mappings = try session.rows(query.statement, columns: 4).map { row in
            IdentityMapping(
                userName: row[0] ?? "", connectionKey: row[1], identity: try identity(kind: row[2], value: row[3]))
        }
        return MappingPosition.page(mappings, size: query.pageSize)
    }

    /// Every mapping is tried in file order, so that one answer names every
    /// row that fails; the savepoint undoes them all when anything failed
    /// or this is a dry run. A row's own fault (no such user or connection,
    /// a taken username, an empty value) is found before it writes, so it
    /// is reported with the row; a failure of the store ends the import.
    static func importRows(
        _ mappings: [IdentityMapping], dryRun: Bool, at microseconds: Int64, in session: some RegistrySQLSession
    ) throws -> Int {
        try session.lockUsernames()
        try session.run(SQLStatement(sql: "SAVEPOINT mapping_import", parameters: []))
        var failures: [StoreError.ItemFailure] = []
        for (index, mapping) in mappings.enumerated() {
            do {
                try set(mapping, at: microseconds, in: session)
            } catch let error as StoreError where rowFaults.contains(error.code) {
                failures.append(.init(index: index, error: error))
            }
        }
        if dryRun || !failures.isEmpty {
            try session.run(SQLStatement(sql: "ROLLBACK TO SAVEPOINT mapping_import", parameters: []))
        }
        try session.run(SQLStatement(sql: "RELEASE SAVEPOINT mapping_import", parameters: []))
        guard failures.isEmpty else {
            throw StoreError(
                failures[0].error.code, "\(failures.count) of \(mappings.count) mappings cannot be set; none was",
                itemFailures: failures)
        }
        return mappings.count
    }

    /// The failures that are a mapping's own fault rather than the store's.
    static let rowFaults: Set<StoreError.Code> = [.notFound, .alreadyExists, .invalidArgument, .failedPrecondition]

    /// Each user's identity on one connection (one user's, with `userName`),
    /// by user name: the connection's mapping, else the default, else UNSET.
    static func effective(connectionKey: String, userName: String?, in session: some RegistrySQLSession) throws
        -> [EffectiveIdentity]
    {
        let connectionID = try Self.connectionID(key: connectionKey, in: session)
        if let userName { _ = try UserQueries.requireID(name: userName, in: session) }
        let template = try SettingQueries.identityTemplate(in: session)
        let rows = try session.rows(columns: 5) { sql in
            // Bound in the order the placeholders appear (SQLite's are positional).
            let connection = sql.bind(connectionID)
            let user = userName.map { "u.name = \(sql.bind($0))" } ?? sql.dialect.literal(true)
            return """
                SELECT u.name, mc.kind, mc.value, md.kind, md.value
                FROM users AS u
                LEFT JOIN identity_mappings AS mc ON mc.user_id = u.id AND mc.connection_id = \(connection)
                LEFT JOIN identity_mappings AS md ON md.user_id = u.id AND md.connection_id IS NULL
                WHERE \(user)
                ORDER BY u.name
                """
        }
        return try rows.map { row in
            let (found, source): (Identity, EffectiveIdentity.Source) =
                if row[1] != nil {
                    (try identity(kind: row[1], value: row[2]), .connection)
                } else if row[3] != nil {
                    (try identity(kind: row[3], value: row[4]), .default)
                } else {
                    (.unset, .fallback)
                }
            return EffectiveIdentity(
                userName: row[0] ?? "", connectionKey: connectionKey, identity: found, source: source,
                template: template)
        }
    }

    static func connectionID(key: String, in session: some RegistrySQLSession) throws -> Int64 {
        guard let id = try session.firstID({ sql in "SELECT id FROM connections WHERE key = \(sql.bind(key))" }) else {
            throw StoreError.connectionNotFound(key)
        }
        return id
    }

    static func identity(kind: String?, value: String?) throws(StoreError) -> Identity {
        guard let kind = kind.flatMap(Identity.Kind.init(rawValue:)), let identity = Identity(kind: kind, value: value)
        else { throw StoreError(.corrupt, "the registry store holds a mapping it cannot read") }
        return identity
    }
}
