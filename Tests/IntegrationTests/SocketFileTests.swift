import Foundation
import StewardClient
import StewardWire
import Testing

@Suite("The socket file", .timeLimit(.minutes(2)))
struct SocketFileTests {
    @Test("The socket directory is created 0750 and the socket file is 0660")
    func modes() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        #expect(try mode(of: directory + "/run") == 0o750)
        #expect(try mode(of: daemon.socketPath) == 0o660)
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("A second daemon refuses a live socket")
    func liveSocket() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await DaemonProcess.start(socketPath: directory + "/steward.sock")
        let second = try await runCommand(
            Executables.stewardd, ["--socket", first.socketPath, "--state-dir", directory + "/second-state"])
        #expect(second.status == 1)
        #expect(second.standardError.contains("another daemon is serving \(first.socketPath)"))
        // The first daemon still serves.
        let client = try StewardClient.connect(socketPath: first.socketPath)
        #expect(try await client.call(GrpcHealthV1.Health.check, .init()).status == .serving)
        client.close()
        first.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)
    }

    @Test("A stale socket file (nothing listening) is replaced")
    func staleSocket() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/steward.sock"
        try makeStaleSocket(at: path)
        let daemon = try await DaemonProcess.start(socketPath: path)
        let client = try StewardClient.connect(socketPath: path)
        #expect(try await client.call(GrpcHealthV1.Health.check, .init()).status == .serving)
        client.close()
        daemon.signal(SIGINT)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("A path that is not a socket is left alone and refused")
    func notASocket() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/steward.sock"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: path))
        let result = try await runCommand(Executables.stewardd, ["--socket", path, "--state-dir", directory + "/state"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("exists and is not a socket"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
    }

    private func mode(of path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o7777
    }

    /// Leaves a socket file behind as a killed daemon would: bound, then closed.
    private func makeStaleSocket(at path: String) throws {
        let fd = try UnixSocket.makeStreamSocket(nonBlocking: false)
        defer { close(fd) }
        try UnixSocket.bind(fd, to: path)
    }
}
