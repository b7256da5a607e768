extension SQLiteRegistryStore {
    /// The unique index behind "one PostgreSQL username, one user, per connection".
    static let usernameOwnerIndex = "effective_usernames_owner"

    @discardableResult
    public func setMapping(_ mapping: IdentityMapping) throws(StoreError) -> IdentityMapping {
        let now = now()
        try write { database in try Self.setMapping(mapping, at: now.microseconds, in: database) }
        return mapping
    }

    public func removeMapping(userName: String, connectionKey: String?) throws(StoreError) {
        try write { database in
            let userID = try Self.userID(name: userName, in: database)
            let connectionID = try connectionKey.map { key in try Self.connectionID(key: key, in: database) }
            let removed: Int
            do {
                removed = try database.run(
                    "DELETE FROM identity_mappings WHERE user_id = ? AND connection_id IS ?", userID,
                    connectionID)
            } catch let error as SQLiteError where error.isUniqueViolation(on: Self.usernameOwnerIndex) {
                // Without its override, the user's default applies on that connection.
                var mappings = try Self.mappingsByScope(userID: userID, in: database)
                mappings[connectionID] = nil
                throw try Self.usernameConflict(
                    userID: userID, userName: userName, mappings: mappings, cause: error, in: database)
            }
            guard removed == 1 else {
                throw StoreError(
                    .notFound,
                    connectionKey.map { "user \"\(userName)\" has no mapping for connection \"\($0)\"" }
                        ?? "user \"\(userName)\" has no default mapping")
            }
        }
    }

    public func listMappings(_ filter: MappingFilter, page: PageRequest) throws(StoreError) -> Page<IdentityMapping> {
        let query = try MappingQuery(filter, page: page, dialect: .sqlite)
        let mappings = try read { database in
            try database.query(query.statement.sql, values: query.statement.parameters) { row in
                IdentityMapping(
                    userName: row.text(0), connectionKey: row.optionalText(1),
                    identity: try Self.identity(kind: row.value(Identity.Kind.self, 2), value: row.optionalText(3)))
            }
        }
        return MappingPosition.page(mappings, size: query.pageSize)
    }

    @discardableResult
    public func importMappings(_ mappings: [IdentityMapping], dryRun: Bool) throws(StoreError) -> Int {
        let now = now()
        // A dry run changes nothing, so the call's event is not its to commit.
        return try write(recordingCallEvent: !dryRun) { database in
            // Every mapping is tried, so that one answer names every row that
            // fails; a failed statement undoes only itself, and the savepoint
            // undoes the rest when anything failed or this is a dry run.
            _ = try database.run("SAVEPOINT mapping_import")
            var failures: [StoreError.ItemFailure] = []
            for (index, mapping) in mappings.enumerated() {
                do {
                    try Self.setMapping(mapping, at: now.microseconds, in: database)
                } catch {
                    // A row's own fault (no such user or connection, a taken
                    // username, a broken rule) is reported with the row; a
                    // failure of the store itself ends the import.
                    let storeError = (error as? StoreError) ?? (error as? SQLiteError).map(StoreError.init)
                    guard let storeError, Self.rowFaults.contains(storeError.code) else { throw error }
                    failures.append(.init(index: index, error: storeError))
                }
            }
            if dryRun || !failures.isEmpty { _ = try database.run("ROLLBACK TO mapping_import") }
            _ = try database.run("RELEASE mapping_import")
            guard failures.isEmpty else {
                throw StoreError(
                    failures[0].error.code, "\(failures.count) of \(mappings.count) mappings cannot be set; none was",
                    itemFailures: failures)
            }
            return mappings.count
        }
    }

    /// The failures that are a mapping's own fault rather than the store's.
    static let rowFaults: Set<StoreError.Code> = [.notFound, .alreadyExists, .invalidArgument, .failedPrecondition]

    public func effectiveIdentities(connectionKey: String, userName: String?) throws(StoreError) -> [EffectiveIdentity] {
        try read { database in
            let connectionID = try Self.connectionID(key: connectionKey, in: database)
            if let userName { _ = try Self.userID(name: userName, in: database) }
            let template = try SettingQueries.identityTemplate(in: database)
            return try database.query(
                """
                SELECT u.name, e.kind, e.value, e.source
                FROM effective_identities AS e JOIN users AS u ON u.id = e.user_id
                WHERE e.connection_id = ? AND (? IS NULL OR u.name = ?)
                ORDER BY u.name
                """, values: [connectionID, userName, userName]
            ) { row in
                EffectiveIdentity(
                    userName: row.text(0), connectionKey: connectionKey,
                    identity: try Self.identity(kind: row.value(Identity.Kind.self, 1), value: row.optionalText(2)),
                    source: try row.value(EffectiveIdentity.Source.self, 3), template: template)
            }
        }
    }

    public func effectiveIdentity(userName: String, connectionKey: String) throws(StoreError)
        -> EffectiveIdentity
    {
        try read { database in
            let userID = try Self.userID(name: userName, in: database)
            let connectionID = try Self.connectionID(key: connectionKey, in: database)
            guard
                let found = try database.queryFirst(
                    """
                    SELECT kind, value, source FROM effective_identities
                    WHERE user_id = ? AND connection_id = ?
                    """, userID, connectionID,
                    as: { row in
                        (
                            try Self.identity(kind: row.value(Identity.Kind.self, 0), value: row.optionalText(1)),
                            try row.value(EffectiveIdentity.Source.self, 2)
                        )
                    })
            else { throw StoreError(.io, "the registry store failed", detail: "effective identity missing") }
            return EffectiveIdentity(
                userName: userName, connectionKey: connectionKey, identity: found.0, source: found.1,
                template: try SettingQueries.identityTemplate(in: database))
        }
    }
}

// MARK: - Shared steps

extension SQLiteRegistryStore {
    /// Creates or replaces one mapping inside the caller's transaction.
    static func setMapping(_ mapping: IdentityMapping, at microseconds: Int64, in database: SQLiteDatabase)
        throws
    {
        let userID = try Self.userID(name: mapping.userName, in: database)
        let connectionID = try mapping.connectionKey.map { key in try Self.connectionID(key: key, in: database) }
        let kind = mapping.identity.kind.rawValue
        let value = mapping.identity.value
        do {
            // One upsert on the scope index. (An UPDATE that matched nothing,
            // then an INSERT, cost time in proportion to the rows already
            // changed in the transaction: a 10,000-row import took seconds.)
            try database.run(
                """
                INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (user_id, ifnull(connection_id, 0))
                DO UPDATE SET kind = excluded.kind, value = excluded.value, updated_at = excluded.updated_at
                """, userID, connectionID, kind, value, microseconds)
        } catch let error as SQLiteError where error.isUniqueViolation(on: usernameOwnerIndex) {
            var mappings = try mappingsByScope(userID: userID, in: database)
            mappings[connectionID] = mapping.identity
            throw try usernameConflict(
                userID: userID, userName: mapping.userName, mappings: mappings, cause: error, in: database)
        }
    }

    static func identity(kind: Identity.Kind, value: String?) throws(StoreError) -> Identity {
        guard let identity = Identity(kind: kind, value: value) else {
            throw StoreError(.corrupt, "the registry store holds a mapping without its value")
        }
        return identity
    }

    /// The user's stored mappings, keyed by connection id (nil: the default).
    static func mappingsByScope(userID: Int64, in database: SQLiteDatabase) throws -> [Int64?: Identity] {
        let rows = try database.query(
            "SELECT connection_id, kind, value FROM identity_mappings WHERE user_id = ?", userID
        ) { row in
            (row.optionalInt64(0), try identity(kind: row.value(Identity.Kind.self, 1), value: row.optionalText(2)))
        }
        var mappings: [Int64?: Identity] = [:]
        for (scope, identity) in rows { mappings[scope] = identity }
        return mappings
    }

    /// Explains a refusal by the ownership index: the index says only that
    /// some username collided, so this works out, from the mappings the user
    /// would have had, which username on which connection and whose it is.
    /// Runs after the failed statement was undone, inside the transaction.
    static func usernameConflict(
        userID: Int64?, userName: String, mappings: [Int64?: Identity], cause: SQLiteError,
        in database: SQLiteDatabase
    ) throws -> StoreError {
        let connections = try database.query("SELECT id, key FROM connections ORDER BY key") {
            (Optional($0.int64(0)), Optional($0.text(1)))
        }
        for (connectionID, connectionKey) in [(nil, nil)] + connections {
            let identity = connectionID.flatMap { mappings[$0] } ?? mappings[nil] ?? .unset
            guard let username = identity.postgresUsername(forUser: userName) else { continue }
            let owner = try database.queryFirst(
                """
                SELECT u.name FROM effective_usernames AS e JOIN users AS u ON u.id = e.user_id
                WHERE ifnull(e.connection_id, 0) = ifnull(?, 0) AND e.pg_username = ? AND e.user_id IS NOT ?
                """, connectionID, username, userID
            ) { $0.text(0) }
            guard let owner else { continue }
            let message = connectionKey.map {
                "PostgreSQL username \"\(username)\" on connection \"\($0)\" already belongs to user \"\(owner)\""
            } ?? "PostgreSQL username \"\(username)\" is already the default of user \"\(owner)\""
            return StoreError(.alreadyExists, message, detail: cause.description)
        }
        return StoreError(
            .alreadyExists, "the change would give one PostgreSQL username to two users on one connection",
            detail: cause.description)
    }
}
