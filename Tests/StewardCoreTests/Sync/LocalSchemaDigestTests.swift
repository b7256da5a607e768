import Foundation
import PostgresTestSupport
@testable import StewardCore
import StewardModel
import StewardPostgres
import Testing

/// A first sync computes its schema digests here (``LocalSchemaDigests``)
/// from the relations it read; the next sync compares them with the
/// server's (`PostgresCatalog.schemaDigests`). On real PostgreSQL 16 and 17
/// the two are byte for byte equal, with hostile, non-ASCII and
/// canonically equivalent names, every relation kind, ACLs, owners,
/// dropped columns and quoted type names; so a no-change sync after a first
/// one reads nothing but the schemas it always reads (names not plain).
@Suite("Schema digests computed by sync equal the server's", .timeLimit(.minutes(3)))
struct LocalSchemaDigestTests {
    static func q(_ name: String) -> String { SQLQuoting.identifier(name) }

    /// Every schema here holds a relation; their names as created.
    static let schemas = [
        "plain", "we\"ird 'sch:ema;#\\", "\u{E9}", "e\u{301}", "\u{6570}\u{636E} \u{1F418}", "line\nbreak",
    ]

    static func statements(role: String, group: String) -> [String] {
        let (plain, weird, composed, decomposed, cjk, control) = (
            q(schemas[0]), q(schemas[1]), q(schemas[2]), q(schemas[3]), q(schemas[4]), q(schemas[5]))
        return [
            "GRANT \(q(group)) TO \(q(role))",
            "CREATE SCHEMA \(plain)", "CREATE SCHEMA \(weird)", "CREATE SCHEMA \(composed)", "CREATE SCHEMA \(decomposed)",
            "CREATE SCHEMA \(cjk)", "CREATE SCHEMA \(control)", "CREATE SCHEMA empty",
            "CREATE TYPE \(plain).\"mo\"\"od\" AS ENUM ('calm')",
            "CREATE TYPE \(cjk).\(q("\u{7C7B}\u{578B}")) AS ENUM ('a')",
            // Names whose byte order differs from a collation's.
            "CREATE TABLE \(plain).\"B\" (id integer, code varchar(10), amount numeric(12,2), at timestamp with time zone, flags boolean[])",
            "CREATE TABLE \(plain).a (m \(plain).\"mo\"\"od\", gone integer, kept text)",
            "ALTER TABLE \(plain).a DROP COLUMN gone",
            "CREATE TABLE \(plain).\"_\" ()",
            "CREATE TABLE \(plain).\"Z1\" (x bigint)",
            "CREATE VIEW \(plain).v AS SELECT 1 AS one",
            "CREATE MATERIALIZED VIEW \(plain).mv AS SELECT 1 AS one",
            "CREATE TABLE \(plain).parted (id integer, day date) PARTITION BY RANGE (day)",
            "CREATE TABLE \(plain).parted_2026 PARTITION OF \(plain).parted FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
            "GRANT SELECT ON \(plain).\"B\" TO \(q(role)) WITH GRANT OPTION",
            "GRANT INSERT ON \(plain).\"B\" TO PUBLIC",
            "ALTER TABLE \(plain).\"Z1\" OWNER TO \(q(group))",
            "GRANT USAGE ON SCHEMA \(plain) TO \(q(role)) WITH GRANT OPTION",
            "GRANT USAGE ON SCHEMA \(weird), \(composed), \(decomposed), \(cjk), \(control) TO \(q(role))",
            // Field separators of the digest's text inside the names.
            "CREATE TABLE \(weird).\"ta:b;le#1\" (\"co:l;#\" integer, \"x\\y\" text, \"3:\" integer)",
            "CREATE TABLE \(weird).\"\(String(repeating: "n", count: 62))\" (\"1\" integer)",
            "CREATE TABLE \(composed).\"caf\u{E9}\" (\"na\u{EF}ve\" integer)",
            "CREATE TABLE \(decomposed).\"cafe\u{301}s\" (\"nai\u{308}ve\" integer)",
            "CREATE TABLE \(decomposed).\"f\" (id integer)",
            "CREATE TABLE \(cjk).\(q("\u{8868}\u{1F418}")) (\(q("\u{5217}")) \(cjk).\(q("\u{7C7B}\u{578B}")), \"tab\tstop\" integer)",
            "CREATE TABLE \(control).\"t\nu\" (\"c\r\" integer)",
        ]
    }

    @Test("Digests computed from the relations read equal the server's, byte for byte", arguments: TestPostgres.supported)
    func localEqualsServer(server: TestPostgres) async throws {
        try await withValidationFixture(server, governed: ["gov"]) { fixture in
            let database = fixture.settings.governedDatabases[0]
            let group = fixture.name("gr\"oup")
            try await fixture.admin("CREATE ROLE \(Self.q(group)) NOLOGIN")
            try await runAsAdmin(server, in: database, Self.statements(role: fixture.role, group: group))
            var parameters = try server.adminOverTCP(database: database)
            parameters.user = fixture.role
            parameters.password = fixture.password
            let role = fixture.role
            let (context, local, remote) = try await testExecutor.withConnection(parameters, deadline: .after(milliseconds: 30_000)) {
                (connection) throws(PostgresError) in
                let deadline = Deadline.after(milliseconds: 30_000)
                _ = try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", deadline: deadline)
                let context = try PostgresCatalog.digestContext(of: role, on: connection, deadline: deadline)
                let relations = try PostgresCatalog.syncedRelations(of: role, inSchemas: nil, on: connection, deadline: deadline)
                let local = LocalSchemaDigests.digests(of: relations, context: context)
                let remote = try PostgresCatalog.schemaDigests(of: role, on: connection, deadline: deadline)
                _ = try connection.query("COMMIT", deadline: deadline)
                return (context, local, remote)
            }
            #expect(context.isUTF8)
            let computed = try #require(local, "the digests were not computed here")
            let byBytes = remote.sorted { Array($0.schema.utf8).lexicographicallyPrecedes($1.schema.utf8) }
            #expect(computed.map { Array($0.schema.utf8) } == Self.schemas.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
            #expect(computed == byBytes)
            for (mine, theirs) in zip(computed, byBytes) where mine != theirs {
                Issue.record("schema \(PsqlScript.shown(mine.schema)): \(mine) here, \(theirs) on the server")
            }

            // The scan a first sync makes gives these digests, and a scan
            // with them stored reads only the schemas with names that are
            // not plain.
            let first = try await LiveTableScannerProbe.read(database, role: role, known: [:], parameters: parameters)
            #expect(first.schemasRead == nil)
            let known = first.digests.mapValues(\.digest)
            #expect(known.count == byBytes.count - 1, "é composed and decomposed are one key of a Swift dictionary")
            let again = try await LiveTableScannerProbe.read(database, role: role, known: known, parameters: parameters)
            let plainSchemas = Set(byBytes.filter(\.plainNames).map(\.schema))
            #expect(plainSchemas == [Self.schemas[0], Self.schemas[1]])
            #expect(again.schemasRead.map { $0.isDisjoint(with: plainSchemas) } == true)
            #expect(again.unchangedTables == byBytes.filter(\.plainNames).map(\.relations).reduce(0, +))
            #expect(again.unchangedTables == 9)
        }
    }

    @Test("A database not in UTF8 has its digests computed by the server", arguments: TestPostgres.supported)
    func otherEncodingsAskTheServer(server: TestPostgres) async throws {
        try await withValidationFixture(server, governed: []) { fixture in
            let database = fixture.name("latin1")
            try await fixture.admin("CREATE DATABASE \(Self.q(database)) ENCODING 'LATIN1' LOCALE 'C' TEMPLATE template0")
            try await runAsAdmin(server, in: database, [
                "CREATE SCHEMA \"caf\u{E9}\"", "CREATE TABLE \"caf\u{E9}\".\"na\u{EF}ve\" (\"\u{E9}t\u{E9}\" integer)",
                "GRANT USAGE ON SCHEMA \"caf\u{E9}\" TO \(Self.q(fixture.role))",
            ])
            var parameters = try server.adminOverTCP(database: database)
            parameters.user = fixture.role
            parameters.password = fixture.password
            let role = fixture.role
            let (context, remote) = try await testExecutor.withConnection(parameters, deadline: .after(milliseconds: 30_000)) {
                (connection) throws(PostgresError) in
                let deadline = Deadline.after(milliseconds: 30_000)
                return (
                    try PostgresCatalog.digestContext(of: role, on: connection, deadline: deadline),
                    try PostgresCatalog.schemaDigests(of: role, on: connection, deadline: deadline))
            }
            #expect(!context.isUTF8)
            let scan = try await LiveTableScannerProbe.read(database, role: role, known: [:], parameters: parameters)
            #expect(scan.tables.count == 1)
            #expect(scan.digests.mapValues(\.digest) == Dictionary(uniqueKeysWithValues: remote.map { ($0.schema, $0.digest) }))
        }
    }
}

/// `LiveTableScanner.read` on a connection of its own, as a sync's scan runs it.
enum LiveTableScannerProbe {
    static func read(
        _ database: String, role: String, known: [String: String], parameters: ConnectionParameters
    ) async throws -> DatabaseScan {
        try await testExecutor.withConnection(parameters, deadline: .after(milliseconds: 30_000)) {
            (connection) throws(PostgresError) -> DatabaseScan in
            try LiveTableScanner.read(database, role: role, known: known, on: connection, deadline: .after(milliseconds: 30_000))
        }
    }
}
