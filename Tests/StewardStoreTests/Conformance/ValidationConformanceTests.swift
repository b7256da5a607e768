import Foundation
import StewardStore
import Testing

@Suite("Registry store conformance: validation reports")
struct ValidationConformanceTests {
    static let checks = [
        CheckResult(name: "reachable", status: .passed, message: "server answered"),
        CheckResult(
            name: "table privileges", status: .failed, message: "2 of 40 tables lack privileges",
            failingObjectCount: 40, failingObjects: ["sales.public.orders", "sales.public.\"odd name\""],
            remediationSQL: "GRANT SELECT ON \"public\".\"orders\" TO \"steward_role\" WITH GRANT OPTION;"),
        CheckResult(name: "alter table", status: .skipped, message: "needs table privileges"),
    ]

    @Test("A report is stored whole with the state change it causes, in one step",
          arguments: StoreBackend.all)
    func recordWithTransition(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "warehouse")
            #expect(try store.latestValidationReport(connectionKey: "warehouse") == nil)
            let at = Date(timeIntervalSince1970: 1_760_000_000.123456)
            let (connection, report) = try store.recordValidation(
                ValidationResult(at: at, checks: Self.checks, serverVersion: "17.4 (Debian 17.4-1.pgdg120+2)"),
                connectionKey: "warehouse", expectedRevision: 1,
                change: StateChange(to: .validationFailed, actor: 5, reason: "validation failed"))
            #expect(connection.state == .validationFailed)
            #expect(connection.revision == 2)
            #expect(report.outcome == .failed)
            #expect(report.connectionRevision == 1)
            #expect(report.checks == Self.checks)
            #expect(report.serverVersion == "17.4 (Debian 17.4-1.pgdg120+2)")
            #expect(abs(report.at.timeIntervalSince(at)) < 0.000_001)

            let latest = try #require(try store.latestValidationReport(connectionKey: "warehouse"))
            #expect(latest == report)
            #expect(try store.connection(key: "warehouse") == connection)
            #expect(try store.transitions(key: "warehouse").last?.to == .validationFailed)
        }
    }

    @Test("The latest report is the newest one; outcomes summarize the checks", arguments: StoreBackend.all)
    func latest(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "warehouse")
            let first = try store.recordValidation(
                ValidationResult(at: Date(timeIntervalSince1970: 100), checks: Self.checks),
                connectionKey: "warehouse", expectedRevision: 1, change: nil)
            #expect(first.connection.revision == 1, "a report alone does not change the connection")
            let warning = [
                CheckResult(name: "reachable", status: .passed, message: "ok"),
                CheckResult(name: "server version", status: .warning, message: "PostgreSQL 16 ADMIN OPTION caveat"),
            ]
            let second = try store.recordValidation(
                ValidationResult(at: Date(timeIntervalSince1970: 200), checks: warning),
                connectionKey: "warehouse", expectedRevision: 1,
                change: StateChange(to: .validated, actor: 1, reason: "validation passed"))
            #expect(second.report.outcome == .warning)
            #expect(second.report.serverVersion == nil, "no version given, none stored")
            #expect(second.report.id > first.report.id)
            #expect(try store.latestValidationReport(connectionKey: "warehouse") == second.report)
            #expect(ValidationOutcome(checks: [CheckResult(name: "a", status: .passed, message: "")]) == .passed)
            #expect(ValidationOutcome(checks: []) == .passed)
        }
    }

    @Test("A connection is read with its newest report, checks and failing objects included, as each is read alone",
          arguments: StoreBackend.all)
    func connectionWithLatestReport(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let registered = try Samples.connection(store, "warehouse")
            try Samples.connection(store, "other")
            let (unvalidated, none) = try store.connectionWithLatestReport(key: "warehouse")
            #expect(unvalidated == registered, "its two governed databases, in order")
            #expect(none == nil)

            _ = try store.recordValidation(
                ValidationResult(at: Date(timeIntervalSince1970: 100), checks: [CheckResult(name: "old", status: .passed, message: "")]),
                connectionKey: "warehouse", expectedRevision: 1, change: nil)
            let newest = try store.recordValidation(
                ValidationResult(at: Date(timeIntervalSince1970: 200), checks: Self.checks, serverVersion: "16.8"),
                connectionKey: "warehouse", expectedRevision: 1,
                change: StateChange(to: .validationFailed, actor: 5, reason: "validation failed"))
            _ = try store.recordValidation(
                ValidationResult(at: Date(timeIntervalSince1970: 300), checks: []), connectionKey: "other",
                expectedRevision: 1, change: nil)
            let (connection, report) = try store.connectionWithLatestReport(key: "warehouse")
            #expect(connection == newest.connection)
            #expect(connection == (try store.connection(key: "warehouse")))
            #expect(report == newest.report)
            #expect(report?.checks.map(\.failingObjects) == Self.checks.map(\.failingObjects))
            #expect(report == (try store.latestValidationReport(connectionKey: "warehouse")))
            expectStoreError(.notFound, "no connection with key \"ghost\"") {
                _ = try store.connectionWithLatestReport(key: "ghost")
            }
        }
    }

    @Test("A report for a connection that changed meanwhile is refused and not stored",
          arguments: StoreBackend.all)
    func staleReport(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let record = try Samples.connection(store, "warehouse")
            _ = try store.updateConnection(
                ConnectionUpdate(key: "warehouse", expectedRevision: record.revision, settings: record.settings))
            expectStoreError(.revisionConflict) {
                _ = try store.recordValidation(
                    ValidationResult(at: Date(), checks: Self.checks), connectionKey: "warehouse",
                    expectedRevision: record.revision,
                    change: StateChange(to: .validated, actor: 1, reason: "ok"))
            }
            #expect(try store.latestValidationReport(connectionKey: "warehouse") == nil)
            #expect(try store.connection(key: "warehouse").state == .registered)
            expectStoreError(.notFound) { _ = try store.latestValidationReport(connectionKey: "ghost") }
        }
    }
}
