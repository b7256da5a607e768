extension PostgresMigration {
    /// A validation report keeps the server's version string
    /// (`ValidationReport.server_version`); reports from before have none.
    package static let v4ReportServerVersion = PostgresMigration(
        version: 4, summary: "validation_reports.server_version",
        statements: ["ALTER TABLE validation_reports ADD COLUMN server_version text"])
}
