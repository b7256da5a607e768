import StewardCore
import StewardModel
import StewardStore
import Testing

extension ValidationFixture {
    /// Expects `check` to have FAILED in `results` with remediation SQL, runs
    /// that SQL with psql as an administrator, validates again and expects
    /// `check` to pass now. Returns the second validation.
    @discardableResult
    func expectRemediationFixes(_ check: ValidationCheck, in results: [CheckResult]) async throws -> [CheckResult] {
        let failed = results[check]
        try #require(failed.status == .failed, "\(check.rawValue) should fail:\n\(results.dump)")
        try await runRemediation(of: failed)
        let again = await validate()
        #expect(again[check].status == .passed, "after running the remediation:\n\(again.dump)\n--- remediation:\n\(failed.remediationSQL ?? "")")
        return again
    }
}

/// Expects every check to have passed.
func expectAllPassed(_ results: [CheckResult], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(results.map(\.name) == ValidationCheck.allCases.map(\.rawValue), sourceLocation: sourceLocation)
    #expect(results.allSatisfy { $0.status == .passed }, "\n\(results.dump)", sourceLocation: sourceLocation)
    #expect(ValidationSummary(checks: results).outcome == .passed, sourceLocation: sourceLocation)
}

/// Expects every check after `check` to be SKIPPED, naming `check`.
func expectSkipped(after check: ValidationCheck, in results: [CheckResult], sourceLocation: SourceLocation = #_sourceLocation) {
    let later = results.after(check)
    #expect(!later.isEmpty || check == .alterTable, sourceLocation: sourceLocation)
    for result in later {
        #expect(result.status == .skipped, "\(result.name): \(result.message)", sourceLocation: sourceLocation)
        #expect(result.message.contains(check.rawValue), "\(result.name): \(result.message)", sourceLocation: sourceLocation)
    }
}
