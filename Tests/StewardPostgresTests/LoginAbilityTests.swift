import Foundation
import PostgresTestSupport
@testable import StewardPostgres
import Testing

@Suite("Which roles exist and may log in, on real PostgreSQL", .timeLimit(.minutes(2)))
struct LoginAbilityTests {
    /// Role names made to break a query that builds its list by hand: each
    /// is unique to the run and still at most 63 bytes, and each is created
    /// LOGIN or NOLOGIN as paired here.
    static func roles(unique prefix: String) -> [(name: String, canLogin: Bool)] {
        let exact = prefix + "_" + String(repeating: "x", count: 63 - prefix.utf8.count - 1)
        let exactMultibyte = prefix + "_é" + String(repeating: "y", count: 63 - prefix.utf8.count - 3)
        return [
            (prefix + "_login", true),
            (prefix + "_nologin", false),
            (prefix + "_dq\"x", true),
            (prefix + "_bs\\x", false),
            (prefix + "_bs_end\\", true),
            (prefix + "_sq'x", true),
            (prefix + "_comma,x", false),
            (prefix + "_braces}{x", true),
            (prefix + "_{\"a\",\"b\"}", false),
            (prefix + "_[1]", true),
            (prefix + "_ünï 名前 😀", true),
            (prefix + "_MixedCase", false),
            (prefix + "_tab\tnl\nx", true),
            (prefix + "_null\\u0000", false),
            (exact, true),
            (exactMultibyte, false),
        ]
    }

    @Test("LOGIN and NOLOGIN roles with hostile names are found exactly; missing roles are omitted", arguments: TestPostgres.supported)
    func hostileNames(server: TestPostgres) async throws {
        let prefix = uniqueName("la")
        let roles = Self.roles(unique: prefix)
        #expect(roles.filter { $0.name.utf8.count == 63 }.count == 2)
        let missing = [prefix + "_missing", prefix + "_mixedcase", prefix + "_login ", prefix + "_login".uppercased()]
        let asked = roles.map(\.name) + missing + [prefix + "_login"]  // one asked twice
        let (stored, found) = try await withAdmin(server) { connection -> (Set<String>, [String: Bool]) in
            defer {
                for role in roles { _ = try? connection.run("DROP ROLE IF EXISTS \(SQLQuoting.identifier(role.name))") }
            }
            for role in roles {
                try connection.run("CREATE ROLE \(SQLQuoting.identifier(role.name)) \(role.canLogin ? "LOGIN" : "NOLOGIN")")
            }
            let stored = try connection.run("SELECT rolname FROM pg_catalog.pg_roles WHERE starts_with(rolname, $1)", [prefix])
            return (
                Set(try stored.rows.map { (row) throws(PostgresError) -> String in try row.string("rolname") }),
                try PostgresCatalog.loginAbility(of: asked, on: connection, deadline: .after(milliseconds: 10_000)))
        }
        // The server stored each name exactly (nothing was truncated).
        #expect(stored == Set(roles.map(\.name)))
        #expect(found == Dictionary(uniqueKeysWithValues: roles.map { ($0.name, $0.canLogin) }))
        for name in missing { #expect(found[name] == nil) }
    }

    @Test("The server's own roles are reported too (the administrator can log in; pg_monitor cannot)", arguments: TestPostgres.supported)
    func builtInRoles(server: TestPostgres) async throws {
        let admin = try server.adminOverTCP().user
        let found = try await withAdmin(server) { connection in
            try PostgresCatalog.loginAbility(of: [admin, "pg_monitor", "public"], on: connection, deadline: .after(milliseconds: 10_000))
        }
        #expect(found == [admin: true, "pg_monitor": false])
    }

    @Test("An empty list answers [:] without a query", arguments: TestPostgres.supported)
    func emptyList(server: TestPostgres) async throws {
        let parameters = try server.adminOverTCP()
        let outcome = try await testExecutor.run { () throws(PostgresError) -> ([String: Bool], PostgresError?) in
            let connection = try PostgresConnection.connect(parameters, deadline: .after(milliseconds: 10_000))
            // A closed connection fails any query, so an answer proves none was sent.
            connection.close()
            let empty = try PostgresCatalog.loginAbility(of: [], on: connection, deadline: .after(milliseconds: 10_000))
            do throws(PostgresError) {
                _ = try PostgresCatalog.loginAbility(of: ["x"], on: connection, deadline: .after(milliseconds: 10_000))
                return (empty, nil)
            } catch {
                return (empty, error)
            }
        }
        #expect(outcome.0 == [:])
        #expect(outcome.1?.kind == .connectionLost, "a list with a name does query, and fails on the closed connection")
    }
}

@Suite("JSON arrays of role names", .timeLimit(.minutes(2)))
struct LoginAbilityJSONArrayTests {
    @Test("Quotes and backslashes are escaped; control characters become \\u00XX; everything else passes through")
    func escaping() {
        #expect(PostgresCatalog.jsonArray([]) == "[]")
        #expect(PostgresCatalog.jsonArray([""]) == "[\"\"]")
        #expect(PostgresCatalog.jsonArray(["a", "b"]) == "[\"a\",\"b\"]")
        #expect(PostgresCatalog.jsonArray(["a\"b"]) == #"["a\"b"]"#)
        #expect(PostgresCatalog.jsonArray(["a\\b"]) == #"["a\\b"]"#)
        #expect(PostgresCatalog.jsonArray(["\\\""]) == #"["\\\""]"#)
        #expect(PostgresCatalog.jsonArray(["\u{1}\t\n\r\u{1B}\u{1F}"]) == #"["\u0001\u0009\u000a\u000d\u001b\u001f"]"#)
        #expect(PostgresCatalog.jsonArray(["\u{0}"]) == #"["\u0000"]"#)
        #expect(PostgresCatalog.jsonArray([" ,{}[]:'/"]) == #"[" ,{}[]:'/"]"#)
        #expect(PostgresCatalog.jsonArray(["\u{7F}é名😀\u{2028}"]) == "[\"\u{7F}é名😀\u{2028}\"]")
    }

    @Test("Any list decodes back to itself with a standard JSON parser")
    func roundTrip() throws {
        let strings = [
            "", "plain", "a\"b", "back\\slash", "end\\", "\"", "\\", "it's", "a,b", "}{", "[1]", "\u{0}\u{1}\u{8}\u{C}\u{1F} ",
            "tab\tnl\ncr\r", "ünï 名前 😀", "\u{7F}\u{85}\u{2028}\u{2029}", String(repeating: "é", count: 40),
        ]
        let json = PostgresCatalog.jsonArray(strings)
        let decoded = try JSONDecoder().decode([String].self, from: Data(json.utf8))
        #expect(decoded == strings)
        #expect(!json.unicodeScalars.contains { $0.value < 0x20 }, "no raw control character is left")
    }
}
