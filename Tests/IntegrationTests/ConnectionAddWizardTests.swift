import Foundation
import PostgresTestSupport
import StewardPostgres
import StewardStore
import StewardWire
import Testing

/// `steward connection add` on a pseudo-terminal, against the real daemon and
/// real PostgreSQL 17: every prompt answered as a person would, including a
/// bad display name and a bad port that are asked again, and a failed
/// validation fixed by editing a setting.
@Suite("Connection add wizard", .timeLimit(.minutes(2)))
struct ConnectionAddWizardTests {
    @Test("the guided walk registers, writes the script, validates and completes setup")
    func guidedWalkToActive() async throws {
        let server = TestPostgres.pg17
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        let suffix = String(UInt32.random(in: 0...UInt32.max))
        let role = "wiz_role_\(suffix)"
        let governed = "wiz_sales_\(suffix)"
        let state = "wiz_state_\(suffix)"
        let key = "wiz-\(suffix)"
        let password = "pw-\(suffix)"
        try await withAdmin(server) { admin in
            try admin.run("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'")
            try admin.run("CREATE DATABASE \(governed)")
        }
        _ = try await withAdmin(server, database: governed) { admin in
            try admin.run("CREATE TABLE orders (id int)")
        }
        let target = try server.adminOverTCP()

        let terminal = try TerminalSession(Executables.steward, ["connection", "add"] + socket, directory: directory)
        defer { terminal.stop() }
        do {
            try await terminal.waitFor("Display name")
            terminal.send("connection")
            try await terminal.waitFor("is a reserved word")
            try await terminal.waitFor("Display name")
            terminal.send(key)
            try await terminal.waitFor("1) NEON  2) SELF_MANAGED")
            terminal.send("2")
            try await terminal.waitFor("Hostname")
            terminal.send(target.host)
            try await terminal.waitFor("Port [5432]: ")
            terminal.send("99999")
            try await terminal.waitFor("\"99999\" is not a port")
            try await terminal.waitFor("Port [5432]: ")
            terminal.send(String(target.port))
            try await terminal.waitFor("State database")
            terminal.send(state)
            try await terminal.waitFor("Databases to govern")
            terminal.send(governed)
            try await terminal.waitFor("Username")
            terminal.send(role)
            try await terminal.waitFor("Password for \(role)")
            // PasswordInput prints the prompt, then turns echo off (flushing
            // input): type only once echo is off.
            try await terminal.waitForEchoOff()
            terminal.send(password)
            try await terminal.waitFor("sslmode (disable")
            terminal.send("")
            try await terminal.waitFor("CA certificate file")
            terminal.send("")
            try await terminal.waitFor("Saved: \(key) is REGISTERED")
            try await terminal.waitFor("Write the setup script to [./steward-setup-\(key).sql]: ")
            terminal.send("")
            try await terminal.waitFor("psql -h")
            try await terminal.waitFor("press Enter to validate (or type q to stop here)")

            let scriptPath = directory + "/steward-setup-\(key).sql"
            let script = try String(contentsOfFile: scriptPath, encoding: .utf8)
            #expect(terminal.transcript.contains(script.split(separator: "\n").first.map(String.init) ?? "<empty script>"),
                    "the script is shown")
            let psql = try await Psql.run(scriptAt: scriptPath, on: server)
            #expect(psql.status == 0, "\(psql.output)")

            terminal.send("")
            try await terminal.waitFor("Validation of \(key): ")
            // The first sync, accepted at the end: the governed table becomes a data source.
            let (status, output) = try await terminal.completeSetupAfterPassing(sync: true)
            #expect(status == 0, "\(output)")
            #expect(output.contains("Setup complete: \(key) is ACTIVE"), "\(output)")
            #expect(output.contains("\(governed): 1 table"), "\(output)")
            #expect(output.contains("1 added, 0 updated, 0 disabled, 0 unchanged"), "\(output)")
            #expect(!output.contains(password), "the password is never echoed or printed")
        } catch {
            Issue.record("\(error)")
        }

        let sources = try await runCommand(Executables.steward, ["source", "list", "--connection", key, "--json"] + socket)
        #expect(sources.standardOutput.contains("orders"), "the sync stored the table: \(sources.standardOutput)\(sources.standardError)")
        let show = try await runCommand(Executables.steward, ["connection", "show", key] + socket)
        #expect(show.status == 0, "\(show.standardError)")
        #expect(show.standardOutput.contains("ACTIVE"), "\(show.standardOutput)")

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
        try await withAdmin(server) { admin in
            try admin.run("DROP DATABASE IF EXISTS \(governed)")
            try admin.run("DROP DATABASE IF EXISTS \(state)")
            try admin.run("DROP OWNED BY \(role)")
            try admin.run("DROP ROLE \(role)")
        }
    }

    @Test("a REGISTERED name not resumed is asked again; a failed validation can stop with the connection registered")
    func refusedNameAndStop() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        let suffix = String(UInt32.random(in: 0...UInt32.max))
        let taken = "taken-\(suffix)"
        let key = "fresh-\(suffix)"
        let target = try TestPostgres.pg17.adminOverTCP()
        try await Self.register(
            taken, at: target, stateDatabase: "nope_state", governed: "nope_db", username: "nope_role_\(suffix)", password: "pw",
            socket: socket)

        let terminal = try TerminalSession(Executables.steward, ["connection", "add"] + socket, directory: directory)
        defer { terminal.stop() }
        do {
            // A REGISTERED name is offered for resuming; declined, the name is asked again.
            try await terminal.waitFor("Display name")
            terminal.send(taken)
            try await terminal.waitFor("\(taken) is already registered and its setup was not finished.")
            try await terminal.waitFor("Resume it (its saved settings; next the setup script)? [Y/n]: ")
            terminal.send("n")
            try await terminal.answer(TerminalSession.selfManagedSettings(
                key: key, host: target.host, port: String(target.port), stateDatabase: "nope_state", governed: "nope_db",
                username: "nope_role_\(suffix)"))
            try await terminal.enterPasswordKeepingTLSDefaults("pw", at: "Password for")
            try await terminal.waitFor("Saved: \(key) is REGISTERED")
            try await terminal.waitFor("Write the setup script to [")
            terminal.send("")
            try await terminal.waitFor("press Enter to validate")
            terminal.send("")
            try await terminal.waitFor("FAILED")
            try await terminal.waitFor("[r] re-validate (after fixing in the database), [e] edit settings, [q] quit: ")
            terminal.send("q")
            try await terminal.waitFor("stays registered")
            #expect(try await terminal.waitForExit() == 0, "\(terminal.transcript)")
            #expect(terminal.transcript.contains("steward connection validate \(key)"))
        } catch {
            Issue.record("\(error)")
        }
        let show = try await runCommand(Executables.steward, ["connection", "show", key] + socket)
        #expect(show.standardOutput.contains("VALIDATION_FAILED"), "\(show.standardOutput)\(show.standardError)")
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("a validation failed on a wrong port: edit the port, rewrite the script, validate again and complete to ACTIVE")
    func failedValidationEditPortToActive() async throws {
        let server = TestPostgres.pg17
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        let suffix = String(UInt32.random(in: 0...UInt32.max))
        let role = "wiz_port_role_\(suffix)"
        let governed = "wiz_port_sales_\(suffix)"
        let state = "wiz_port_state_\(suffix)"
        let key = "wiz-port-\(suffix)"
        let password = "pw-\(suffix)"
        try await Self.createRoleAndDatabase(server, role: role, password: password, database: governed)
        let target = try server.adminOverTCP()
        let closedPort = "1"  // nothing listens on port 1 here

        let terminal = try TerminalSession(Executables.steward, ["connection", "add"] + socket, directory: directory)
        defer { terminal.stop() }
        do {
            try await terminal.answer(TerminalSession.selfManagedSettings(
                key: key, host: target.host, port: closedPort, stateDatabase: state, governed: governed, username: role))
            try await terminal.enterPasswordKeepingTLSDefaults(password, at: "Password for \(role)")
            try await terminal.acceptSavedAndDefaultScriptFile(key: key)
            // The administrator runs the script on the real server: only the
            // port Steward was given is wrong.
            let scriptPath = directory + "/steward-setup-\(key).sql"
            let psql = try await Psql.run(scriptAt: scriptPath, on: server)
            #expect(psql.status == 0, "\(psql.output)")
            terminal.send("")
            try await terminal.waitFor("Validation of \(key): ")
            try await terminal.waitFor("FAILED")
            try await terminal.waitFor("cannot reach \(target.host):\(closedPort)")
            try await terminal.waitFor("[r] re-validate (after fixing in the database), [e] edit settings, [q] quit: ")
            terminal.send("e")
            try await terminal.waitFor("Change which setting?")
            try await terminal.waitFor("3) port")
            try await terminal.waitFor("Number, or Enter when done: ")
            terminal.send("3")
            try await terminal.waitFor("Port [\(closedPort)]: ")
            terminal.send(String(target.port))
            try await terminal.waitFor("Number, or Enter when done (changed: port): ")
            terminal.send("")
            try await terminal.waitFor("Changed:")
            try await terminal.waitFor("port: \(closedPort) -> \(target.port)")
            // The script names the server's port, so it changed with it.
            try await terminal.waitFor("The setup script changed with these settings. Rewrite it? [Y/n]: ")
            terminal.send("")
            try await terminal.waitFor("Write the setup script to [./steward-setup-\(key).sql]: ")
            terminal.send("")
            try await terminal.waitFor("psql -h \(target.host) -p \(target.port) ")
            try await terminal.waitFor("press Enter to validate")
            let rewritten = try String(contentsOfFile: scriptPath, encoding: .utf8)
            #expect(rewritten.contains("server at \(target.host):\(target.port)"), "\(rewritten)")
            terminal.send("")
            try await terminal.waitFor("Validation of \(key): ")
            let (status, output) = try await terminal.completeSetupAfterPassing()
            #expect(status == 0, "\(output)")
            #expect(output.contains("Setup complete: \(key) is ACTIVE"), "\(output)")
            #expect(output.contains("Sync later with: steward connection sync \(key)"), "the first sync was declined: \(output)")
            #expect(!output.contains(password), "the password is never echoed or printed")
        } catch {
            Issue.record("\(error)")
        }

        let connection = try await Self.show(key, socket: socket)
        #expect(connection.state == "CONNECTION_STATE_ACTIVE", "\(connection.json)")
        #expect(connection.port == target.port, "\(connection.json)")

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
        let history = try Self.history(of: key, stateDirectory: directory + "/state")
        #expect(history.map(\.to) == [.registered, .validationFailed, .registered, .validated, .active], "\(history)")
        // The wizard gives the password typed earlier again with a new port (the
        // daemon sends a stored password only where it was given for).
        #expect(history.dropFirst(2).first?.reason == "settings changed: port, password", "\(history)")
        try await Self.drop(server, role: role, databases: [governed, state])
    }

    @Test("a validation failed on a wrong password: edit the password, validate again at once and complete to ACTIVE")
    func failedValidationEditPasswordToActive() async throws {
        let server = TestPostgres.pg17
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        let suffix = String(UInt32.random(in: 0...UInt32.max))
        let role = "wiz_pw_role_\(suffix)"
        let governed = "wiz_pw_sales_\(suffix)"
        let state = "wiz_pw_state_\(suffix)"
        let key = "wiz-pw-\(suffix)"
        let password = "right-\(suffix)"
        let wrongPassword = "wrong-\(suffix)"
        try await Self.createRoleAndDatabase(server, role: role, password: password, database: governed)
        let target = try server.adminOverTCP()

        let terminal = try TerminalSession(Executables.steward, ["connection", "add"] + socket, directory: directory)
        defer { terminal.stop() }
        do {
            try await terminal.answer(TerminalSession.selfManagedSettings(
                key: key, host: target.host, port: String(target.port), stateDatabase: state, governed: governed, username: role))
            try await terminal.enterPasswordKeepingTLSDefaults(wrongPassword, at: "Password for \(role): ")
            try await terminal.acceptSavedAndDefaultScriptFile(key: key)
            let scriptPath = directory + "/steward-setup-\(key).sql"
            let script = try String(contentsOfFile: scriptPath, encoding: .utf8)
            let psql = try await Psql.run(scriptAt: scriptPath, on: server)
            #expect(psql.status == 0, "\(psql.output)")
            terminal.send("")
            try await terminal.waitFor("Validation of \(key): ")
            try await terminal.waitFor("FAILED")
            try await terminal.waitFor("password authentication failed for user")
            try await terminal.waitFor("[r] re-validate (after fixing in the database), [e] edit settings, [q] quit: ")
            terminal.send("e")
            try await terminal.waitFor("Change which setting?")
            try await terminal.waitFor("7) password")
            try await terminal.waitFor("Number, or Enter when done: ")
            terminal.send("7")
            try await terminal.waitFor("Password for \(role) (Enter keeps it): ")
            try await terminal.waitForEchoOff()
            terminal.send(password)
            try await terminal.waitFor("Number, or Enter when done (changed: password): ")
            terminal.send("")
            try await terminal.waitFor("Changed:")
            try await terminal.waitFor("password: [REDACTED] -> [REDACTED]")
            // The script does not hold the password: no rewrite, validation at once.
            let beforeValidation = try await terminal.waitFor("Validation of \(key): ")
            #expect(!beforeValidation.contains("Rewrite it?"), "\(beforeValidation)")
            #expect(!beforeValidation.contains("press Enter to validate"), "\(beforeValidation)")
            let (status, output) = try await terminal.completeSetupAfterPassing()
            #expect(status == 0, "\(output)")
            #expect(output.contains("Setup complete: \(key) is ACTIVE"), "\(output)")
            #expect(output.contains("Sync later with: steward connection sync \(key)"), "the first sync was declined: \(output)")
            #expect(!output.contains(password) && !output.contains(wrongPassword), "passwords are never echoed or printed")
            #expect(try String(contentsOfFile: scriptPath, encoding: .utf8) == script, "the script file is left as it was")
        } catch {
            Issue.record("\(error)")
        }

        // ACTIVE after a passing validation: the daemon now holds the right password.
        let connection = try await Self.show(key, socket: socket)
        #expect(connection.state == "CONNECTION_STATE_ACTIVE", "\(connection.json)")
        #expect(!connection.json.contains(password) && !connection.json.contains(wrongPassword))

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
        let history = try Self.history(of: key, stateDirectory: directory + "/state")
        #expect(history.map(\.to) == [.registered, .validationFailed, .registered, .validated, .active], "\(history)")
        #expect(history.dropFirst(2).first?.reason == "settings changed: password", "\(history)")
        try await Self.drop(server, role: role, databases: [governed, state])
    }

    // MARK: Helpers of the edit tests

    /// Registers `key` with `steward connection register` (SELF_MANAGED, the
    /// password on standard input), as a walk stopped before completing leaves it.
    static func register(
        _ key: String, at target: ConnectionParameters, stateDatabase: String, governed: String, username: String,
        password: String, socket: [String]
    ) async throws {
        let register = try await runCommand(
            Executables.steward,
            ["connection", "register", key, "--deployment", "self-managed", "--host", target.host, "--port", String(target.port),
             "--state-database", stateDatabase, "--database", governed, "--username", username, "--password-stdin"] + socket,
            standardInput: password + "\n")
        #expect(register.status == 0, "\(register.standardError)")
    }

    /// A login role with `password` and a database with one table to govern.
    static func createRoleAndDatabase(_ server: TestPostgres, role: String, password: String, database: String) async throws {
        try await withAdmin(server) { admin in
            try admin.run("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'")
            try admin.run("CREATE DATABASE \(database)")
        }
        _ = try await withAdmin(server, database: database) { admin in
            try admin.run("CREATE TABLE orders (id int)")
        }
    }

    static func drop(_ server: TestPostgres, role: String, databases: [String]) async throws {
        try await withAdmin(server) { admin in
            for database in databases { try admin.run("DROP DATABASE IF EXISTS \(database)") }
            try admin.run("DROP OWNED BY \(role)")
            try admin.run("DROP ROLE \(role)")
        }
    }

    /// The daemon's view of a connection, from `steward connection show KEY --json`.
    static func show(_ key: String, socket: [String]) async throws -> (state: String?, port: Int?, json: String) {
        let show = try await runCommand(Executables.steward, ["connection", "show", key, "--json"] + socket)
        #expect(show.status == 0, "\(show.standardError)")
        let response = try #require(try JSONSerialization.jsonObject(with: Data(show.standardOutput.utf8)) as? [String: Any])
        let connection = response["connection"] as? [String: Any]
        let settings = connection?["settings"] as? [String: Any]
        return (connection?["state"] as? String, (settings?["port"] as? NSNumber)?.intValue, show.standardOutput)
    }

    /// The connection's lifecycle history, read from the state directory
    /// once the daemon has stopped (the API does not serve it).
    static func history(of key: String, stateDirectory: String) throws -> [LifecycleTransition] {
        let directory = try StateDirectory.open(at: stateDirectory)
        defer { directory.close() }
        return try directory.store.transitions(key: key)
    }

    @Test("standard input that is not a terminal is refused with exit 64")
    func refusesWithoutTerminal() async throws {
        let result = try await runCommand(
            Executables.steward, ["connection", "add", "--socket", "/nonexistent/steward.sock"], standardInput: "2\nname\n")
        #expect(result.status == 64)
        #expect(result.standardError.contains("steward connection add is interactive; use steward connection register in scripts"))
        #expect(result.standardOutput.isEmpty)
    }
}
