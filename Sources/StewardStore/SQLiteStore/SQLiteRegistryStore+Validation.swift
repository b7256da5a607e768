extension SQLiteRegistryStore {
    @discardableResult
    public func recordValidation(
        _ result: ValidationResult, connectionKey: String, expectedRevision: Int64,
        change: StateChange?
    ) throws(StoreError) -> (connection: ConnectionRecord, report: ValidationReport) {
        let now = now()
        let at = StoreTime.normalized(result.at)
        let outcome = ValidationOutcome(checks: result.checks)
        return try write { database in
            let current = try Self.loadConnection(key: connectionKey, in: database)
            try RegistryRules.checkRevision(current.record, expected: expectedRevision)
            try database.run(
                """
                INSERT INTO validation_reports (connection_id, connection_revision, at, outcome, server_version)
                VALUES (?, ?, ?, ?, ?)
                """, current.id, expectedRevision, StoreTime.microseconds(at), outcome.rawValue, result.serverVersion)
            let reportID = database.lastInsertRowID
            for (index, check) in result.checks.enumerated() {
                let position = index + 1
                try database.run(
                    """
                    INSERT INTO validation_checks (report_id, position, name, status, message,
                        failing_object_count, remediation_sql)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, reportID, position, check.name, check.status.rawValue, check.message,
                    check.failingObjectCount, check.remediationSQL)
                for (objectIndex, object) in check.failingObjects.enumerated() {
                    try database.run(
                        """
                        INSERT INTO validation_failing_objects (report_id, check_position, position, object)
                        VALUES (?, ?, ?, ?)
                        """, reportID, position, objectIndex + 1, object)
                }
            }
            try database.run(
                """
                DELETE FROM validation_reports WHERE connection_id = ?1 AND id NOT IN
                    (SELECT id FROM validation_reports WHERE connection_id = ?1 ORDER BY id DESC LIMIT ?2)
                """, current.id, RegistryRules.validationReportsKept)
            let connection = try change.map { change in
                try Self.applyTransition(change, to: current, at: now, in: database)
            } ?? current.record
            let report = ValidationReport(
                id: reportID, connectionKey: connectionKey, connectionRevision: expectedRevision,
                at: at, outcome: outcome, checks: result.checks, serverVersion: result.serverVersion)
            return (connection, report)
        }
    }

    public func latestValidationReport(connectionKey: String) throws(StoreError) -> ValidationReport? {
        try read { database in
            let connectionID = try Self.connectionID(key: connectionKey, in: database)
            guard
                var report = try database.queryFirst(
                    """
                    SELECT id, connection_revision, at, outcome, server_version FROM validation_reports
                    WHERE connection_id = ? ORDER BY id DESC LIMIT 1
                    """, connectionID,
                    as: { row in
                        ValidationReport(
                            id: row.int64(0), connectionKey: connectionKey,
                            connectionRevision: row.int64(1), at: StoreTime.date(row.int64(2)),
                            outcome: try row.value(ValidationOutcome.self, 3), checks: [],
                            serverVersion: row.optionalText(4))
                    })
            else { return nil }
            var checks = try database.query(
                """
                SELECT name, status, message, failing_object_count, remediation_sql
                FROM validation_checks WHERE report_id = ? ORDER BY position
                """, report.id
            ) { row in
                CheckResult(
                    name: row.text(0), status: try row.value(CheckStatus.self, 1), message: row.text(2),
                    failingObjectCount: row.int(3), remediationSQL: row.optionalText(4))
            }
            let objects = try database.query(
                """
                SELECT check_position, object FROM validation_failing_objects
                WHERE report_id = ? ORDER BY check_position, position
                """, report.id
            ) { row in (row.int(0), row.text(1)) }
            for (position, object) in objects where checks.indices.contains(position - 1) {
                checks[position - 1].failingObjects.append(object)
            }
            report.checks = checks
            return report
        }
    }
}
