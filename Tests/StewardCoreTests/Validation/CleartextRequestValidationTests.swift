import Foundation
import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// Security issue item 2 through Steward's real validation path: the
/// daemon's prober, its libpq parameters and connect, against
/// ``FakeCleartextServer`` (a fake, because no real server can be made to
/// ask for a cleartext password while it speaks SCRAM).
@Suite("Validation against a server that asks for a cleartext password", .timeLimit(.minutes(2)))
struct CleartextRequestValidationTests {
    @Test("The login check fails saying why, and the server receives nothing after its request",
          arguments: [SSLMode.disable, .prefer])
    func refusedAndNothingSent(sslMode: SSLMode) async throws {
        let server = FakeCleartextServer()
        let password = "stored-password-that-must-not-leak"
        let settings = ConnectionSettings(
            displayName: "fake", deploymentType: .selfManaged, host: "127.0.0.1", port: server.port,
            stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: sslMode)
        let checks = await LiveConnectionProber(executor: testExecutor).validate(
            key: "fake", settings: settings, password: password, marker: "m", deadline: .after(milliseconds: 10_000))
        let login = try #require(checks.first { $0.name == "login" })
        #expect(login.status == .failed)
        #expect(login.message.contains("cleartext password"), "\(login.message)")
        #expect(!login.message.contains(password))
        let sent = server.bytesAfterRequest()
        #expect(sent.isEmpty, "the client sent \(sent.count) bytes after the cleartext request")
    }
}
