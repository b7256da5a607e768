import Foundation
import Testing

/// The command lines of `steward connection sync` and `steward source`,
/// through the real binary but without a daemon: a refused command line
/// exits 64 before any call, and one that parses gets as far as the missing
/// socket (exit 4).
@Suite("steward connection sync and source command lines", .timeLimit(.minutes(2)))
struct SyncCLIParsingTests {
    /// A socket nobody listens on: reaching it proves the line parsed.
    static let noDaemon = ["--socket", "/tmp/stw-none/steward.sock"]

    @Test("Command lines that parse reach the socket (exit 4, UNAVAILABLE)", arguments: [
        ["connection", "sync", "sales"],
        ["connection", "sync", "sales", "--json", "--timeout", "120"],
        ["source", "list"],
        ["source", "list", "--json"],
        ["source", "list", "--connection", "sales", "--prefix", "sales.app.public.", "--state", "enabled"],
        ["source", "list", "--state", "DISABLED"],
        ["source", "list", "--prefix", "sales.app.public.order%_"],
        ["source", "show", "sales.app.public.orders"],
        ["source", "show", "sales.app.public.orders", "--json"],
    ])
    func parses(_ arguments: [String]) async throws {
        let result = try await runCommand(Executables.steward, arguments + Self.noDaemon)
        #expect(result.status == 4, "\(result.standardError)")
        #expect(result.standardError.contains("UNAVAILABLE"))
    }

    @Test("An unknown --state is refused, naming the allowed ones", arguments: [
        "gone", "unspecified", "DATA_SOURCE_STATE_ENABLED", "",
    ])
    func unknownState(_ state: String) async throws {
        let result = try await runCommand(Executables.steward, ["source", "list", "--state", state] + Self.noDaemon)
        #expect(result.status == 64)
        #expect(result.standardError.contains("the state must be enabled or disabled"))
    }

    @Test("Other wrong command lines exit 64", arguments: [
        ["connection", "sync"],
        ["connection", "sync", "sales", "hr"],
        ["connection", "sync", "sales", "--timeout", "0"],
        ["source", "show"],
        ["source", "show", "a", "b"],
        ["source", "list", "sales"],
        ["source", "list", "--state"],
        ["source", "list", "--limit", "5"],
    ])
    func refused(_ arguments: [String]) async throws {
        let result = try await runCommand(Executables.steward, arguments + Self.noDaemon)
        #expect(result.status == 64, "\(result.standardError)")
    }

    @Test("Both commands are listed where people look for them")
    func help() async throws {
        let connection = try await runCommand(Executables.steward, ["connection", "--help"])
        #expect(connection.status == 0)
        #expect(connection.standardOutput.contains("sync"))
        let root = try await runCommand(Executables.steward, ["--help"])
        #expect(root.status == 0)
        #expect(root.standardOutput.contains("source"))
    }
}
