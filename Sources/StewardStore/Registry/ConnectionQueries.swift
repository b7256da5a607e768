import Foundation
import StewardModel

/// The connections table and its governed databases, written once for both
/// backends (``RegistrySQLSession``). Callers run these inside their store's
/// read or write transaction; a write locks the row it compares
/// (``RowLock``, PostgreSQL only) before it reads the revision.
enum ConnectionQueries {
    static let tokenKind = "connections"

    typealias Stored = (id: Int64, record: ConnectionRecord)

    /// The columns ``decode(_:)`` reads, in its order.
    private static let columnNames = [
        "id", "key", "display_name", "deployment_type", "host", "port", "state_database", "username",
        "ssl_mode", "ca_certificate", "state", "revision", "settings_revision", "created_at", "updated_at",
        "created_by", "provision_missing_roles",
    ]

    /// ``columnNames`` over alias `c`; the next column (17) is free for the caller's.
    static let columns = columnNames.map { "c.\($0)" }.joined(separator: ", ")

    /// Race (shared mode): two daemons registering one key. `ON CONFLICT
    /// (key) DO NOTHING` makes the second wait for the first to commit, then
    /// insert nothing: exactly one wins, the other reports ALREADY_EXISTS.
    static func create(
        key: String, settings: ConnectionSettings, sealed: [UInt8], createdBy: UInt32,
        now: (date: Date, microseconds: Int64), in session: some RegistrySQLSession
    ) throws -> ConnectionRecord {
        let inserted = try session.firstID { sql in
            let values = [
                sql.bind(key), sql.bind(settings.displayName), sql.bind(settings.deploymentType.rawValue),
                sql.bind(settings.host), sql.bind(settings.port), sql.bind(settings.stateDatabase),
                sql.bind(settings.username), sql.bind(sealed), sql.bind(settings.sslMode.rawValue),
                sql.bind(settings.caCertificate), "'REGISTERED'", "1", "1", sql.bind(now.microseconds),
                sql.bind(now.microseconds), sql.bind(createdBy), sql.bind(settings.provisionMissingRoles),
            ]
            return """
                INSERT INTO connections (key, display_name, deployment_type, host, port,
                    state_database, username, password_sealed, ssl_mode, ca_certificate, state,
                    revision, settings_revision, created_at, updated_at, created_by, provision_missing_roles)
                VALUES (\(values.joined(separator: ", ")))
                ON CONFLICT (key) DO NOTHING
                RETURNING id
                """
        }
        guard let id = inserted else {
            throw StoreError(.alreadyExists, "a connection with key \"\(key)\" already exists")
        }
        try insertGovernedDatabases(settings, connectionID: id, in: session)
        try TransitionQueries.insert(
            connectionID: id, from: nil, change: ConnectionRecord.registration(by: createdBy),
            at: now.microseconds, in: session)
        return ConnectionRecord.registered(key: key, settings: settings, createdBy: createdBy, at: now.date)
    }

    /// The connection with its governed databases, in one query; its row
    /// locked as `lock` says.
    static func load(key: String, lock: RowLock = .none, in session: some RegistrySQLSession) throws -> Stored {
        let rows = try session.query({ sql in
            """
            SELECT \(columns), g.name FROM connections AS c
            LEFT JOIN governed_databases AS g ON g.connection_id = c.id
            WHERE c.key = \(sql.bind(key))
            ORDER BY g.position \(sql.dialect.rowLock(lock, of: "c"))
            """
        }, as: decodeWithGovernedDatabase)
        guard let stored = grouped(rows).first else { throw StoreError.connectionNotFound(key) }
        return stored
    }

    /// The connection with its governed databases and its newest report
    /// without the report's checks (nil when it has none), in one query.
    static func loadWithLatestReport(
        key: String, in session: some RegistrySQLSession
    ) throws -> (connection: Stored, report: ValidationReport?) {
        let governedColumn = columnNames.count
        let rows = try session.query({ sql in
            """
            SELECT \(columns), g.name, \(ValidationQueries.headerColumns) FROM connections AS c
            \(ValidationQueries.latestJoin)
            LEFT JOIN governed_databases AS g ON g.connection_id = c.id
            WHERE c.key = \(sql.bind(key))
            ORDER BY g.position
            """
        }, as: { row in
            (try decodeWithGovernedDatabase(row), try ValidationQueries.header(row, from: governedColumn + 1, connectionKey: key))
        })
        guard let stored = grouped(rows.map(\.0)).first else { throw StoreError.connectionNotFound(key) }
        return (stored, rows[0].1)
    }

    static func id(key: String, lock: RowLock = .none, in session: some RegistrySQLSession) throws -> Int64 {
        guard let id = try session.firstID({ sql in
            "SELECT c.id FROM connections AS c WHERE c.key = \(sql.bind(key)) \(sql.dialect.rowLock(lock, of: "c"))"
        }) else { throw StoreError.connectionNotFound(key) }
        return id
    }

    static func sealedPassword(key: String, in session: some RegistrySQLSession) throws -> [UInt8] {
        let sealed = try session.query({ sql in
            "SELECT password_sealed FROM connections WHERE key = \(sql.bind(key))"
        }, as: { row in try row.bytes(0) })
        guard let sealed = sealed.first else { throw StoreError.connectionNotFound(key) }
        return sealed
    }

    /// One page in key order, each connection with its governed databases:
    /// one query however long the page.
    static func list(state: LifecycleState?, page: PageRequest, in session: some RegistrySQLSession) throws
        -> Page<ConnectionRecord>
    {
        let after = try page.token.map { token throws(StoreError) in try PageToken.decode(token, kind: tokenKind, count: 1)[0] }
        let size = page.effectiveSize
        let rows = try session.query({ sql in
            if let state { sql.require("state = \(sql.bind(state.rawValue))") }
            sql.require("key > \(sql.bind(after ?? ""))")
            return """
                SELECT \(columns), g.name
                FROM (SELECT \(columnNames.joined(separator: ", ")) FROM connections
                      WHERE \(sql.clause) ORDER BY key LIMIT \(sql.bind(Int64(size + 1)))) AS c
                LEFT JOIN governed_databases AS g ON g.connection_id = c.id
                ORDER BY c.key, g.position
                """
        }, as: decodeWithGovernedDatabase)
        return Page(fetched: grouped(rows).map(\.record), size: size, tokenKind: tokenKind) { [$0.key] }
    }

    /// Replaces the settings (and the sealed password) when the connection is
    /// still at the update's revision, with the update's state change.
    static func update(
        _ update: ConnectionUpdate, cipher: SecretCipher, now: (date: Date, microseconds: Int64),
        in session: some RegistrySQLSession
    ) throws -> ConnectionRecord {
        let current = try load(key: update.key, lock: .forNoKeyUpdate, in: session)
        try RegistryRules.checkRevision(current.record, expected: update.expectedRevision)
        let sealed = try cipher.sealForUpdate(
            update, current: current.record, stored: { try sealedPassword(key: update.key, in: session) })
        if let change = update.stateChange {
            try TransitionQueries.insert(
                connectionID: current.id, from: current.record.state, change: change, at: now.microseconds, in: session)
        }
        // Governed databases go first, so the state database may take the
        // name of one that is being dropped from the list.
        try session.run { sql in "DELETE FROM governed_databases WHERE connection_id = \(sql.bind(current.id))" }
        let record = current.record.updated(by: update, at: now.date)
        let settings = record.settings
        let updated = try session.query({ sql in
            """
            UPDATE connections SET display_name = \(sql.bind(settings.displayName)),
                deployment_type = \(sql.bind(settings.deploymentType.rawValue)), host = \(sql.bind(settings.host)),
                port = \(sql.bind(settings.port)), state_database = \(sql.bind(settings.stateDatabase)),
                username = \(sql.bind(settings.username)), password_sealed = \(sql.bind(sealed)),
                ssl_mode = \(sql.bind(settings.sslMode.rawValue)), ca_certificate = \(sql.bind(settings.caCertificate)),
                state = \(sql.bind(record.state.rawValue)), revision = \(sql.bind(record.revision)),
                settings_revision = \(sql.bind(record.settingsRevision)), updated_at = \(sql.bind(now.microseconds)),
                provision_missing_roles = \(sql.bind(settings.provisionMissingRoles))
            WHERE id = \(sql.bind(current.id)) AND revision = \(sql.bind(update.expectedRevision))
            RETURNING id
            """
        }, as: { row in try row.int64(0) })
        guard updated.count == 1 else {
            throw StoreError(.io, "the registry store failed", detail: "locked connection row not updated")
        }
        try insertGovernedDatabases(settings, connectionID: current.id, in: session)
        return record
    }

    /// Deletes an INACTIVE connection (the schema cascades to what belongs to it).
    static func delete(key: String, expectedRevision: Int64?, in session: some RegistrySQLSession) throws {
        // The cascade deletes username claims under their lock. Take
        // it before the row lock: a concurrent mapping change holds it while
        // its recomputation needs this row, and the other order would
        // deadlock the two.
        try session.lockUsernames()
        // FOR UPDATE: the row goes, so rows referring to it wait too.
        let current = try load(key: key, lock: .forUpdate, in: session)
        if let expectedRevision { try RegistryRules.checkRevision(current.record, expected: expectedRevision) }
        try RegistryRules.checkDeletable(current.record)
        try session.run { sql in "DELETE FROM connections WHERE id = \(sql.bind(current.id))" }
    }

    /// Every connection with its sealed password, for the one-time reseal at
    /// open (``PasswordReseal``); governed databases are not part of a
    /// password's binding and are left out.
    static func allWithSealedPasswords(lock: RowLock, in session: some RegistrySQLSession) throws -> [PasswordReseal.Row] {
        try session.query({ sql in
            "SELECT \(columns), c.password_sealed FROM connections AS c ORDER BY c.id \(sql.dialect.rowLock(lock, of: "c"))"
        }, as: { row in
            let stored = try decode(row)
            return PasswordReseal.Row(id: stored.id, record: stored.record, sealed: try row.bytes(columnNames.count))
        })
    }

    static func insertGovernedDatabases(
        _ settings: ConnectionSettings, connectionID: Int64, in session: some RegistrySQLSession
    ) throws {
        try session.insert(
            into: "governed_databases", columns: "connection_id, position, name",
            Array(settings.governedDatabases.enumerated())
        ) { item, sql in [sql.bind(connectionID), sql.bind(item.offset + 1), sql.bind(item.element)] }
    }

    // MARK: Rows

    static func decode(_ row: some RegistrySQLRow) throws(StoreError) -> Stored {
        let settings = ConnectionSettings(
            displayName: try row.text(2), deploymentType: try row.value(DeploymentType.self, 3),
            host: try row.text(4), port: try row.int(5), stateDatabase: try row.text(6),
            governedDatabases: [], username: try row.text(7), sslMode: try row.value(SSLMode.self, 8),
            caCertificate: try row.optionalText(9), provisionMissingRoles: try row.bool(16))
        let record = ConnectionRecord(
            key: try row.text(1), settings: settings, state: try row.value(LifecycleState.self, 10),
            revision: try row.int64(11), settingsRevision: try row.int64(12),
            createdAt: try row.date(13), updatedAt: try row.date(14), createdBy: try row.uid(15))
        return (try row.int64(0), record)
    }

    /// A connection's columns and one of its governed databases (column 17,
    /// NULL when it has none).
    private static func decodeWithGovernedDatabase(_ row: some RegistrySQLRow) throws -> (Stored, String?) {
        (try decode(row), try row.optionalText(columnNames.count))
    }

    /// One connection per run of rows with the same id, its governed
    /// databases in the order the rows came.
    private static func grouped(_ rows: [(Stored, String?)]) -> [Stored] {
        var connections: [Stored] = []
        for (stored, governed) in rows {
            if connections.last?.id != stored.id { connections.append(stored) }
            if let governed { connections[connections.count - 1].record.settings.governedDatabases.append(governed) }
        }
        return connections
    }
}
