import Foundation
import Testing

/// stewardd runs as root here, as a system daemon does: a file in its state
/// directory that is a symlink must stop it before it writes anything
/// through it, and a state directory another user owns is refused.
@Suite("Files in the state directory", .timeLimit(.minutes(2)))
struct StateFileSafetyTests {
    @Test("A symlinked lock, key or registry file stops the daemon and leaves the file it points at alone",
          arguments: ["stewardd.lock", "registry.key", "registry.sqlite3", "registry.sqlite3-wal"])
    func symlinkRefused(name: String) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = directory + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let target = directory + "/victim"
        try await ForeignOwner.makeFile(at: target, text: "precious\n")
        let before = try status(of: target)
        try FileManager.default.createSymbolicLink(atPath: state + "/" + name, withDestinationPath: target)

        let result = try await runCommand(
            Executables.stewardd, ["--state-dir", state, "--socket", directory + "/run/steward.sock"])

        #expect(result.status == 1)
        #expect(result.standardError.contains("\(state)/\(name.hasPrefix("registry.sqlite3") ? "registry.sqlite3" : name)"),
                "\(result.standardError)")
        #expect(result.standardError.contains("is a symbolic link"), "\(result.standardError)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious\n")
        let after = try status(of: target)
        #expect(after.st_uid == before.st_uid && after.st_mode == before.st_mode && after.st_size == before.st_size)
        #expect(!FileManager.default.fileExists(atPath: directory + "/run/steward.sock"))
    }

    @Test("A state directory another user owns is refused, naming the owner", arguments: [0o700, 0o755] as [mode_t])
    func foreignStateDirectory(mode: mode_t) async throws {
        let owner = try await ForeignOwner.ensure()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = directory + "/state"
        #expect(mkdir(state, mode) == 0 && chmod(state, mode) == 0 && chown(state, owner.uid, owner.gid) == 0)

        let result = try await runCommand(
            Executables.stewardd, ["--state-dir", state, "--socket", directory + "/run/steward.sock"])

        #expect(result.status == 1)
        #expect(result.standardError.contains("the state directory \(state) belongs to uid \(owner.uid), not to uid 0"),
                "\(result.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: state).isEmpty, "nothing was written in it")
    }

    @Test("A lock file with a second name (a hard link) is refused, and the other name's file is untouched")
    func hardLinkedLockRefused() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = directory + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let other = directory + "/other"
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: other))
        #expect(link(other, state + "/stewardd.lock") == 0)

        let result = try await runCommand(
            Executables.stewardd, ["--state-dir", state, "--socket", directory + "/run/steward.sock"])

        #expect(result.status == 1)
        #expect(result.standardError.contains("the lock file \(state)/stewardd.lock has 2 names"), "\(result.standardError)")
        #expect(try String(contentsOfFile: other, encoding: .utf8) == "precious\n")
    }

    private func status(of path: String) throws -> stat {
        var result = stat()
        guard lstat(path, &result) == 0 else { throw POSIXError(.ENOENT) }
        return result
    }
}
