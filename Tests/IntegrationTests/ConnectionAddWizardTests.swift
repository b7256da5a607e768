import Foundation
import PostgresTestSupport
import StewardPostgres
import StewardWire
import Testing

/// `steward connection add` on a pseudo-terminal, against the real daemon and
/// real PostgreSQL 17: every prompt answered as a person would, including a
/// bad display name and a bad port that are asked again.
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
            try await terminal.waitFor("1) NEON  2) SELF_MANAGED")
            terminal.send("2")
            try await terminal.waitFor("Display name")
            terminal.send("connection")
            try await terminal.waitFor("is a reserved word")
            try await terminal.waitFor("Display name")
            terminal.send(key)
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
            try await terminal.waitFor("PASSED")
            try await terminal.waitFor("Complete setup? [Y/n]: ")
            terminal.send("y")
            let status = try await terminal.waitForExit()
            let output = terminal.transcript
            #expect(status == 0, "\(output)")
            #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("ACTIVE"), "\(output)")
            #expect(!output.contains(password), "the password is never echoed or printed")
        } catch {
            Issue.record("\(error)")
        }

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

    @Test("a name the daemon refuses is asked again; a failed validation can stop with the connection registered")
    func refusedNameAndStop() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        let suffix = String(UInt32.random(in: 0...UInt32.max))
        let taken = "taken-\(suffix)"
        let key = "fresh-\(suffix)"
        let target = try TestPostgres.pg17.adminOverTCP()
        let register = try await runCommand(
            Executables.steward,
            ["connection", "register", taken, "--deployment", "self-managed", "--host", target.host, "--port", String(target.port),
             "--state-database", "nope_state", "--database", "nope_db", "--username", "nope_role_\(suffix)", "--password-stdin"] + socket,
            standardInput: "pw\n")
        #expect(register.status == 0, "\(register.standardError)")

        let terminal = try TerminalSession(Executables.steward, ["connection", "add"] + socket, directory: directory)
        defer { terminal.stop() }
        do {
            let answers: [(String, String)] = [
                ("2) SELF_MANAGED", "2"), ("Display name", taken), ("Hostname", target.host), ("Port [5432]: ", String(target.port)),
                ("State database", "nope_state"), ("Databases to govern", "nope_db"), ("Username", "nope_role_\(suffix)"),
            ]
            for (prompt, answer) in answers {
                try await terminal.waitFor(prompt)
                terminal.send(answer)
            }
            try await terminal.waitFor("Password for")
            try await terminal.waitForEchoOff()
            terminal.send("pw")
            try await terminal.waitFor("sslmode (")
            terminal.send("")
            try await terminal.waitFor("CA certificate file")
            terminal.send("")
            // The daemon's answer is authoritative: back to the display name.
            try await terminal.waitFor("ALREADY_EXISTS")
            try await terminal.waitFor("Display name")
            terminal.send(key)
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

    @Test("standard input that is not a terminal is refused with exit 64")
    func refusesWithoutTerminal() async throws {
        let result = try await runCommand(
            Executables.steward, ["connection", "add", "--socket", "/nonexistent/steward.sock"], standardInput: "2\nname\n")
        #expect(result.status == 64)
        #expect(result.standardError.contains("steward connection add is interactive; use steward connection register in scripts"))
        #expect(result.standardOutput.isEmpty)
    }
}
