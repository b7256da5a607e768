import Foundation
import StewardWire
import Testing

/// The socket is made inside a directory the daemon owns and nobody else may
/// write, and it is born with its configured mode.
@Suite("The socket's directory and mode", .timeLimit(.minutes(2)))
struct SocketDirectorySafetyTests {
    @Test("A socket directory another user owns is refused, naming it and the owner")
    func foreignDirectory() async throws {
        let owner = try await ForeignOwner.ensure()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = directory + "/run"
        #expect(mkdir(run, 0o750) == 0 && chown(run, owner.uid, owner.gid) == 0)

        let result = try await runCommand(
            Executables.stewardd, ["--state-dir", directory + "/state", "--socket", run + "/steward.sock"])

        #expect(result.status == 1)
        #expect(result.standardError.contains("the socket directory \(run) belongs to uid \(owner.uid), not to uid 0"),
                "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: run + "/steward.sock"))
    }

    @Test("A socket directory others may write (even sticky, like /tmp) is refused", arguments: [0o777, 0o1777, 0o770] as [mode_t])
    func writableDirectory(mode: mode_t) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = directory + "/run"
        #expect(mkdir(run, 0o700) == 0 && chmod(run, mode) == 0)

        let result = try await runCommand(
            Executables.stewardd, ["--state-dir", directory + "/state", "--socket", run + "/steward.sock"])

        #expect(result.status == 1)
        #expect(result.standardError.contains(
            "the socket directory \(run) is writable by group or others (mode \(String(mode, radix: 8))); run chmod go-w \(run)"),
            "\(result.standardError)")
    }

    /// Whatever the umask, the directory is exactly 0750 and the socket
    /// exactly 0660. That the socket is never more open than 0660 on the way
    /// there rests on the kernel fact checked by the next test (it is born
    /// with the mode set on its descriptor) and on connect failing until
    /// listen(), which comes after every mode change.
    @Test("The directory is 0750 and the socket 0660 whatever the daemon's umask", arguments: [0o000, 0o077, 0o022] as [mode_t])
    func exactModes(umask: mode_t) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock", umask: umask)
        #expect(try mode(of: directory + "/run") == 0o40750)
        #expect(try mode(of: daemon.socketPath) == 0o140660)
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("The kernel creates a socket file with the mode set on its descriptor before bind (what the listener relies on)")
    func modeFromDescriptor() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fd = try UnixSocket.makeStreamSocket(nonBlocking: false)
        defer { close(fd) }
        #expect(fchmod(fd, 0o640) == 0)
        try UnixSocket.bind(fd, to: directory + "/s.sock")
        // Read, not set: umask(2) would change it for every parallel test.
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") })
        let umask = try #require(mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8))
        try #require(0o640 & ~umask != 0o777 & ~umask, "umask \(String(umask, radix: 8)) hides the difference")
        #expect(try mode(of: directory + "/s.sock") & 0o777 == 0o640 & ~umask)
    }

    private func mode(of path: String) throws -> mode_t {
        var status = stat()
        guard lstat(path, &status) == 0 else { throw POSIXError(.ENOENT) }
        return status.st_mode & (S_IFMT | 0o7777)
    }
}
