import StewardModel
import Foundation
import PostgresTestSupport
@testable import StewardCore
import StewardPostgres
import StewardStore
import Synchronization
import Testing

/// The connections service against real servers: what a registration and a
/// validation store and refuse when they reach PostgreSQL.
@Suite("Connections service on real servers", .timeLimit(.minutes(2)))
struct LiveConnectionsServiceTests {
    let admin = Caller.administrator(uid: 0)

    /// A service over a fresh SQLite store with `prober`.
    func withService<T>(
        prober: any ConnectionProber = LiveConnectionProber(executor: testExecutor),
        _ body: (ConnectionsService, any RegistryStore) async throws -> T
    ) async throws -> T {
        let directory = NSTemporaryDirectory() + "steward-live-\(UUID().uuidString)"
        let state = try StateDirectory.open(at: directory)
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        return try await body(ConnectionsService(store: state.store, prober: prober), state.store)
    }

    /// Registers the fixture's connection and runs the setup script the service hands out.
    func registerAndSetUp(_ fixture: ValidationFixture, in service: ConnectionsService) async throws {
        _ = try await service.register(
            displayName: fixture.key, request: (fixture.settings, fixture.password), caller: admin,
            deadline: .after(milliseconds: 30_000))
        let path = NSTemporaryDirectory() + "steward-\(UUID().uuidString).sql"
        try service.setupScript(key: fixture.key).text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let psql = try await Psql.run(scriptAt: path, on: fixture.server)
        try #require(psql.status == 0, "\(psql.output)")
    }

    // MARK: Item: server_version in the report

    @Test("The stored report carries the server's version string", arguments: TestPostgres.supported)
    func serverVersionStored(server: TestPostgres) async throws {
        let version = try TestPostgres.setting("STEWARD_\(server.rawValue.uppercased())_VERSION")
        try await withValidationFixture(server) { fixture in
            try await withService { service, _ in
                try await registerAndSetUp(fixture, in: service)
                let (_, report) = try await service.validate(key: fixture.key, caller: admin, deadline: .after(milliseconds: 30_000))
                #expect(report.outcome == .passed, "\(report.checks.dump)")
                #expect(report.serverVersion?.hasPrefix(version) == true, "\(report.serverVersion ?? "nil")")
                #expect(try service.latestReport(key: fixture.key)?.serverVersion == report.serverVersion)
            }
        }
    }

    @Test("A report of a server that could not be reached has no version")
    func noVersionWhenUnreachable() async throws {
        try await withService { service, _ in
            var settings = ConnectionSettings(
                displayName: "", deploymentType: .selfManaged, host: "127.0.0.1", port: 1, stateDatabase: "s",
                governedDatabases: ["g"], username: "nobody", sslMode: .prefer)
            settings.displayName = "closed"
            _ = try await service.register(displayName: "closed", request: (settings, "pw"), caller: admin, deadline: .after(milliseconds: 5_000))
            let (_, report) = try await service.validate(key: "closed", caller: admin, deadline: .after(milliseconds: 5_000))
            #expect(report.outcome == .failed)
            #expect(report.serverVersion == nil)
        }
    }

    // MARK: Item: versions refused at Register

    @Test("A registration whose discovery reaches PostgreSQL 15 or 18 is refused at Register, naming the version", arguments: [TestPostgres.pg15, .pg18])
    func unsupportedVersionRefusedAtRegister(server: TestPostgres) async throws {
        let version = try TestPostgres.setting("STEWARD_\(server.rawValue.uppercased())_VERSION")
        let target = try server.adminOverSocket()
        let settings = ConnectionSettings(
            displayName: "", deploymentType: .selfManaged, host: target.host, port: target.port,
            stateDatabase: uniqueName("steward_state"), governedDatabases: [], username: target.user, sslMode: .prefer)
        let password = try server.password
        try await withService { service, store in
            let error = await #expect(throws: DomainError.self) {
                _ = try await service.register(
                    displayName: "old-server", request: (settings, password), caller: admin,
                    deadline: .after(milliseconds: 30_000))
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message.contains("runs PostgreSQL \(version), which Steward does not support; Steward supports 16 and 17") == true,
                    "\(error?.message ?? "")")
            #expect(throws: StoreError.self) { _ = try store.connection(key: "old-server") }
        }
    }

    @Test("A registration whose discovery reaches PostgreSQL 16 or 17 is accepted", arguments: TestPostgres.supported)
    func supportedVersionAccepted(server: TestPostgres) async throws {
        let target = try server.adminOverSocket()
        let settings = ConnectionSettings(
            displayName: "", deploymentType: .selfManaged, host: target.host, port: target.port,
            stateDatabase: uniqueName("steward_state"), governedDatabases: [], username: target.user, sslMode: .prefer)
        let password = try server.password
        try await withService { service, _ in
            let record = try await service.register(
                displayName: "new-server", request: (settings, password), caller: admin, deadline: .after(milliseconds: 30_000))
            #expect(record.settings.governedDatabases.contains("postgres"))
        }
    }

    // MARK: Item: one validation of a connection at a time

    @Test("Two concurrent Validate calls of one connection run one after the other; neither is ABORTED", arguments: TestPostgres.supported)
    func concurrentValidations(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let prober = OverlapProber(key: fixture.key)
            try await withService(prober: prober) { service, store in
                prober.store = store
                try await registerAndSetUp(fixture, in: service)
                async let first = service.validate(key: fixture.key, caller: admin, deadline: .after(milliseconds: 30_000))
                async let second = service.validate(key: fixture.key, caller: admin, deadline: .after(milliseconds: 30_000))
                let (a, b) = try await (first, second)
                #expect(prober.mostAtOnce == 1)
                #expect(a.1.outcome == .passed && b.1.outcome == .passed, "\(a.1.checks.dump)\n\(b.1.checks.dump)")
                #expect(a.1.id != b.1.id)
                #expect(try store.connection(key: fixture.key).state == .validated)
            }
        }
    }

    @Test("A validation whose connection's revision moved meanwhile without a settings change is stored, not ABORTED", arguments: TestPostgres.supported)
    func revisionMovedMeanwhile(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let fixture = fixture
            let prober = InterferingProber()
            try await withService(prober: prober) { service, store in
                try await registerAndSetUp(fixture, in: service)
                let before = try store.connection(key: fixture.key)
                // What another daemon sharing the registry would do while this validation runs.
                prober.meanwhile = {
                    try store.recordValidation(
                        ValidationResult(at: Date(), checks: []), connectionKey: fixture.key, expectedRevision: before.revision,
                        change: StateChange(to: .validationFailed, actor: 0, reason: "validation failed"))
                }
                let (record, report) = try await service.validate(key: fixture.key, caller: admin, deadline: .after(milliseconds: 30_000))
                #expect(prober.failure == nil)
                #expect(report.outcome == .passed, "\(report.checks.dump)")
                #expect(record.state == .validated)
                #expect(report.connectionRevision > before.revision)
                #expect(try store.latestValidationReport(connectionKey: fixture.key)?.id == report.id)
            }
        }
    }

    @Test("A validation whose connection's settings changed meanwhile is ABORTED, its report not stored", arguments: [TestPostgres.pg16])
    func settingsChangedMeanwhile(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let fixture = fixture
            let prober = InterferingProber()
            try await withService(prober: prober) { service, store in
                try await registerAndSetUp(fixture, in: service)
                prober.meanwhile = {
                    _ = try service.update(
                        key: fixture.key, changes: [.governedDatabases([fixture.name("other")])], expectedRevision: nil,
                        dryRun: false, caller: Caller.administrator(uid: 0))
                }
                let error = await #expect(throws: DomainError.self) {
                    _ = try await service.validate(key: fixture.key, caller: admin, deadline: .after(milliseconds: 30_000))
                }
                #expect(prober.failure == nil)
                #expect(error?.code == .aborted)
                #expect(error?.message.contains("changed since revision") == true, "\(error?.message ?? "")")
                #expect(try store.latestValidationReport(connectionKey: fixture.key) == nil)
            }
        }
    }
}

/// The live prober, counting validations that overlap. The first one
/// holds until the second either overlaps it or waits its turn in the
/// queue, so that an overlap would be seen, not left to timing.
final class OverlapProber: ConnectionProber, @unchecked Sendable {
    let live = LiveConnectionProber(executor: testExecutor)
    let key: String
    // Set before the validations start, only read by them.
    var store: (any RegistryStore)?
    private let counts = Mutex((now: 0, most: 0, started: 0))

    init(key: String) { self.key = key }

    var mostAtOnce: Int { counts.withLock { $0.most } }

    func validate(key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline) async -> [CheckResult] {
        await findings(key: key, settings: settings, password: password, marker: marker, deadline: deadline).checks
    }

    func findings(key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline) async -> ValidationFindings {
        let isFirst = counts.withLock { counts in
            counts.now += 1
            counts.most = max(counts.most, counts.now)
            counts.started += 1
            return counts.started == 1
        }
        if isFirst {
            let giveUp = ContinuousClock.now + .seconds(10)
            while counts.withLock({ $0.now }) < 2 && ValidationQueue.processWide.pending(.init(store: store!, connection: key)) < 2 && ContinuousClock.now < giveUp {
                await Task.yield()
            }
        }
        let found = await live.findings(key: key, settings: settings, password: password, marker: marker, deadline: deadline)
        counts.withLock { $0.now -= 1 }
        return found
    }

    func discoverDatabases(settings: ConnectionSettings, password: String, deadline: Deadline) async throws(DomainError) -> [String] {
        try await live.discoverDatabases(settings: settings, password: password, deadline: deadline)
    }
}

/// The live prober, running `meanwhile` (once) while the validation runs.
final class InterferingProber: ConnectionProber, @unchecked Sendable {
    let live = LiveConnectionProber(executor: testExecutor)
    // Set before the validation starts, read by it: no concurrent access.
    var meanwhile: (() throws -> Void)?
    private(set) var failure: (any Error)?

    func validate(key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline) async -> [CheckResult] {
        await findings(key: key, settings: settings, password: password, marker: marker, deadline: deadline).checks
    }

    func findings(key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline) async -> ValidationFindings {
        let found = await live.findings(key: key, settings: settings, password: password, marker: marker, deadline: deadline)
        if let meanwhile {
            self.meanwhile = nil
            do { try meanwhile() } catch { failure = error }
        }
        return found
    }

    func discoverDatabases(settings: ConnectionSettings, password: String, deadline: Deadline) async throws(DomainError) -> [String] {
        try await live.discoverDatabases(settings: settings, password: password, deadline: deadline)
    }
}
