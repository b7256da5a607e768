import Foundation
import PostgresTestSupport
import Testing

/// A grant or a revoke holds from the very next call: the daemon looks the
/// caller up in the registry on every call and keeps nothing, so no cache
/// can let a revoked permission live on. Shown with the CLI run as another
/// OS user (the daemon tells callers apart by their kernel uid), on the
/// embedded store and in shared mode, where the change is made through one
/// daemon and the next call goes to the other. Needs root to run as
/// another user; CI runs as root.
@Suite("Grants and revokes take effect on the next call", .timeLimit(.minutes(2)))
struct GrantTakesEffectTests {
    @Test("Embedded store: granted, the next call may; revoked, the next call may not")
    func embedded() async throws {
        try #require(getuid() == 0, PeopleTests.needsRoot)
        try await OSUsers.ensure()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory, 0o755)
        let daemon = try await DaemonProcess.start(
            socketPath: directory + "/run/steward.sock", arguments: ["--socket-group", OSUsers.group])
        try await checkGrantAndRevoke(changeThrough: daemon.socketPath, callThrough: daemon.socketPath)
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("Shared mode: granted or revoked through one daemon, the other's next call sees it")
    func shared() async throws {
        try #require(getuid() == 0, PeopleTests.needsRoot)
        try await OSUsers.ensure()
        let registry = try await SharedModeTests.SharedRegistry.create()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory, 0o755)
        do {
            let first = try await DaemonProcess.start(
                socketPath: directory + "/a/run/steward.sock",
                arguments: ["--state-dir", directory + "/a/state", "--store-url", registry.url], environment: registry.environment)
            try FileManager.default.createDirectory(atPath: directory + "/b/state", withIntermediateDirectories: true)
            chmod(directory + "/b/state", 0o700)
            try FileManager.default.copyItem(atPath: directory + "/a/state/registry.key", toPath: directory + "/b/state/registry.key")
            let second = try await DaemonProcess.start(
                socketPath: directory + "/b/run/steward.sock",
                arguments: ["--state-dir", directory + "/b/state", "--store-url", registry.url, "--socket-group", OSUsers.group],
                environment: registry.environment)
            try await checkGrantAndRevoke(changeThrough: first.socketPath, callThrough: second.socketPath)
            first.signal(SIGTERM)
            second.signal(SIGTERM)
            #expect(try await first.waitForExit() == 0)
            #expect(try await second.waitForExit() == 0)
        } catch {
            try? await registry.drop()
            throw error
        }
        try await registry.drop()
    }

    /// Root changes the plain user's permission through `changeThrough`;
    /// the plain user calls, as its own OS account, through `callThrough`.
    private func checkGrantAndRevoke(changeThrough: String, callThrough: String) async throws {
        func steward(_ arguments: [String], socket: String, as user: String? = nil) async throws -> CommandResult {
            try await runCommand(Executables.steward, arguments + ["--socket", socket], asUser: user)
        }
        let plainUID = String(try OSUsers.uid(OSUsers.plain))
        let created = try await steward(["user", "create", "plain", "--uid", plainUID], socket: changeThrough)
        try #require(created.status == 0, "\(created.standardError)")

        // A method that needs USER_ADMIN and no PostgreSQL: creating a user.
        func plainCreates(_ name: String, uid: Int) async throws -> CommandResult {
            try await steward(["user", "create", name, "--uid", String(uid)], socket: callThrough, as: OSUsers.plain)
        }
        let before = try await plainCreates("made-before", uid: 2_000_001)
        #expect(before.status == 3 && before.standardError.contains("PERMISSION_DENIED"), "\(before.standardError)")

        let grant = try await steward(["user", "grant", "plain", "USER_ADMIN"], socket: changeThrough)
        try #require(grant.status == 0, "\(grant.standardError)")
        let granted = try await plainCreates("made-granted", uid: 2_000_002)
        #expect(granted.status == 0, "the call right after the grant has it: \(granted.standardError)")

        let revoke = try await steward(["user", "revoke", "plain", "USER_ADMIN"], socket: changeThrough)
        try #require(revoke.status == 0, "\(revoke.standardError)")
        let revoked = try await plainCreates("made-revoked", uid: 2_000_003)
        #expect(revoked.status == 3 && revoked.standardError.contains("PERMISSION_DENIED"),
                "the call right after the revoke is denied: \(revoked.standardError)")
    }
}
