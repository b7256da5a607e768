import Foundation
import StewardClient
import StewardWire
import Testing

@Suite("Caller identity", .timeLimit(.minutes(2)))
struct IdentityTests {
    @Test("WhoAmI reports this process's real uid, gid and pid")
    func whoAmI() async throws {
        let server = try TestServer.start()
        let client = try StewardClient.connect(socketPath: server.socketPath)
        let me = try await client.call(StewardV1.Server.whoAmI, .init())
        #expect(me.uid == getuid())
        #expect(me.gid == getgid())
        #expect(me.pid == UInt32(getpid()))
        #expect(me.isDaemonAdmin)
        client.close()
        await server.stop()
    }

    /// Needs root to create the OS user; CI runs as root.
    @Test("WhoAmI reports the uid of a client running as another OS user")
    func anotherUser() async throws {
        try #require(getuid() == 0, "this test creates an OS user and must run as root (CI does)")
        let user = "steward-test"
        if getpwnam(user) == nil {
            let created = try await runCommand(URL(fileURLWithPath: "/usr/sbin/useradd"), ["--system", "--user-group", "--no-create-home", user])
            try #require(created.status == 0, "useradd failed: \(created.standardError)")
        }
        let entry = try #require(getpwnam(user))
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid

        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory, 0o755)  // the other user must be able to reach run/
        let daemon = try await DaemonProcess.start(
            socketPath: directory + "/run/steward.sock", arguments: ["--socket-group", user])
        let result = try await runCommand(
            Executables.steward, ["whoami", "--json", "--socket", daemon.socketPath], asUser: user)
        #expect(result.status == 0, "steward whoami failed: \(result.standardError)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(json["uid"] as? Int == Int(uid))
        #expect(json["gid"] as? Int == Int(gid))
        #expect(json["osUserName"] as? String == user)
        #expect(json["isDaemonAdmin"] as? Bool == false)
        // Unknown to Steward: Health and WhoAmI only.
        let health = try await runCommand(Executables.steward, ["health", "--socket", daemon.socketPath], asUser: user)
        #expect(health.status == 0, "\(health.standardError)")
        let info = try await runCommand(Executables.steward, ["server", "info", "--socket", daemon.socketPath], asUser: user)
        #expect(info.status == 3)
        #expect(info.standardError.contains("UNAUTHENTICATED: uid \(uid) is not a Steward user"))
        let register = try await runCommand(
            Executables.steward,
            ["connection", "register", "x", "--deployment", "SELF_MANAGED", "--host", "h", "--state-database", "s",
             "--database", "d", "--username", "u", "--password-stdin", "--socket", daemon.socketPath],
            asUser: user, standardInput: "pw\n")
        #expect(register.status == 3)
        #expect(register.standardError.contains("UNAUTHENTICATED"))
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }
}
