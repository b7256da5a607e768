import Foundation
import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// One test's own connection role, state database, governed databases and
/// subscriber login roles on one real server, set up the way the setup
/// script leaves them (the role holds the table privileges, USAGE and
/// CONNECT WITH GRANT OPTION; PUBLIC's CONNECT on the governed databases is
/// revoked, so that CONNECT is what Steward grants). Every name starts with
/// a prefix no other test uses, holds a space, and the connection role's a
/// quote; ``withEnforcementFixture`` drops everything with the prefix.
struct EnforcementFixture: Sendable {
    let server: TestPostgres
    let prefix: String
    let key: String
    let role: String
    let password: String
    let settings: ConnectionSettings

    func name(_ suffix: String) -> String { "\(prefix) \(suffix)" }

    /// The governed databases, in the connection's order.
    var databases: [String] { settings.governedDatabases }

    init(server: TestPostgres, governed: [String]) throws {
        self.server = server
        let prefix = "e\(UInt32.random(in: 0...UInt32.max))"
        self.prefix = prefix
        key = "key-\(prefix)"
        role = "\(prefix) st\"ew"
        password = "pw-\(UUID().uuidString)"
        let admin = try server.adminOverSocket()
        settings = ConnectionSettings(
            displayName: key, deploymentType: .selfManaged, host: admin.host, port: admin.port,
            stateDatabase: "\(prefix) state", governedDatabases: governed.map { "\(prefix) \($0)" }, username: role, sslMode: .prefer)
    }

    var record: ConnectionRecord {
        ConnectionRecord(
            key: key, settings: settings, state: .active, revision: 1, settingsRevision: 1, createdAt: Date(), updatedAt: Date(), createdBy: 0)
    }

    // MARK: Setting up

    func create() async throws {
        try await admin(
            "CREATE ROLE \(q(role)) LOGIN CREATEROLE PASSWORD \(SQLQuoting.literal(password))",
            "CREATE DATABASE \(q(settings.stateDatabase))")
        try await admin(in: settings.stateDatabase, "CREATE SCHEMA \(q(SetupScript.stateSchema)) AUTHORIZATION \(q(role))")
        for database in databases {
            try await admin(
                "CREATE DATABASE \(q(database))", "REVOKE CONNECT ON DATABASE \(q(database)) FROM PUBLIC",
                "GRANT CONNECT ON DATABASE \(q(database)) TO \(q(role)) WITH GRANT OPTION")
        }
    }

    /// Creates `schema` in `database` (short name) with the relations the
    /// `definitions` make (`CREATE …` bodies with `%s` for the schema), and
    /// gives the connection role what the setup script would.
    func createSchema(_ schema: String, in database: String, _ definitions: String...) async throws {
        var statements = ["CREATE SCHEMA \(q(schema))", "GRANT USAGE ON SCHEMA \(q(schema)) TO \(q(role)) WITH GRANT OPTION"]
        statements += definitions.map { $0.replacing("%s", with: q(schema)) }
        statements.append("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA \(q(schema)) TO \(q(role)) WITH GRANT OPTION")
        try await withAdmin(server, database: name(database)) { [statements] connection in
            for statement in statements { try connection.run(statement) }
        }
    }

    /// Creates a subscriber login role (full name returned) with the fixture's password.
    @discardableResult
    func subscriber(_ suffix: String) async throws -> String {
        let subscriber = name(suffix)
        try await admin("CREATE ROLE \(q(subscriber)) LOGIN PASSWORD \(SQLQuoting.literal(password))")
        return subscriber
    }

    // MARK: Enforcing

    func relation(_ database: String, _ schema: String, _ table: String) -> GovernedRelation {
        GovernedRelation(database: name(database), schema: schema, name: table)
    }

    func access(_ role: String, _ relation: GovernedRelation, _ access: PolicyAccess, policy: String = "policy-a") -> DesiredAccess {
        DesiredAccess(role: role, relation: relation, access: access, policies: [policy])
    }

    func enforce(
        _ desired: [DesiredAccess], governed: [GovernedRelation], provision: Bool = false, dryRun: Bool = false,
        deadlineMilliseconds: Int = 60_000
    ) async throws -> EnforcementReport {
        let input = EnforcementInput(connectionKey: key, governed: governed, desired: desired, provisionMissingRoles: provision)
        return try await LivePolicyEnforcer(executor: testExecutor).enforce(
            input, record: record, password: password, dryRun: dryRun, deadline: .after(milliseconds: deadlineMilliseconds))
    }

    // MARK: Looking

    /// Every ACL of the fixture's databases (relations, schemas, the
    /// database), as text: what a run must leave unchanged when it should
    /// change nothing.
    func aclSnapshot(of chosen: [String]? = nil) async throws -> [String] {
        var lines: [String] = []
        for database in chosen ?? databases {
            lines += try await withAdmin(server, database: database) { connection in
                try connection.run(
                    """
                    SELECT 'r ' || n.nspname || '.' || c.relname || ' ' || coalesce(c.relacl::text, '-') AS line
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
                    UNION ALL
                    SELECT 'n ' || nspname || ' ' || coalesce(nspacl::text, '-') FROM pg_namespace
                    UNION ALL
                    SELECT 'd ' || datname || ' ' || coalesce(datacl::text, '-') FROM pg_database WHERE datname = current_database()
                    ORDER BY 1
                    """
                ).rows.map { try $0.string("line") }
            }
        }
        return lines
    }

    /// Rows of the record table for this connection, as text.
    func recordedGrants() async throws -> [String] {
        try await withAdmin(server, database: settings.stateDatabase) { [key] connection in
            try connection.run(
                """
                SELECT database_name || ' ' || object_kind || ' ' || schema_name || '.' || object_name || ' ' || role_name
                       || ' applied=' || applied::text || ' pending=' || pending::text AS line
                FROM steward.enforced_grants WHERE connection_key = $1 ORDER BY 1
                """, [key]
            ).rows.map { try $0.string("line") }
        }
    }

    /// Logs in as `subscriber` to `database` (short name) and runs `sql`;
    /// nil when it worked, else the error (a refused login included).
    func tryAs(_ subscriber: String, in database: String, _ sql: String) async -> PostgresError? {
        var parameters = try! server.adminOverSocket(database: name(database))
        parameters.user = subscriber
        parameters.password = password
        do throws(PostgresError) {
            try await testExecutor.withConnection(parameters, deadline: .after(milliseconds: 10_000)) { (connection) throws(PostgresError) in
                _ = try connection.query(sql, deadline: .after(milliseconds: 10_000))
            }
            return nil
        } catch {
            return error
        }
    }

    /// Runs `statements` as the administrator in `database` (a full name), or in `postgres`.
    func admin(in database: String = "postgres", _ statements: String...) async throws {
        try await runAsAdmin(server, in: database, statements)
    }

    /// Runs `statements` in `database` (short name) as the connection role,
    /// as a DBA using that role by hand would.
    func asConnectionRole(in database: String, _ statements: String...) async throws {
        let role = self.role
        try await withAdmin(server, database: name(database)) { connection in
            try connection.run("SET ROLE \(q(role))")
            for statement in statements { try connection.run(statement) }
        }
    }

    func drop() async throws {
        try await dropPrefixedObjects(prefix, on: server)
    }
}

extension PostgresError {
    /// Refused for lack of privilege: 42501 on a statement, or a login
    /// refused for lack of CONNECT.
    var isPermissionDenied: Bool { sqlState == "42501" || kind == .connectNotPermitted }
}

/// Creates a fixture, runs `body`, and drops what it made whether the body passed or threw.
func withEnforcementFixture(
    _ server: TestPostgres, governed: [String] = ["gov"], _ body: (EnforcementFixture) async throws -> Void
) async throws {
    let fixture = try EnforcementFixture(server: server, governed: governed)
    let outcome: Result<Void, any Error>
    do {
        try await fixture.create()
        try await body(fixture)
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    try await fixture.drop()
    try outcome.get()
}

extension EnforcementReport {
    var sql: [String] { statements.map(\.sql) }
}
