import Foundation
import PostgresTestSupport
import StewardPostgres
import StewardWire
import Testing

/// The product's path, through the real CLI, the real daemon and real
/// PostgreSQL: register, write the script, run it with psql, validate,
/// complete setup.
@Suite("Connections end to end", .timeLimit(.minutes(2)))
struct ConnectionsEndToEndTests {
    @Test("register → script (run twice) → validate → complete makes the connection ACTIVE, with hostile names", arguments: TestPostgres.supported)
    func registerToActive(server: TestPostgres) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        let suffix = String(UInt32.random(in: 0...UInt32.max))
        let role = "E2e \"role\"; \(suffix)"
        let governed = "a\"b; DROP TABLE x; -- ü \(suffix)"
        let stateDatabase = "État 'state' \\ \(suffix)"
        let schema = "Mixed;Case \(suffix)"
        let key = "e2e-\(server)-\(suffix)"
        try await withAdmin(server) { admin in
            try admin.run("CREATE ROLE \(SQLQuoting.identifier(role)) LOGIN PASSWORD \(SQLQuoting.literal("pw-\(suffix)"))")
            try admin.run("CREATE DATABASE \(SQLQuoting.identifier(governed))")
        }
        try await withAdmin(server, database: governed) { admin in
            try admin.run("CREATE SCHEMA \(SQLQuoting.identifier(schema))")
            try admin.run("CREATE TABLE \(SQLQuoting.qualified(schema, "Orders; --")) (id int)")
            try admin.run("CREATE TABLE public.plain (id int)")
        }
        let target = try server.adminOverTCP()

        let register = try await runCommand(
            Executables.steward,
            ["connection", "register", key, "--deployment", "self-managed", "--host", target.host, "--port", String(target.port),
             "--state-database", stateDatabase, "--database", governed, "--username", role, "--password-stdin"] + socket,
            standardInput: "pw-\(suffix)\n")
        #expect(register.status == 0, "\(register.standardError)")
        #expect(register.standardOutput.contains("REGISTERED"))

        let scriptPath = directory + "/setup.sql"
        let script = try await runCommand(Executables.steward, ["connection", "script", key, "--output", scriptPath] + socket)
        #expect(script.status == 0, "\(script.standardError)")
        // The hint can be pasted: the connection's real host and port.
        #expect(script.standardError.contains("psql -h \(target.host) -p \(target.port) -U postgres -d postgres -f \(scriptPath)"),
                "\(script.standardError)")

        // Before the script: validation fails, and says so with exit 2.
        let early = try await runCommand(Executables.steward, ["connection", "validate", key] + socket)
        #expect(early.status == 2)
        #expect(early.standardOutput.contains("[FAIL] state_database"))

        // Idempotent: a second run changes nothing and fails nothing.
        for _ in 1...2 {
            let psql = try await Psql.run(scriptAt: scriptPath, on: server)
            #expect(psql.status == 0, "\(psql.output)")
        }

        let validate = try await runCommand(Executables.steward, ["connection", "validate", key, "--json"] + socket)
        #expect(validate.status == 0, "\(validate.standardOutput)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(validate.standardOutput.utf8)) as? [String: Any])
        #expect((report["report"] as? [String: Any])?["passed"] as? Bool == true)

        let complete = try await runCommand(Executables.steward, ["connection", "complete", key] + socket)
        #expect(complete.status == 0, "\(complete.standardError)")
        #expect(complete.standardOutput.contains("ACTIVE"))

        // The list shows each connection's databases and its last validation's result and age.
        let list = try await runCommand(Executables.steward, ["connection", "list"] + socket)
        let row = try #require(list.standardOutput.split(separator: "\n").first { $0.hasPrefix(key + " ") }, "\(list.standardOutput)")
        #expect(list.standardOutput.hasPrefix("KEY"))
        #expect(row.contains("ACTIVE") && row.contains(governed), "\(row)")
        #expect(row.contains(/passed \d+[smhd] ago$/), "\(row)")

        let show = try await runCommand(Executables.steward, ["connection", "show", key, "--json"] + socket)
        #expect(!show.standardOutput.contains("pw-\(suffix)"), "the password never comes back")
        #expect(show.standardOutput.contains("[REDACTED]"))

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
        try await withAdmin(server) { admin in
            try admin.run("DROP DATABASE \(SQLQuoting.identifier(governed))")
            try admin.run("DROP DATABASE \(SQLQuoting.identifier(stateDatabase))")
            try admin.run("DROP OWNED BY \(SQLQuoting.identifier(role))")
            try admin.run("DROP ROLE \(SQLQuoting.identifier(role))")
        }
    }
}
