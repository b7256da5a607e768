import Foundation
import Logging
import PostgresTestSupport
import StewardClient
import StewardCore
import StewardModel
import StewardPostgres
@testable import StewardServer
import StewardStore
import StewardTestSupport
import StewardWire
import Testing

/// CheckMappings against a server that never answers: the database work
/// gets a deadline a little short of the call's, so the silent connection is
/// reported in the answer instead of the whole call running out of time.
@Suite("CheckMappings under the call's deadline", .timeLimit(.minutes(2)))
struct CheckMappingsDeadlineTests {
    /// Registers `key` straight in the store and walks it to ACTIVE along
    /// legal transitions, as the service tests do.
    static func activeConnection(
        _ key: String, host: String, port: Int, username: String, password: String, in store: any RegistryStore
    ) throws {
        let settings = ConnectionSettings(
            displayName: key, deploymentType: .selfManaged, host: host, port: port, stateDatabase: "postgres",
            governedDatabases: ["template1"], username: username, sslMode: SSLMode.disable)
        let record = try store.createConnection(
            key: key, settings: settings, password: Secret(password), createdBy: 0, walkedTo: .active)
        #expect(record.state == .active)
    }

    @Test("A silent server is a failure in CheckMappings' answer (OK), within the call's timeout; a live one still reports its checks")
    func silentServerReported() async throws {
        let silent = SilentPort()
        let admin = try TestPostgres.pg17.adminOverTCP()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = try StateDirectory.open(at: directory + "/state")
        defer { state.close() }
        let store = state.store
        try Self.activeConnection(
            "silent", host: "127.0.0.1", port: silent.port, username: "steward", password: "pw", in: store)
        try Self.activeConnection(
            "live", host: admin.host, port: admin.port, username: admin.user, password: try TestPostgres.pg17.password, in: store)
        // One user, whose role (the administrator's) exists and logs in on the live server.
        try store.createUser(name: "alice", uid: 64_001, permissions: [])
        _ = try store.setMapping(IdentityMapping(userName: "alice", connectionKey: nil, identity: .postgresUsername(admin.user)))

        var logger = Logger(label: "check-mappings-deadline")
        logger.logLevel = .critical
        // The real caller directory: this process is root or the daemon's own uid, an administrator.
        let server = RegistryServer.make(
            configuration: ServerConfiguration(socketPath: directory + "/steward.sock"), store: store,
            executor: PostgresExecutor(maxConcurrentJobs: 4), logger: logger)
        try server.start()
        let client = try StewardClient.connect(socketPath: server.socketPath)
        let started = ContinuousClock.now
        let outcome: Result<StewardV1.CheckMappingsResponse, RPCError>
        do {
            outcome = .success(try await client.call(StewardV1.Users.checkMappings, .init(), timeout: .seconds(5)))
        } catch {
            outcome = .failure(error)
        }
        let elapsed = ContinuousClock.now - started
        client.close()
        await server.shutDown()

        let response = try outcome.get()
        // The silent server took up most of the time (the database deadline
        // is 500 ms short of a 5 s call), and the answer came before the call's deadline.
        #expect(elapsed >= .milliseconds(3_000) && elapsed < .seconds(5), "answered after \(elapsed)")
        #expect(response.failures.count == 1, "\(response.failures)")
        let failure = try #require(response.failures.first)
        #expect(failure.connectionKey == "silent")
        #expect(
            [StatusCode.deadlineExceeded.rawValue, StatusCode.unavailable.rawValue].contains(failure.code),
            "code \(failure.code): \(failure.message)")
        #expect(!failure.message.isEmpty)
        // The live connection answered beside it.
        #expect(response.checks.map(\.connectionKey) == ["live"], "\(response.checks)")
        #expect(response.checks.first?.userName == "alice")
        #expect(response.checks.first?.outcome == .ok, "\(response.checks)")
        withExtendedLifetime(silent) {}
    }

    // MARK: The deadline database work gets

    static func context(deadlineAfterMilliseconds milliseconds: Int?) -> ServerCallContext {
        ServerCallContext(
            method: "/steward.v1.Users/CheckMappings", peer: PeerCredentials(pid: 1, uid: 0, gid: 0),
            deadline: milliseconds.map { .after(milliseconds: $0) }, logger: Logger(label: "deadline"))
    }

    /// How far the database deadline falls short of the call's, in milliseconds.
    static func margin(_ context: ServerCallContext, _ database: Deadline) throws -> Double {
        let call = try #require(context.deadline)
        return (Double(call.uptimeNanoseconds) - Double(database.uptimeNanoseconds)) / 1e6
    }

    @Test("Database work ends a tenth of the call's time (at most 500 ms) before the call; without a deadline, the default")
    func databaseDeadline() throws {
        // Time passes between the deadline being set and read: each bound
        // allows for a busy machine on the side where lateness puts it.
        let twoSeconds = Self.context(deadlineAfterMilliseconds: 2_000)
        let short = twoSeconds.databaseDeadline(orAfter: 30_000)
        let shortMargin = try Self.margin(twoSeconds, short)
        #expect(shortMargin >= 100 && shortMargin <= 201, "\(shortMargin) ms short of a 2 s call")

        let tenthOfASecond = Self.context(deadlineAfterMilliseconds: 100)
        let tiny = try Self.margin(tenthOfASecond, tenthOfASecond.databaseDeadline(orAfter: 30_000))
        #expect(tiny <= 11, "\(tiny) ms short of a 100 ms call: a tenth, not 500 ms")

        let minute = Self.context(deadlineAfterMilliseconds: 60_000)
        let long = try Self.margin(minute, minute.databaseDeadline(orAfter: 30_000))
        #expect(long >= 400 && long <= 501, "\(long) ms short of a 60 s call: the margin is at most 500 ms")

        let passed = Self.context(deadlineAfterMilliseconds: 0)
        #expect(passed.databaseDeadline(orAfter: 30_000).remainingMilliseconds == 0)

        let none = Self.context(deadlineAfterMilliseconds: nil)
        let fallback = none.databaseDeadline(orAfter: 7_000).remainingMilliseconds
        #expect(fallback > 6_500 && fallback <= 7_000, "\(fallback) ms without a call deadline")
    }
}
