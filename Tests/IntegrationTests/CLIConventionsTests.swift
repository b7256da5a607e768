import Foundation
import Testing

/// What scripts and terminals can rely on from `steward`, by running it:
/// errors under --json as one JSON object on stderr, --color's values, and
/// command-line mistakes refused with 64 before anything is sent (no daemon
/// is running here, so a call would fail with 4 instead).
@Suite("steward CLI conventions", .timeLimit(.minutes(2)))
struct CLIConventionsTests {
    let nowhere = ["--socket", "/tmp/stw-none-\(UUID().uuidString.prefix(8))/steward.sock"]

    private func jsonError(_ result: CommandResult) throws -> [String: Any] {
        let lines = result.standardError.split(separator: "\n")
        try #require(lines.count == 1, "stderr is not one line: \(result.standardError)")
        return try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    }

    @Test func aFailedCallUnderJSONIsOneObjectOnStderr() async throws {
        let result = try await runCommand(Executables.steward, ["health", "--json"] + nowhere)
        #expect(result.status == 4)
        #expect(result.standardOutput.isEmpty)
        let error = try jsonError(result)
        #expect(error["code"] as? String == "UNAVAILABLE")
        #expect(error["status"] as? Int == 14)
        #expect(error["exitCode"] as? Int == 4)
        #expect((error["message"] as? String)?.contains("cannot reach stewardd at /tmp/stw-none-") == true)
    }

    @Test func aCommandLineMistakeUnderJSONIsUsage64() async throws {
        let result = try await runCommand(Executables.steward, ["server", "info", "--timeout", "0", "--json"] + nowhere)
        #expect(result.status == 64)
        let error = try jsonError(result)
        #expect(error["code"] as? String == "USAGE")
        #expect(error["exitCode"] as? Int == 64)
        #expect(error["status"] == nil)
        #expect((error["message"] as? String)?.contains("--timeout must be more than 0") == true)
    }

    @Test func anUnknownColorIsRefusedListingTheValidOnes() async throws {
        let result = try await runCommand(Executables.steward, ["health", "--color", "purple"] + nowhere)
        #expect(result.status == 64)
        #expect(result.standardError.contains("auto"), "\(result.standardError)")
        #expect(result.standardError.contains("always"))
        #expect(result.standardError.contains("never"))
    }

    @Test func verboseSaysWhichSocketAndWhy() async throws {
        let result = try await runCommand(Executables.steward, ["health", "--verbose"] + nowhere)
        #expect(result.status == 4)
        #expect(result.standardError.contains("steward: using /tmp/stw-none-"), "\(result.standardError)")
        #expect(result.standardError.contains("(from --socket)"))
        #expect(result.standardError.contains("start stewardd with --socket"))
    }

    @Test func deleteOnATerminalAsksFirstAndAWrongAnswerSendsNothing() async throws {
        let terminal = try TerminalSession(
            Executables.steward, ["connection", "delete", "sales"] + nowhere, directory: NSTemporaryDirectory())
        defer { terminal.stop() }
        try await terminal.waitFor("Delete connection sales and everything recorded about it? Type its key to confirm: ")
        terminal.send("yes")
        try await terminal.waitFor("nothing deleted")
        // 1, not 4: it never tried to reach the (absent) daemon.
        #expect(try await terminal.waitForExit() == 1)
    }

    @Test func deleteWithYesOnATerminalDoesNotAsk() async throws {
        let terminal = try TerminalSession(
            Executables.steward, ["connection", "delete", "sales", "--yes"] + nowhere, directory: NSTemporaryDirectory())
        defer { terminal.stop() }
        #expect(try await terminal.waitForExit() == 4)
        #expect(!terminal.transcript.contains("Type its key"))
    }

    /// Each refused with 64 and a message naming the mistake (and, for a
    /// value from a fixed set, the valid ones), before a call: with no
    /// daemon, getting as far as a call would exit 4.
    @Test(arguments: [
        (["connection", "register", "sales", "--host", "db", "--password-stdin"], "--deployment is required: NEON or SELF_MANAGED"),
        (["connection", "register", "sales", "--deployment", "self-managed", "--port", "70000"], "--port must be between 1 and 65535, not 70000"),
        (["connection", "update", "sales", "--port", "0"], "--port must be between 1 and 65535, not 0"),
        (["connection", "register", "sales", "--deployment", "cloud"], "--deployment must be NEON or SELF_MANAGED, not CLOUD"),
        (["connection", "list", "--state", "asleep"], "use one of REGISTERED, VALIDATED, VALIDATION_FAILED, ACTIVE, UNHEALTHY, INACTIVE"),
        (["audit", "--method", "Connections/Regster"], "unknown method Connections/Regster; use one of "),
    ])
    func commandLineMistakesExit64BeforeAnyCall(arguments: [String], message: String) async throws {
        let result = try await runCommand(Executables.steward, arguments + nowhere, standardInput: "pw\n")
        #expect(result.status == 64, "\(result.standardError)")
        #expect(result.standardError.contains(message), "\(result.standardError)")
        if arguments.contains("--method") { #expect(result.standardError.contains("Connections/Register")) }
    }
}
