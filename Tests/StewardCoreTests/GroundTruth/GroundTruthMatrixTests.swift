import PostgresTestSupport
import StewardModel
import StewardStore
import Testing

/// Issue #12 item 4: every check's verdict and failing objects, for each
/// privilege set-up of ``GroundTruthCases``, against what the role can
/// actually do (``GroundTruthProbe``). A disagreement is a bug in the check.
@Suite("Validation ground truth: checks against what the role can actually do")
struct GroundTruthMatrixTests {
    /// Cases run side by side, each worker in its own database.
    static let workers = 3

    /// Disagreements known and not yet fixed, by case name: the bug, for the report.
    static let knownDisagreements: [String: String] = [:]

    @Test("The matrix has at least 40 set-ups, each with its own name")
    func matrixSize() {
        let names = GroundTruthCases.all.map(\.name)
        #expect(names.count >= 40)
        #expect(Set(names).count == names.count, "duplicate case names")
    }

    @Test("Every check agrees with the role's own attempts, in every set-up", arguments: TestPostgres.supported)
    func matrix(server: TestPostgres) async throws {
        let cases = GroundTruthCases.all
        let queue = CaseQueue(count: cases.count)
        let rule = RelationRequirements.active
        var seen: Set<String> = []
        try await withGroundTruthBench(server, workers: Self.workers) { bench in
            try await withThrowingTaskGroup(of: Set<String>.self) { group in
                for worker in 0..<Self.workers {
                    group.addTask {
                        var seen: Set<String> = []
                        while let index = await queue.next() {
                            let testCase = cases[index]
                            // One case's failure to run is its own issue; the others still run.
                            do {
                                let outcome = try await bench.run(testCase, index: index, worker: worker, rule: rule)
                                Self.judge(testCase, outcome, server: server)
                                for (check, expected) in outcome.verdicts.expected() { seen.insert("\(check.rawValue) \(expected.status.rawValue)") }
                            } catch {
                                Issue.record(error, "\(server) \(testCase.name): the set-up or the probe failed")
                            }
                        }
                        return seen
                    }
                }
                for try await found in group { seen.formUnion(found) }
            }
        }
        // The matrix proves something only if each check is seen both to
        // pass and to fail for real.
        for check in Self.judgedChecks {
            for status in [CheckStatus.passed, .failed] {
                #expect(seen.contains("\(check.rawValue) \(status.rawValue)"), "no set-up where the role's attempts make \(check.rawValue) \(status.rawValue)")
            }
        }
    }

    static let judgedChecks: [ValidationCheck] = [
        .login, .stateDatabase, .stateMarker, .createRole, .databaseConnect, .schemaUsage, .tablePrivileges, .alterTable,
    ] + [GroundTruthVerdicts.databaseConnectGrant, GroundTruthVerdicts.schemaUsageGrant].compactMap(ValidationCheck.init(rawValue:))

    private static func judge(_ testCase: GroundTruthCase, _ outcome: GroundTruthBench.Outcome, server: TestPostgres) {
        let found = outcome.verdicts.disagreements(with: outcome.report)
        let tagged = testCase.tags.contains(.perKindRule) ? " [per-kind rule: \(RelationRequirements.active)]" : ""
        let comment = Comment(rawValue: "\(server) \(testCase.name)\(tagged):\n" + found.joined(separator: "\n"))
        if let bug = knownDisagreements[testCase.name] {
            withKnownIssue(Comment(rawValue: bug)) { #expect(found.isEmpty, comment) }
        } else {
            #expect(found.isEmpty, comment)
        }
    }
}

/// Hands out case indexes to the workers, each once.
private actor CaseQueue {
    private var nextIndex = 0
    private let count: Int

    init(count: Int) { self.count = count }

    func next() -> Int? {
        guard nextIndex < count else { return nil }
        defer { nextIndex += 1 }
        return nextIndex
    }
}
