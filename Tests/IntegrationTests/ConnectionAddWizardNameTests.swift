import Foundation
import PostgresTestSupport
import Testing

/// `steward connection add` looks the name up before asking anything else:
/// a name taken by a connection past REGISTERED is asked again at once, and
/// one left REGISTERED can be resumed from the setup script to ACTIVE.
/// On a pseudo-terminal, against the real daemon and real PostgreSQL 17.
@Suite("Connection add wizard: the name first", .timeLimit(.minutes(2)))
struct ConnectionAddWizardNameTests {
    @Test("a malformed name is refused locally; a name taken past REGISTERED is asked again before any setting")
    func takenNameAskedAgainFirst() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        let suffix = String(UInt32.random(in: 0...UInt32.max))
        let taken = "taken-\(suffix)"
        let target = try TestPostgres.pg17.adminOverTCP()
        try await ConnectionAddWizardTests.register(
            taken, at: target, stateDatabase: "nope_state", governed: "nope_db", username: "nope_role_\(suffix)", password: "pw",
            socket: socket)
        // The role does not exist: validation fails and the connection leaves REGISTERED.
        _ = try await runCommand(Executables.steward, ["connection", "validate", taken] + socket)

        let terminal = try TerminalSession(Executables.steward, ["connection", "add"] + socket, directory: directory)
        defer { terminal.stop() }
        do {
            try await terminal.waitFor("Display name")
            terminal.send("bad name!")
            try await terminal.waitFor("may contain only letters, digits, '-' and '_'")
            try await terminal.waitFor("Display name")
            terminal.send(taken)
            try await terminal.waitFor("display name: \(taken) already exists (VALIDATION_FAILED); choose another name")
            let beforeNextSetting = try await terminal.waitFor("Display name")
            #expect(!beforeNextSetting.contains("SELF_MANAGED"), "nothing else is asked before the name: \(beforeNextSetting)")
            #expect(!beforeNextSetting.contains("Resume it"), "only a REGISTERED connection is offered for resuming")
            terminal.send("other-\(suffix)")
            try await terminal.waitFor("1) NEON  2) SELF_MANAGED")
        } catch {
            Issue.record("\(error)")
        }
        terminal.stop()
        let list = try await runCommand(Executables.steward, ["connection", "list"] + socket)
        #expect(!list.standardOutput.contains("other-\(suffix)"), "nothing was registered: \(list.standardOutput)")
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("a registration left REGISTERED is resumed: script, validate, complete to ACTIVE without asking the settings again")
    func resumeRegisteredToActive() async throws {
        let server = TestPostgres.pg17
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        let suffix = String(UInt32.random(in: 0...UInt32.max))
        let role = "wiz_resume_role_\(suffix)"
        let governed = "wiz_resume_sales_\(suffix)"
        let state = "wiz_resume_state_\(suffix)"
        let key = "wiz-resume-\(suffix)"
        let password = "pw-\(suffix)"
        try await ConnectionAddWizardTests.createRoleAndDatabase(server, role: role, password: password, database: governed)
        let target = try server.adminOverTCP()
        try await ConnectionAddWizardTests.register(
            key, at: target, stateDatabase: state, governed: governed, username: role, password: password, socket: socket)

        let terminal = try TerminalSession(Executables.steward, ["connection", "add"] + socket, directory: directory)
        defer { terminal.stop() }
        do {
            try await terminal.waitFor("Display name")
            terminal.send(key)
            try await terminal.waitFor("\(key) is already registered and its setup was not finished.")
            try await terminal.waitFor("Resume it (its saved settings; next the setup script)? [Y/n]: ")
            terminal.send("")
            try await terminal.waitFor("Resuming \(key).")
            try await terminal.waitFor("Write the setup script to [./steward-setup-\(key).sql]: ")
            terminal.send("")
            // The psql hint names the stored server.
            try await terminal.waitFor("psql -h \(target.host) -p \(target.port) ")
            try await terminal.waitFor("press Enter to validate")
            let psql = try await Psql.run(scriptAt: directory + "/steward-setup-\(key).sql", on: server)
            #expect(psql.status == 0, "\(psql.output)")
            terminal.send("")
            try await terminal.waitFor("Validation of \(key): ")
            let (status, output) = try await terminal.completeSetupAfterPassing()
            #expect(status == 0, "\(output)")
            #expect(output.contains("Setup complete: \(key) is ACTIVE"), "\(output)")
            #expect(output.contains("Sync later with: steward connection sync \(key)"), "\(output)")
            #expect(!output.contains("Deployment type: ") && !output.contains("Hostname") && !output.contains("Port [")
                    && !output.contains("Password for"),
                    "the saved settings are not asked again: \(output)")
        } catch {
            Issue.record("\(error)")
        }

        let connection = try await ConnectionAddWizardTests.show(key, socket: socket)
        #expect(connection.state == "CONNECTION_STATE_ACTIVE", "\(connection.json)")
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
        try await ConnectionAddWizardTests.drop(server, role: role, databases: [governed, state])
    }
}
