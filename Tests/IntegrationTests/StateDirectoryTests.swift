import Foundation
import StewardClient
import StewardWire
import Testing

/// stewardd and its state directory: one daemon per directory, and a key
/// that is not this store's stops it before it serves.
@Suite("stewardd and its state directory", .timeLimit(.minutes(2)))
struct StateDirectoryTests {
    @Test("The store is SQLite in the state directory, with a 0600 key file")
    func storeInStateDirectory() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let client = try StewardClient.connect(socketPath: daemon.socketPath)
        let info = try await client.call(StewardV1.Server.info, .init())
        #expect(info.storeBackend == "sqlite")
        client.close()
        let key = try FileManager.default.attributesOfItem(atPath: directory + "/state/registry.key")
        #expect((key[.posixPermissions] as? Int ?? 0) & 0o777 == 0o600)
        #expect(FileManager.default.fileExists(atPath: directory + "/state/registry.sqlite3"))
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("A second daemon on the same state directory is refused, naming it")
    func secondDaemonRefused() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let second = try await runCommand(
            Executables.stewardd, ["--state-dir", directory + "/state", "--socket", directory + "/other.sock"])
        #expect(second.status == 1)
        #expect(second.standardError.contains("the state directory \(directory)/state is in use by another stewardd"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/other.sock"))
        first.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)
    }

    @Test("A key file replaced by a foreign key stops the daemon at start, leaving the store untouched")
    func foreignKeyRefused() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        first.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)

        let keyPath = directory + "/state/registry.key"
        let store = try Data(contentsOf: URL(fileURLWithPath: directory + "/state/registry.sqlite3"))
        var foreign = Data(count: 32)
        for index in 0..<32 { foreign[index] = UInt8.random(in: 0...255) }
        try foreign.write(to: URL(fileURLWithPath: keyPath))
        chmod(keyPath, 0o600)

        let second = try await runCommand(
            Executables.stewardd, ["--state-dir", directory + "/state", "--socket", directory + "/run/steward.sock"])
        #expect(second.status == 1)
        #expect(second.standardError.contains("key"), "\(second.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/state/registry.sqlite3")) == store)
    }

    @Test("A key file others can read stops the daemon at start")
    func openKeyRefused() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        first.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)
        chmod(directory + "/state/registry.key", 0o644)
        let second = try await runCommand(
            Executables.stewardd, ["--state-dir", directory + "/state", "--socket", directory + "/run/steward.sock"])
        #expect(second.status == 1)
        #expect(second.standardError.contains("registry.key"), "\(second.standardError)")
    }
}
