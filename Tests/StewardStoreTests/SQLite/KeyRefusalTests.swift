import Foundation
import Glibc
import StewardStore
import Testing

/// Every way the key can be wrong gives a clear refusal at start, and
/// leaves the store untouched.
@Suite("State directory: key refusals")
struct KeyRefusalTests {
    /// A state directory that has been started once, holding one password.
    func startedOnce() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let state = try StateDirectory.open(at: directory.path)
        try Samples.connection(state.store, "c", password: "pw")
        state.close()
        return directory
    }

    func keyPath(_ directory: TemporaryDirectory) -> String { directory.file(StateDirectory.keyFileName) }

    @Test("A missing key for an existing store is refused; no new key is made")
    func missing() throws {
        let directory = try startedOnce()
        unlink(keyPath(directory))
        let store = directory.file(StateDirectory.databaseFileName)
        expectStoreError(
            .keyMissing,
            "the registry store \(store) exists but its key file \(keyPath(directory)) is missing; "
                + "restore the key file (without it the stored passwords cannot be read)"
        ) { _ = try StateDirectory.open(at: directory.path) }
        #expect(!FileManager.default.fileExists(atPath: keyPath(directory)))
    }

    @Test("A key file open to group or others is refused before it is read")
    func tooOpen() throws {
        let directory = try startedOnce()
        for mode: mode_t in [0o640, 0o604, 0o644] {
            chmod(keyPath(directory), mode)
            expectStoreError(
                .keyInsecure,
                "the key file \(keyPath(directory)) is open to group or others (mode \(String(mode, radix: 8))); "
                    + "run chmod 600 \(keyPath(directory))"
            ) { _ = try StateDirectory.open(at: directory.path) }
        }
        chmod(keyPath(directory), 0o400)
        let state = try StateDirectory.open(at: directory.path)
        state.close()
    }

    @Test("A key file that is not a readable regular file is refused")
    func unreadable() throws {
        let directory = try startedOnce()
        unlink(keyPath(directory))
        mkdir(keyPath(directory), 0o700)
        expectStoreError(.keyUnreadable, "the key file \(keyPath(directory)) is not a regular file") {
            _ = try StateDirectory.open(at: directory.path)
        }
        rmdir(keyPath(directory))
        if geteuid() != 0 {  // root reads anything; the mode test needs another user
            try writeFile(keyPath(directory), [UInt8](repeating: 1, count: 32), mode: 0o000)
            expectStoreError(.keyUnreadable) { _ = try StateDirectory.open(at: directory.path) }
        }
    }

    @Test("A key file owned by another user is refused", .enabled(if: geteuid() == 0))
    func foreignOwner() throws {
        let directory = try startedOnce()
        chown(keyPath(directory), 4242, 4242)
        expectStoreError(
            .keyInsecure,
            "the key file \(keyPath(directory)) belongs to uid 4242, not to uid 0 that stewardd runs as"
        ) { _ = try StateDirectory.open(at: directory.path) }
    }

    @Test("A key file of the wrong length is refused", arguments: [0, 16, 31, 33, 64])
    func wrongLength(length: Int) throws {
        let directory = try startedOnce()
        try writeFile(keyPath(directory), [UInt8](repeating: 7, count: length))
        let size = length > 32 ? "more than 32" : "\(length)"
        expectStoreError(
            .keyMalformed,
            "the key file \(keyPath(directory)) holds \(size) bytes, not the 32 of a Steward key; "
                + "restore this store's key file"
        ) { _ = try StateDirectory.open(at: directory.path) }
    }

    @Test("A tampered key (one bit flipped) is refused as not this store's key, and the store is unchanged")
    func tampered() throws {
        let directory = try startedOnce()
        var key = fileBytes(keyPath(directory))
        key[5] ^= 0x01
        try writeFile(keyPath(directory), key)
        let database = directory.file(StateDirectory.databaseFileName)
        let before = fileBytes(database)
        expectStoreError(
            .keyMismatch,
            "the key file does not match the registry store \(database): it is another store's key "
                + "or was changed; restore this store's key file"
        ) { _ = try StateDirectory.open(at: directory.path) }
        #expect(fileBytes(database) == before)
        key[5] ^= 0x01
        try writeFile(keyPath(directory), key)
        let state = try StateDirectory.open(at: directory.path)
        defer { state.close() }
        #expect(try state.store.connectionPassword(key: "c").exposedValue == "pw")
    }

    @Test("Another state directory's key is refused")
    func foreignKey() throws {
        let directory = try startedOnce()
        let other = try startedOnce()
        try writeFile(keyPath(directory), fileBytes(keyPath(other)))
        expectStoreError(.keyMismatch) { _ = try StateDirectory.open(at: directory.path) }
    }

    @Test("A store file that is not SQLite is refused clearly")
    func notSQLite() throws {
        let directory = try TemporaryDirectory()
        try writeFile(directory.file("registry.key"), [UInt8](repeating: 9, count: 32))
        try writeFile(directory.file("registry.sqlite3"), Array(String(repeating: "not a database ", count: 100).utf8))
        expectStoreError(
            .corrupt,
            "\(directory.file("registry.sqlite3")) is not a SQLite database; move it away or choose another --state-dir"
        ) { _ = try StateDirectory.open(at: directory.path) }
    }
}
