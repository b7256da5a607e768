import Foundation
import StewardPostgres

/// The real PostgreSQL servers that `scripts/postgres-servers.sh start`
/// runs, found through the variables its `env` command prints (the test
/// script exports them).
public enum TestPostgres: String, CaseIterable, CustomStringConvertible, Sendable {
    case pg15, pg16, pg17, pg17tls, pg18

    /// The versions Steward supports, which most tests run against.
    public static let supported: [TestPostgres] = [.pg16, .pg17]

    public var description: String { rawValue }

    public struct Missing: Error, CustomStringConvertible {
        let variable: String
        public var description: String {
            "\(variable) is not set: start the test servers with `bash scripts/postgres-servers.sh start` "
                + "and export their settings with `eval \"$(bash scripts/postgres-servers.sh env)\"` (scripts/test.sh does both)"
        }
    }

    private func value(_ suffix: String) throws -> String {
        let name = "STEWARD_\(rawValue.uppercased())_\(suffix)"
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { throw Missing(variable: name) }
        return value
    }

    public static func setting(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { throw Missing(variable: name) }
        return value
    }

    public var majorVersion: Int {
        switch self {
        case .pg15: 15
        case .pg16: 16
        case .pg17, .pg17tls: 17
        case .pg18: 18
        }
    }

    /// The administrator over loopback TCP with its SCRAM password.
    public func adminOverTCP(database: String = "postgres") throws -> ConnectionParameters {
        var parameters = ConnectionParameters(
            host: try value("HOST"), port: Int(try value("PORT"))!, database: database,
            user: try value("USER"), password: try value("PASSWORD"))
        parameters.sslMode = self == .pg17tls ? .verifyFull : .prefer
        if self == .pg17tls {
            parameters.host = try Self.setting("STEWARD_PG17TLS_HOSTNAME")
            parameters.sslRootCertificatePath = try Self.setting("STEWARD_PG17TLS_CA")
        }
        return parameters
    }

    /// The administrator over the server's Unix socket.
    public func adminOverSocket(database: String = "postgres") throws -> ConnectionParameters {
        ConnectionParameters(
            host: try value("SOCKET_DIR"), port: Int(try value("PORT"))!, database: database,
            user: try value("USER"), password: try value("PASSWORD"))
    }

    public var password: String { get throws { try value("PASSWORD") } }
}

/// A name no other test uses, so that tests can run in parallel against one server.
public func uniqueName(_ prefix: String) -> String {
    "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
}

extension PostgresConnection {
    /// Runs `sql` with a generous deadline, for test setup.
    @discardableResult
    public func run(_ sql: String, _ parameters: [String?] = []) throws -> QueryResult {
        try query(sql, parameters, deadline: .after(milliseconds: 30_000))
    }

    public static func open(_ parameters: ConnectionParameters) throws -> PostgresConnection {
        try connect(parameters, deadline: .after(milliseconds: 10_000))
    }
}

/// Where tests run blocking libpq work: never on the cooperative pool, which
/// the in-process servers of other suites need.
public let testExecutor = PostgresExecutor(maxConcurrentJobs: 8)

/// Runs `body` with an open administrator connection on `server`.
public func withAdmin<T: Sendable>(
    _ server: TestPostgres, database: String = "postgres",
    _ body: @escaping @Sendable (PostgresConnection) throws -> T
) async throws -> T {
    let parameters = try server.adminOverTCP(database: database)
    let result: Result<T, any Error> = try await testExecutor.run { () throws(PostgresError) -> Result<T, any Error> in
        let connection = try PostgresConnection.connect(parameters, deadline: .after(milliseconds: 10_000))
        defer { connection.close() }
        return Result { try body(connection) }
    }
    return try result.get()
}

/// Attempts a connection and returns the error it fails with, or nil.
public func connectError(_ parameters: ConnectionParameters, deadlineMilliseconds: Int = 10_000) async -> PostgresError? {
    do {
        try await testExecutor.withConnection(parameters, deadline: .after(milliseconds: deadlineMilliseconds)) { _ in }
        return nil
    } catch {
        return error
    }
}
