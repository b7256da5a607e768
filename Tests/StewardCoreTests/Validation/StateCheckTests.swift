import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

@Suite("Validation: state_database and state_marker on real servers")
struct StateCheckTests {
    @Test("A missing state database fails; the other checks still run; its remediation creates it", arguments: TestPostgres.supported)
    func missingStateDatabase(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await fixture.runSetupScript()
            try await fixture.admin("DROP DATABASE \(q(fixture.settings.stateDatabase)) WITH (FORCE)")
            let results = await fixture.validate()
            let state = results[.stateDatabase]
            #expect(state.status == .failed)
            #expect(state.message.contains("does not exist: run the connection's setup script"), "\(state.message)")
            #expect(state.failingObjects == [q(fixture.settings.stateDatabase)] && state.failingObjectCount == 1)
            #expect(results[.stateMarker].status == .skipped && results[.stateMarker].message.contains("state_database"))
            // Decided on the governed database instead.
            for check in [ValidationCheck.login, .serverVersion, .createRole, .databaseConnect, .schemaUsage, .tablePrivileges, .alterTable] {
                #expect(results[check].status == .passed, "\(check): \(results[check].message)")
            }
            let again = try await fixture.expectRemediationFixes(.stateDatabase, in: results)
            expectAllPassed(again)
        }
    }

    @Test("Markers of other connections only: fails naming their keys; the remediation writes this one's")
    func otherConnectionsMarkers() async throws {
        try await withValidationFixture(.pg17) { fixture in
            try await fixture.runSetupScript()
            try await fixture.admin(
                in: fixture.settings.stateDatabase,
                "UPDATE steward.registration SET connection_key = 'other-a'",
                "INSERT INTO steward.registration (connection_key, marker) VALUES ('other-b', 'steward:other-b:1')")
            let results = await fixture.validate()
            let marker = results[.stateMarker]
            #expect(marker.status == .failed)
            #expect(marker.message.contains("the state database holds markers for other connections (other-a, other-b) but not for this one"), "\(marker.message)")
            #expect(marker.message.contains("another connection's script"))
            try await fixture.expectRemediationFixes(.stateMarker, in: results)
        }
    }

    @Test("This key's marker from another registration fails; the remediation rewrites it")
    func staleMarker() async throws {
        try await withValidationFixture(.pg16) { fixture in
            try await fixture.runSetupScript()
            try await fixture.admin(in: fixture.settings.stateDatabase, "UPDATE steward.registration SET marker = 'steward:old:1'")
            let results = await fixture.validate()
            #expect(results[.stateMarker].message.contains("written by another connection's setup script"), "\(results[.stateMarker].message)")
            try await fixture.expectRemediationFixes(.stateMarker, in: results)
        }
    }

    @Test("No steward schema fails with 'run the setup script'; the remediation creates it")
    func missingSchema() async throws {
        try await withValidationFixture(.pg17) { fixture in
            try await fixture.runSetupScript()
            try await fixture.admin(in: fixture.settings.stateDatabase, "DROP SCHEMA steward CASCADE")
            let results = await fixture.validate()
            #expect(results[.stateMarker].message.contains("no schema \"steward\": run this connection's setup script"), "\(results[.stateMarker].message)")
            try await fixture.expectRemediationFixes(.stateMarker, in: results)
        }
    }
}
