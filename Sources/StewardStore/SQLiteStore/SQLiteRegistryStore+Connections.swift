import Foundation
import StewardModel

extension SQLiteRegistryStore {
    static let connectionColumns = """
        id, key, display_name, deployment_type, host, port, state_database, username, ssl_mode,
        ca_certificate, state, revision, settings_revision, created_at, updated_at, created_by,
        provision_missing_roles
        """

    @discardableResult
    public func createConnection(
        key: String, settings: ConnectionSettings, password: Secret, createdBy: UInt32
    ) throws(StoreError) -> ConnectionRecord {
        try RegistryRules.checkGovernedDatabases(settings)
        let sealed = try cipher.seal(password, for: PasswordBinding(connectionKey: key, settings: settings))
        let now = now()
        return try write { database in
            do {
                try database.run(
                    """
                    INSERT INTO connections (key, display_name, deployment_type, host, port,
                        state_database, username, password_sealed, ssl_mode, ca_certificate, state,
                        revision, settings_revision, created_at, updated_at, created_by, provision_missing_roles)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'REGISTERED', 1, 1, ?, ?, ?, ?)
                    """,
                    values: [
                        key, settings.displayName, settings.deploymentType.rawValue, settings.host,
                        settings.port, settings.stateDatabase, settings.username, sealed,
                        settings.sslMode.rawValue, settings.caCertificate, now.microseconds,
                        now.microseconds, createdBy, settings.provisionMissingRoles ? 1 : 0,
                    ])
            } catch let error as SQLiteError where error.isUniqueViolation(on: "connections.key") {
                throw StoreError(
                    .alreadyExists, "a connection with key \"\(key)\" already exists",
                    detail: error.description)
            }
            let id = database.lastInsertRowID
            try Self.insertGovernedDatabases(settings, connectionID: id, in: database)
            try Self.insertTransition(
                connectionID: id, from: nil,
                change: ConnectionRecord.registration(by: createdBy),
                at: now.microseconds, in: database)
            return ConnectionRecord.registered(key: key, settings: settings, createdBy: createdBy, at: now.date)
        }
    }

    public func connection(key: String) throws(StoreError) -> ConnectionRecord {
        try read { database in try Self.loadConnection(key: key, in: database).record }
    }

    public func connectionPassword(key: String, for settings: ConnectionSettings) throws(StoreError) -> Secret {
        let sealed = try read { database in try Self.sealedPassword(key: key, in: database) }
        return try cipher.openPassword(sealed, for: PasswordBinding(connectionKey: key, settings: settings))
    }

    static func sealedPassword(key: String, in database: SQLiteDatabase) throws -> [UInt8] {
        guard
            let sealed = try database.queryFirst(
                "SELECT password_sealed FROM connections WHERE key = ?", key, as: { $0.blob(0) })
        else { throw StoreError.connectionNotFound(key) }
        return sealed
    }

    public func listConnections(state: LifecycleState?, page: PageRequest) throws(StoreError)
        -> Page<ConnectionRecord>
    {
        let after = try page.token.map { token throws(StoreError) in
            try PageToken.decode(token, kind: "connections", count: 1)[0]
        }
        let size = page.effectiveSize
        let records = try read { database in
            let rows = try database.query(
                """
                SELECT \(Self.connectionColumns) FROM connections
                WHERE (?1 IS NULL OR state = ?1) AND key > ?2
                ORDER BY key LIMIT ?3
                """,
                values: [state?.rawValue, after ?? "", size + 1], as: Self.connectionRow)
            return try rows.map { row in try Self.completeConnection(row, in: database) }
        }
        return Page(fetched: records, size: size, tokenKind: "connections") { [$0.key] }
    }

    @discardableResult
    public func updateConnection(_ update: ConnectionUpdate) throws(StoreError) -> ConnectionRecord {
        try RegistryRules.checkGovernedDatabases(update.settings)
        let now = now()
        return try write { database in
            let current = try Self.loadConnection(key: update.key, in: database)
            try RegistryRules.checkRevision(current.record, expected: update.expectedRevision)
            let sealed = try cipher.sealForUpdate(
                update, current: current.record, stored: { try Self.sealedPassword(key: update.key, in: database) })
            if let change = update.stateChange {
                try Self.insertTransition(
                    connectionID: current.id, from: current.record.state, change: change,
                    at: now.microseconds, in: database)
            }
            // Governed databases go first, so the state database may take the
            // name of one that is being dropped from the list.
            try database.run("DELETE FROM governed_databases WHERE connection_id = ?", current.id)
            let record = current.record.updated(by: update, at: now.date)
            let settings = record.settings
            try database.run(
                """
                UPDATE connections SET display_name = ?, deployment_type = ?, host = ?, port = ?,
                    state_database = ?, username = ?, password_sealed = ?,
                    ssl_mode = ?, ca_certificate = ?, state = ?, revision = ?, settings_revision = ?,
                    updated_at = ?, provision_missing_roles = ?
                WHERE id = ? AND revision = ?
                """,
                values: [
                    settings.displayName, settings.deploymentType.rawValue, settings.host,
                    settings.port, settings.stateDatabase, settings.username, sealed,
                    settings.sslMode.rawValue, settings.caCertificate, record.state.rawValue, record.revision,
                    record.settingsRevision, now.microseconds, settings.provisionMissingRoles ? 1 : 0, current.id,
                    update.expectedRevision,
                ])
            try Self.insertGovernedDatabases(settings, connectionID: current.id, in: database)
            return record
        }
    }

    @discardableResult
    public func transitionConnection(key: String, expectedRevision: Int64, change: StateChange)
        throws(StoreError) -> ConnectionRecord
    {
        let now = now()
        return try write { database in
            let current = try Self.loadConnection(key: key, in: database)
            try RegistryRules.checkRevision(current.record, expected: expectedRevision)
            return try Self.applyTransition(
                change, to: current, at: now, in: database)
        }
    }

    public func listTransitions(key: String, page: PageRequest) throws(StoreError) -> Page<LifecycleTransition> {
        let after = try TransitionPosition.after(token: page.token)
        let size = page.effectiveSize
        let rows = try read { database in
            let current = try Self.loadConnection(key: key, in: database)
            return try database.query(
                """
                SELECT t.id, t.from_state, t.to_state, t.actor_uid, t.at, t.reason, u.name
                FROM connection_transitions t LEFT JOIN users u ON u.uid = t.actor_uid
                WHERE t.connection_id = ? AND t.id > ? ORDER BY t.id LIMIT ?
                """, current.id, after, size + 1
            ) { row in
                LifecycleTransition(
                    connectionKey: key,
                    from: row.isNull(1) ? nil : try row.value(LifecycleState.self, 1),
                    to: try row.value(LifecycleState.self, 2), actor: try row.uid(3),
                    at: StoreTime.date(row.int64(4)), reason: row.text(5),
                    actorName: row.optionalText(6), sequence: row.int64(0))
            }
        }
        return TransitionPosition.page(rows, size: size)
    }

    public func deleteConnection(key: String, expectedRevision: Int64?) throws(StoreError) {
        try write { database in
            let current = try Self.loadConnection(key: key, in: database)
            if let expectedRevision { try RegistryRules.checkRevision(current.record, expected: expectedRevision) }
            try RegistryRules.checkDeletable(current.record)
            try database.run("DELETE FROM connections WHERE id = ?", current.id)
        }
    }
}

// MARK: - Shared steps

extension SQLiteRegistryStore {
    typealias StoredConnection = (id: Int64, record: ConnectionRecord)

    static func connectionRow(_ row: SQLiteRow) throws -> StoredConnection {
        let settings = ConnectionSettings(
            displayName: row.text(2), deploymentType: try row.value(DeploymentType.self, 3),
            host: row.text(4), port: row.int(5), stateDatabase: row.text(6),
            governedDatabases: [], username: row.text(7), sslMode: try row.value(SSLMode.self, 8),
            caCertificate: row.optionalText(9), provisionMissingRoles: row.int64(16) != 0)
        let record = ConnectionRecord(
            key: row.text(1), settings: settings, state: try row.value(LifecycleState.self, 10),
            revision: row.int64(11), settingsRevision: row.int64(12),
            createdAt: StoreTime.date(row.int64(13)), updatedAt: StoreTime.date(row.int64(14)),
            createdBy: try row.uid(15))
        return (row.int64(0), record)
    }

    /// Adds what lives in other tables (the governed databases).
    static func completeConnection(_ stored: StoredConnection, in database: SQLiteDatabase) throws
        -> ConnectionRecord
    {
        var record = stored.record
        record.settings.governedDatabases = try database.query(
            "SELECT name FROM governed_databases WHERE connection_id = ? ORDER BY position", stored.id
        ) { $0.text(0) }
        return record
    }

    static func loadConnection(key: String, in database: SQLiteDatabase) throws -> StoredConnection {
        guard
            let stored = try database.queryFirst(
                "SELECT \(connectionColumns) FROM connections WHERE key = ?", key, as: connectionRow)
        else { throw StoreError.connectionNotFound(key) }
        return (stored.id, try completeConnection(stored, in: database))
    }

    static func connectionID(key: String, in database: SQLiteDatabase) throws -> Int64 {
        guard let id = try database.queryFirst("SELECT id FROM connections WHERE key = ?", key, as: { $0.int64(0) })
        else { throw StoreError.connectionNotFound(key) }
        return id
    }

    static func insertGovernedDatabases(
        _ settings: ConnectionSettings, connectionID: Int64, in database: SQLiteDatabase
    ) throws {
        for (position, name) in settings.governedDatabases.enumerated() {
            do {
                try database.run(
                    "INSERT INTO governed_databases (connection_id, position, name) VALUES (?, ?, ?)",
                    connectionID, position + 1, name)
            } catch let error as SQLiteError
                where error.isUniqueViolation(on: "governed_databases.connection_id, governed_databases.name")
            {
                throw StoreError(
                    .invalidArgument, "database \"\(name)\" is listed twice among the governed databases",
                    detail: error.description)
            } catch let error as SQLiteError where error.isTriggerRefusal {
                throw StoreError(
                    .invalidArgument,
                    "the state database \"\(name)\" cannot also be a governed database",
                    detail: error.description)
            }
        }
    }

    static func insertTransition(
        connectionID: Int64, from: LifecycleState?, change: StateChange, at microseconds: Int64,
        in database: SQLiteDatabase
    ) throws {
        try database.run(
            """
            INSERT INTO connection_transitions (connection_id, from_state, to_state, actor_uid, at, reason)
            VALUES (?, ?, ?, ?, ?, ?)
            """, connectionID, from?.rawValue, change.to.rawValue, change.actor, microseconds,
            change.reason)
    }

    /// Records the transition and moves the state, bumping the revision.
    static func applyTransition(
        _ change: StateChange, to current: StoredConnection, at now: (date: Date, microseconds: Int64),
        in database: SQLiteDatabase
    ) throws -> ConnectionRecord {
        try insertTransition(
            connectionID: current.id, from: current.record.state, change: change,
            at: now.microseconds, in: database)
        try database.run(
            "UPDATE connections SET state = ?, revision = revision + 1, updated_at = ? WHERE id = ?",
            change.to.rawValue, now.microseconds, current.id)
        return current.record.transitioned(by: change, at: now.date)
    }
}
