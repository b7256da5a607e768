import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

/// `PostgresCatalog.schemaDigests` on real PostgreSQL 16 and 17: a change
/// to anything sync stores about a relation (or judges its governability
/// from) changes its schema's digest and no other's; what sync does not
/// store (rows, statistics) changes nothing.
@Suite("Schema digests on real PostgreSQL", .timeLimit(.minutes(3)))
struct SchemaDigestTests {
    /// A fresh database with a LOGIN role and a NOLOGIN group; `body` gets
    /// a way to run statements as the administrator there (given the
    /// quoted role and group) and to read the digests as the role.
    static func withDatabase(
        _ server: TestPostgres,
        _ body: (_ admin: ([String]) async throws -> Void, _ digests: () async throws -> [String: PostgresCatalog.SchemaDigest],
                 _ role: String, _ group: String) async throws -> Void
    ) async throws {
        let database = uniqueName("digest")
        let role = uniqueName("digest_role")
        let group = uniqueName("digest_group")
        let password = "pw-\(UUID().uuidString)"
        let outcome: Result<Void, any Error>
        do {
            try await withAdmin(server) { connection in
                try connection.run("CREATE ROLE \(role) LOGIN PASSWORD \(SQLQuoting.literal(password))")
                try connection.run("CREATE ROLE \(group) NOLOGIN")
                try connection.run("CREATE DATABASE \(database)")
            }
            var parameters = try server.adminOverTCP(database: database)
            parameters.user = role
            parameters.password = password
            let readAs = parameters
            try await body(
                { statements in
                    try await withAdmin(server, database: database) { connection in
                        for statement in statements { try connection.run(statement) }
                    }
                },
                {
                    let found = try await testExecutor.withConnection(readAs, deadline: .after(milliseconds: 10_000)) {
                        (connection) throws(PostgresError) -> [PostgresCatalog.SchemaDigest] in
                        try PostgresCatalog.schemaDigests(of: role, on: connection, deadline: .after(milliseconds: 10_000))
                    }
                    return Dictionary(uniqueKeysWithValues: found.map { ($0.schema, $0) })
                },
                SQLQuoting.identifier(role), SQLQuoting.identifier(group))
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await withAdmin(server) { connection in
            try connection.run("DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
            try connection.run("DROP ROLE IF EXISTS \(role)")
            try connection.run("DROP ROLE IF EXISTS \(group)")
        }
        try outcome.get()
    }

    @Test("Every stored attribute and governability input changes its schema's digest, and only its schema's", arguments: TestPostgres.supported)
    func everyStoredAttributeChangesTheDigest(server: TestPostgres) async throws {
        try await Self.withDatabase(server) { admin, digests, role, group in
            try await admin([
                "CREATE TYPE public.mood AS ENUM ('calm')",
                "CREATE SCHEMA a", "CREATE SCHEMA b",
                "CREATE TABLE a.t1 (id integer, code varchar(10), m public.mood)",
                "CREATE VIEW a.v1 AS SELECT 1 AS one",
                "CREATE TABLE b.t1 (id integer, code varchar(10))",
            ])
            var before = try await digests()
            #expect(Set(before.keys) == ["a", "b"])
            #expect(before["a"]?.relations == 2 && before["b"]?.relations == 1)
            #expect(before.values.allSatisfy { $0.digest.count == 64 && $0.plainNames })
            let changes: [(String, [String])] = [
                ("a table renamed", ["ALTER TABLE a.t1 RENAME TO t1x"]),
                ("a table added", ["CREATE TABLE a.t2 (x integer)"]),
                ("a table dropped", ["DROP TABLE a.t2"]),
                ("a column renamed", ["ALTER TABLE a.t1x RENAME COLUMN code TO code2"]),
                ("a column's type changed without a rewrite", ["ALTER TABLE a.t1x ALTER COLUMN code2 TYPE varchar(20)"]),
                ("a column added", ["ALTER TABLE a.t1x ADD COLUMN extra date"]),
                ("a column dropped (positions move)", ["ALTER TABLE a.t1x DROP COLUMN id"]),
                ("a relation's kind changed", ["DROP VIEW a.v1", "CREATE MATERIALIZED VIEW a.v1 AS SELECT 1 AS one"]),
                ("a privilege granted to the role", ["GRANT SELECT ON a.t1x TO \(role) WITH GRANT OPTION"]),
                ("a grant option revoked", ["REVOKE GRANT OPTION FOR SELECT ON a.t1x FROM \(role)"]),
                ("a privilege granted to PUBLIC", ["GRANT INSERT ON a.t1x TO PUBLIC"]),
                ("the owner changed", ["ALTER TABLE a.t1x OWNER TO \(group)"]),
                ("USAGE WITH GRANT OPTION on the schema", ["GRANT USAGE ON SCHEMA a TO \(role) WITH GRANT OPTION"]),
                ("a column's type renamed", ["ALTER TYPE public.mood RENAME TO feeling"]),
            ]
            for (change, statements) in changes {
                try await admin(statements)
                let after = try await digests()
                #expect(after["a"]?.digest != before["a"]?.digest, "\(change) left schema a's digest as it was")
                #expect(after["b"] == before["b"], "\(change) in schema a changed schema b's digest")
                before = after
            }
            // What sync does not store changes nothing.
            try await admin(["INSERT INTO a.t1x (code2) VALUES ('x')", "ANALYZE a.t1x", "CREATE INDEX ON a.t1x (code2)", "COMMENT ON TABLE a.t1x IS 'note'"])
            #expect(try await digests() == before)
            // The role's memberships decide what it may do with every
            // relation: a new one changes every schema's digest.
            try await admin(["GRANT \(group) TO \(role)"])
            let member = try await digests()
            #expect(member["a"]?.digest != before["a"]?.digest && member["b"]?.digest != before["b"]?.digest)
            // A schema emptied is no longer listed.
            try await admin(["DROP TABLE b.t1"])
            #expect(try await digests()["b"] == nil)
        }
    }

    @Test("The digest is of the content, unambiguously: alike schemas share it, a moved name boundary does not", arguments: TestPostgres.supported)
    func digestIsTheContents(server: TestPostgres) async throws {
        try await Self.withDatabase(server) { admin, digests, _, _ in
            try await admin([
                "CREATE SCHEMA c", "CREATE SCHEMA d", "CREATE SCHEMA e", "CREATE SCHEMA f",
                "CREATE TABLE c.t (ab integer, c integer)", "CREATE TABLE d.t (ab integer, c integer)",
                // Concatenated naively these read as c's: "abc" either way.
                "CREATE TABLE e.t (a integer, bc integer)",
                "CREATE TABLE f.ta (b integer, c integer)",
            ])
            let found = try await digests()
            #expect(found["c"]?.digest == found["d"]?.digest)
            #expect(Set(["c", "e", "f"].compactMap { found[$0]?.digest }).count == 3)
        }
    }

    @Test("A schema with a name that is not printable ASCII is marked so (sync reads it whole every time)", arguments: TestPostgres.supported)
    func plainNames(server: TestPostgres) async throws {
        try await Self.withDatabase(server) { admin, digests, _, _ in
            try await admin([
                "CREATE SCHEMA plain", "CREATE TABLE plain.t (id integer)",
                "CREATE SCHEMA odd", "CREATE TABLE odd.\"line\nbreak\" (id integer)",
                "CREATE SCHEMA accents", "CREATE TABLE accents.t (\"naïve\" integer)",
            ])
            let found = try await digests()
            #expect(found["plain"]?.plainNames == true)
            #expect(found["odd"]?.plainNames == false)
            #expect(found["accents"]?.plainNames == false)
        }
    }
}
