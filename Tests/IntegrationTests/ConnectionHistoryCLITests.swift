import Foundation
import Testing

/// `steward connection history` through the real binary and daemon.
@Suite("steward connection history", .timeLimit(.minutes(2)))
struct ConnectionHistoryCLITests {
    @Test("Every transition, oldest first: time, from, to, uid and user, reason; --json; an unknown key is exit 2")
    func history() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        let uid = getuid()

        #expect(try await registerWithoutDatabase("hist-db", socket: socket).status == 0)
        #expect(try await runCommand(Executables.steward, ["connection", "deactivate", "hist-db"] + socket).status == 0)

        let json = try await runCommand(Executables.steward, ["connection", "history", "hist-db", "--json"] + socket)
        #expect(json.status == 0, "\(json.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let rows = try #require(object["transitions"] as? [[String: Any]])
        #expect(rows.map { $0["fromState"] as? String } == ["CONNECTION_STATE_UNSPECIFIED", "CONNECTION_STATE_REGISTERED"])
        #expect(rows.map { $0["toState"] as? String } == ["CONNECTION_STATE_REGISTERED", "CONNECTION_STATE_INACTIVE"])
        #expect(rows.allSatisfy { ($0["actorUid"] as? Int) == Int(uid) })
        let names = rows.compactMap { $0["actorUserName"] as? String }
        let name = try #require(names.first)
        #expect(names == [name, name])
        let times = rows.compactMap { ($0["atUnixMs"] as? String).flatMap { Int64($0) } }
        #expect(times.count == 2 && times[0] <= times[1] && times[0] > 0)

        let text = try await runCommand(Executables.steward, ["connection", "history", "hist-db"] + socket)
        #expect(text.status == 0, "\(text.standardError)")
        let lines = text.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(text.standardOutput)")
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true)
            == ["TIME", "FROM", "TO", "UID", "USER", "REASON"])
        let cells = lines.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(cells.map { Array($0.dropFirst().prefix(4)) }
            == [["-", "REGISTERED", "\(uid)", name.isEmpty ? "-" : name], ["REGISTERED", "INACTIVE", "\(uid)", name.isEmpty ? "-" : name]],
            "\(text.standardOutput)")
        #expect(cells.allSatisfy { $0.count > 5 }, "every transition has a reason")

        let missing = try await runCommand(Executables.steward, ["connection", "history", "no-such"] + socket)
        #expect(missing.status == 2)
        #expect(missing.standardError.contains("NOT_FOUND"))

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }
}
