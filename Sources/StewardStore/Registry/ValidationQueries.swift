import Foundation

/// Validation reports (`validation_reports`, their checks and failing
/// objects), written once for both backends (``RegistrySQLSession``).
enum ValidationQueries {
    /// Stores the report for the connection at `expectedRevision` (its row
    /// locked on PostgreSQL before the revision is compared, so a report is
    /// stored only for the revision it tested) and, if given, the state
    /// change it causes.
    static func record(
        _ result: ValidationResult, connectionKey: String, expectedRevision: Int64, change: StateChange?,
        now: (date: Date, microseconds: Int64), in session: some RegistrySQLSession
    ) throws -> (connection: ConnectionRecord, report: ValidationReport) {
        let current = try ConnectionQueries.load(key: connectionKey, lock: .forNoKeyUpdate, in: session)
        try RegistryRules.checkRevision(current.record, expected: expectedRevision)
        let at = StoreTime.normalized(result.at)
        let outcome = ValidationOutcome(checks: result.checks)
        let reportID = try session.firstID { sql in
            let values = [
                sql.bind(current.id), sql.bind(expectedRevision), sql.bind(StoreTime.microseconds(at)),
                sql.bind(outcome.rawValue), sql.bind(result.serverVersion),
            ]
            return """
                INSERT INTO validation_reports (connection_id, connection_revision, at, outcome, server_version)
                VALUES (\(values.joined(separator: ", "))) RETURNING id
                """
        }
        guard let reportID else { throw StoreError(.io, "the registry store failed", detail: "no report id returned") }
        let checks = Array(result.checks.enumerated())
        try session.insert(
            into: "validation_checks",
            columns: "report_id, position, name, status, message, failing_object_count, remediation_sql", checks
        ) { item, sql in
            let check = item.element
            return [
                sql.bind(reportID), sql.bind(item.offset + 1), sql.bind(check.name), sql.bind(check.status.rawValue),
                sql.bind(check.message), sql.bind(check.failingObjectCount), sql.bind(check.remediationSQL),
            ]
        }
        let objects = checks.flatMap { item in
            item.element.failingObjects.enumerated().map { (check: item.offset + 1, position: $0.offset + 1, object: $0.element) }
        }
        try session.insert(
            into: "validation_failing_objects", columns: "report_id, check_position, position, object", objects
        ) { item, sql in [sql.bind(reportID), sql.bind(item.check), sql.bind(item.position), sql.bind(item.object)] }
        try session.run { sql in
            """
                DELETE FROM validation_reports WHERE connection_id = \(sql.bind(current.id)) AND id NOT IN
                    (SELECT id FROM validation_reports WHERE connection_id = \(sql.bind(current.id))
                     ORDER BY id DESC LIMIT \(sql.bind(Int64(RegistryRules.validationReportsKept))))
            """
        }
        let connection = try change.map { change in try TransitionQueries.apply(change, to: current, at: now, in: session) }
            ?? current.record
        let report = ValidationReport(
            id: reportID, connectionKey: connectionKey, connectionRevision: expectedRevision,
            at: at, outcome: outcome, checks: result.checks, serverVersion: result.serverVersion)
        return (connection, report)
    }

    /// The newest report of each of the connections that has one, by key;
    /// three queries however many connections are asked. NOT_FOUND for a
    /// key that names no connection.
    static func latest(connectionKeys: [String], in session: some RegistrySQLSession) throws -> [String: ValidationReport] {
        guard !connectionKeys.isEmpty else { return [:] }
        let found = try session.query({ sql in
            """
            SELECT c.key, \(headerColumns)
            FROM connections AS c
            \(latestJoin)
            WHERE c.key IN (\(sql.elements(of: connectionKeys)))
            """
        }, as: { row -> (key: String, report: ValidationReport?) in
            let key = try row.text(0)
            return (key, try header(row, from: 1, connectionKey: key))
        })
        let known = Set(found.map(\.key))
        if let missing = connectionKeys.first(where: { !known.contains($0) }) { throw StoreError.connectionNotFound(missing) }
        var reports = Dictionary(uniqueKeysWithValues: found.compactMap { item in item.report.map { (item.key, $0) } })
        let checks = try self.checks(ofReports: reports.values.map(\.id), in: session)
        for (key, report) in reports { reports[key]?.checks = checks[report.id] ?? [] }
        return reports
    }

    /// The columns ``header(_:from:connectionKey:)`` reads, over alias `r`.
    static let headerColumns = "r.id, r.connection_revision, r.at, r.outcome, r.server_version"

    /// A report without its checks, from ``headerColumns`` starting at
    /// column `first`; nil when they are NULL (no report joined).
    static func header(_ row: some RegistrySQLRow, from first: Int, connectionKey: String) throws -> ValidationReport? {
        guard let id = try row.optionalInt64(first) else { return nil }
        return ValidationReport(
            id: id, connectionKey: connectionKey, connectionRevision: try row.int64(first + 1), at: try row.date(first + 2),
            outcome: try row.value(ValidationOutcome.self, first + 3), checks: [], serverVersion: try row.optionalText(first + 4))
    }

    /// The join that finds connection `c`'s newest report as `r`.
    static let latestJoin = "LEFT JOIN validation_reports AS r ON r.id = (SELECT max(v.id) FROM validation_reports AS v WHERE v.connection_id = c.id)"

    /// Each report's checks in position order, with their failing objects.
    static func checks(ofReports ids: [Int64], in session: some RegistrySQLSession) throws -> [Int64: [CheckResult]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try session.query({ sql in
            """
            SELECT report_id, position, name, status, message, failing_object_count, remediation_sql
            FROM validation_checks WHERE report_id IN (\(sql.elements(of: ids))) ORDER BY report_id, position
            """
        }, as: { row in
            (report: try row.int64(0), position: try row.int(1),
             check: CheckResult(
                name: try row.text(2), status: try row.value(CheckStatus.self, 3), message: try row.text(4),
                failingObjectCount: try row.int(5), remediationSQL: try row.optionalText(6)))
        })
        let objects = try session.query({ sql in
            """
            SELECT report_id, check_position, object FROM validation_failing_objects
            WHERE report_id IN (\(sql.elements(of: ids))) ORDER BY report_id, check_position, position
            """
        }, as: { row in (report: try row.int64(0), check: try row.int(1), object: try row.text(2)) })
        var objectsByCheck: [Int64: [Int: [String]]] = [:]
        for item in objects { objectsByCheck[item.report, default: [:]][item.check, default: []].append(item.object) }
        var checks: [Int64: [CheckResult]] = [:]
        for var item in rows {
            item.check.failingObjects = objectsByCheck[item.report]?[item.position] ?? []
            checks[item.report, default: []].append(item.check)
        }
        return checks
    }
}
