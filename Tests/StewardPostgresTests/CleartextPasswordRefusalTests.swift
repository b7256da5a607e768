import Foundation
import PostgresTestSupport
import StewardModel
import StewardPostgres
import Testing

/// Security issue item 2: a server that asks for the password in cleartext
/// gets nothing. Shown against ``FakeCleartextServer`` (the only way to make
/// a server ask for it), and that SCRAM logins still work against the real
/// servers with the same settings.
@Suite("The password goes only through SCRAM", .timeLimit(.minutes(2)))
struct CleartextPasswordRefusalTests {
    static let password = "stored-password-that-must-not-leak"

    func fakeServerParameters(_ server: FakeCleartextServer, sslMode: SSLMode, policy: Bool) -> ConnectionParameters {
        var parameters = ConnectionParameters(
            host: "127.0.0.1", port: server.port, database: "postgres", user: "steward", password: Self.password)
        parameters.sslMode = sslMode
        parameters.sendsPasswordOnlyBySCRAM = policy
        return parameters
    }

    @Test("A cleartext password request is refused before anything is sent, in the clear and under sslmode prefer",
          arguments: [SSLMode.disable, .prefer, .allow])
    func cleartextRefused(sslMode: SSLMode) async throws {
        let server = FakeCleartextServer()
        let error = try #require(await connectError(fakeServerParameters(server, sslMode: sslMode, policy: true)))
        #expect(error.kind == .authentication)
        #expect(error.message.contains("asked for the password by cleartext password"), "\(error)")
        #expect(server.startupMessage().count > 0, "the fake server was reached")
        let sent = server.bytesAfterRequest()
        #expect(sent.isEmpty, "the client sent \(sent.count) bytes after the cleartext request")
        #expect(!String(decoding: sent, as: UTF8.self).contains(Self.password))
        // Under prefer and allow, TLS is asked for first, on a connection of
        // its own (sslmode=require); told `N`, the login is made again in the clear.
        let expected = sslMode == .disable ? [0] : [1, 0]
        #expect(server.encryptionRequestsPerConnection() == expected)
    }

    @Test("A cleartext request right behind a SASL one, in the same read, is refused too", arguments: [SSLMode.disable, .prefer])
    func cleartextBehindSASLRefused(sslMode: SSLMode) async throws {
        let server = FakeCleartextServer(saslFirst: true)
        let error = try #require(await connectError(fakeServerParameters(server, sslMode: sslMode, policy: true)))
        #expect(error.kind == .authentication)
        #expect(error.message.contains("asked for the password by cleartext password"), "\(error)")
        // Not even the SCRAM answer to the first request was sent.
        let sent = server.bytesAfterRequest()
        #expect(sent.isEmpty, "the client sent \(sent.count) bytes after the requests")
    }

    @Test("Without the policy, libpq would have sent it: the fake server does capture a password")
    func controlWithoutPolicy() async throws {
        let server = FakeCleartextServer()
        _ = await connectError(fakeServerParameters(server, sslMode: .disable, policy: false), deadlineMilliseconds: 5_000)
        let sent = server.bytesAfterRequest()
        #expect(sent.first == UInt8(ascii: "p"))
        #expect(String(decoding: sent, as: UTF8.self).contains(Self.password))
    }

    @Test("Under sslmode require and above, libpq is asked for channel binding, which refuses any but SCRAM; require_auth where libpq has it")
    func keywords() throws {
        var parameters = ConnectionParameters(host: "h", database: "d", user: "u", password: "p")
        parameters.sendsPasswordOnlyBySCRAM = true
        for mode in SSLMode.allCases {
            parameters.sslMode = mode
            let pairs = Dictionary(uniqueKeysWithValues: parameters.keywordValuesForTesting)
            #expect((pairs["channel_binding"] == "require") == [.require, .verifyCA, .verifyFull].contains(mode), "\(mode.rawValue)")
            #expect((pairs["require_auth"] == "scram-sha-256") == LibPQPasswordSupport.hasRequireAuth)
        }
        // No TLS on a Unix socket, so no channel binding there either.
        parameters.host = "/var/run/postgresql"
        parameters.sslMode = .require
        #expect(!parameters.keywordValuesForTesting.contains { $0.0 == "channel_binding" })
    }

    @Test("SCRAM logins still work with the policy on, in the clear", arguments: [TestPostgres.pg15, .pg16, .pg17, .pg18])
    func scramInTheClear(server: TestPostgres) async throws {
        var parameters = try server.adminOverTCP()
        parameters.sslMode = .disable
        parameters.sendsPasswordOnlyBySCRAM = true
        let version = try await testExecutor.withConnection(parameters, deadline: .after(milliseconds: 10_000)) { $0.serverMajorVersion }
        #expect(version == server.majorVersion)
    }

    @Test("SCRAM logins still work with the policy on over the Unix socket, even with sslmode require (libpq uses no TLS there)",
          arguments: [TestPostgres.pg16, .pg17])
    func scramOverSocket(server: TestPostgres) async throws {
        var parameters = try server.adminOverSocket()
        parameters.sslMode = .require
        parameters.sendsPasswordOnlyBySCRAM = true
        let version = try await testExecutor.withConnection(parameters, deadline: .after(milliseconds: 10_000)) { $0.serverMajorVersion }
        #expect(version == server.majorVersion)
    }

    @Test("SCRAM logins still work with the policy on under verify-full: channel binding (SCRAM-SHA-256-PLUS) with a real TLS server")
    func scramWithChannelBinding() async throws {
        var parameters = try TestPostgres.pg17tls.adminOverTCP()
        parameters.sendsPasswordOnlyBySCRAM = true
        #expect(parameters.sslMode == .verifyFull)
        let tls = try await testExecutor.withConnection(parameters, deadline: .after(milliseconds: 10_000)) { $0.usesTLS }
        #expect(tls)
    }
}
