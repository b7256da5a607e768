import Foundation
import PostgresTestSupport
@testable import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

extension ConnectionsService {
    func rotateCredentials(
        key: String, changes: [SettingsChange], caller: Caller, deadline: Deadline = .after(milliseconds: 30_000)
    ) async throws(DomainError) -> (ConnectionRecord, ValidationReport?) {
        try await rotateCredentials(
            key: key, changes: changes, call: caller.callingConnections("RotateCredentials", key: key), deadline: deadline)
    }
}

/// RotateCredentials on an ACTIVE connection against a real server: the new
/// credentials are tried first and switched to only when every check passes.
@Suite("Credential rotation on real servers", .timeLimit(.minutes(2)))
struct LiveRotationTests {
    let admin = Caller.administrator(uid: 0)
    let live = LiveConnectionsServiceTests()

    /// Registers, sets up, validates and activates the fixture's connection.
    func active(_ fixture: ValidationFixture, in service: ConnectionsService) async throws {
        try await live.registerAndSetUp(fixture, in: service)
        let (_, report) = try await service.validate(key: fixture.key, caller: admin, deadline: .after(milliseconds: 30_000))
        try #require(report.outcome == .passed, "\(report.checks.dump)")
        let record = try service.completeSetup(key: fixture.key, caller: admin)
        try #require(record.state == .active)
    }

    @Test("A new valid password is switched to, the connection staying ACTIVE", arguments: [TestPostgres.pg17])
    func newPasswordKeepsActive(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let fixture = fixture
            try await live.withService { service, store in
                try await active(fixture, in: service)
                let newPassword = "pw2-\(UUID().uuidString)"
                try await fixture.admin("ALTER ROLE \(q(fixture.role)) PASSWORD \(SQLQuoting.literal(newPassword))")
                let (record, report) = try await service.rotateCredentials(
                    key: fixture.key, changes: [.password(newPassword)], caller: admin)
                #expect(record.state == .active)
                #expect(report?.outcome == .passed)
                let stored = try store.connectionPassword(key: fixture.key, for: record.settings)
                #expect(stored.exposedValue == newPassword)
                let (after, again) = try await service.validate(key: fixture.key, caller: admin, deadline: .after(milliseconds: 30_000))
                #expect(again.outcome == .passed, "\(again.checks.dump)")
                #expect(after.state == .active)
            }
        }
    }

    @Test("A wrong password is refused naming login; the old one stays in use, ACTIVE", arguments: [TestPostgres.pg17])
    func wrongPasswordRefused(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let fixture = fixture
            try await live.withService { service, store in
                try await active(fixture, in: service)
                let before = try service.connection(key: fixture.key)
                let error = await #expect(throws: DomainError.self) {
                    _ = try await service.rotateCredentials(key: fixture.key, changes: [.password("wrong-\(UUID().uuidString)")], caller: admin)
                }
                #expect(error?.code == .failedPrecondition)
                #expect(error?.message.contains("login") == true, "\(error?.message ?? "")")
                let record = try service.connection(key: fixture.key)
                #expect(record.state == .active)
                #expect(record.revision == before.revision)
                #expect(try store.connectionPassword(key: fixture.key, for: record.settings).exposedValue == fixture.password)
                let (_, again) = try await service.validate(key: fixture.key, caller: admin, deadline: .after(milliseconds: 30_000))
                #expect(again.outcome == .passed, "\(again.checks.dump)")
            }
        }
    }

    @Test("A new role without the privileges is refused; nothing changes", arguments: [TestPostgres.pg17])
    func unprivilegedRoleRefused(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let fixture = fixture
            try await live.withService { service, store in
                try await active(fixture, in: service)
                let other = fixture.name("plain")
                let otherPassword = "pw3-\(UUID().uuidString)"
                try await fixture.admin("CREATE ROLE \(q(other)) LOGIN PASSWORD \(SQLQuoting.literal(otherPassword))")
                let before = try service.connection(key: fixture.key)
                let error = await #expect(throws: DomainError.self) {
                    _ = try await service.rotateCredentials(
                        key: fixture.key, changes: [.username(other), .password(otherPassword)], caller: admin)
                }
                #expect(error?.code == .failedPrecondition)
                #expect(error?.message.contains("old credentials stay in use") == true, "\(error?.message ?? "")")
                let record = try service.connection(key: fixture.key)
                #expect(record.state == .active)
                #expect(record.settings.username == fixture.role)
                #expect(record.revision == before.revision)
                #expect(try store.connectionPassword(key: fixture.key, for: record.settings).exposedValue == fixture.password)
            }
        }
    }
}
