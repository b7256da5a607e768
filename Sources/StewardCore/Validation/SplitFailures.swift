import StewardModel
import StewardStore

/// One check's failing objects, split by ``GovernedRelations``: a failure
/// of something Steward governs FAILS the check (and makes an ACTIVE
/// connection UNHEALTHY); a failure only of things not governed yet (they
/// appeared since the last sync) is a WARNING naming them with their fix,
/// and the connection stays ACTIVE.
struct SplitFailures {
    private var governed = FailingObjects()
    private var fresh = FailingObjects()
    /// By kind, for checks of relations; empty for schemas and databases.
    private(set) var governedKinds = RelationCounts()
    private(set) var freshKinds = RelationCounts()

    var isEmpty: Bool { governed.isEmpty && fresh.isEmpty }
    var governedCount: Int { governed.count }
    var freshCount: Int { fresh.count }

    mutating func add(_ name: @autoclosure () -> String, governed isGoverned: Bool, kind: RelationKind? = nil) {
        if isGoverned {
            governed.add(name())
            if let kind { governedKinds.add(kind) }
        } else {
            fresh.add(name() + " [not governed yet]")
            if let kind { freshKinds.add(kind) }
        }
    }

    /// FAILED when a governed object fails, WARNING when only objects not
    /// governed yet do; nil when nothing fails. The objects listed governed
    /// first.
    ///
    /// - Parameters:
    ///   - failing: the message for the governed failures.
    ///   - notGoverned: what the objects not governed yet lack, as "2 tables lack …".
    ///   - note: said last (``notObservedNote``).
    func result(
        _ check: ValidationCheck, failing: @autoclosure () -> String, notGoverned: @autoclosure () -> String,
        note: String, remediation: String?
    ) -> CheckResult? {
        guard !isEmpty else { return nil }
        let objects = FailingObjects(governed, then: fresh)
        guard governed.isEmpty else {
            var message = failing()
            if !fresh.isEmpty { message += "; besides, not governed yet: \(notGoverned())" }
            return check.failed(message + note, objects: objects, remediation: remediation)
        }
        return check.warning(
            "not governed yet (no governable data source: new since the last sync, or never governable): \(notGoverned()); "
                + "everything Steward governs passes. Run the remediation SQL, then sync, and Steward governs them\(note)",
            objects: objects, remediation: remediation)
    }
}
