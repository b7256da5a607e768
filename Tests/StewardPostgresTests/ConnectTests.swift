import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

@Suite("Connecting to real PostgreSQL", .timeLimit(.minutes(2)))
struct ConnectTests {
    @Test("SCRAM over loopback TCP and over the Unix socket; the version is reported", arguments: TestPostgres.supported)
    func connects(server: TestPostgres) async throws {
        let tcp = try await testExecutor.withConnection(try server.adminOverTCP(), deadline: .after(milliseconds: 10_000)) {
            ($0.serverMajorVersion, $0.usesTLS)
        }
        #expect(tcp.0 == server.majorVersion)
        let socket = try await testExecutor.withConnection(try server.adminOverSocket(), deadline: .after(milliseconds: 10_000)) {
            $0.serverMajorVersion
        }
        #expect(socket == server.majorVersion)
    }

    @Test("Versions outside 16 and 17 are detected too", arguments: [TestPostgres.pg15, .pg18])
    func otherVersions(server: TestPostgres) async throws {
        let version = try await testExecutor.withConnection(try server.adminOverTCP(), deadline: .after(milliseconds: 10_000)) {
            $0.serverMajorVersion
        }
        #expect(version == server.majorVersion)
    }

    @Test("A wrong password is an authentication failure", arguments: TestPostgres.supported)
    func wrongPassword(server: TestPostgres) async throws {
        var parameters = try server.adminOverTCP()
        parameters.password = "not-the-password"
        let error = try #require(await connectError(parameters))
        #expect(error.kind == .authentication)
        #expect(error.sqlState == "28P01")
        #expect(!error.message.contains("not-the-password"))
    }

    @Test("A closed port is unreachable, at once")
    func closedPort() async throws {
        var parameters = try TestPostgres.pg17.adminOverTCP()
        parameters.port = 1  // nothing listens on port 1 here
        let closed = parameters
        let (error, elapsed) = try await testExecutor.run { () throws(PostgresError) -> (PostgresError?, Double) in
            let started = Date()
            do throws(PostgresError) {
                try PostgresConnection.connect(closed, deadline: .after(milliseconds: 10_000)).close()
                return (nil, Date().timeIntervalSince(started))
            } catch {
                return (error, Date().timeIntervalSince(started))
            }
        }
        #expect(error?.kind == .unreachable)
        // Refused at once, not after the 10 s deadline.
        #expect(elapsed < 2, "took \(elapsed) s")
    }

    @Test("A missing database is told apart")
    func missingDatabase() async throws {
        let parameters = try TestPostgres.pg17.adminOverTCP(database: uniqueName("nodb"))
        let error = try #require(await connectError(parameters))
        #expect(error.kind == .databaseMissing)
    }

    @Test("A host that accepts TCP but never answers fails within the connect deadline")
    func silentHost() async throws {
        let listener = SilentPort()
        var parameters = try TestPostgres.pg17.adminOverTCP()
        parameters.host = "127.0.0.1"
        parameters.port = listener.port
        let silent = parameters
        // Timed on the worker thread itself, so waiting for a free worker
        // while other suites run does not count.
        let (error, elapsed) = try await testExecutor.run { () throws(PostgresError) -> (PostgresError?, Double) in
            let started = Date()
            do throws(PostgresError) {
                let connection = try PostgresConnection.connect(silent, deadline: .after(milliseconds: 300))
                connection.close()
                return (nil, Date().timeIntervalSince(started))
            } catch {
                return (error, Date().timeIntervalSince(started))
            }
        }
        #expect(error?.kind == .timeout)
        #expect(elapsed >= 0.3 && elapsed < 1.5, "took \(elapsed) s")
    }

    @Test("verify-full with the test CA uses TLS")
    func tlsVerifyFull() async throws {
        let usesTLS = try await testExecutor.withConnection(try TestPostgres.pg17tls.adminOverTCP(), deadline: .after(milliseconds: 10_000)) {
            $0.usesTLS
        }
        #expect(usesTLS)
    }

    @Test("verify-full with a CA that did not sign the server's certificate is a TLS failure")
    func tlsWrongCA() async throws {
        var parameters = try TestPostgres.pg17tls.adminOverTCP()
        parameters.sslRootCertificatePath = try TestPostgres.setting("STEWARD_PG17TLS_WRONG_CA")
        let error = try #require(await connectError(parameters))
        #expect(error.kind == .tls)
    }

    @Test("A server that requires TLS refuses a plain connection, as a TLS failure")
    func tlsRequired() async throws {
        var parameters = try TestPostgres.pg17tls.adminOverTCP()
        parameters.sslMode = .disable
        let error = try #require(await connectError(parameters))
        #expect(error.kind == .tls)
    }

    @Test("A server without TLS refuses sslmode=require, as a TLS failure")
    func tlsNotOffered() async throws {
        var parameters = try TestPostgres.pg16.adminOverTCP()
        parameters.sslMode = .require
        let error = try #require(await connectError(parameters))
        #expect(error.kind == .tls)
    }
}
