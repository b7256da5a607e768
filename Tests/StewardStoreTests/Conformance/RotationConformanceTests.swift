import Foundation
import StewardStore
import Testing

@Suite("Registry store conformance: credentials stored with the report that tested them")
struct RotationConformanceTests {
    static let passing = [
        CheckResult(name: "reachable", status: .passed, message: "server answered"),
        CheckResult(name: "table privileges", status: .passed, message: "all 40 tables"),
    ]

    static func rotation(of record: ConnectionRecord, to username: String, password: String) -> ConnectionUpdate {
        var settings = record.settings
        settings.username = username
        return ConnectionUpdate(
            key: record.key, expectedRevision: record.revision, settings: settings, password: Secret(password))
    }

    @Test("The new credentials, the report and the state change are stored together", arguments: StoreBackend.all)
    func storedTogether(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let record = try Samples.connection(store, "warehouse", in: .unhealthy)
            let (connection, report) = try store.updateConnection(
                Self.rotation(of: record, to: "steward_role_2", password: "n3w-pw"),
                recording: ValidationResult(at: Date(timeIntervalSince1970: 300), checks: Self.passing),
                change: StateChange(to: .active, actor: 7, reason: "credentials rotated; validation passed"))
            #expect(connection.settings.username == "steward_role_2")
            #expect(connection.state == .active)
            #expect(connection.revision == record.revision + 2, "one revision for the update, one for the transition")
            #expect(report.connectionRevision == record.revision + 1, "the report is for the settings it tested")
            #expect(report.checks == Self.passing)
            #expect(try store.connection(key: "warehouse") == connection)
            #expect(try store.connectionPassword(key: "warehouse") == Secret("n3w-pw"))
            #expect(try store.latestValidationReport(connectionKey: "warehouse") == report)
        }
    }

    @Test("A report the schema refuses after the credentials were written leaves neither", arguments: StoreBackend.all)
    func failureBetweenLeavesNeither(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let record = try Samples.connection(store, "warehouse", in: .active)
            let historyBefore = try store.transitions(key: "warehouse")
            // The credentials are written first; the report's second check
            // then breaks the schema rule check_failing_object_count, a real
            // refusal from the database in the middle of the transaction.
            let refused = [
                CheckResult(name: "reachable", status: .passed, message: "server answered"),
                CheckResult(name: "table privileges", status: .passed, message: "odd", failingObjectCount: -1),
            ]
            expectStoreError(.invalidArgument) {
                _ = try store.updateConnection(
                    Self.rotation(of: record, to: "steward_role_2", password: "n3w-pw"),
                    recording: ValidationResult(at: Date(), checks: refused), change: nil)
            }
            #expect(try store.connection(key: "warehouse") == record, "the settings and revision are unchanged")
            #expect(try store.connectionPassword(key: "warehouse") == Secret(Samples.password))
            #expect(try store.latestValidationReport(connectionKey: "warehouse") == nil)
            #expect(try store.transitions(key: "warehouse") == historyBefore)
        }
    }

    @Test("The latest reports of many connections are read at once", arguments: StoreBackend.all)
    func latestOfMany(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            var expected: [String: ValidationReport] = [:]
            for (index, key) in ["alpha", "beta", "gamma"].enumerated() {
                try Samples.connection(store, key)
                for round in 0...index {
                    let checks = [
                        CheckResult(
                            name: "table privileges", status: .failed, message: "round \(round)",
                            failingObjectCount: 2, failingObjects: ["\(key).t\(round)", "\(key).u\(round)"]),
                        CheckResult(name: "reachable", status: .passed, message: "ok"),
                    ]
                    expected[key] = try store.recordValidation(
                        ValidationResult(at: Date(timeIntervalSince1970: Double(100 + round)), checks: checks),
                        connectionKey: key, expectedRevision: 1, change: nil
                    ).report
                }
            }
            try Samples.connection(store, "never-validated")
            let reports = try store.latestValidationReports(connectionKeys: ["alpha", "beta", "gamma", "never-validated"])
            #expect(reports == expected, "each connection's newest report, whole; none for the one never validated")
            #expect(try store.latestValidationReports(connectionKeys: []).isEmpty)
            expectStoreError(.notFound) { _ = try store.latestValidationReports(connectionKeys: ["alpha", "ghost"]) }
        }
    }
}
