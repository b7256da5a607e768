import Foundation
import PostgresTestSupport
import StewardModel
import StewardPostgres
import Testing

/// Under sslmode prefer and allow, a governed login is made TLS-first with
/// channel binding, and in the clear (under the authentication-request
/// guard) only when the server has no TLS; never retried in the clear after
/// another failure. Against the real servers: pg17tls (TLS, and no pg_hba
/// line for logins in the clear) and pg16 (no TLS). The fallback's refusal
/// of a cleartext request is in ``CleartextPasswordRefusalTests``; a server
/// that accepts TLS and then asks for cleartext is not faked here (it would
/// need a TLS stack in the fake), and is refused by channel_binding=require.
@Suite("TLS-first logins under sslmode prefer and allow", .timeLimit(.minutes(2)))
struct TLSFirstLoginTests {
    struct Session: Sendable {
        var ssl: Bool?
        var usesTLS: Bool
        var sslMode: String?
        var channelBinding: String?
        var reportedMode: SSLMode
    }

    func governed(_ server: TestPostgres, sslMode: SSLMode) throws -> ConnectionParameters {
        var parameters = try server.adminOverTCP()
        parameters.sslMode = sslMode
        parameters.sslRootCertificatePath = nil
        parameters.sendsPasswordOnlyBySCRAM = true
        return parameters
    }

    func session(_ parameters: ConnectionParameters) async throws -> Session {
        try await testExecutor.withConnection(parameters, deadline: .after(milliseconds: 10_000)) { connection throws(PostgresError) in
            let ssl = try connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", deadline: .after(milliseconds: 10_000))
            return Session(
                ssl: try ssl.rows.first?.bool("ssl"), usesTLS: connection.usesTLS,
                sslMode: connection.libpqOptionForTesting("sslmode"),
                channelBinding: connection.libpqOptionForTesting("channel_binding"),
                reportedMode: connection.parameters.sslMode)
        }
    }

    @Test("A server with TLS: the login is over TLS with channel binding required", arguments: [SSLMode.prefer, .allow])
    func tlsWithChannelBinding(sslMode: SSLMode) async throws {
        let session = try await session(governed(.pg17tls, sslMode: sslMode))
        #expect(session.ssl == true)
        #expect(session.usesTLS)
        #expect(session.sslMode == "require")
        #expect(session.channelBinding == "require")
        #expect(session.reportedMode == sslMode, "the connection still says what was asked for")
    }

    @Test("A server without TLS: the login is made again in the clear, under the guard", arguments: [SSLMode.prefer, .allow])
    func clearWithoutTLS(sslMode: SSLMode) async throws {
        let session = try await session(governed(.pg16, sslMode: sslMode))
        #expect(session.ssl == false)
        #expect(!session.usesTLS)
        #expect(session.sslMode == "disable")
        #expect(session.reportedMode == sslMode)
    }

    @Test("A wrong password over TLS is not retried in the clear (libpq's own prefer would)")
    func wrongPasswordNotRetried() async throws {
        var parameters = try governed(.pg17tls, sslMode: .prefer)
        parameters.password = "not-the-password"
        let error = try #require(await connectError(parameters))
        #expect(error.kind == .authentication, "\(error)")
        #expect(error.message.contains("password authentication failed"), "\(error)")
        // pg17tls has no pg_hba line for logins in the clear: a retry
        // without TLS would add its "no encryption" refusal.
        #expect(!error.message.contains("no encryption"), "\(error)")
    }

    @Test("Without the policy (the daemon's own registry), prefer is libpq's own")
    func registryUnchanged() async throws {
        var parameters = try governed(.pg17tls, sslMode: .prefer)
        parameters.sendsPasswordOnlyBySCRAM = false
        let session = try await session(parameters)
        #expect(session.usesTLS)
        #expect(session.sslMode == "prefer")
    }
}
