import Foundation
import Testing

/// The connection commands through the real binary and daemon, where no
/// PostgreSQL server is needed (register names its databases, so nothing is
/// discovered).
@Suite("steward connection (no database needed)", .timeLimit(.minutes(2)))
struct ConnectionCLITests {
    @Test("update --dry-run reports and changes nothing; deactivate, delete; then NOT_FOUND (exit 2)")
    func lifecycleThroughTheCLI() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]

        let register = try await registerWithoutDatabase("cli-db", socket: socket)
        #expect(register.status == 0, "\(register.standardError)")
        #expect(!register.standardOutput.contains("s3cret"))

        // A new port decides where the stored password goes: it needs the
        // password again, or --keep-password, even in a dry run.
        let noPassword = try await runCommand(Executables.steward, ["connection", "update", "cli-db", "--port", "6543", "--dry-run"] + socket)
        #expect(noPassword.status == 2)
        #expect(noPassword.standardError.contains("INVALID_ARGUMENT: password: is required when port changes"))
        let dryRun = try await runCommand(
            Executables.steward, ["connection", "update", "cli-db", "--port", "6543", "--dry-run", "--keep-password"] + socket)
        #expect(dryRun.status == 0, "\(dryRun.standardError)")
        #expect(dryRun.standardOutput.contains("Would change:\n  port: 5432 -> 6543"))
        #expect(dryRun.standardOutput.contains("The stored password would be kept for the new destination (--keep-password)."))
        #expect(dryRun.standardOutput.contains("It would need validating again"))
        let shown = try await runCommand(Executables.steward, ["connection", "show", "cli-db"] + socket)
        #expect(shown.standardOutput.contains("db.example.com:5432"))

        // A port out of range is a command-line mistake: 64, before any call
        // (the daemon refuses it too: ConnectionInputRulesTests).
        let badInput = try await runCommand(Executables.steward, ["connection", "update", "cli-db", "--port", "0"] + socket)
        #expect(badInput.status == 64)
        #expect(badInput.standardError.contains("--port must be between 1 and 65535, not 0"))

        let deleteEarly = try await runCommand(Executables.steward, ["connection", "delete", "cli-db"] + socket)
        #expect(deleteEarly.status == 2)
        #expect(deleteEarly.standardError.contains("FAILED_PRECONDITION"))
        #expect(deleteEarly.standardError.contains("deactivate it first"))

        #expect(try await runCommand(Executables.steward, ["connection", "deactivate", "cli-db"] + socket).status == 0)
        #expect(try await runCommand(Executables.steward, ["connection", "delete", "cli-db"] + socket).status == 0)
        let gone = try await runCommand(Executables.steward, ["connection", "show", "cli-db"] + socket)
        #expect(gone.status == 2)
        #expect(gone.standardError.contains("NOT_FOUND"))

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("--provision-missing-roles: a dry run shows false -> true and no validation; show prints it; --no- turns it off")
    func provisionMissingRolesThroughTheCLI() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        #expect(try await registerWithoutDatabase("cli-db", socket: socket).status == 0)
        let off = try await runCommand(Executables.steward, ["connection", "show", "cli-db"] + socket)
        #expect(off.standardOutput.contains("provision roles   no"))

        let update = ["connection", "update", "cli-db", "--provision-missing-roles"]
        let dryRun = try await runCommand(Executables.steward, update + ["--dry-run"] + socket)
        #expect(dryRun.status == 0, "\(dryRun.standardError)")
        #expect(dryRun.standardOutput.contains("Would change:\n  provision_missing_roles: false -> true"))
        #expect(!dryRun.standardOutput.contains("validating again"))
        #expect(try await runCommand(Executables.steward, ["connection", "show", "cli-db"] + socket).standardOutput.contains("provision roles   no"))

        let applied = try await runCommand(Executables.steward, update + socket)
        #expect(applied.status == 0, "\(applied.standardError)")
        let on = try await runCommand(Executables.steward, ["connection", "show", "cli-db"] + socket)
        #expect(on.standardOutput.contains("provision roles   yes"))
        #expect(on.standardOutput.contains("REGISTERED"))
        let json = try await runCommand(Executables.steward, ["connection", "show", "cli-db", "--json"] + socket)
        let compact = json.standardOutput.replacing(" ", with: "")
        #expect(compact.contains("\"provisionMissingRoles\":true") || compact.contains("\"provision_missing_roles\":true"), "\(json.standardOutput)")

        let back = try await runCommand(Executables.steward, ["connection", "update", "cli-db", "--no-provision-missing-roles"] + socket)
        #expect(back.standardOutput.contains("provision_missing_roles: true -> false"), "\(back.standardOutput)")

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("A password is never taken from the command line")
    func noPasswordFlag() async throws {
        let result = try await runCommand(Executables.steward, ["connection", "register", "x", "--password", "s3cret"])
        #expect(result.status == 64)
    }
}
