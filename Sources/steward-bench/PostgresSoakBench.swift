import ArgumentParser
import Foundation
import StewardModel
import StewardPostgres

/// Connect/query/close cycles, failures included, watching the process's
/// memory: every PGconn and PGresult must be freed on every path.
struct PostgresSoakBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres-soak",
        abstract: "Run connect/query/close cycles (with bad passwords, a closed port and SQL errors) and report resident memory.")

    @OptionGroup var target: PostgresTarget

    @Option(help: "Cycles to run.")
    var cycles = 10_000

    func run() async throws {
        let good = try target.parameters()
        var badPassword = good
        badPassword.password = "wrong"
        var closedPort = good
        closedPort.port = 1
        let executor = PostgresExecutor()
        let cycles = self.cycles
        var checkpoints: [(Int, Int)] = [(0, residentKilobytes())]
        var outcomes = [String: Int]()
        let checkpointEvery = max(1, cycles / 10)
        var done = 0
        while done < cycles {
            let batch = min(checkpointEvery, cycles - done)
            let counts = await executor.runCycles(batch, offset: done, good: good, badPassword: badPassword, closedPort: closedPort)
            for (key, count) in counts { outcomes[key, default: 0] += count }
            done += batch
            checkpoints.append((done, residentKilobytes()))
        }
        print("cycles by outcome: " + outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        print("resident memory (KiB) after N cycles:")
        for (count, kilobytes) in checkpoints { print("  \(String(count).padding(toLength: 8, withPad: " ", startingAt: 0)) \(kilobytes)") }
        let afterWarmup = checkpoints[1].1
        let last = checkpoints[checkpoints.count - 1].1
        print("growth after the first \(checkpointEvery) cycles: \(last - afterWarmup) KiB")
    }

    private func residentKilobytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}

extension PostgresExecutor {
    /// Runs `count` cycles on one worker thread: a good connect with a
    /// query, then in turn a bad password, a closed port, and an SQL error.
    func runCycles(
        _ count: Int, offset: Int, good: ConnectionParameters, badPassword: ConnectionParameters,
        closedPort: ConnectionParameters
    ) async -> [String: Int] {
        (try? await run { () throws(PostgresError) -> [String: Int] in
            var counts = [String: Int]()
            for index in offset..<(offset + count) {
                let deadline = Deadline.after(milliseconds: 10_000)
                do throws(PostgresError) {
                    switch index % 4 {
                    case 0:
                        let connection = try PostgresConnection.connect(good, deadline: deadline)
                        defer { connection.close() }
                        _ = try connection.query("SELECT $1::int AS n", [String(index)], deadline: deadline)
                    case 1:
                        _ = try PostgresConnection.connect(badPassword, deadline: deadline)
                    case 2:
                        _ = try PostgresConnection.connect(closedPort, deadline: deadline)
                    default:
                        let connection = try PostgresConnection.connect(good, deadline: deadline)
                        defer { connection.close() }
                        _ = try connection.query("SELECT * FROM no_such_table", deadline: deadline)
                    }
                    counts["ok", default: 0] += 1
                } catch {
                    counts[error.kind.name, default: 0] += 1
                }
            }
            return counts
        }) ?? [:]
    }
}
