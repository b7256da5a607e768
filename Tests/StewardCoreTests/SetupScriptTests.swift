import Foundation
import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

@Suite("The setup script, run with psql on real servers", .timeLimit(.minutes(2)))
struct SetupScriptTests {
    /// Database names an administrator might really have, or an attacker choose.
    static func hostileDatabases(_ suffix: String) -> [String] {
        [
            "a\"b; DROP TABLE x; --\(suffix)",
            "Mixed=Case 'quoted' \\slash\(suffix)",
            String(String(repeating: "ü", count: 31 - suffix.count / 2)) + suffix + (suffix.count % 2 == 0 ? "z" : ""),
        ]
    }

    /// The owner role of a table in `database`, unique per run: the suffix
    /// goes first, because PostgreSQL cuts names at 63 bytes and the longest
    /// database name already fills them.
    static func owner(of database: String, _ suffix: String) -> String {
        "owner \(suffix) \(database)"
    }

    @Test("Runs twice on hostile names, and leaves every privilege Steward needs", arguments: TestPostgres.supported)
    func grantsEverything(server: TestPostgres) async throws {
        let suffix = String(UInt32.random(in: 0...UInt32.max) % 1_000_000)
        let role = "Steward \"role\" \(suffix)"
        let password = "pw-\(suffix)"
        let stateDatabase = "steward state ü \(suffix)"
        let databases = Self.hostileDatabases(suffix)
        let schema = "s'; DROP SCHEMA public; --\(suffix)"
        #expect(databases[2].utf8.count <= 63)

        try await withAdmin(server) { admin in
            try admin.run("CREATE ROLE \(SQLQuoting.identifier(role)) LOGIN PASSWORD \(SQLQuoting.literal(password))")
            for database in databases {
                try admin.run("CREATE DATABASE \(SQLQuoting.identifier(database))")
            }
        }
        for database in databases {
            try await withAdmin(server, database: database) { admin in
                try admin.run("CREATE SCHEMA \(SQLQuoting.identifier(schema))")
                try admin.run("CREATE TABLE \(SQLQuoting.qualified(schema, "T 1")) (id int)")
                try admin.run("CREATE TABLE public.plain (id int)")
                // A table owned by an ordinary role: the script grants membership in it.
                try admin.run("CREATE ROLE \(SQLQuoting.identifier(Self.owner(of: database, suffix))) NOLOGIN")
                try admin.run("ALTER TABLE \(SQLQuoting.qualified(schema, "T 1")) OWNER TO \(SQLQuoting.identifier(Self.owner(of: database, suffix)))")
            }
        }

        let settings = ConnectionSettings(
            displayName: "c\(suffix)", deploymentType: .selfManaged, host: "127.0.0.1", port: 5432,
            stateDatabase: stateDatabase, governedDatabases: databases, username: role, sslMode: .prefer)
        let script = SetupScript(connectionKey: "c\(suffix)", settings: settings, marker: "m-\(suffix)")
        let path = NSTemporaryDirectory() + script.fileName
        try (try script.text).write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }

        for run in 1...2 {
            let result = try await Psql.run(scriptAt: path, on: server)
            #expect(result.status == 0, "run \(run): \(result.output)")
        }

        // Everything Steward checks, as the role itself.
        var asRole = try server.adminOverTCP(database: stateDatabase)
        asRole.user = role
        asRole.password = password
        let marker = try await testExecutor.withConnection(asRole, deadline: .after(milliseconds: 10_000)) { (connection) throws(PostgresError) -> String? in
            try connection.query(
                "SELECT marker FROM steward.registration WHERE connection_key = $1", ["c\(suffix)"],
                deadline: .after(milliseconds: 10_000)
            ).rows.first?.string("marker")
        }
        #expect(marker == "m-\(suffix)")
        let attributes = try await withAdmin(server) { admin in
            try PostgresCatalog.roleAttributes(role, on: admin, deadline: .after(milliseconds: 10_000))
        }
        #expect(attributes?.canCreateRoles == true)
        for database in databases {
            var inDatabase = asRole
            inDatabase.database = database
            let picture = try await testExecutor.withConnection(inDatabase, deadline: .after(milliseconds: 10_000)) {
                (connection) throws(PostgresError) -> ([PostgresCatalog.SchemaAccess], [PostgresCatalog.TablePrivileges]) in
                let deadline = Deadline.after(milliseconds: 10_000)
                return (
                    try PostgresCatalog.schemaAccess(of: role, on: connection, deadline: deadline),
                    try PostgresCatalog.tablePrivileges(of: role, on: connection, deadline: deadline))
            }
            let schemas = picture.0
            #expect(schemas.allSatisfy { $0.hasUsage && $0.hasUsageWithGrantOption }, "\(database): \(schemas)")
            #expect(picture.1.count == 2)
            #expect(picture.1.allSatisfy { $0.hasAllPrivilegesWithGrantOption }, "\(database)")
            #expect(picture.1.allSatisfy { $0.canAlter }, "\(database): ALTER TABLE needs ownership or membership")
            #expect(Set(picture.1.map(\.name)) == ["T 1", "plain"])
        }

        try await withAdmin(server) { admin in
            for database in databases + [stateDatabase] {
                try admin.run("DROP DATABASE \(SQLQuoting.identifier(database))")
            }
            try admin.run("DROP OWNED BY \(SQLQuoting.identifier(role))")
            try admin.run("DROP ROLE \(SQLQuoting.identifier(role))")
            for database in databases {
                try admin.run("DROP ROLE \(SQLQuoting.identifier(Self.owner(of: database, suffix)))")
            }
        }
    }

    @Test("Stops at the first error with a clear message when the role is missing")
    func missingRole() async throws {
        let settings = ConnectionSettings(
            displayName: "x", deploymentType: .selfManaged, host: "127.0.0.1", port: 5432,
            stateDatabase: uniqueName("never_created"), governedDatabases: [], username: uniqueName("nobody"), sslMode: .prefer)
        let script = SetupScript(connectionKey: "x", settings: settings, marker: "m")
        let path = NSTemporaryDirectory() + uniqueName("script") + ".sql"
        try (try script.text).write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await Psql.run(scriptAt: path, on: .pg17)
        #expect(result.status != 0)
        #expect(result.output.contains("role \(settings.username) does not exist"))
        let created = try await withAdmin(.pg17) { admin in
            try admin.run("SELECT count(*) AS n FROM pg_database WHERE datname = $1", [settings.stateDatabase]).rows[0].int("n")
        }
        #expect(created == 0, "nothing after the failing step ran")
    }
}
