import StewardModel
import StewardPostgres
import StewardStore

/// What each check should answer, derived from an ``Observation`` and the
/// requirement rule, and where the validation's report differs from it.
struct GroundTruthVerdicts {
    struct Expected: Equatable, CustomStringConvertible {
        var status: CheckStatus
        /// Failing objects as the report lists them, `"db"."schema"."table"`,
        /// with `(PRIVILEGES)` where the check names the missing ones; nil:
        /// not compared (a check that is not about objects).
        var failing: Set<String>?

        var description: String { "\(status.rawValue) \(failing.map { $0.sorted().description } ?? "")" }
    }

    let observation: Observation
    let governed: [String]
    let rule: RequirementRule

    /// The expected result of each check this matrix judges, in report order.
    func expected() -> [(ValidationCheck, Expected)] {
        let skipped = Expected(status: .skipped)
        guard observation.loggedIn else {
            return [(.login, Expected(status: .failed))]
                + ValidationCheck.allCases.drop { $0 != .login }.dropFirst().map { ($0, skipped) }
        }
        var result: [(ValidationCheck, Expected)] = [
            (.login, Expected(status: .passed)),
            (.stateDatabase, Expected(status: observation.stateDatabaseOpened ? .passed : .failed)),
            (.stateMarker, observation.stateDatabaseOpened ? Expected(status: observation.markerMatches ? .passed : .failed) : skipped),
            (.createRole, Expected(status: observation.createsRoles ? .passed : .failed)),
        ]
        let refused = Set(governed.filter { observation.connectable[$0] != true }.map { SQLQuoting.identifier($0) })
        result.append((.databaseConnect, judged(refused)))
        if let check = ValidationCheck(rawValue: Self.databaseConnectGrant) {
            let ungrantable = Set(observation.connectGrantable.filter { !$0.value }.map { SQLQuoting.identifier($0.key) })
            result.append((check, observation.connectGrantable.isEmpty ? skipped : judged(ungrantable)))
        }
        let schemaChecks = [ValidationCheck.schemaUsage] + [ValidationCheck(rawValue: Self.schemaUsageGrant)].compactMap { $0 }
        guard governed.contains(where: { observation.connectable[$0] == true }) else {
            return result + (schemaChecks + [.tablePrivileges, .alterTable]).map { ($0, skipped) }
        }
        let schemas = observation.schemas.filter { !$0.usable }.map { SQLQuoting.qualified($0.database, $0.schema) }
        result.append((.schemaUsage, judged(Set(schemas))))
        if let check = ValidationCheck(rawValue: Self.schemaUsageGrant) {
            let ungrantable = observation.usageGrantable.filter { !$0.grantable }.map { SQLQuoting.qualified($0.database, $0.schema) }
            result.append((check, judged(Set(ungrantable))))
        }
        var lacking: Set<String> = []
        var unalterable: Set<String> = []
        for relation in observation.relations {
            guard let requirement = rule.requirement(for: relation.kind, isPartition: relation.isPartition) else { continue }
            let name = SQLQuoting.qualified(relation.database, relation.schema, relation.name)
            let missing = requirement.privileges.filter { !relation.grantable.contains($0) }
            if !missing.isEmpty { lacking.insert("\(name) (\(missing.joined(separator: ", ")))") }
            if requirement.alter != nil && !relation.alterable { unalterable.insert(name) }
        }
        result.append((.tablePrivileges, judged(lacking)))
        result.append((.alterTable, judged(unalterable)))
        return result
    }

    /// Checks that issue #12 item 3 (branch `validation`) adds: CONNECT and
    /// USAGE WITH GRANT OPTION. Judged when ``ValidationCheck`` has them,
    /// by the role's own GRANTs to the probe role.
    static let databaseConnectGrant = "database_connect_grant"
    static let schemaUsageGrant = "schema_usage_grant"

    private func judged(_ failing: Set<String>) -> Expected {
        Expected(status: failing.isEmpty ? .passed : .failed, failing: failing)
    }

    /// Every way `report` differs from ``expected()``, one line each.
    func disagreements(with report: [CheckResult]) -> [String] {
        var found: [String] = []
        for (check, expected) in expected() {
            guard let actual = report.first(where: { $0.name == check.rawValue }) else {
                found.append("\(check.rawValue): missing from the report")
                continue
            }
            let seen = Expected(status: actual.status, failing: expected.failing.map { _ in comparable(actual, check) })
            if seen != expected || (expected.failing != nil && actual.failingObjectCount != expected.failing?.count) {
                found.append(
                    "\(check.rawValue): the role's attempts say \(expected), the check says \(seen) "
                        + "(\(actual.failingObjectCount) failing) — \(actual.message)")
            }
        }
        return found
    }

    /// The report's failing objects in ``Expected/failing``'s form: alter_table's
    /// `(owned by …)` and database_connect's `(reason)` dropped, table_privileges'
    /// list of missing privileges kept.
    private func comparable(_ result: CheckResult, _ check: ValidationCheck) -> Set<String> {
        let names = knownNames(check)
        return Set(result.failingObjects.map { listed in
            // Names are quoted, so exactly one known name is followed by " (".
            guard let name = names.first(where: { listed == $0 || listed.hasPrefix($0 + " (") }) else { return listed }
            guard check == .tablePrivileges, listed.count > name.count + 3 else { return name }
            // "(SELECT, INSERT)", or with the kind first: "(view: SELECT)".
            let inside = listed.dropFirst(name.count + 2).dropLast()
            let privileges = inside.range(of: ": ").map { inside[$0.upperBound...] } ?? inside
            return "\(name) (\(privileges))"
        })
    }

    private func knownNames(_ check: ValidationCheck) -> [String] {
        if check == .schemaUsage || check.rawValue == Self.schemaUsageGrant {
            return observation.schemas.map { SQLQuoting.qualified($0.database, $0.schema) }
        }
        if check == .tablePrivileges || check == .alterTable {
            return observation.relations.map { SQLQuoting.qualified($0.database, $0.schema, $0.name) }
        }
        return governed.map { SQLQuoting.identifier($0) }
    }
}
