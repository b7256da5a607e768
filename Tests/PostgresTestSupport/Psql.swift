import Foundation

/// Runs psql (the one `scripts/postgres-servers.sh` found) as the server's
/// administrator, the way a database administrator runs a setup script.
public enum Psql {
    public struct Result: Sendable {
        public var status: Int32
        /// Standard output and standard error, interleaved as psql wrote them.
        public var output: String
    }

    public static func run(scriptAt path: String, on server: TestPostgres) async throws -> Result {
        let psql = try TestPostgres.setting("STEWARD_PSQL")
        let admin = try server.adminOverTCP()
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: psql)
                    process.arguments = [
                        "-X", "-h", admin.host, "-p", String(admin.port), "-U", admin.user, "-d", "postgres", "-f", path,
                    ]
                    var environment = ProcessInfo.processInfo.environment
                    environment["PGPASSWORD"] = admin.password
                    environment["PGSSLMODE"] = server == .pg17tls ? "verify-full" : "prefer"
                    if server == .pg17tls { environment["PGSSLROOTCERT"] = admin.sslRootCertificatePath }
                    process.environment = environment
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    process.standardError = pipe
                    process.standardInput = FileHandle.nullDevice
                    try process.run()
                    let output = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }
}
