import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

/// One policy-enforcement test's world on a real PostgreSQL server: a real
/// stewardd over its socket (SQLite registry), a connection taken to ACTIVE
/// by its own setup script, and subscriber LOGIN roles that log in for real.
/// Every database and role starts with `prefix` and a space, so
/// ``dropPrefixedObjects(_:on:)`` removes them afterwards.
final class LiveEnforcement: @unchecked Sendable {
    let server: TestPostgres
    /// Replaced by ``restartDaemon()``; used by one test task at a time.
    private(set) var daemon: DaemonProcess
    let prefix: String

    init(server: TestPostgres, daemon: DaemonProcess, prefix: String) {
        self.server = server
        self.daemon = daemon
        self.prefix = prefix
    }

    var key: String { "pe-\(server)-\(prefix.dropFirst(2))" }
    var connectionRole: String { "\(prefix) steward" }
    /// The ordinary role that owns the governed tables (not a superuser, so
    /// a DBA's grant as the owner is recorded as the owner's, not Steward's).
    var owner: String { "\(prefix) owner" }
    var governed: String { "\(prefix) gov" }
    var stateDatabase: String { "\(prefix) state" }
    /// The PostgreSQL role a Steward user is mapped to.
    func role(_ user: String) -> String { "\(prefix) \(user)" }
    func password(_ role: String) -> String { "pw-\(role.split(separator: " ").last ?? "")-\(prefix)" }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts the daemon, creates the server-side roles and database, runs
    /// `body`, and drops everything, pass or fail.
    static func with(_ server: TestPostgres, _ body: (LiveEnforcement) async throws -> Void) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let prefix = "pe\(UInt32.random(in: 0...UInt32.max))"
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let fixture = LiveEnforcement(server: server, daemon: daemon, prefix: prefix)
        let outcome: Result<Void, any Error>
        do {
            try await body(fixture)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        fixture.daemon.signal(SIGTERM)
        _ = try? await fixture.daemon.waitForExit()
        try await dropPrefixedObjects(prefix, on: server)
        try outcome.get()
    }

    /// Stops the daemon and starts it again on the same socket and state
    /// directory: what it knows afterwards is what it recorded.
    func restartDaemon() async throws {
        daemon.signal(SIGTERM)
        let status = try await daemon.waitForExit()
        guard status == 0 else { throw Failure(description: "stewardd exited \(status)") }
        daemon = try await DaemonProcess.start(socketPath: daemon.socketPath)
    }

    /// Runs the CLI against the daemon.
    func steward(_ arguments: [String], input: String? = nil) async throws -> CommandResult {
        try await runCommand(Executables.steward, arguments + ["--socket", daemon.socketPath], standardInput: input)
    }

    /// Runs the CLI and requires it to succeed.
    @discardableResult
    func stewardOK(_ arguments: [String], input: String? = nil) async throws -> CommandResult {
        let result = try await steward(arguments, input: input)
        guard result.status == 0 else {
            throw Failure(description: "steward \(arguments) exited \(result.status): \(result.standardError) \(result.standardOutput)")
        }
        return result
    }

    /// Runs `statements` as the superuser in the governed database.
    func admin(_ statements: String...) async throws {
        try await runAsAdmin(server, in: governed, statements)
    }

    func admin(_ statements: [String]) async throws {
        try await runAsAdmin(server, in: governed, statements)
    }

    /// Creates the roles and the governed database, registers the
    /// connection, runs its setup script with psql as the superuser,
    /// validates and completes setup (ACTIVE), then syncs.
    /// `more` runs in the governed database after the tables are made.
    func activate(subscribers: [String], schemas: [String], tables: [String], more: [String] = []) async throws {
        let q = SQLQuoting.identifier(_:)
        var roles = ["CREATE ROLE \(q(connectionRole)) LOGIN PASSWORD \(SQLQuoting.literal(password(connectionRole)))",
                     "CREATE ROLE \(q(owner)) NOLOGIN"]
        for user in subscribers {
            roles.append("CREATE ROLE \(q(role(user))) LOGIN PASSWORD \(SQLQuoting.literal(password(role(user))))")
        }
        try await runAsAdmin(server, roles + ["CREATE DATABASE \(q(governed))"])
        try await admin(schemas.map { "CREATE SCHEMA \(q($0)) AUTHORIZATION \(q(owner))" })
        try await admin(tables.flatMap { ["CREATE TABLE \($0) (id integer, note text)", "ALTER TABLE \($0) OWNER TO \(q(owner))"] })
        try await admin(more)

        let target = try server.adminOverTCP()
        try await stewardOK(
            ["connection", "register", key, "--deployment", "self-managed", "--host", target.host, "--port", String(target.port),
             "--state-database", stateDatabase, "--database", governed, "--username", connectionRole, "--password-stdin"],
            input: password(connectionRole) + "\n")
        let scriptPath = NSTemporaryDirectory() + "/steward-enforce-\(prefix).sql"
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        try await stewardOK(["connection", "script", key, "--output", scriptPath])
        let psql = try await Psql.run(scriptAt: scriptPath, on: server)
        guard psql.status == 0 else { throw Failure(description: "the setup script failed: \(psql.output)") }
        try await stewardOK(["connection", "validate", key])
        let complete = try await stewardOK(["connection", "complete", key])
        guard complete.standardOutput.contains("ACTIVE") else { throw Failure(description: complete.standardOutput) }
        try await stewardOK(["connection", "sync", key])
    }

    /// The SQLSTATE with which `sql` fails when `user`'s mapped role logs
    /// in to the governed database and runs it (the login's own failure
    /// counts), or nil when it succeeds.
    func sqlState(as user: String, _ sql: String) async throws -> String? {
        var parameters = try server.adminOverTCP(database: governed)
        parameters.user = role(user)
        parameters.password = password(role(user))
        let login = parameters
        return try await testExecutor.run { () throws(PostgresError) -> String? in
            let connection: PostgresConnection
            do throws(PostgresError) {
                connection = try PostgresConnection.connect(login, deadline: .after(milliseconds: 10_000))
            } catch {
                guard let state = error.sqlState else { throw error }
                return state
            }
            defer { connection.close() }
            do throws(PostgresError) {
                _ = try connection.query(sql, [], deadline: .after(milliseconds: 30_000))
                return nil
            } catch {
                guard let state = error.sqlState else { throw error }
                return state
            }
        }
    }

    /// Waits, with a deadline and no sleep, until `user`'s role holds (or no
    /// longer holds) `privilege` on `table`, as the catalog says: the
    /// background enforcement a change triggered has committed.
    func waitUntil(_ user: String, holds expected: Bool, _ privilege: String, on table: String) async throws {
        let role = role(user)
        let deadline = ContinuousClock.now + .seconds(60)
        try await withAdmin(server, database: governed) { connection in
            while true {
                let row = try connection.run(
                    "SELECT has_table_privilege($1::name, $2::text, $3::text)::text AS held", [role, table, privilege]).rows[0]
                if try row.string("held") == (expected ? "true" : "false") { return }
                guard ContinuousClock.now < deadline else {
                    throw Failure(description: "\(role) still \(expected ? "lacks" : "holds") \(privilege) on \(table) after 60 s")
                }
            }
        }
    }
}
