import Foundation
import StewardModel
import StewardPostgres

extension PostgresRegistryStore {
    /// The columns of a connection, with its governed databases as a JSON
    /// array in position order (one query per connection list).
    static let connectionColumns = """
        c.id, c.key, c.display_name, c.deployment_type, c.host, c.port, c.state_database, c.username,
        c.ssl_mode, c.ca_certificate, c.state, c.revision, c.settings_revision, c.created_at, c.updated_at,
        c.created_by, c.provision_missing_roles,
        (SELECT coalesce(json_agg(g.name ORDER BY g.position), '[]'::json) FROM governed_databases AS g
         WHERE g.connection_id = c.id)::text AS governed
        """

    /// Race: two daemons registering one key. `ON CONFLICT (key) DO NOTHING`
    /// makes the second wait for the first to commit, then insert nothing:
    /// exactly one wins, the other reports ALREADY_EXISTS.
    @discardableResult
    public func createConnection(
        key: String, settings: ConnectionSettings, password: Secret, createdBy: UInt32
    ) throws(StoreError) -> ConnectionRecord {
        try RegistryRules.checkGovernedDatabases(settings)
        let sealed = try cipher.seal(password, for: PasswordBinding(connectionKey: key, settings: settings))
        let now = now()
        return try write { session in
            let inserted = try session.query(
                """
                INSERT INTO connections (key, display_name, deployment_type, host, port,
                    state_database, username, password_sealed, ssl_mode, ca_certificate, state,
                    revision, settings_revision, created_at, updated_at, created_by, provision_missing_roles)
                VALUES ($1::text, $2::text, $3::text, $4::text, $5::bigint, $6::text, $7::text, $8::bytea,
                    $9::text, $10::text, 'REGISTERED', 1, 1, $11::bigint, $11::bigint, $12::bigint, $13::bigint = 1)
                ON CONFLICT (key) DO NOTHING
                RETURNING id
                """,
                key, settings.displayName, settings.deploymentType.rawValue, settings.host, settings.port,
                settings.stateDatabase, settings.username, sealed, settings.sslMode.rawValue,
                settings.caCertificate, now.microseconds, createdBy, settings.provisionMissingRoles ? 1 : 0)
            guard let id = try inserted.first?.int64Value("id") else {
                throw StoreError(.alreadyExists, "a connection with key \"\(key)\" already exists")
            }
            try Self.insertGovernedDatabases(settings, connectionID: id, in: session)
            try Self.insertTransition(
                connectionID: id, from: nil,
                change: ConnectionRecord.registration(by: createdBy),
                at: now.microseconds, in: session)
            return ConnectionRecord.registered(key: key, settings: settings, createdBy: createdBy, at: now.date)
        }
    }

    public func connection(key: String) throws(StoreError) -> ConnectionRecord {
        try read { session in try Self.loadConnection(key: key, in: session).record }
    }

    public func connectionPassword(key: String, for settings: ConnectionSettings) throws(StoreError) -> Secret {
        let sealed = try read { session in try Self.sealedPassword(key: key, in: session) }
        return try cipher.openPassword(sealed, for: PasswordBinding(connectionKey: key, settings: settings))
    }

    static func sealedPassword(key: String, in session: PostgresSession) throws -> [UInt8] {
        guard let row = try session.queryFirst("SELECT password_sealed FROM connections WHERE key = $1::text", key)
        else { throw StoreError.connectionNotFound(key) }
        return try row.bytesValue("password_sealed")
    }

    public func listConnections(state: LifecycleState?, page: PageRequest) throws(StoreError)
        -> Page<ConnectionRecord>
    {
        let after = try page.token.map { token throws(StoreError) in
            try PageToken.decode(token, kind: "connections", count: 1)[0]
        }
        let size = page.effectiveSize
        let records = try read { session in
            try session.query(
                """
                SELECT \(Self.connectionColumns) FROM connections AS c
                WHERE ($1::text IS NULL OR c.state = $1::text) AND c.key > $2::text
                ORDER BY c.key LIMIT $3::bigint
                """, state?.rawValue, after ?? "", size + 1
            ).map { row in try Self.connectionRow(row).record }
        }
        return Page(fetched: records, size: size, tokenKind: "connections") { [$0.key] }
    }

    @discardableResult
    public func updateConnection(_ update: ConnectionUpdate) throws(StoreError) -> ConnectionRecord {
        try RegistryRules.checkGovernedDatabases(update.settings)
        let now = now()
        return try write { session in
            let current = try Self.loadConnection(key: update.key, lock: "FOR NO KEY UPDATE", in: session)
            try RegistryRules.checkRevision(current.record, expected: update.expectedRevision)
            let sealed = try cipher.sealForUpdate(
                update, current: current.record, stored: { try Self.sealedPassword(key: update.key, in: session) })
            if let change = update.stateChange {
                try Self.insertTransition(
                    connectionID: current.id, from: current.record.state, change: change,
                    at: now.microseconds, in: session)
            }
            // Governed databases go first, so the state database may take the
            // name of one that is being dropped from the list.
            try session.query("DELETE FROM governed_databases WHERE connection_id = $1::bigint", current.id)
            let record = current.record.updated(by: update, at: now.date)
            let settings = record.settings
            let updated = try session.query(
                """
                UPDATE connections SET display_name = $1::text, deployment_type = $2::text, host = $3::text,
                    port = $4::bigint, state_database = $5::text, username = $6::text,
                    password_sealed = $7::bytea, ssl_mode = $8::text,
                    ca_certificate = $9::text, state = $10::text, revision = $11::bigint,
                    settings_revision = $15::bigint, updated_at = $12::bigint, provision_missing_roles = $16::bigint = 1
                WHERE id = $13::bigint AND revision = $14::bigint
                RETURNING id
                """,
                settings.displayName, settings.deploymentType.rawValue, settings.host, settings.port,
                settings.stateDatabase, settings.username, sealed, settings.sslMode.rawValue,
                settings.caCertificate, record.state.rawValue, record.revision, now.microseconds, current.id,
                update.expectedRevision, record.settingsRevision, settings.provisionMissingRoles ? 1 : 0)
            guard updated.count == 1 else {
                throw StoreError(.io, "the registry store failed", detail: "locked connection row not updated")
            }
            try Self.insertGovernedDatabases(settings, connectionID: current.id, in: session)
            return record
        }
    }

    @discardableResult
    public func transitionConnection(key: String, expectedRevision: Int64, change: StateChange)
        throws(StoreError) -> ConnectionRecord
    {
        let now = now()
        return try write { session in
            let current = try Self.loadConnection(key: key, lock: "FOR NO KEY UPDATE", in: session)
            try RegistryRules.checkRevision(current.record, expected: expectedRevision)
            return try Self.applyTransition(change, to: current, at: now, in: session)
        }
    }

    public func listTransitions(key: String, page: PageRequest) throws(StoreError) -> Page<LifecycleTransition> {
        let after = try TransitionPosition.after(token: page.token)
        let size = page.effectiveSize
        let rows = try read { session in
            let id = try Self.connectionID(key: key, in: session)
            return try session.query(
                """
                SELECT t.id, t.from_state, t.to_state, t.actor_uid, t.at, t.reason, u.name AS actor_name
                FROM connection_transitions t LEFT JOIN users u ON u.uid = t.actor_uid
                WHERE t.connection_id = $1::bigint AND t.id > $2::bigint ORDER BY t.id LIMIT $3::bigint
                """, id, after, size + 1
            ).map { row in
                LifecycleTransition(
                    connectionKey: key,
                    from: try row.optionalTextValue("from_state") == nil
                        ? nil : try row.value(LifecycleState.self, "from_state"),
                    to: try row.value(LifecycleState.self, "to_state"), actor: try row.uidValue("actor_uid"),
                    at: try row.dateValue("at"), reason: try row.textValue("reason"),
                    actorName: try row.optionalTextValue("actor_name"), sequence: try row.int64Value("id"))
            }
        }
        return TransitionPosition.page(rows, size: size)
    }

    public func deleteConnection(key: String, expectedRevision: Int64?) throws(StoreError) {
        try write { session in
            // The cascade recomputes effective usernames under the usernames
            // lock. Take it before the row lock: a concurrent mapping change
            // holds it while its recomputation needs this row, and the other
            // order would deadlock the two.
            try session.query(PostgresMigration.takeUsernamesLock)
            // FOR UPDATE: the row goes, so rows referring to it wait too.
            let current = try Self.loadConnection(key: key, lock: "FOR UPDATE", in: session)
            if let expectedRevision { try RegistryRules.checkRevision(current.record, expected: expectedRevision) }
            try RegistryRules.checkDeletable(current.record)
            try session.query("DELETE FROM connections WHERE id = $1::bigint", current.id)
        }
    }
}

// MARK: - Shared steps

extension PostgresRegistryStore {
    typealias StoredConnection = (id: Int64, record: ConnectionRecord)

    static func connectionRow(_ row: PostgresRow) throws(StoreError) -> StoredConnection {
        let settings = ConnectionSettings(
            displayName: try row.textValue("display_name"),
            deploymentType: try row.value(DeploymentType.self, "deployment_type"),
            host: try row.textValue("host"), port: try row.intValue("port"),
            stateDatabase: try row.textValue("state_database"),
            governedDatabases: try row.stringArray("governed"), username: try row.textValue("username"),
            sslMode: try row.value(SSLMode.self, "ssl_mode"),
            caCertificate: try row.optionalTextValue("ca_certificate"),
            provisionMissingRoles: try row.boolValue("provision_missing_roles"))
        let record = ConnectionRecord(
            key: try row.textValue("key"), settings: settings, state: try row.value(LifecycleState.self, "state"),
            revision: try row.int64Value("revision"), settingsRevision: try row.int64Value("settings_revision"),
            createdAt: try row.dateValue("created_at"), updatedAt: try row.dateValue("updated_at"),
            createdBy: try row.uidValue("created_by"))
        return (try row.int64Value("id"), record)
    }

    /// The connection, optionally locking its row (`lock` is one of the
    /// fixed clauses `FOR UPDATE`, `FOR NO KEY UPDATE`).
    static func loadConnection(key: String, lock: String = "", in session: PostgresSession) throws
        -> StoredConnection
    {
        precondition(["", "FOR UPDATE", "FOR NO KEY UPDATE"].contains(lock))
        guard
            let row = try session.queryFirst(
                "SELECT \(connectionColumns) FROM connections AS c WHERE c.key = $1::text \(lock)", key)
        else { throw StoreError.connectionNotFound(key) }
        return try connectionRow(row)
    }

    static func connectionID(key: String, lock: String = "", in session: PostgresSession) throws -> Int64 {
        precondition(["", "FOR UPDATE", "FOR NO KEY UPDATE"].contains(lock))
        guard let row = try session.queryFirst("SELECT id FROM connections WHERE key = $1::text \(lock)", key)
        else { throw StoreError.connectionNotFound(key) }
        return try row.int64Value("id")
    }

    static func insertGovernedDatabases(
        _ settings: ConnectionSettings, connectionID: Int64, in session: PostgresSession
    ) throws {
        for (position, name) in settings.governedDatabases.enumerated() {
            do {
                try session.query(
                    """
                    INSERT INTO governed_databases (connection_id, position, name)
                    VALUES ($1::bigint, $2::integer, $3::text)
                    """, connectionID, position + 1, name)
            } catch where StoreError.isUniqueViolation(error, on: "governed_database_unique") {
                throw StoreError(
                    .invalidArgument, "database \"\(name)\" is listed twice among the governed databases",
                    detail: "\(error)")
            } catch where StoreError.isTriggerRefusal(error, state: StoreError.stateDatabaseGovernedState) {
                throw StoreError(
                    .invalidArgument,
                    "the state database \"\(name)\" cannot also be a governed database",
                    detail: "\(error)")
            }
        }
    }

    static func insertTransition(
        connectionID: Int64, from: LifecycleState?, change: StateChange, at microseconds: Int64,
        in session: PostgresSession
    ) throws {
        try session.query(
            """
            INSERT INTO connection_transitions (connection_id, from_state, to_state, actor_uid, at, reason)
            VALUES ($1::bigint, $2::text, $3::text, $4::bigint, $5::bigint, $6::text)
            """, connectionID, from?.rawValue, change.to.rawValue, change.actor, microseconds, change.reason)
    }

    /// Records the transition and moves the state, bumping the revision.
    /// The caller holds the connection's row lock.
    static func applyTransition(
        _ change: StateChange, to current: StoredConnection, at now: (date: Date, microseconds: Int64),
        in session: PostgresSession
    ) throws -> ConnectionRecord {
        try insertTransition(
            connectionID: current.id, from: current.record.state, change: change,
            at: now.microseconds, in: session)
        try session.query(
            """
            UPDATE connections SET state = $1::text, revision = revision + 1, updated_at = $2::bigint
            WHERE id = $3::bigint
            """, change.to.rawValue, now.microseconds, current.id)
        return current.record.transitioned(by: change, at: now.date)
    }
}
