import ArgumentParser
import Foundation
import PostgresTestSupport
import StewardPostgres
import StewardStore

/// What `PostgresExecutor` costs a job beyond the job itself (issue 13,
/// item 1): empty jobs through the executor, whose threads are reused,
/// beside the same jobs on a thread made for each (how the executor ran
/// before) and beside the floor, a hop onto a thread already waiting
/// (`BlockingExecutor`); and the cheapest real job, a connect and
/// `SELECT 1` on PostgreSQL 17, for scale. All in one run.
struct ExecutorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "executor",
        abstract: "Time empty PostgresExecutor jobs beside a thread made per job and a hop onto a waiting thread.",
        discussion: "Needs the servers of scripts/postgres-servers.sh (its env variables) for the connect figure.")

    @Option(help: "Empty jobs timed in each way.")
    var jobs = 1_000

    @Option(help: "Jobs in flight at once for the concurrent figures.")
    var inFlight = 16

    @Option(help: "Rounds of each way, taking turns; the median round is shown.")
    var rounds = 5

    @Option(help: "Connects timed for the real-job figure.")
    var connects = 30

    func validate() throws {
        guard jobs > 0, inFlight > 0, rounds > 0, connects > 0 else { throw ValidationError("every count must be positive") }
    }

    func run() async throws {
        #if DEBUG
        print("note: this is a debug build; figures are only meaningful with -c release\n")
        #endif
        let executor = PostgresExecutor(maxConcurrentJobs: max(16, inFlight), maxJobsPerServer: max(16, inFlight))
        let reused: @Sendable () async -> Void = { _ = try? await executor.run { () throws(PostgresError) in 0 } }
        let floor: @Sendable () async -> Void = { _ = await BlockingExecutor.shared.run { 0 } }
        // Warm each way once (threads made, code paged in).
        for way in [reused, Self.onNewThread, floor] { _ = await microsecondsPerJob(way, inFlight: 1) }

        var rows: [ResultTable.Row] = []
        var reusedFigures: [Double] = []
        var newThreadFigures: [Double] = []
        for inFlight in [1, inFlight] {
            // Rounds taking turns, medians kept: a busy moment of the
            // machine falls on one round of one way, not on a way.
            var figures: [[Double]] = [[], [], []]
            for _ in 0..<rounds {
                for (index, way) in [floor, reused, Self.onNewThread].enumerated() {
                    figures[index].append(await microsecondsPerJob(way, inFlight: inFlight))
                }
            }
            let (floorFigure, reusedFigure, newThreadFigure) = (figures[0].median ?? 0, figures[1].median ?? 0, figures[2].median ?? 0)
            rows.append(.init("empty job, \(inFlight) in flight: reused (us)", steward: reusedFigure, floor: floorFigure, lowerIsBetter: true))
            rows.append(.init("  thread made per job, before (us)", steward: newThreadFigure, floor: floorFigure, lowerIsBetter: true))
            reusedFigures.append(reusedFigure)
            newThreadFigures.append(newThreadFigure)
        }
        let parameters = try TestPostgres.pg17.adminOverTCP()
        var connectTimes: [Double] = []
        for _ in 0..<connects {
            let started = DispatchTime.now().uptimeNanoseconds
            _ = try await executor.withConnection(parameters, deadline: .after(milliseconds: 10_000)) { connection throws(PostgresError) in
                try connection.query("SELECT 1", deadline: .after(milliseconds: 10_000)).rows.count
            }
            connectTimes.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000)
        }
        let connect = connectTimes.median ?? 0
        print(ResultTable(rows: rows).render())
        print("connect + SELECT 1 on PostgreSQL 17, median of \(connects) (us): " + String(format: "%.0f", connect))
        let share = reusedFigures[0] / connect
        print(
            "target: an empty job one at a time costs at most 2% of the cheapest real job (connect + SELECT 1): "
                + String(format: "%.2f%%", share * 100) + (share <= 0.02 ? " PASS" : " FAIL"))
        let cheaper = zip(reusedFigures, newThreadFigures).allSatisfy { $0 <= $1 }
        print("target: reused threads cost a job no more than a thread made for it, at both depths: " + (cheaper ? "PASS" : "FAIL"))
    }

    /// How the executor ran a job before: on a thread made for it.
    static let onNewThread: @Sendable () async -> Void = {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread { continuation.resume() }
            thread.stackSize = 512 * 1024
            thread.start()
        }
    }

    /// Microseconds per job over `jobs` jobs, `inFlight` at a time.
    private func microsecondsPerJob(_ job: @escaping @Sendable () async -> Void, inFlight: Int) async -> Double {
        let started = DispatchTime.now().uptimeNanoseconds
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<jobs {
                if index >= inFlight { await group.next() }
                group.addTask { await job() }
            }
        }
        return Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000 / Double(jobs)
    }
}
