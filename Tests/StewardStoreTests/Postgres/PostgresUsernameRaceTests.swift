import Dispatch
import Foundation
import PostgresTestSupport
import StewardStore
import Synchronization
import Testing

/// The rule a unique index cannot hold alone, under daemons racing: one
/// daemon gives user A the default username "x" while others give users B,
/// C, … the username "x" on connection c1, where none of them would leave
/// room for the other. The usernames lock orders them: exactly one wins,
/// and the registry never holds the clash.
@Suite("PostgreSQL registry store: default against connection usernames, racing")
struct PostgresUsernameRaceTests {
    @Test("A default and connection mappings claiming one username at once: exactly one wins",
          arguments: TestPostgres.supported)
    func defaultAgainstConnection(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let stores = try (0..<4).map { _ in try database.openStore(key: key) }
        defer { stores.forEach { $0.close() } }
        try Samples.connection(stores[0], "c1")
        for round in 0..<5 {
            for index in stores.indices {
                try stores[0].createUser(name: "r\(round)u\(index)", uid: UInt32(5_000 + round * 10 + index), permissions: [])
            }
            let outcomes = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: stores.count) { index in
                // Daemon 0 sets a default; the others, mappings on c1.
                let mapping = IdentityMapping(
                    userName: "r\(round)u\(index)", connectionKey: index == 0 ? nil : "c1",
                    identity: .postgresUsername("shared\(round)"))
                let outcome: String
                do throws(StoreError) {
                    try stores[index].setMapping(mapping)
                    outcome = "won"
                } catch {
                    outcome = error.code == .alreadyExists ? "lost" : error.debugDescription
                }
                outcomes.withLock { $0.append(outcome) }
            }
            let all = outcomes.withLock { $0 }
            #expect(all.filter { $0 == "won" }.count == 1, "round \(round): \(all)")
            #expect(all.filter { $0 == "lost" }.count == stores.count - 1, "round \(round): \(all)")
            let owners = try stores[0].effectiveIdentities(connectionKey: "c1", userName: nil)
                .filter { $0.postgresUsername == "shared\(round)" }
            #expect(owners.count == 1, "round \(round): \(owners.map(\.userName))")
        }
    }
}
