import Foundation
import StewardCore
import Logging
import StewardServer
import StewardWire

/// A StewardServer running in this process on a real Unix socket in a fresh
/// temporary directory, with the test-only routes of ``TestRoutes``.
struct TestServer {
    let server: StewardServer
    let directory: String
    let probes: TestProbes

    var socketPath: String { server.socketPath }

    static func start(
        limits: ServerLimits = ServerLimits(),
        drainGraceMilliseconds: Int = 5_000,
        callers: any CallerDirectory = DaemonAdministrators(),
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws -> TestServer {
        let directory = try makeTemporaryDirectory()
        var configuration = ServerConfiguration(socketPath: directory + "/run/steward.sock")
        configuration.limits = limits
        configuration.drainGraceMilliseconds = drainGraceMilliseconds
        configure(&configuration)
        let probes = TestProbes()
        var router = Router()
        TestRoutes.register(in: &router, probes: probes)
        var logger = Logger(label: "test-server")
        logger.logLevel = .error
        let server = StewardServer(configuration: configuration, router: router, callers: callers, logger: logger)
        try server.start()
        return TestServer(server: server, directory: directory, probes: probes)
    }

    func stop() async {
        await server.shutDown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A new private directory under /tmp, short enough for socket paths.
func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/stw-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else {
        throw SystemCallError("mkdtemp", errno: errno)
    }
    return String(cString: created)
}
