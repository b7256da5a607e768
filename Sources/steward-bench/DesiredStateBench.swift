import ArgumentParser
import Foundation
import StewardCore
import StewardModel
import StewardStore

/// Times the registry side of enforcement on a SQLite registry: reading what
/// the desired state is computed from, and computing it (policies × group
/// members × identities × ENABLED tables), beside a floor measured in the
/// same run: the same role × table pairs put in a set with nothing else done.
struct DesiredStateBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "desired-state",
        abstract: "Time reading and computing one connection's desired grants (SQLite registry).",
        discussion: """
            Tables are spread over --schemas schemas; users over --groups groups; each group has one READ \
            policy on one schema (round robin), and every tenth group also a WRITE policy on the whole \
            connection, so that the strongest-access rule has work to do.
            """)

    @Option(help: "Tables synced.") var tables = 10_000
    @Option(help: "Schemas the tables are spread over.") var schemas = 10
    @Option(help: "Users.") var users = 1_000
    @Option(help: "Groups the users are spread over.") var groups = 100

    func validate() throws {
        guard tables > 0, schemas > 0, users > 0, groups > 0 else { throw ValidationError("sizes must be positive") }
    }

    func run() async throws {
        #if DEBUG
        print("note: this is a debug build; figures are only meaningful with -c release\n")
        #endif
        var template = Array("/tmp/stw-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw ExitCode(1) }
        let directory = String(cString: created)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteRegistryStore(path: directory + "/registry.sqlite", key: .random())
        defer { store.close() }
        let record = try populate(store)

        let reader = DesiredStateReader(store: store)
        let readStart = Date()
        let sources = try reader.sources(for: record)
        let readSeconds = Date().timeIntervalSince(readStart)
        let computeStart = Date()
        let desired = DesiredState(sources)
        let computeSeconds = Date().timeIntervalSince(computeStart)

        // The floor: the pairs the result holds, into a set, nothing else.
        let floorStart = Date()
        var pairs = Set<String>(minimumCapacity: desired.input.desired.count)
        for entry in desired.input.desired { pairs.insert(entry.role + "\u{0}" + entry.relation.schema + "\u{0}" + entry.relation.name) }
        let floorSeconds = Date().timeIntervalSince(floorStart)
        guard pairs.count == desired.input.desired.count else { throw ValidationError("duplicate desired entries") }

        print("\(tables) tables, \(users) users in \(groups) groups, \(sources.policies.count) policies: "
            + "\(desired.input.desired.count) desired grants on \(desired.input.governed.count) governed tables")
        print(ResultTable(rows: [
            .init("read sources (ms)", steward: readSeconds * 1000, floor: floorSeconds * 1000, lowerIsBetter: true),
            .init("compute desired state (ms)", steward: computeSeconds * 1000, floor: floorSeconds * 1000, lowerIsBetter: true),
        ]).render())
    }

    private func populate(_ store: SQLiteRegistryStore) throws -> ConnectionRecord {
        let settings = ConnectionSettings(
            displayName: "c0", deploymentType: .selfManaged, host: "db0.example.internal", port: 5432,
            stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: .prefer)
        let record = try store.createConnection(key: "c0", settings: settings, password: Secret("pw"), createdBy: 0)
        try store.syncDataSources(
            connectionKey: "c0", scannedDatabases: ["sales"],
            tables: (0..<tables).map {
                DiscoveredTable(database: "sales", schema: "schema\($0 % schemas)", table: "table_\($0)", columns: [])
            })
        for index in 0..<users { try store.createUser(name: "user\(index)", uid: UInt32(100_000 + index), permissions: []) }
        for group in 0..<groups {
            try store.createGroup(name: "group\(group)", osGroup: nil)
            let members = stride(from: group, to: users, by: groups).map { "user\($0)" }
            if !members.isEmpty { try store.addGroupMembers(group: "group\(group)", users: members) }
            try store.createPolicy(
                PolicyDefinition(
                    name: "read\(group)", access: .read,
                    selectors: [.scope(connection: "c0", database: "sales", schema: "schema\(group % schemas)")],
                    subjects: [.group("group\(group)")]),
                dryRun: false)
            if group % 10 == 0 {
                try store.createPolicy(
                    PolicyDefinition(
                        name: "write\(group)", access: .write, selectors: [.scope(connection: "c0", database: nil, schema: nil)],
                        subjects: [.group("group\(group)")]),
                    dryRun: false)
            }
        }
        return record
    }
}
