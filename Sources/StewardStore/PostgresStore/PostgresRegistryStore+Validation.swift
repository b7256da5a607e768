import Foundation
import StewardPostgres

extension PostgresRegistryStore {
    /// Race: the connection's row is locked before its revision is
    /// compared, so a report is stored only for the revision it tested.
    @discardableResult
    public func recordValidation(
        _ result: ValidationResult, connectionKey: String, expectedRevision: Int64,
        change: StateChange?
    ) throws(StoreError) -> (connection: ConnectionRecord, report: ValidationReport) {
        let now = now()
        let at = StoreTime.normalized(result.at)
        let outcome = ValidationOutcome(checks: result.checks)
        let stored = try write { session in
            let current = try Self.loadConnection(key: connectionKey, lock: "FOR NO KEY UPDATE", in: session)
            try RegistryRules.checkRevision(current.record, expected: expectedRevision)
            let inserted = try session.query(
                """
                INSERT INTO validation_reports (connection_id, connection_revision, at, outcome, server_version)
                VALUES ($1::bigint, $2::bigint, $3::bigint, $4::text, $5::text) RETURNING id
                """, current.id, expectedRevision, StoreTime.microseconds(at), outcome.rawValue, result.serverVersion)
            let reportID = try inserted[0].int64Value("id")
            for (index, check) in result.checks.enumerated() {
                let position = index + 1
                try session.query(
                    """
                    INSERT INTO validation_checks (report_id, position, name, status, message,
                        failing_object_count, remediation_sql)
                    VALUES ($1::bigint, $2::integer, $3::text, $4::text, $5::text, $6::bigint, $7::text)
                    """, reportID, position, check.name, check.status.rawValue, check.message,
                    check.failingObjectCount, check.remediationSQL)
                if !check.failingObjects.isEmpty {
                    // One statement for all of a check's objects.
                    try session.query(
                        """
                        INSERT INTO validation_failing_objects (report_id, check_position, position, object)
                        SELECT $1::bigint, $2::integer, o.position, o.object
                        FROM json_array_elements_text($3::json) WITH ORDINALITY AS o (object, position)
                        """, reportID, position, try Self.jsonText(check.failingObjects))
                }
            }
            try session.query(
                """
                DELETE FROM validation_reports WHERE connection_id = $1::bigint AND id NOT IN
                    (SELECT id FROM validation_reports WHERE connection_id = $1::bigint
                     ORDER BY id DESC LIMIT $2::bigint)
                """, current.id, RegistryRules.validationReportsKept)
            let connection = try change.map { change in
                try Self.applyTransition(change, to: current, at: now, in: session)
            } ?? current.record
            return (connection, reportID)
        }
        let report = ValidationReport(
            id: stored.1, connectionKey: connectionKey, connectionRevision: expectedRevision,
            at: at, outcome: outcome, checks: result.checks, serverVersion: result.serverVersion)
        return (stored.0, report)
    }

    public func latestValidationReport(connectionKey: String) throws(StoreError) -> ValidationReport? {
        try read { session in
            let connectionID = try Self.connectionID(key: connectionKey, in: session)
            guard
                let row = try session.queryFirst(
                    """
                    SELECT id, connection_revision, at, outcome, server_version FROM validation_reports
                    WHERE connection_id = $1::bigint ORDER BY id DESC LIMIT 1
                    """, connectionID)
            else { return nil }
            var report = ValidationReport(
                id: try row.int64Value("id"), connectionKey: connectionKey,
                connectionRevision: try row.int64Value("connection_revision"), at: try row.dateValue("at"),
                outcome: try row.value(ValidationOutcome.self, "outcome"), checks: [],
                serverVersion: try row.optionalTextValue("server_version"))
            var checks = try session.query(
                """
                SELECT name, status, message, failing_object_count, remediation_sql
                FROM validation_checks WHERE report_id = $1::bigint ORDER BY position
                """, report.id
            ).map { row in
                CheckResult(
                    name: try row.textValue("name"), status: try row.value(CheckStatus.self, "status"),
                    message: try row.textValue("message"),
                    failingObjectCount: try row.intValue("failing_object_count"),
                    remediationSQL: try row.optionalTextValue("remediation_sql"))
            }
            let objects = try session.query(
                """
                SELECT check_position, object FROM validation_failing_objects
                WHERE report_id = $1::bigint ORDER BY check_position, position
                """, report.id
            ).map { row in (try row.intValue("check_position"), try row.textValue("object")) }
            for (position, object) in objects where checks.indices.contains(position - 1) {
                checks[position - 1].failingObjects.append(object)
            }
            report.checks = checks
            return report
        }
    }

    /// `values` as a JSON array, for statements that take a list in one parameter.
    static func jsonText(_ values: [Any]) throws(StoreError) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: values) else {
            throw StoreError(.io, "the registry store failed", detail: "JSON encoding")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
