import Foundation
import StewardModel
import StewardPostgres

/// What Steward records about enforcement in the connection's state schema
/// (docs/policies-enforcement.md, "What Steward records"): the grants it
/// made per governed database, the roles it provisioned, and the last run.
/// Every method runs on a session in the state database, which also holds
/// the run's advisory lock.
struct EnforcementLedger {
    static let grantsTable = "enforced_grants"
    static let rolesTable = "provisioned_roles"
    static let runsTable = "enforcement_runs"

    let connectionKey: String
    let connection: PostgresConnection
    let deadline: Deadline

    private static func table(_ name: String) -> String { SQLQuoting.qualified(SetupScript.stateSchema, name) }

    /// Waits (at most until the deadline) for the connection's enforcement
    /// lock: a session-level advisory lock, so two runs of one connection
    /// never interleave, whichever daemon starts them.
    func lock() throws(PostgresError) {
        _ = try connection.query(
            "SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtextextended($1, 0))",
            ["steward-enforce:" + connectionKey], deadline: deadline)
    }

    /// Whether the record tables exist (a dry run before the first run
    /// finds none, and creates none).
    func tablesExist() throws(PostgresError) -> Bool {
        let present = try connection.query(
            """
            SELECT pg_catalog.count(*) AS present FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname IN ($2, $3, $4)
            """,
            [SetupScript.stateSchema, Self.grantsTable, Self.rolesTable, Self.runsTable], deadline: deadline)
        return try present.rows.first?.int("present") == 3
    }

    /// Creates the record tables in the state schema when they are missing.
    /// The connection role owns the schema (the setup script made it so).
    func prepare() throws(PostgresError) {
        guard try !tablesExist() else { return }
        try transaction { () throws(PostgresError) in
            for statement in [
                """
                CREATE TABLE IF NOT EXISTS \(Self.table(Self.grantsTable)) (
                    connection_key text NOT NULL,
                    database_name text NOT NULL,
                    object_kind text NOT NULL CHECK (object_kind IN ('DATABASE', 'SCHEMA', 'TABLE')),
                    schema_name text NOT NULL,
                    object_name text NOT NULL,
                    role_name text NOT NULL,
                    applied text[] NOT NULL DEFAULT '{}',
                    pending text[] NOT NULL DEFAULT '{}',
                    PRIMARY KEY (connection_key, database_name, object_kind, schema_name, object_name, role_name)
                )
                """,
                """
                CREATE TABLE IF NOT EXISTS \(Self.table(Self.rolesTable)) (
                    connection_key text NOT NULL,
                    role_name text NOT NULL,
                    provisioned_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
                    PRIMARY KEY (connection_key, role_name)
                )
                """,
                """
                CREATE TABLE IF NOT EXISTS \(Self.table(Self.runsTable)) (
                    connection_key text PRIMARY KEY,
                    started_at timestamptz NOT NULL,
                    finished_at timestamptz NOT NULL,
                    statements_applied integer NOT NULL,
                    databases_failed text[] NOT NULL
                )
                """,
            ] {
                _ = try connection.query(statement, deadline: deadline)
            }
        }
    }

    /// The grants recorded per database, and the roles Steward provisioned.
    func read() throws(PostgresError) -> (grants: [String: RecordedGrants], provisioned: Set<String>) {
        let rows = try connection.query(
            """
            SELECT database_name, object_kind, schema_name, object_name, role_name,
                   pg_catalog.array_to_string(applied, ',') AS applied, pg_catalog.array_to_string(pending, ',') AS pending
            FROM \(Self.table(Self.grantsTable)) WHERE connection_key = $1
            """,
            [connectionKey], deadline: deadline
        ).rows
        var grants: [String: RecordedGrants] = [:]
        for row in rows {
            guard let object = GrantedObject(
                kindWord: try row.string("object_kind"), schema: try row.string("schema_name"), name: try row.string("object_name"))
            else { continue }
            let key = GrantKey(object: object, role: try row.string("role_name"))
            let database = try row.string("database_name")
            let applied = Self.privileges(try row.string("applied"))
            let pending = Self.privileges(try row.string("pending"))
            if !applied.isEmpty { grants[database, default: RecordedGrants()].applied[key] = applied }
            if !pending.isEmpty { grants[database, default: RecordedGrants()].pending[key] = pending }
        }
        let roles = try connection.query(
            "SELECT role_name FROM \(Self.table(Self.rolesTable)) WHERE connection_key = $1", [connectionKey], deadline: deadline
        ).rows
        var provisioned: Set<String> = []
        for row in roles { provisioned.insert(try row.string("role_name")) }
        return (grants, provisioned)
    }

    /// Before a database's transaction: the privileges it is about to grant,
    /// recorded as pending, so that they count as Steward's even if the
    /// outcome of the transaction is never confirmed (the daemon dies
    /// between the two commits).
    func recordIntent(database: String, granting: GrantSet) throws(PostgresError) {
        guard !granting.isEmpty else { return }
        _ = try connection.query(
            """
            INSERT INTO \(Self.table(Self.grantsTable)) AS g
                (connection_key, database_name, object_kind, schema_name, object_name, role_name, pending)
            SELECT $1, $2, e ->> 0, e ->> 1, e ->> 2, e ->> 3, pg_catalog.string_to_array(e ->> 4, ',')
            FROM pg_catalog.json_array_elements($3::pg_catalog.json) AS e
            ON CONFLICT (connection_key, database_name, object_kind, schema_name, object_name, role_name)
            DO UPDATE SET pending = ARRAY(SELECT DISTINCT p FROM pg_catalog.unnest(g.pending || EXCLUDED.pending) AS p ORDER BY 1)
            """,
            [connectionKey, database, Self.json(granting)], deadline: deadline)
    }

    /// After a database's transaction committed: its record becomes exactly
    /// what Steward now holds there, nothing pending.
    func confirm(database: String, holdings: GrantSet) throws(PostgresError) {
        try transaction { () throws(PostgresError) in
            _ = try connection.query(
                "DELETE FROM \(Self.table(Self.grantsTable)) WHERE connection_key = $1 AND database_name = $2",
                [connectionKey, database], deadline: deadline)
            guard !holdings.isEmpty else { return }
            _ = try connection.query(
                """
                INSERT INTO \(Self.table(Self.grantsTable))
                    (connection_key, database_name, object_kind, schema_name, object_name, role_name, applied)
                SELECT $1, $2, e ->> 0, e ->> 1, e ->> 2, e ->> 3, pg_catalog.string_to_array(e ->> 4, ',')
                FROM pg_catalog.json_array_elements($3::pg_catalog.json) AS e
                """,
                [connectionKey, database, Self.json(holdings)], deadline: deadline)
        }
    }

    /// Runs `statements` (CREATE ROLE or DROP ROLE) and records the roles as
    /// provisioned (or no longer) in the same transaction.
    func changeRoles(_ statements: [PlannedStatement], provisioned: [String], dropped: [String]) throws(PostgresError) {
        try transaction { () throws(PostgresError) in
            for statement in statements { _ = try connection.query(statement.sql, deadline: deadline) }
            if !provisioned.isEmpty {
                _ = try connection.query(
                    """
                    INSERT INTO \(Self.table(Self.rolesTable)) (connection_key, role_name)
                    SELECT $1, r FROM pg_catalog.json_array_elements_text($2::pg_catalog.json) AS r
                    ON CONFLICT DO NOTHING
                    """,
                    [connectionKey, Self.json(provisioned)], deadline: deadline)
            }
            if !dropped.isEmpty {
                _ = try connection.query(
                    """
                    DELETE FROM \(Self.table(Self.rolesTable))
                    WHERE connection_key = $1 AND role_name IN (SELECT pg_catalog.json_array_elements_text($2::pg_catalog.json))
                    """,
                    [connectionKey, Self.json(dropped)], deadline: deadline)
            }
        }
    }

    /// The last run of the connection (not dry runs).
    func recordRun(startedAt: Date, statementsApplied: Int, failedDatabases: [String]) throws(PostgresError) {
        _ = try connection.query(
            """
            INSERT INTO \(Self.table(Self.runsTable)) (connection_key, started_at, finished_at, statements_applied, databases_failed)
            VALUES ($1, pg_catalog.to_timestamp($2::float8), pg_catalog.now(), $3::integer,
                    ARRAY(SELECT pg_catalog.json_array_elements_text($4::pg_catalog.json)))
            ON CONFLICT (connection_key) DO UPDATE SET started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
                statements_applied = EXCLUDED.statements_applied, databases_failed = EXCLUDED.databases_failed
            """,
            [connectionKey, String(startedAt.timeIntervalSince1970), String(statementsApplied), Self.json(failedDatabases)],
            deadline: deadline)
    }

    /// Runs `body` between BEGIN and COMMIT; ROLLBACK when it throws.
    func transaction(_ body: () throws(PostgresError) -> Void) throws(PostgresError) {
        try Self.transaction(on: connection, deadline: deadline, body)
    }

    static func transaction(on connection: PostgresConnection, deadline: Deadline, _ body: () throws(PostgresError) -> Void) throws(PostgresError) {
        _ = try connection.query("BEGIN", deadline: deadline)
        do {
            try body()
            _ = try connection.query("COMMIT", deadline: deadline)
        } catch {
            // The connection may be gone (then the server rolled back); a
            // ROLLBACK that fails changes nothing about the outcome.
            _ = try? connection.query("ROLLBACK", deadline: .after(milliseconds: 5_000))
            throw error
        }
    }

    private static func privileges(_ text: String) -> Set<String> {
        Set(text.split(separator: ",").map(String.init))
    }

    /// `[[kind, schema, name, role, "P1,P2"], …]`.
    private static func json(_ grants: GrantSet) -> String {
        json(grants.map { key, privileges in
            let columns = key.object.recordColumns
            return [key.object.kindWord, columns.schema, columns.name, key.role, key.object.managedPrivileges.filter(privileges.contains).joined(separator: ",")]
        })
    }

    private static func json<T: Encodable>(_ value: T) -> String {
        // Encoding arrays of strings cannot fail.
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
