import PostgresTestSupport
import StewardPostgres
import Testing

/// Names an attacker, a careless admin or another language might choose.
let hostileNames = [
    "a\"b; DROP TABLE x; --",
    "semi;colon",
    "back\\slash",
    "it's",
    "MixedCase",
    "ünïcödé ß 名前",
    String(repeating: "é", count: 31) + "x",  // exactly 63 bytes of UTF-8
]

@Suite("Quoting round trips through real PostgreSQL", .timeLimit(.minutes(2)))
struct QuotingRoundTripTests {
    @Test("Hostile names survive as schema and table names, and hostile values as literals", arguments: TestPostgres.supported)
    func roundTrip(server: TestPostgres) async throws {
        #expect(hostileNames.last?.utf8.count == 63)
        let suffix = uniqueName("")
        let outcome = try await withAdmin(server) { connection -> [(String, String, String)] in
            var seen: [(String, String, String)] = []
            for (index, name) in hostileNames.enumerated() {
                // Unique per run, still hostile, still at most 63 bytes.
                let schema = index == hostileNames.count - 1 ? name : name + suffix
                try connection.run("CREATE SCHEMA \(SQLQuoting.identifier(schema))")
                defer { _ = try? connection.run("DROP SCHEMA \(SQLQuoting.identifier(schema)) CASCADE") }
                try connection.run("CREATE TABLE \(SQLQuoting.qualified(schema, name)) (v text)")
                try connection.run("INSERT INTO \(SQLQuoting.qualified(schema, name)) VALUES (\(SQLQuoting.literal(name)))")
                let row = try connection.run(
                    "SELECT n.nspname, c.relname, (SELECT v FROM \(SQLQuoting.qualified(schema, name)) WHERE v = \(SQLQuoting.literal(name))) AS v "
                        + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
                    [schema]
                ).rows[0]
                seen.append((try row.string("nspname"), try row.string("relname"), try row.string("v")))
                #expect(try row.string("nspname") == schema)
            }
            return seen
        }
        #expect(outcome.map(\.1) == hostileNames)
        #expect(outcome.map(\.2) == hostileNames)
    }

    @Test("A literal with a backslash means the same with standard_conforming_strings off", arguments: TestPostgres.supported)
    func backslashLiteral(server: TestPostgres) async throws {
        let value = "C:\\path\\it's"
        let read = try await withAdmin(server) { connection in
            try connection.run("SET standard_conforming_strings = off")
            return try connection.run("SELECT \(SQLQuoting.literal(value)) AS v").rows[0].string("v")
        }
        #expect(read == value)
    }
}
