import Foundation
import StewardClient
import StewardWire
import Testing

/// A daemon run as another OS account (not root): clients that expect a
/// given uid refuse it before sending anything, and the daemon keeps its
/// memory out of core files and out of its user's other processes' reach.
@Suite("The daemon's identity and its memory", .timeLimit(.minutes(2)))
struct DaemonIdentityTests {
    /// A directory the account owns, for the daemon's state and socket.
    private func startForeignDaemon() async throws -> (daemon: DaemonProcess, directory: String, uid: uid_t) {
        let owner = try await ForeignOwner.ensure()
        let directory = try makeTemporaryDirectory()
        chmod(directory, 0o755)
        let home = directory + "/home"
        #expect(mkdir(home, 0o700) == 0 && chown(home, owner.uid, owner.gid) == 0)
        let daemon = try await DaemonProcess.start(socketPath: home + "/run/steward.sock", user: ForeignOwner.name)
        return (daemon, directory, owner.uid)
    }

    @Test("steward --expect-daemon-uid refuses a daemon of another uid with exit 6, and talks to the right one")
    func expectedUID() async throws {
        let (daemon, directory, uid) = try await startForeignDaemon()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let wrong = try await runCommand(
            Executables.steward, ["health", "--socket", daemon.socketPath, "--expect-daemon-uid", "0"])
        #expect(wrong.status == 6)
        #expect(wrong.standardError.contains(
            "the daemon at \(daemon.socketPath) runs as uid \(uid), not uid 0 as expected"), "\(wrong.standardError)")
        #expect(wrong.standardOutput.isEmpty)

        let fromEnvironment = try await runCommand(
            Executables.steward, ["health", "--socket", daemon.socketPath],
            environment: ["STEWARD_EXPECT_DAEMON_UID": "0"])
        #expect(fromEnvironment.status == 6, "\(fromEnvironment.standardError)")

        let right = try await runCommand(
            Executables.steward, ["health", "--socket", daemon.socketPath, "--expect-daemon-uid", "\(uid)"])
        #expect(right.status == 0, "\(right.standardError)")
        #expect(right.standardOutput == "SERVING\n")

        // The library says the same, as UNAUTHENTICATED.
        do {
            let client = try StewardClient.connect(socketPath: daemon.socketPath, environment: [:], expectedDaemonUID: 0)
            client.close()
            Issue.record("connected to a daemon of uid \(uid) while expecting uid 0")
        } catch {
            #expect(error.code == .unauthenticated)
        }
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("A running stewardd has no core file limit to raise and is not dumpable")
    func noCoreDumps() async throws {
        let (daemon, directory, uid) = try await startForeignDaemon()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let limits = try String(contentsOfFile: "/proc/\(daemon.pid)/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        let values = line.dropFirst("Max core file size".count).split(separator: " ")
        #expect(values.prefix(2) == ["0", "0"], "soft and hard limits: \(line)")
        // The kernel gives a process's /proc files to root when it is not
        // dumpable (PR_SET_DUMPABLE 0); a dumpable one's belong to its user.
        var status = stat()
        #expect(stat("/proc/\(daemon.pid)/status", &status) == 0)
        #expect(status.st_uid == 0, "/proc/\(daemon.pid) belongs to uid \(status.st_uid); the daemon runs as \(uid)")
        let owner = try String(contentsOfFile: "/proc/\(daemon.pid)/status", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("Uid:") }
        #expect(owner?.contains("\(uid)") == true, "the daemon runs as the account: \(owner ?? "")")
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }
}
