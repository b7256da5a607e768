import Foundation
import PostgresTestSupport
import StewardWire
import Testing

/// Bulkheads for PostgreSQL work (issue 13, item 3): with forty and more
/// calls hung on a server that stopped answering (a private cluster, frozen
/// with SIGSTOP), work for a healthy server (the shared PostgreSQL 17)
/// still runs at once. Before, all PostgreSQL work shared sixteen slots,
/// and the healthy server's validation waited for the hung calls' deadlines.
@Suite("Bulkheads: a hung server holds only its own calls", .serialized, .timeLimit(.minutes(4)))
struct BulkheadTests {
    /// The hung calls' deadline: far beyond the healthy calls' own, so a
    /// healthy call that waited for a hung call's slot would miss its deadline.
    static let hungDeadlineMilliseconds: UInt32 = 60_000
    static let healthyDeadlineMilliseconds: UInt32 = 15_000

    @Test("Forty-eight validations hung on a frozen server; validations of a healthy one answer within their deadlines")
    func healthyServerStaysPrompt() async throws {
        let (cluster, directory, daemon) = try await OutageStressTests.governingDaemon()
        defer { cluster.destroy(); try? FileManager.default.removeItem(atPath: directory) }
        try await OutageStressTests.register("hung", on: try cluster.admin(), socket: daemon.socketPath)
        try await OutageStressTests.register("healthy", on: try TestPostgres.pg17.adminOverTCP(), socket: daemon.socketPath)
        let client = TimedCaller(try RawConnection(path: daemon.socketPath))

        try cluster.freeze()
        let hung = try await client.send(
            count: 48, StewardV1.Connections.validate, .init(key: "hung"), timeout: Self.hungDeadlineMilliseconds)

        // Work for the healthy server, several calls at once, while all of
        // those are in flight.
        let healthy = try await client.send(
            count: 4, StewardV1.Connections.validate, .init(key: "healthy"), timeout: Self.healthyDeadlineMilliseconds)
        for answer in try await client.answers(to: healthy) {
            #expect(answer.code == .ok, "\(answer)")
            #expect(answer.elapsedMilliseconds < Double(Self.healthyDeadlineMilliseconds), "\(answer)")
        }
        // The hung calls were all still in flight meanwhile: the healthy
        // ones did not get through because the hung ones had ended.
        #expect(client.answeredAlready(hung).isEmpty, "hung calls answered early: \(client.answeredAlready(hung))")

        // Once the server is back the hung calls end (each within its
        // deadline), and the daemon serves on.
        try cluster.thaw()
        for answer in try await client.answers(to: hung) {
            #expect(answer.elapsedMilliseconds < Double(Self.hungDeadlineMilliseconds) + 5_000, "\(answer)")
        }
        #expect(try await client.pollUntilOK(StewardV1.Connections.validate, .init(key: "hung"), withinMilliseconds: 30_000))
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }
}
