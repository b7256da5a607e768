import Foundation
import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// Names that PostgreSQL accepts and that try to make psql, run by a
/// superuser, execute something: a line break, then a meta-command. The
/// setup script and the remediation SQL are generated for them and run with
/// real psql; the sentinel file must never appear, and the scripts must
/// still do their work.
@Suite("Hostile names in the setup script and remediation SQL, run with psql", .timeLimit(.minutes(3)))
struct HostileNamesTests {
    /// A sentinel path, and a file that `\i` would include to create it.
    struct Sentinel {
        let path = "/tmp/stw\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        var include: String { path + ".i" }

        /// The hostile tails: `\!` runs a shell command, `\i` includes a file
        /// (which runs `\!`), `\gexec` runs the query buffer's results. A
        /// space ends each path, whatever follows the name on its line.
        var payloads: [String] { ["\n\\! touch \(path) ", "\n\\i \(include) ", "\n\\gexec"] }

        func arm() throws {
            try "\\! touch \(path)\n".write(toFile: include, atomically: true, encoding: .utf8)
        }

        /// No file named like the sentinel, in case psql ran `touch` with
        /// more of the line than the path.
        func expectNeverRan(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let name = (path as NSString).lastPathComponent
            let touched = ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix(name) && $0 != name + ".i" }
            #expect(touched.isEmpty, "psql ran a command from \(what): \(touched)", sourceLocation: sourceLocation)
        }

        func clean() {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: include)
        }
    }

    /// Gives `fixture` a hostile role (logging in with the fixture's
    /// password), state database and governed databases, and in each
    /// governed database hostile schemas and tables, some owned by a role
    /// with a hostile name. Every name starts with the fixture's prefix, so
    /// the fixture drops them.
    func makeHostile(_ fixture: inout ValidationFixture, _ sentinel: Sentinel) async throws {
        let payloads = sentinel.payloads
        fixture.settings.username = fixture.name("role" + payloads[0])
        fixture.settings.stateDatabase = fixture.name("state" + payloads[1])
        fixture.settings.governedDatabases = [fixture.name("db" + payloads[0]), fixture.name("db" + payloads[2])]
        let owner = fixture.name("owner" + payloads[1])
        try await fixture.admin(
            "CREATE ROLE \(q(fixture.settings.username)) LOGIN PASSWORD \(SQLQuoting.literal(fixture.password))",
            "CREATE ROLE \(q(owner)) NOLOGIN")
        for database in fixture.settings.governedDatabases {
            try await fixture.admin("CREATE DATABASE \(q(database))")
            var statements: [String] = []
            for (index, payload) in payloads.enumerated() {
                let schema = "s\(index)" + payload
                statements += [
                    "CREATE SCHEMA \(q(schema))",
                    "CREATE TABLE \(SQLQuoting.qualified(schema, "t" + payload)) (id int)",
                    "CREATE TABLE \(SQLQuoting.qualified(schema, "owned" + payload)) (id int)",
                    "ALTER TABLE \(SQLQuoting.qualified(schema, "owned" + payload)) OWNER TO \(q(owner))",
                    // Read-only kinds: SELECT WITH GRANT OPTION only, and never a change of owner.
                    "CREATE VIEW \(SQLQuoting.qualified(schema, "v" + payload)) AS SELECT 1 AS x",
                    "CREATE MATERIALIZED VIEW \(SQLQuoting.qualified(schema, "m" + payload)) AS SELECT 1 AS x",
                    "ALTER MATERIALIZED VIEW \(SQLQuoting.qualified(schema, "m" + payload)) OWNER TO \(q(owner))",
                    // A partitioned table with a partition: the partition is governed through it.
                    "CREATE TABLE \(SQLQuoting.qualified(schema, "p" + payload)) (id int) PARTITION BY RANGE (id)",
                    "CREATE TABLE \(SQLQuoting.qualified(schema, "p1" + payload)) PARTITION OF \(SQLQuoting.qualified(schema, "p" + payload)) FOR VALUES FROM (0) TO (10)",
                ]
            }
            try await withAdmin(fixture.server, database: database) { [statements] admin in
                for statement in statements { try admin.run(statement) }
            }
        }
    }

    @Test("The remediation SQL of every failing check runs for hostile names, runs nothing else, and fixes it", arguments: TestPostgres.supported)
    func remediation(server: TestPostgres) async throws {
        let sentinel = Sentinel()
        try sentinel.arm()
        // Checked on every way out, a script that failed half-way included.
        defer {
            sentinel.expectNeverRan("a script")
            sentinel.clean()
        }
        try await withValidationFixture(server, governed: []) { fixture in
            try await makeHostile(&fixture, sentinel)
            var results = await fixture.validate()
            #expect(results[.stateDatabase].status == .failed, "\(results.dump)")
            for check in ValidationCheck.allCases
            where results[check].status == .failed {
                let sql = results[check].remediationSQL ?? ""
                #expect(!sql.contains("\n\\!") && !sql.contains("\n\\i") && !sql.contains("\n\\gexec"), "\(check.rawValue):\n\(sql)")
                results = try await fixture.expectRemediationFixes(check, in: results)
                sentinel.expectNeverRan("the remediation of \(check.rawValue)")
            }
            expectAllPassed(results)
            // The names are as PostgreSQL stores them, shown escaped in the report.
            #expect(results.allSatisfy { !$0.message.contains(sentinel.payloads[0]) })
        }
    }

    @Test("The setup script runs twice for hostile names (host too), runs nothing else, and leaves a passing validation", arguments: TestPostgres.supported)
    func setupScript(server: TestPostgres) async throws {
        let sentinel = Sentinel()
        try sentinel.arm()
        // Checked on every way out, a script that failed half-way included.
        defer {
            sentinel.expectNeverRan("a script")
            sentinel.clean()
        }
        try await withValidationFixture(server, governed: []) { fixture in
            try await makeHostile(&fixture, sentinel)
            // The host reaches only the script's header; Steward connects
            // with the fixture's real one.
            var scripted = fixture.settings
            scripted.host = "/tmp/sock" + sentinel.payloads[0]
            let text = try SetupScript(connectionKey: fixture.key, settings: scripted, marker: fixture.marker).text
            for payload in sentinel.payloads {
                #expect(!text.contains(payload), "a hostile tail appears raw in the script")
            }
            for _ in 1...2 {
                try await fixture.runSetupScript(scripted)
                sentinel.expectNeverRan("the setup script")
            }
            expectAllPassed(await fixture.validate())
            // The event trigger, for a hostile newcomer's hostile schema, table and view, created after setup.
            let newcomer = fixture.name("new" + sentinel.payloads[2])
            try await fixture.admin("CREATE ROLE \(q(newcomer)) NOLOGIN")
            for database in fixture.settings.governedDatabases {
                let schema = "late" + sentinel.payloads[1]
                try await fixture.admin("GRANT CREATE ON DATABASE \(q(database)) TO \(q(newcomer))")
                try await fixture.admin(in: database,
                    "SET ROLE \(q(newcomer))",
                    "CREATE SCHEMA \(q(schema))",
                    "CREATE TABLE \(SQLQuoting.qualified(schema, "t" + sentinel.payloads[0])) (id int)",
                    "CREATE VIEW \(SQLQuoting.qualified(schema, "v" + sentinel.payloads[2])) AS SELECT 1 AS x",
                    "RESET ROLE")
            }
            sentinel.expectNeverRan("the event trigger")
            expectAllPassed(await fixture.validate())
        }
    }
}
