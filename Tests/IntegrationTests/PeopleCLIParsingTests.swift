import Foundation
import Testing

/// The command lines of `steward user`, `mapping` and `audit`, through the
/// real binary but without a daemon: a refused command line exits 64 before
/// any call, and one that parses gets as far as the missing socket (exit 4).
@Suite("steward user, mapping and audit command lines", .timeLimit(.minutes(2)))
struct PeopleCLIParsingTests {
    /// A socket nobody listens on: reaching it proves the line parsed.
    static let noDaemon = ["--socket", "/tmp/stw-none/steward.sock"]

    @Test("Command lines that parse reach the socket (exit 4, UNAVAILABLE)", arguments: [
        ["user", "create", "alice", "--uid", "1001", "--grant", "APPLICATION_ADMIN", "--grant", "user_admin"],
        ["user", "create", "alice", "--uid", "root"],
        ["user", "grant", "alice", "user-admin"],
        ["user", "revoke", "alice", "Application_Admin"],
        ["mapping", "set", "alice", "--postgres-username", "alice_pg"],
        ["mapping", "set", "alice", "--iam-principal", "arn:aws:iam::123456789012:role/Analyst", "--connection", "sales"],
        ["mapping", "set", "alice", "--unset"],
        ["mapping", "set", "alice", "--none", "--connection", "sales"],
        ["mapping", "remove", "alice", "--connection", "sales"],
        ["mapping", "list", "--user", "alice", "--defaults-only"],
        ["mapping", "check", "--connection", "sales"],
        ["audit", "--since", "2h"],
        ["audit", "--since", "2026-11-29T10:00:00Z", "--until", "2026-11-30T10:00:00.5+02:00", "--outcome", "DENIED"],
        ["audit", "--since", "7d", "--method", "Connections/Register", "--uid", "0", "--limit", "5"],
    ])
    func parses(_ arguments: [String]) async throws {
        let result = try await runCommand(Executables.steward, arguments + Self.noDaemon)
        #expect(result.status == 4, "\(result.standardError)")
        #expect(result.standardError.contains("UNAVAILABLE"))
    }

    @Test("mapping set refuses no identity flag, or two", arguments: [
        ["mapping", "set", "alice"],
        ["mapping", "set", "alice", "--unset", "--none"],
        ["mapping", "set", "alice", "--postgres-username", "a", "--iam-principal", "arn:aws:iam::123456789012:user/a"],
    ])
    func oneIdentity(_ arguments: [String]) async throws {
        let result = try await runCommand(Executables.steward, arguments + Self.noDaemon)
        #expect(result.status == 64)
        #expect(result.standardError.contains("exactly one of --postgres-username, --iam-principal, --unset or --none"))
    }

    @Test("An unknown permission is refused, naming the allowed ones", arguments: [
        ["user", "grant", "alice", "superuser"],
        ["user", "revoke", "alice", "unspecified"],
        ["user", "create", "alice", "--uid", "1001", "--grant", "admin"],
    ])
    func unknownPermission(_ arguments: [String]) async throws {
        let result = try await runCommand(Executables.steward, arguments + Self.noDaemon)
        #expect(result.status == 64)
        #expect(result.standardError.contains("APPLICATION_ADMIN or USER_ADMIN"))
    }

    @Test("--uid names an OS user that must exist")
    func unknownOSUser() async throws {
        let result = try await runCommand(
            Executables.steward, ["user", "create", "alice", "--uid", "no-such-account-here"] + Self.noDaemon)
        #expect(result.status == 64)
        #expect(result.standardError.contains("no OS user named 'no-such-account-here'"))
    }

    @Test("Other wrong command lines exit 64", arguments: [
        ["audit", "--since", "yesterday"],
        ["audit", "--since", "2026-11-29T10:00:00"],
        ["audit", "--since", "2026-11-29T10:00:00Zjunk"],
        ["audit", "--since", "1h", "--until", "2h"],
        ["audit", "--outcome", "maybe"],
        ["audit", "--method", "Register"],
        ["audit", "--limit", "0"],
        ["mapping", "list", "--defaults-only", "--connection", "sales"],
        ["user", "create", "alice"],
    ])
    func refused(_ arguments: [String]) async throws {
        let result = try await runCommand(Executables.steward, arguments + Self.noDaemon)
        #expect(result.status == 64, "\(result.standardError)")
    }

    @Test("mapping import reads the file, or standard input for -")
    func importSources() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let notText = directory + "/latin1.csv"
        try Data([0x61, 0x2C, 0x2C, 0x4E, 0x4F, 0x4E, 0x45, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: notText))

        let fromStdin = try await runCommand(
            Executables.steward, ["mapping", "import", "-", "--dry-run"] + Self.noDaemon,
            standardInput: "user,connection,kind,value\nalice,,UNSET,\n")
        #expect(fromStdin.status == 4, "\(fromStdin.standardError)")

        let missing = try await runCommand(Executables.steward, ["mapping", "import", directory + "/none.csv"] + Self.noDaemon)
        #expect(missing.status == 64)
        #expect(missing.standardError.contains("cannot read \(directory)/none.csv"))

        let latin1 = try await runCommand(Executables.steward, ["mapping", "import", notText] + Self.noDaemon)
        #expect(latin1.status == 64)
        #expect(latin1.standardError.contains("is not UTF-8 text"))
    }
}
