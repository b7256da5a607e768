import Foundation

/// An OS account that is not root, for the file-safety tests: it owns the
/// files a planted symlink points at (which the daemon, running as root,
/// must not touch) and the directories the daemon must refuse, and it runs a
/// daemon for the peer-uid tests. Its own name, so that other suites'
/// accounts are never changed under them. Creating it needs root.
enum ForeignOwner {
    static let name = "steward-fsafety"

    struct SetupFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Made once per test process, by whichever test asks first.
    private static let setup = Task<Void, any Error> {
        guard getpwnam(name) == nil else { return }
        // useradd exits 10 when another process (another suite's setup, in
        // another test process) holds the lock on /etc/passwd; there is no
        // lock to wait on, so try again a few times.
        for _ in 0..<50 {
            let result = try await runCommand(
                URL(fileURLWithPath: "/usr/sbin/useradd"), ["--system", "--user-group", "--no-create-home", name])
            if result.status == 0 || getpwnam(name) != nil { return }
            guard result.status == 10 else {
                throw SetupFailure(description: "useradd \(name) exited \(result.status): \(result.standardError)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SetupFailure(description: "useradd \(name): /etc/passwd stayed locked")
    }

    /// The account's uid and primary gid, creating it first if needed.
    static func ensure() async throws -> (uid: uid_t, gid: gid_t) {
        try await setup.value
        guard let entry = getpwnam(name) else { throw SetupFailure(description: "no OS user \(name)") }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// A file holding `text`, owned by the account, mode 0600: what a planted
    /// symlink points at.
    static func makeFile(at path: String, text: String) async throws {
        let owner = try await ensure()
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        guard chown(path, owner.uid, owner.gid) == 0, chmod(path, 0o600) == 0 else {
            throw SetupFailure(description: "cannot give \(path) to \(name): \(String(cString: strerror(errno)))")
        }
    }
}
