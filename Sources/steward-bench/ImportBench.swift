import ArgumentParser
import Foundation
import StewardCore
import StewardModel
import StewardStore

/// Times ImportMappings, which holds the registry store (one write
/// transaction) for as long as it runs: the figure says how long other calls
/// may wait behind the largest import allowed.
struct ImportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Time a mapping import of N rows into a fresh SQLite registry with users and connections.")

    @Option(help: "Rows (one user each; default mappings).")
    var rows = UsersService.maxImportRows

    @Option(help: "Connections in the registry (each user's username is kept unique on every one).")
    var connections = 10

    func run() async throws {
        var template = Array("/tmp/stw-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw ExitCode(1) }
        let directory = String(cString: created)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = try StateDirectory.open(at: directory + "/state")
        defer { state.close() }
        let store = state.store

        let setupStart = Date()
        for index in 0..<connections {
            let settings = ConnectionSettings(
                displayName: "c\(index)", deploymentType: .selfManaged, host: "db\(index).example.internal", port: 5432,
                stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: .prefer)
            try store.createConnection(key: "c\(index)", settings: settings, password: Secret("pw"), createdBy: 0)
        }
        for index in 0..<rows { try store.createUser(name: "user\(index)", uid: UInt32(100_000 + index), permissions: []) }
        let setupSeconds = Date().timeIntervalSince(setupStart)

        let csv = "user,connection,kind,value\n"
            + (0..<rows).map { "user\($0),,POSTGRES_USERNAME,role_user_\($0)" }.joined(separator: "\n")
        let service = UsersService(store: store, roles: LiveLoginRoleProbe(executor: .init(maxConcurrentJobs: 1)))
        let dryStart = Date()
        _ = try service.importMappings(csv: csv, dryRun: true, call: Self.importCall)
        let drySeconds = Date().timeIntervalSince(dryStart)
        let start = Date()
        let imported = try service.importMappings(csv: csv, dryRun: false, call: Self.importCall)
        let seconds = Date().timeIntervalSince(start)
        print("""
            registry: \(rows) users, \(connections) connections (built in \(String(format: "%.1f", setupSeconds)) s)
            import of \(imported) rows:  dry run \(String(format: "%.2f", drySeconds)) s, real \(String(format: "%.2f", seconds)) s \
            (\(Int(Double(imported) / seconds)) rows/s); other writes wait for it, reads do not
            """)
    }
}

extension ImportBench {
    /// The import as the daemon's route would hand it to the service.
    static let importCall = AuditedCall(caller: .administrator(uid: 0), method: "/steward.v1.Users/ImportMappings", target: nil)
}
