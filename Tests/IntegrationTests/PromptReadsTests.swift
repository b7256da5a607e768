import Dispatch
import Foundation
import Logging
import StewardClient
import StewardCore
import StewardModel
import StewardPostgres
import StewardServer
import StewardStore
import StewardWire
import Testing

/// On embedded SQLite a read answers in microseconds, so the daemon admits
/// and answers read-only calls with synchronous handlers (Server.Info,
/// Connections.Get, Users.Get, ...) on the connection's I/O queue instead
/// of handing them to the blocking pool and back (issue 13, item 2: two of
/// a call's four thread hand-offs). Shown by taking every computing turn of
/// the process's blocking pool: the reads are still answered, while a call
/// that needs the pool (Users.List, a task) is not.
///
/// The pool's turns are held by jobs that wait without saying so (see
/// `BlockingExecutor.blocking`): the one thing here that is not a real
/// daemon's load, and the only way to stop the pool at a chosen moment.
@Suite("Reads of an embedded registry are answered on the connection's I/O queue", .serialized, .timeLimit(.minutes(2)))
struct PromptReadsTests {
    @Test("With the blocking pool's every turn taken, Server.Info, Connections.Get and Users.Get still answer")
    func readsAnswerWithoutThePool() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = try StateDirectory.open(at: directory + "/state")
        defer { state.close() }
        try state.store.createUser(name: "reader", uid: getuid(), permissions: Set(Permission.allCases))
        let settings = ConnectionSettings(
            displayName: "prompt", deploymentType: .selfManaged, host: "db.prompt.invalid", port: 5432,
            stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward_role",
            sslMode: .prefer, caCertificate: nil)
        try state.store.createConnection(key: "prompt", settings: settings, password: Secret("prompt-pw"), createdBy: getuid())
        var logger = Logger(label: "prompt-reads")
        logger.logLevel = .critical
        let server = RegistryServer.make(
            configuration: ServerConfiguration(socketPath: directory + "/steward.sock"), store: state.store,
            executor: PostgresExecutor(maxConcurrentJobs: 1), logger: logger)
        try server.start()
        let client = try StewardClient.connect(socketPath: server.socketPath)

        let pool = PoolTurns(of: BlockingExecutor.shared)
        await pool.takeAll()
        let info = try? await client.call(StewardV1.Server.info, StewardV1.ServerInfoRequest(), timeout: .seconds(10))
        let connection = try? await client.call(
            StewardV1.Connections.get, StewardV1.GetConnectionRequest(key: "prompt"), timeout: .seconds(10))
        let user = try? await client.call(StewardV1.Users.get, StewardV1.GetUserRequest(name: "reader"), timeout: .seconds(10))
        // The precondition, without which the reads above prove nothing: a
        // call that runs as a task finds no thread to run on.
        var throughThePool: StatusCode?
        do {
            _ = try await client.call(StewardV1.Users.list, StewardV1.ListUsersRequest(), timeout: .milliseconds(300))
        } catch {
            throughThePool = error.code
        }
        pool.giveBack()

        #expect(info?.storeBackend == "sqlite", "Server.Info was not answered while the pool was held")
        #expect(connection?.connection?.key == "prompt", "Connections.Get was not answered while the pool was held")
        #expect(user?.user?.name == "reader", "Users.Get was not answered while the pool was held")
        #expect(throughThePool == .deadlineExceeded, "Users.List ran although every pool turn was taken")
        // Once the pool is free, calls that need it are answered again.
        let listed = try await client.call(StewardV1.Users.list, StewardV1.ListUsersRequest(), timeout: .seconds(10))
        #expect(listed.users.map(\.name) == ["reader"])
        client.close()
        await server.shutDown()
    }
}

/// Holds every computing turn of a ``BlockingExecutor`` with jobs that wait
/// on a semaphore without marking the wait, until ``giveBack()``.
final class PoolTurns: Sendable {
    private let executor: BlockingExecutor
    private let release = DispatchSemaphore(value: 0)

    init(of executor: BlockingExecutor) { self.executor = executor }

    /// Returns once every turn is held.
    func takeAll() async {
        let started = DispatchSemaphore(value: 0)
        for _ in 0..<executor.activeLimit {
            Task(executorPreference: executor) { [release] in
                started.signal()
                release.wait()
            }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                for _ in 0..<self.executor.activeLimit { started.wait() }
                continuation.resume()
            }.start()
        }
    }

    func giveBack() {
        for _ in 0..<executor.activeLimit { release.signal() }
    }
}
