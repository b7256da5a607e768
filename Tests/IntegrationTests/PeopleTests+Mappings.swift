import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

/// Mappings through the CLI: one owner per username and connection, and the check against PostgreSQL 17.
extension PeopleTests {
    @Test("One PostgreSQL username belongs to one user per connection; mapping set needs USER_ADMIN")
    func mappingConflicts() async throws {
        try #require(getuid() == 0, Self.needsRoot)
        try await OSUsers.ensure()
        let steward = try await PeopleDaemon.start()
        defer { steward.removeDirectory() }

        for (name, uid) in [("alice", "61001"), ("bob", "61002")] {
            let created = try await steward.run(["user", "create", name, "--uid", uid])
            try #require(created.status == 0, "\(created.standardError)")
        }
        // steward-plain manages connections but not users.
        let appAdmin = try await steward.run(["user", "create", "appadmin", "--uid", OSUsers.plain, "--grant", "APPLICATION_ADMIN"])
        try #require(appAdmin.status == 0, "\(appAdmin.standardError)")
        for key in ["c1", "c2"] {
            let registered = try await steward.register(key)
            try #require(registered.status == 0, "\(registered.standardError)")
        }

        let alice = try await steward.run(["mapping", "set", "alice", "--postgres-username", "shared", "--connection", "c1"])
        #expect(alice.status == 0, "\(alice.standardError)")
        let bobOnC1 = try await steward.run(["mapping", "set", "bob", "--postgres-username", "shared", "--connection", "c1"])
        #expect(bobOnC1.status == 2, "\(bobOnC1.standardError)")
        #expect(bobOnC1.standardError.contains("ALREADY_EXISTS"))
        #expect(bobOnC1.standardError.contains("user \"alice\""), "\(bobOnC1.standardError)")
        let bobOnC2 = try await steward.run(["mapping", "set", "bob", "--postgres-username", "shared", "--connection", "c2"])
        #expect(bobOnC2.status == 0, "\(bobOnC2.standardError)")

        // Without USER_ADMIN, and unknown: refused, and nothing changes.
        let byAppAdmin = try await steward.run(
            ["mapping", "set", "bob", "--postgres-username", "other", "--connection", "c1"], as: OSUsers.plain)
        #expect(byAppAdmin.status == 3, "\(byAppAdmin.standardError)")
        #expect(byAppAdmin.standardError.contains("PERMISSION_DENIED"))
        let byStranger = try await steward.run(
            ["mapping", "set", "bob", "--postgres-username", "other", "--connection", "c1"], as: OSUsers.stranger)
        #expect(byStranger.status == 3, "\(byStranger.standardError)")
        #expect(byStranger.standardError.contains("UNAUTHENTICATED"))

        let onC1 = try await steward.json(["mapping", "list", "--connection", "c1"])
        let c1Mappings = try #require(onC1["mappings"] as? [[String: Any]], "\(onC1)")
        #expect(c1Mappings.count == 1, "\(c1Mappings)")
        #expect(c1Mappings.first?["userName"] as? String == "alice")
        #expect(c1Mappings.first?["connectionKey"] as? String == "c1")
        let identity = c1Mappings.first?["identity"] as? [String: Any]
        #expect(identity?["kind"] as? String == "IDENTITY_KIND_POSTGRES_USERNAME")
        #expect(identity?["value"] as? String == "shared")
        let onC2 = try await steward.json(["mapping", "list", "--connection", "c2"])
        let c2Mappings = onC2["mappings"] as? [[String: Any]] ?? []
        #expect(c2Mappings.map { $0["userName"] as? String } == ["bob"], "\(onC2)")

        // user show: appadmin (no USER_ADMIN) sees alice but is told her mappings are withheld.
        let shownToAppAdmin = try await steward.run(["user", "show", "alice"], as: OSUsers.plain)
        #expect(shownToAppAdmin.status == 0, "\(shownToAppAdmin.standardError)")
        #expect(shownToAppAdmin.standardOutput.contains("mappings not shown"), "\(shownToAppAdmin.standardOutput)")
        #expect(!shownToAppAdmin.standardOutput.contains("no mappings"), "\(shownToAppAdmin.standardOutput)")
        #expect(!shownToAppAdmin.standardOutput.contains("shared"), "\(shownToAppAdmin.standardOutput)")
        let withheld = try await steward.json(["user", "show", "alice"], as: OSUsers.plain)
        #expect(withheld["mappingsWithheld"] as? Bool == true, "\(withheld)")
        #expect((withheld["mappings"] as? [Any])?.isEmpty == true, "\(withheld)")
        #expect((withheld["user"] as? [String: Any])?["name"] as? String == "alice", "\(withheld)")
        // Root sees them; appadmin's own user, without mappings, says so rather than "not shown".
        let shownToRoot = try await steward.json(["user", "show", "alice"])
        #expect(shownToRoot["mappingsWithheld"] as? Bool == false, "\(shownToRoot)")
        #expect((shownToRoot["mappings"] as? [[String: Any]])?.count == 1, "\(shownToRoot)")
        let ownUser = try await steward.run(["user", "show", "appadmin"], as: OSUsers.plain)
        #expect(ownUser.status == 0, "\(ownUser.standardError)")
        #expect(ownUser.standardOutput.contains("no mappings"), "\(ownUser.standardOutput)")
        #expect(!ownUser.standardOutput.contains("mappings not shown"), "\(ownUser.standardOutput)")

        // The refused SetMapping calls are on the trail, by whom they came from.
        let denials = try await steward.json(["audit", "--outcome", "denied", "--method", "Users/SetMapping"])
        let events = denials["events"] as? [[String: Any]] ?? []
        #expect(events.contains {
            $0["userName"] as? String == "appadmin" && $0["target"] as? String == "bob" && $0["connectionKey"] as? String == "c1"
        }, "\(events)")

        try await steward.stop()
    }

    @Test("mapping check asks PostgreSQL 17 whether each mapped role exists and can log in")
    func checkAgainstPostgres() async throws {
        try #require(getuid() == 0, Self.needsRoot)
        try await OSUsers.ensure()
        let server = TestPostgres.pg17
        let loginRole = uniqueName("people_login")
        let noLoginRole = uniqueName("people_nologin")
        let missingRole = uniqueName("people_missing")
        try await withAdmin(server) { admin in
            try admin.run("CREATE ROLE \(SQLQuoting.identifier(loginRole)) LOGIN")
            try admin.run("CREATE ROLE \(SQLQuoting.identifier(noLoginRole)) NOLOGIN")
        }
        var failure: (any Error)?
        do {
            try await checkMappings(on: server, login: loginRole, noLogin: noLoginRole, missing: missingRole)
        } catch {
            failure = error
        }
        try await withAdmin(server) { admin in
            for role in [loginRole, noLoginRole, missingRole] {
                try admin.run("DROP ROLE IF EXISTS \(SQLQuoting.identifier(role))")
            }
        }
        if let failure { throw failure }
    }

    private func checkMappings(on server: TestPostgres, login: String, noLogin: String, missing: String) async throws {
        let steward = try await PeopleDaemon.start()
        defer { steward.removeDirectory() }
        let admin = try server.adminOverTCP()
        let key = "people-pg17"
        let register = try await steward.run(
            ["connection", "register", key, "--deployment", "SELF_MANAGED", "--host", admin.host, "--port", String(admin.port),
             "--state-database", "postgres", "--database", "template1", "--username", admin.user, "--password-stdin"],
            standardInput: try server.password + "\n")
        try #require(register.status == 0, "\(register.standardError)")
        // The check runs as a user administrator who is not root.
        let userAdmin = try await steward.run(["user", "create", "uadmin", "--uid", OSUsers.userAdmin, "--grant", "USER_ADMIN"])
        try #require(userAdmin.status == 0, "\(userAdmin.standardError)")

        let people: [(name: String, uid: String, identity: [String])] = [
            ("logs-in", "62001", ["--postgres-username", login]),
            ("no-login", "62002", ["--postgres-username", noLogin, "--connection", key]),
            ("no-role", "62003", ["--postgres-username", missing]),
            ("iam", "62004", ["--iam-principal", "arn:aws:iam::123456789012:user/x"]),
        ]
        for person in people {
            let created = try await steward.run(["user", "create", person.name, "--uid", person.uid], as: OSUsers.userAdmin)
            try #require(created.status == 0, "\(created.standardError)")
            let mapped = try await steward.run(["mapping", "set", person.name] + person.identity, as: OSUsers.userAdmin)
            try #require(mapped.status == 0, "\(mapped.standardError)")
        }
        // uadmin has no mapping: its PostgreSQL username is its Steward name, which no role has.
        let expected: [String: (outcome: String, role: String, source: String)] = [
            "logs-in": ("MAPPING_CHECK_OUTCOME_OK", login, "IDENTITY_SOURCE_DEFAULT"),
            "no-login": ("MAPPING_CHECK_OUTCOME_NOLOGIN", noLogin, "IDENTITY_SOURCE_CONNECTION"),
            "no-role": ("MAPPING_CHECK_OUTCOME_MISSING", missing, "IDENTITY_SOURCE_DEFAULT"),
            "iam": ("MAPPING_CHECK_OUTCOME_NOT_APPLICABLE", "", "IDENTITY_SOURCE_DEFAULT"),
            "uadmin": ("MAPPING_CHECK_OUTCOME_MISSING", "uadmin", "IDENTITY_SOURCE_FALLBACK"),
        ]

        let check = try await steward.run(["mapping", "check", "--connection", key, "--json"], as: OSUsers.userAdmin)
        #expect(check.status == 2, "MISSING and NOLOGIN roles make the check exit 2: \(check.standardError)")
        let report = try parseJSON(check)
        #expect((report["failures"] as? [Any])?.isEmpty == true, "\(report)")
        let checks = try #require(report["checks"] as? [[String: Any]], "\(report)")
        #expect(Set(checks.compactMap { $0["userName"] as? String }) == Set(expected.keys), "\(checks)")
        for row in checks {
            guard let name = row["userName"] as? String, let want = expected[name] else { continue }
            #expect(row["outcome"] as? String == want.outcome, "\(name): \(row)")
            #expect(row["postgresUsername"] as? String == want.role, "\(name): \(row)")
            #expect(row["source"] as? String == want.source, "\(name): \(row)")
            #expect(row["connectionKey"] as? String == key, "\(name): \(row)")
        }

        // Only the user whose role logs in: exit 0.
        let onlyOK = try await steward.run(["mapping", "check", "--connection", key, "--user", "logs-in", "--json"], as: OSUsers.userAdmin)
        #expect(onlyOK.status == 0, "\(onlyOK.standardOutput)\(onlyOK.standardError)")
        let onlyOKChecks = try parseJSON(onlyOK)["checks"] as? [[String: Any]] ?? []
        #expect(onlyOKChecks.map { $0["userName"] as? String } == ["logs-in"])
        #expect(onlyOKChecks.first?["outcome"] as? String == "MAPPING_CHECK_OUTCOME_OK")

        // A user without USER_ADMIN may not run the check.
        let plainUser = try await steward.run(["user", "create", "plain", "--uid", OSUsers.plain, "--grant", "APPLICATION_ADMIN"])
        try #require(plainUser.status == 0, "\(plainUser.standardError)")
        let byPlain = try await steward.run(["mapping", "check", "--connection", key], as: OSUsers.plain)
        #expect(byPlain.status == 3, "\(byPlain.standardError)")
        #expect(byPlain.standardError.contains("PERMISSION_DENIED"))
        let plainNone = try await steward.run(["mapping", "set", "plain", "--none"])
        try #require(plainNone.status == 0, "\(plainNone.standardError)")

        // Make every role usable: the NOLOGIN role may log in, the missing
        // one exists, and uadmin's own name is mapped to nothing.
        try await withAdmin(server) { admin in
            try admin.run("ALTER ROLE \(SQLQuoting.identifier(noLogin)) LOGIN")
            try admin.run("CREATE ROLE \(SQLQuoting.identifier(missing)) LOGIN")
        }
        let uadminNone = try await steward.run(["mapping", "set", "uadmin", "--none"])
        try #require(uadminNone.status == 0, "\(uadminNone.standardError)")
        let clean = try await steward.run(["mapping", "check", "--connection", key, "--json"], as: OSUsers.userAdmin)
        #expect(clean.status == 0, "\(clean.standardOutput)\(clean.standardError)")
        let cleanChecks = try parseJSON(clean)["checks"] as? [[String: Any]] ?? []
        let outcomes = Dictionary(uniqueKeysWithValues: cleanChecks.compactMap { row in
            (row["userName"] as? String).map { ($0, row["outcome"] as? String ?? "") }
        })
        #expect(outcomes == [
            "logs-in": "MAPPING_CHECK_OUTCOME_OK", "no-login": "MAPPING_CHECK_OUTCOME_OK",
            "no-role": "MAPPING_CHECK_OUTCOME_OK", "iam": "MAPPING_CHECK_OUTCOME_NOT_APPLICABLE",
            "uadmin": "MAPPING_CHECK_OUTCOME_NOT_APPLICABLE", "plain": "MAPPING_CHECK_OUTCOME_NOT_APPLICABLE",
        ])

        try await steward.stop()
    }
}
