import Foundation
import Testing

/// What the daemon sends back can hold what a user typed: the real `steward`
/// prints control characters and bidi overrides as visible escapes, in
/// messages, tables and plain lines, never raw.
@Suite("The CLI escapes control characters", .timeLimit(.minutes(2)))
struct CLIEscapingTests {
    /// ESC sequences (clear screen, a colour), a carriage return and a
    /// newline that would forge a line, a C1 control and a right-to-left override.
    static let hostile = "x\u{1B}[2J\u{1B}[31mred\rover\nFORGED line\u{9B}c\u{202E}txt.exe"

    /// No raw control or bidi character; line breaks only between lines.
    private func expectClean(_ text: String, lines: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let raw = text.unicodeScalars.filter { scalar in
            scalar != "\n" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{202E}")
        }
        #expect(raw.isEmpty, "raw characters: \(raw.map { String($0.value, radix: 16) })", sourceLocation: sourceLocation)
        #expect(!text.contains("\nFORGED"), "a forged line in: \(text.debugDescription)", sourceLocation: sourceLocation)
    }

    @Test("An error message, the audit table and a mapping's PostgreSQL username print escapes")
    func escapes() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]

        // The daemon echoes the refused name in its message (stderr).
        let refused = try await runCommand(Executables.steward, ["user", "create", Self.hostile, "--uid", "4321"] + socket)
        #expect(refused.status == 2)
        expectClean(refused.standardError)
        #expect(refused.standardError.contains("x\\u{1B}[2J\\u{1B}[31mred\\rover\\nFORGED line\\u{9B}c\\u{202E}txt.exe"),
                "\(refused.standardError)")
        #expect(refused.standardError.hasSuffix("\n") && refused.standardError.filter { $0 == "\n" }.count == 1)

        // The audit table shows the attempt: target and message cells.
        let audit = try await runCommand(Executables.steward, ["audit"] + socket)
        #expect(audit.status == 0, "\(audit.standardError)")
        expectClean(audit.standardOutput)
        #expect(audit.standardOutput.contains("\\u{1B}[2J"), "\(audit.standardOutput)")

        // A PostgreSQL username may hold a bidi override (it is not a
        // control character): the mapping line and table print it escaped.
        let created = try await runCommand(Executables.steward, ["user", "create", "alice", "--uid", "4321"] + socket)
        #expect(created.status == 0, "\(created.standardError)")
        let mapped = try await runCommand(
            Executables.steward, ["mapping", "set", "alice", "--postgres-username", "ad\u{202E}nimda"] + socket)
        #expect(mapped.status == 0, "\(mapped.standardError)")
        expectClean(mapped.standardOutput)
        let shown = try await runCommand(Executables.steward, ["user", "show", "alice"] + socket)
        expectClean(shown.standardOutput)
        #expect(shown.standardOutput.contains("ad\\u{202E}nimda"), "\(shown.standardOutput)")

        // JSON is escaped by the encoder: still no raw control character.
        let json = try await runCommand(Executables.steward, ["audit", "--json"] + socket)
        #expect(json.status == 0)
        #expect(!json.standardOutput.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }
}
