import StewardModel
import StewardStore

/// The results a check records, named by the check itself.
extension ValidationCheck {
    func passed(_ message: String) -> CheckResult {
        CheckResult(name: rawValue, status: .passed, message: message)
    }

    /// A WARNING may list objects and their fix: relations that appeared
    /// since the last sync and are not governed yet (``SplitFailures``).
    func warning(_ message: String, objects: FailingObjects = FailingObjects(), remediation: String? = nil) -> CheckResult {
        CheckResult(
            name: rawValue, status: .warning, message: message, failingObjectCount: objects.count,
            failingObjects: objects.listed, remediationSQL: remediation)
    }

    func failed(_ message: String, objects: FailingObjects = FailingObjects(), remediation: String? = nil) -> CheckResult {
        CheckResult(
            name: rawValue, status: .failed, message: message, failingObjectCount: objects.count,
            failingObjects: objects.listed, remediationSQL: remediation)
    }

    /// SKIPPED, saying which earlier check made this one meaningless.
    func skipped(because cause: ValidationCheck, _ why: String? = nil) -> CheckResult {
        var message = "skipped because the \(cause.rawValue) check failed"
        if let why { message += ": \(why)" }
        return CheckResult(name: rawValue, status: .skipped, message: message)
    }
}

/// The checks of one validation as they are decided. A run that stops early
/// hands back every check anyway, the undecided ones SKIPPED, so a report
/// always lists all checks in their order.
struct CheckList {
    private var decided: [ValidationCheck: CheckResult] = [:]

    mutating func record(_ check: ValidationCheck, _ result: CheckResult) {
        precondition(result.name == check.rawValue, "result \(result.name) recorded as \(check.rawValue)")
        decided[check] = result
    }

    /// Every check in order; those not decided are SKIPPED because of
    /// `cause`, which must be given when the run stopped early.
    func results(skippingUndecidedBecause cause: ValidationCheck? = nil, _ why: String? = nil) -> [CheckResult] {
        ValidationCheck.allCases.map { check in
            if let result = decided[check] { return result }
            guard let cause else { preconditionFailure("check \(check.rawValue) was never decided") }
            return check.skipped(because: cause, why)
        }
    }
}
