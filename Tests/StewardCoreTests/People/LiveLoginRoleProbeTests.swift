import Foundation
import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import StewardWire
import Testing

/// The probe CheckMappings uses in the daemon, against real PostgreSQL 17:
/// its failures keep the status a live server's failure has everywhere
/// else, so a wrong password is a precondition to fix, not "retry later".
@Suite("LiveLoginRoleProbe on real PostgreSQL", .timeLimit(.minutes(2)))
struct LiveLoginRoleProbeTests {
    let probe = LiveLoginRoleProbe(executor: testExecutor)

    func settings(host: String, port: Int, username: String) -> ConnectionSettings {
        ConnectionSettings(
            displayName: "probe", deploymentType: .selfManaged, host: host, port: port, stateDatabase: "postgres",
            governedDatabases: ["template1"], username: username, sslMode: .prefer)
    }

    @Test("With the right password the roles are answered; a wrong one is FAILED_PRECONDITION, not UNAVAILABLE")
    func wrongPassword() async throws {
        let admin = try TestPostgres.pg17.adminOverTCP()
        let target = settings(host: admin.host, port: admin.port, username: admin.user)
        let found = try await probe.loginAbility(
            of: [admin.user, "pg_monitor"], settings: target, password: try TestPostgres.pg17.password,
            deadline: .after(milliseconds: 10_000))
        #expect(found == [admin.user: true, "pg_monitor": false])

        let wrong = "not-the-password-\(UUID().uuidString)"
        let error = await #expect(throws: DomainError.self) {
            _ = try await probe.loginAbility(
                of: [admin.user], settings: target, password: wrong, deadline: .after(milliseconds: 10_000))
        }
        #expect(error?.code == .failedPrecondition, "\(String(describing: error))")
        #expect(error?.message.contains("password authentication failed") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(wrong) == false)
    }

    @Test("A closed port is UNAVAILABLE")
    func closedPort() async throws {
        let error = await #expect(throws: DomainError.self) {
            _ = try await probe.loginAbility(
                of: ["anyone"], settings: settings(host: "127.0.0.1", port: 1, username: "nobody"), password: "x",
                deadline: .after(milliseconds: 10_000))
        }
        #expect(error?.code == .unavailable, "\(String(describing: error))")
        #expect(error?.message.isEmpty == false)
    }
}
