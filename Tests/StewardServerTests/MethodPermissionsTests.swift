import Foundation
import Logging
import StewardCore
import StewardPostgres
import StewardServer
import StewardStore
import StewardWire
import Testing

@Suite("Method permissions")
struct MethodPermissionsTests {
    /// What every method the daemon routes declares, built the way stewardd builds them.
    static func daemonPermissions() throws -> [String: MethodPermissions.Rule] {
        let directory = NSTemporaryDirectory() + "steward-permissions-\(UUID().uuidString)"
        let state = try StateDirectory.open(at: directory)
        defer {
            state.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let server = RegistryServer.make(
            configuration: ServerConfiguration(socketPath: directory + "/unused.sock"), store: state.store,
            executor: PostgresExecutor(maxConcurrentJobs: 1), logger: Logger(label: "test"))
        #expect(Set(server.permissions.keys) == Set(server.methodPaths))
        return server.permissions
    }

    @Test("Every routed method declares what it needs")
    func everyRouteDeclared() throws {
        #expect(try Self.daemonPermissions().count == 49)
    }

    @Test("Every method of the contract is declared, and nothing else")
    func contractDeclared() throws {
        let contract = Set(StewardProtoRegistry.allMethods.map(\.path))
        #expect(Set(try Self.daemonPermissions().keys) == contract)
    }

    @Test("docs/permissions.md publishes exactly the table")
    func publishedTable() throws {
        let page = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/permissions.md")
        let text = try String(contentsOf: page, encoding: .utf8)
        var published: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `/") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            published[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = "\(cells[1]) | \(cells[2])"
        }
        #expect(published == (try Self.daemonPermissions()).mapValues { "\($0.needs.rawValue) | \($0.isMutating ? "yes" : "no")" })
    }

    @Test("Only Health and WhoAmI are open to unknown callers")
    func openMethods() throws {
        let open = try Self.daemonPermissions().filter { $0.value.needs == .anyone }.keys.sorted()
        #expect(open == ["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch", "/steward.v1.Server/WhoAmI"])
    }

    @Test("The domain never names a wire path: routes hand services their method and audit target")
    func domainNamesNoWirePath() throws {
        let core = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/StewardCore")
        let files = try #require(FileManager.default.enumerator(atPath: core.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        #expect(files.count > 20, "found the domain's sources")
        for file in files {
            let text = try String(contentsOf: core.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains("\"/steward.v1") && !text.contains("\"/grpc."), "\(file) names a wire path")
        }
    }
}
