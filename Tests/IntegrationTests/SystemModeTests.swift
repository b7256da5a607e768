import Foundation
import StewardClient
import StewardWire
import Testing

/// System mode for a team (DESIGN.md §6): one daemon whose socket directory
/// (0750) and socket (0660) belong to a group; members reach it through the
/// clients' lookup (no --socket: the system socket, found last), others get
/// the permission message and exit 7. Real OS users and a real group, so it
/// needs root (CI runs as root); the system socket is moved into a temporary
/// directory with STEWARD_SYSTEM_SOCKET and --socket, so /run is not touched.
@Suite("System mode", .serialized)
struct SystemModeTests {
    @Test func twoMembersOfTheGroupReachOneDaemonAndAnOutsiderIsToldWhy() async throws {
        let accounts = try await TeamAccounts.make(members: 2, outsiders: 1)
        let base = try makeTraversableDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let socket = base + "/run/steward.sock"
        let daemon = try await DaemonProcess.start(
            socketPath: socket, arguments: ["--system", "--socket-group", accounts.group, "--state-dir", base + "/state"])
        defer { daemon.signal(SIGTERM) }

        let group = try #require(getgrnam(accounts.group)).pointee.gr_gid
        var directory = stat()
        #expect(stat(base + "/run", &directory) == 0)
        #expect(directory.st_mode & 0o7777 == 0o750)
        #expect(directory.st_gid == group)
        var file = stat()
        #expect(stat(socket, &file) == 0)
        #expect(file.st_mode & 0o7777 == 0o660)
        #expect(file.st_gid == group)

        // Each client runs without --socket or STEWARD_SOCKET, with no daemon
        // of its own: the lookup ends at the system socket.
        let environment = ["STEWARD_SYSTEM_SOCKET": socket, "STEWARD_STATE_DIR": base + "/nobody-\(UUID().uuidString)"]
        for member in accounts.members {
            let result = try await runCommand(
                Executables.steward, ["whoami", "--verbose"], asUser: member, environment: environment)
            #expect(result.status == 0, "\(member): \(result.standardError)")
            let uid = try #require(getpwnam(member)).pointee.pw_uid
            #expect(result.standardOutput.contains("uid \(uid) (\(member))"), "\(result.standardOutput)")
            #expect(result.standardError.contains("using \(socket) (the system daemon's socket"), "\(result.standardError)")
        }

        let outsider = accounts.outsiders[0]
        let refused = try await runCommand(Executables.steward, ["whoami"], asUser: outsider, environment: environment)
        #expect(refused.status == 7, "\(refused.standardError)")
        #expect(refused.standardError.contains("PERMISSION_DENIED: cannot reach stewardd at \(socket) (the system daemon's socket"))
        #expect(refused.standardError.contains("permission denied"))
        #expect(refused.standardError.contains("usermod --append --groups \(accounts.group) \(outsider)"), "\(refused.standardError)")

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
        await accounts.remove()
    }

    @Test func systemModeWithoutTheStewardGroupSaysHowToMakeIt() async throws {
        try #require(getgrnam(StewardPaths.systemGroup) == nil, "this machine has a steward group; the refusal cannot be seen")
        let base = try makeTraversableDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let result = try await runCommand(
            Executables.stewardd, ["--system", "--state-dir", base + "/state", "--socket", base + "/run/steward.sock"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("groupadd --system steward"), "\(result.standardError)")
    }

    @Test func withNoDaemonAnywhereTheErrorSaysWhereItLookedAndWhatToDo() async throws {
        let base = try makeTraversableDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let result = try await runCommand(
            Executables.steward, ["health"],
            environment: ["STEWARD_SYSTEM_SOCKET": base + "/none.sock", "STEWARD_STATE_DIR": base + "/mine"])
        #expect(result.status == 4)
        #expect(result.standardError.contains(
            "cannot reach stewardd at \(base)/none.sock (the system daemon's socket; no socket of your own daemon at \(base)/mine/run/steward.sock)"),
            "\(result.standardError)")
        #expect(result.standardError.contains("systemctl start stewardd"))
    }

    private func makeTraversableDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "stw-sys-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return path
    }
}
