import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

/// `PostgresCatalog.selectableTables` on real PostgreSQL 16 and 17: in a
/// database of its own, as a role of its own, each test sees exactly what
/// that role may select from.
@Suite("Selectable tables on real PostgreSQL", .timeLimit(.minutes(2)))
struct SelectableTablesTests {
    typealias Table = PostgresCatalog.CatalogTable
    typealias Column = PostgresCatalog.CatalogColumn

    /// A fresh database and LOGIN role (and a NOLOGIN group role the login
    /// role is a member of); `setup` runs as the administrator in the
    /// database, given the quoted role and group; then the role scans the
    /// database. Database and roles are dropped afterwards, whether the
    /// setup or the scan passed or threw.
    static func scan(
        _ server: TestPostgres, setup: @escaping @Sendable (_ role: String, _ group: String) -> [String]
    ) async throws -> [Table] {
        let database = uniqueName("seltab")
        let role = uniqueName("seltab_role")
        let group = uniqueName("seltab_group")
        let password = "pw-\(UUID().uuidString)"
        let outcome: Result<[Table], any Error>
        do {
            try await withAdmin(server) { connection in
                try connection.run("CREATE ROLE \(role) LOGIN PASSWORD \(SQLQuoting.literal(password))")
                try connection.run("CREATE ROLE \(group) NOLOGIN")
                try connection.run("GRANT \(group) TO \(role)")
                try connection.run("CREATE DATABASE \(database)")
            }
            try await withAdmin(server, database: database) { connection in
                for statement in setup(SQLQuoting.identifier(role), SQLQuoting.identifier(group)) {
                    try connection.run(statement)
                }
            }
            var parameters = try server.adminOverTCP(database: database)
            parameters.user = role
            parameters.password = password
            outcome = .success(
                try await testExecutor.withConnection(parameters, deadline: .after(milliseconds: 10_000)) {
                    (connection) throws(PostgresError) -> [Table] in
                    try PostgresCatalog.selectableTables(on: connection, deadline: .after(milliseconds: 10_000))
                })
        } catch {
            outcome = .failure(error)
        }
        try await withAdmin(server) { connection in
            // FORCE: the role's session may not have ended on the server yet.
            try connection.run("DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
            try connection.run("DROP ROLE IF EXISTS \(role)")
            try connection.run("DROP ROLE IF EXISTS \(group)")
        }
        return try outcome.get()
    }

    static func byName(_ tables: [Table]) -> [String: Table] {
        Dictionary(tables.map { ("\($0.schema).\($0.name)", $0) }, uniquingKeysWith: { first, _ in first })
    }

    @Test(
        "Tables, views, materialized views, foreign and partitioned tables the role may select, with columns in attnum order; nothing else",
        arguments: TestPostgres.supported)
    func kindsColumnsAndPrivileges(server: TestPostgres) async throws {
        let tables = try await Self.scan(server) { role, group in
            [
                "CREATE SCHEMA app",
                "GRANT USAGE ON SCHEMA app TO \(role)",
                // Types as format_type writes them.
                """
                CREATE TABLE app.typed (id integer, code varchar(20), amount numeric(10,2), tags integer[],
                    at timestamp with time zone, note text, flag boolean, big bigint, ch char(3))
                """,
                "GRANT SELECT ON app.typed TO \(role)",
                // A dropped column leaves a gap in the positions.
                "CREATE TABLE app.gapped (a integer, b text, c date)",
                "ALTER TABLE app.gapped DROP COLUMN b",
                "ALTER TABLE app.gapped ADD COLUMN d numeric",
                "GRANT SELECT ON app.gapped TO \(role)",
                "CREATE VIEW app.v_typed AS SELECT id, code FROM app.typed",
                "GRANT SELECT ON app.v_typed TO \(role)",
                "CREATE MATERIALIZED VIEW app.mv AS SELECT amount, id FROM app.typed",
                "GRANT SELECT ON app.mv TO \(role)",
                // A foreign table needs no extension: a wrapper without a handler will do for the catalog.
                "CREATE FOREIGN DATA WRAPPER seltab_fdw",
                "CREATE SERVER seltab_server FOREIGN DATA WRAPPER seltab_fdw",
                "CREATE FOREIGN TABLE app.remote (r integer, s text) SERVER seltab_server",
                "GRANT SELECT ON app.remote TO \(role)",
                // A partitioned table, a partition, and a partition that is itself partitioned:
                // all selectable, only the top one listed.
                "CREATE TABLE app.events (id integer, at date) PARTITION BY RANGE (at)",
                "CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                """
                CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
                    PARTITION BY LIST (id)
                """,
                "CREATE TABLE app.events_2025_one PARTITION OF app.events_2025 FOR VALUES IN (1)",
                "CREATE TABLE app.events_default PARTITION OF app.events DEFAULT",
                "GRANT SELECT ON app.events, app.events_2024, app.events_2025, app.events_2025_one, app.events_default TO \(role)",
                // No columns at all.
                "CREATE TABLE app.empty ()",
                "GRANT SELECT ON app.empty TO \(role)",
                // Every privilege but SELECT: not listed.
                "CREATE TABLE app.no_select (x integer)",
                "GRANT INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON app.no_select TO \(role)",
                // Nothing granted: not listed.
                "CREATE TABLE app.secret (x integer)",
                // SELECT through membership in a role, and through PUBLIC.
                "CREATE TABLE app.via_group (g integer)",
                "GRANT SELECT ON app.via_group TO \(group)",
                "CREATE TABLE app.via_public (p integer)",
                "GRANT SELECT ON app.via_public TO PUBLIC",
                // Owned by the role: selectable without a grant.
                "CREATE TABLE app.owned (o integer)",
                "ALTER TABLE app.owned OWNER TO \(role)",
                // SELECT on a table in a schema without USAGE: hidden.
                "CREATE SCHEMA hidden",
                "CREATE TABLE hidden.h (x integer)",
                "GRANT SELECT ON hidden.h TO \(role)",
                // A schema whose name starts with "pg" but not "pg_" is a user's schema.
                "CREATE SCHEMA pgxdata",
                "GRANT USAGE ON SCHEMA pgxdata TO \(role)",
                "CREATE TABLE pgxdata.kept (k integer)",
                "GRANT SELECT ON pgxdata.kept TO \(role)",
                // A table in public, which every role may use.
                "CREATE TABLE public.plain (id integer)",
                "GRANT SELECT ON public.plain TO \(role)",
            ]
        }
        let found = Self.byName(tables)
        #expect(found.count == tables.count, "a table was listed twice: \(tables.map { "\($0.schema).\($0.name)" })")
        #expect(
            Set(found.keys) == [
                "app.typed", "app.gapped", "app.v_typed", "app.mv", "app.remote", "app.events", "app.empty",
                "app.via_group", "app.via_public", "app.owned", "pgxdata.kept", "public.plain",
            ],
            "listed: \(found.keys.sorted())")

        #expect(
            found["app.typed"]?.columns == [
                Column(name: "id", type: "integer", position: 1),
                Column(name: "code", type: "character varying(20)", position: 2),
                Column(name: "amount", type: "numeric(10,2)", position: 3),
                Column(name: "tags", type: "integer[]", position: 4),
                Column(name: "at", type: "timestamp with time zone", position: 5),
                Column(name: "note", type: "text", position: 6),
                Column(name: "flag", type: "boolean", position: 7),
                Column(name: "big", type: "bigint", position: 8),
                Column(name: "ch", type: "character(3)", position: 9),
            ])
        #expect(
            found["app.gapped"]?.columns == [
                Column(name: "a", type: "integer", position: 1),
                Column(name: "c", type: "date", position: 3),
                Column(name: "d", type: "numeric", position: 4),
            ])
        #expect(
            found["app.v_typed"]?.columns == [
                Column(name: "id", type: "integer", position: 1),
                Column(name: "code", type: "character varying(20)", position: 2),
            ])
        #expect(
            found["app.mv"]?.columns == [
                Column(name: "amount", type: "numeric(10,2)", position: 1), Column(name: "id", type: "integer", position: 2),
            ])
        #expect(
            found["app.remote"]?.columns == [
                Column(name: "r", type: "integer", position: 1), Column(name: "s", type: "text", position: 2),
            ])
        #expect(
            found["app.events"]?.columns == [
                Column(name: "id", type: "integer", position: 1), Column(name: "at", type: "date", position: 2),
            ])
        let empty = try #require(found["app.empty"])
        #expect(empty.columns.isEmpty, "\(empty.columns)")
        #expect(found["app.via_group"]?.columns == [Column(name: "g", type: "integer", position: 1)])
        #expect(found["app.owned"]?.columns == [Column(name: "o", type: "integer", position: 1)])

        // Not one system object, though PUBLIC may select from many of them.
        #expect(!tables.contains { $0.schema == "information_schema" || $0.schema.hasPrefix("pg_") })
    }

    @Test("A superuser sees every user table and still no system schema", arguments: TestPostgres.supported)
    func superuserSeesNoSystemSchema(server: TestPostgres) async throws {
        let database = uniqueName("seltab_su")
        try await withAdmin(server) { connection in _ = try connection.run("CREATE DATABASE \(database)") }
        let outcome: Result<[Table], any Error>
        do {
            outcome = .success(
                try await withAdmin(server, database: database) { connection in
                    try connection.run("CREATE SCHEMA app")
                    try connection.run("CREATE TABLE app.t (x integer)")
                    try connection.run("CREATE TABLE public.u ()")
                    return try PostgresCatalog.selectableTables(on: connection, deadline: .after(milliseconds: 10_000))
                })
        } catch {
            outcome = .failure(error)
        }
        try await withAdmin(server) { connection in _ = try connection.run("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
        let tables = try outcome.get()
        #expect(
            tables == [
                Table(schema: "app", name: "t", columns: [Column(name: "x", type: "integer", position: 1)]),
                Table(schema: "public", name: "u", columns: []),
            ])
    }

    /// Names that break a query or a parser that builds or splits names by
    /// hand, each at most 63 bytes (so PostgreSQL stores it whole).
    static let hostileSchema = "we\"ird.sch ema ü"
    static let hostileTables: [String] = [
        "a\"b",
        "dotted.name",
        "with space",
        "名前 ünï 😀",
        "MixedCase",
        "semi; DROP TABLE x; --",
        "back\\slash'quote",
        String(repeating: "x", count: 63),
        String(repeating: "y", count: 61) + "é",
    ]
    static let hostileColumns: [String] = ["col\"quote", "col.dot", "Col Space", "ünï", String(repeating: "c", count: 63)]

    @Test("Hostile schema, table and column names come back exactly as stored", arguments: TestPostgres.supported)
    func hostileNames(server: TestPostgres) async throws {
        #expect(Self.hostileTables.filter { $0.utf8.count == 63 }.count == 2)
        let schema = SQLQuoting.identifier(Self.hostileSchema)
        let columns = Self.hostileColumns.enumerated()
            .map { "\(SQLQuoting.identifier($0.element)) \($0.offset == 0 ? "varchar(20)" : "integer")" }
            .joined(separator: ", ")
        let tables = try await Self.scan(server) { role, _ in
            ["CREATE SCHEMA \(schema)", "GRANT USAGE ON SCHEMA \(schema) TO \(role)"]
                + Self.hostileTables.flatMap { table in
                    let qualified = SQLQuoting.qualified(Self.hostileSchema, table)
                    return ["CREATE TABLE \(qualified) (\(columns))", "GRANT SELECT ON \(qualified) TO \(role)"]
                }
        }
        #expect(Set(tables.map(\.schema)) == [Self.hostileSchema])
        #expect(Set(tables.map(\.name)) == Set(Self.hostileTables), "listed: \(tables.map(\.name))")
        #expect(tables.count == Self.hostileTables.count)
        let expectedColumns = Self.hostileColumns.enumerated().map {
            Column(name: $0.element, type: $0.offset == 0 ? "character varying(20)" : "integer", position: $0.offset + 1)
        }
        for table in tables {
            #expect(table.columns == expectedColumns, "\(table.name)")
        }
    }
}
