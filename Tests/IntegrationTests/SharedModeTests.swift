import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

/// Shared mode: two real stewardd processes, each with its own state
/// directory and socket, serving one registry in PostgreSQL 17.
@Suite("Shared mode: two daemons, one registry", .timeLimit(.minutes(2)))
struct SharedModeTests {
    /// A fresh database on PostgreSQL 17, dropped afterwards, and the
    /// daemon's `--store-url` for it (the password travels in PGPASSWORD,
    /// as the flag's help advises, not in the URL).
    struct SharedRegistry {
        let server: TestPostgres
        let name: String
        let url: String
        let environment: [String: String]

        static func create(on server: TestPostgres = .pg17) async throws -> SharedRegistry {
            let name = uniqueName("steward_shared")
            _ = try await withAdmin(server) { connection in
                try connection.run("CREATE DATABASE \(SQLQuoting.identifier(name))")
            }
            let admin = try server.adminOverTCP(database: name)
            return SharedRegistry(
                server: server, name: name, url: "postgresql://\(admin.user)@\(admin.host):\(admin.port)/\(name)",
                environment: ["PGPASSWORD": try server.password])
        }

        func drop() async throws {
            let name = self.name
            _ = try await withAdmin(server) { connection in
                try connection.run("DROP DATABASE IF EXISTS \(SQLQuoting.identifier(name)) WITH (FORCE)")
            }
        }
    }

    func steward(_ arguments: [String], socket: String, input: String? = nil) async throws -> CommandResult {
        try await runCommand(Executables.steward, arguments + ["--socket", socket], standardInput: input)
    }

    func register(_ key: String, socket: String) async throws -> CommandResult {
        try await steward(
            ["connection", "register", key, "--deployment", "SELF_MANAGED", "--host", "db.example.internal",
             "--state-database", "steward_state", "--database", "sales", "--username", "steward", "--password-stdin"],
            socket: socket, input: "pw-\(key)\n")
    }

    @Test("What one daemon writes the other reads; the database decides races; a daemon without the key is refused")
    func twoDaemons() async throws {
        let registry = try await SharedRegistry.create()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let first = try await DaemonProcess.start(
                socketPath: directory + "/a/run/steward.sock",
                arguments: ["--state-dir", directory + "/a/state", "--store-url", registry.url],
                environment: registry.environment)

            // A second daemon without the registry's key file is refused, saying what to do.
            let keyless = try await runCommand(
                Executables.stewardd,
                ["--state-dir", directory + "/b/state", "--socket", directory + "/b/run/steward.sock",
                 "--store-url", registry.url],
                environment: registry.environment)
            #expect(keyless.status == 1)
            #expect(keyless.standardError.contains("copy registry.key from a daemon that serves this registry"),
                    "\(keyless.standardError)")
            #expect(!FileManager.default.fileExists(atPath: directory + "/b/state/registry.key"), "no stray key is left")

            // With a copy of the key it serves the same registry. This one
            // finds the registry's password in a password file, as libpq does.
            try FileManager.default.copyItem(atPath: directory + "/a/state/registry.key", toPath: directory + "/b/state/registry.key")
            let admin = try TestPostgres.pg17.adminOverTCP(database: registry.name)
            let passwordFile = directory + "/pgpass"
            try "\(admin.host):\(admin.port):\(registry.name):\(admin.user):\(try TestPostgres.pg17.password)\n"
                .write(toFile: passwordFile, atomically: true, encoding: .utf8)
            chmod(passwordFile, 0o600)
            let second = try await DaemonProcess.start(
                socketPath: directory + "/b/run/steward.sock",
                arguments: ["--state-dir", directory + "/b/state", "--store-url", registry.url],
                environment: ["PGPASSFILE": passwordFile])

            let registered = try await register("shared-one", socket: first.socketPath)
            #expect(registered.status == 0, "\(registered.standardError)")
            let shown = try await steward(["connection", "show", "shared-one", "--json"], socket: second.socketPath)
            #expect(shown.status == 0, "\(shown.standardError)")
            #expect(shown.standardOutput.contains("\"key\": \"shared-one\""))
            #expect(!shown.standardOutput.contains("pw-shared-one"), "secrets stay write-only")
            let info = try await steward(["server", "info", "--json"], socket: second.socketPath)
            #expect(info.standardOutput.contains("\"storeBackend\": \"postgresql\""), "\(info.standardOutput)")

            // Both daemons register the same key at once: exactly one wins.
            async let viaFirst = register("contested", socket: first.socketPath)
            async let viaSecond = register("contested", socket: second.socketPath)
            let outcomes = try await [viaFirst, viaSecond]
            #expect(outcomes.map(\.status).sorted() == [0, 2], "\(outcomes.map(\.standardError))")
            #expect(outcomes.contains { $0.standardError.contains("ALREADY_EXISTS") })

            // Each daemon's audit shows the other's writes: one trail.
            let audit = try await steward(["audit", "--method", "Connections/Register", "--json"], socket: second.socketPath)
            #expect(audit.standardOutput.components(separatedBy: "\"target\": \"contested\"").count - 1 == 2)

            first.signal(SIGTERM)
            second.signal(SIGTERM)
            #expect(try await first.waitForExit() == 0)
            #expect(try await second.waitForExit() == 0)
        } catch {
            try? await registry.drop()
            throw error
        }
        try await registry.drop()
    }
}
