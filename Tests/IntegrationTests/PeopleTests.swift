import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

/// Users, permissions, mappings and the audit trail through the real CLI and
/// a real daemon, with the CLI running as different OS users (runuser), so
/// that the daemon tells them apart by the uid the kernel reports. Needs
/// root to create the OS users; CI runs as root.
@Suite("People, as different OS users", .timeLimit(.minutes(2)))
struct PeopleTests {
    static let needsRoot: Comment = "this test creates OS users and runs commands as them, so it must run as root (CI does)"

    @Test("Permissions decide who may register; a grant takes effect on the next call; denials and strangers are audited")
    func permissions() async throws {
        try #require(getuid() == 0, Self.needsRoot)
        try await OSUsers.ensure()
        let plainUID = Int(try OSUsers.uid(OSUsers.plain))
        let userAdminUID = Int(try OSUsers.uid(OSUsers.userAdmin))
        let strangerUID = Int(try OSUsers.uid(OSUsers.stranger))
        let steward = try await PeopleDaemon.start()
        defer { steward.removeDirectory() }

        // Root creates the user administrator; the user administrator creates plain.
        let createAdmin = try await steward.run(["user", "create", "uadmin", "--uid", OSUsers.userAdmin, "--grant", "USER_ADMIN"])
        try #require(createAdmin.status == 0, "\(createAdmin.standardError)")
        let createPlain = try await steward.run(["user", "create", "plain", "--uid", OSUsers.plain], as: OSUsers.userAdmin)
        try #require(createPlain.status == 0, "\(createPlain.standardError)")

        // plain, without permissions, may not register, nor grant itself anything.
        let deniedRegister = try await steward.register("people-c1", as: OSUsers.plain)
        #expect(deniedRegister.status == 3, "\(deniedRegister.standardError)")
        #expect(deniedRegister.standardError.contains("PERMISSION_DENIED"))
        let selfGrant = try await steward.run(["user", "grant", "plain", "USER_ADMIN"], as: OSUsers.plain)
        #expect(selfGrant.status == 3, "\(selfGrant.standardError)")
        #expect(selfGrant.standardError.contains("PERMISSION_DENIED"))

        // USER_ADMIN does not imply APPLICATION_ADMIN: the user administrator
        // cannot hand on what it does not hold, and is told why.
        let handOn = try await steward.run(["user", "grant", "plain", "APPLICATION_ADMIN"], as: OSUsers.userAdmin)
        #expect(handOn.status == 3, "\(handOn.standardError)")
        #expect(handOn.standardError.contains("PERMISSION_DENIED"))
        #expect(handOn.standardError.contains("does not hold APPLICATION_ADMIN"), "\(handOn.standardError)")
        let stillPlain = try await steward.json(["whoami"], as: OSUsers.plain)
        #expect(stillPlain["permissions"] as? [String] == [])

        // Root grants APPLICATION_ADMIN; plain's next call has it.
        let grant = try await steward.run(["user", "grant", "plain", "APPLICATION_ADMIN"])
        #expect(grant.status == 0, "\(grant.standardError)")
        let plainWhoAmI = try await steward.json(["whoami"], as: OSUsers.plain)
        #expect(plainWhoAmI["userName"] as? String == "plain")
        #expect(plainWhoAmI["uid"] as? Int == plainUID)
        #expect(plainWhoAmI["permissions"] as? [String] == ["PERMISSION_APPLICATION_ADMIN"])
        let allowedRegister = try await steward.register("people-c1", as: OSUsers.plain)
        #expect(allowedRegister.status == 0, "\(allowedRegister.standardError)")

        // USER_ADMIN alone does not manage connections.
        let adminRegister = try await steward.register("people-c2", as: OSUsers.userAdmin)
        #expect(adminRegister.status == 3, "\(adminRegister.standardError)")
        #expect(adminRegister.standardError.contains("PERMISSION_DENIED"))

        // A uid unknown to Steward gets Health and WhoAmI, and nothing else.
        let health = try await steward.run(["health"], as: OSUsers.stranger)
        #expect(health.status == 0, "\(health.standardError)")
        let strangerWhoAmI = try await steward.json(["whoami"], as: OSUsers.stranger)
        #expect(strangerWhoAmI["uid"] as? Int == strangerUID)
        #expect(strangerWhoAmI["isKnown"] as? Bool == false)
        #expect(strangerWhoAmI["userName"] as? String == "")
        #expect(strangerWhoAmI["permissions"] as? [String] == [])
        let info = try await steward.run(["server", "info"], as: OSUsers.stranger)
        #expect(info.status == 3, "\(info.standardError)")
        #expect(info.standardError.contains("UNAUTHENTICATED"))
        let strangerRegister = try await steward.register("people-c3", as: OSUsers.stranger)
        #expect(strangerRegister.status == 3, "\(strangerRegister.standardError)")
        #expect(strangerRegister.standardError.contains("UNAUTHENTICATED"))
        let strangerAudit = try await steward.run(["audit"], as: OSUsers.stranger)
        #expect(strangerAudit.status == 3, "\(strangerAudit.standardError)")

        // Only the allowed registration left a connection.
        let connections = try await steward.json(["connection", "list"])
        let keys = (connections["connections"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
        #expect(keys == ["people-c1"], "\(connections)")

        // The trail, as root: every Register, allowed or not, with who called.
        let trail = try await steward.json(["audit", "--method", "Connections/Register", "--limit", "1000"])
        let registers = try #require(trail["events"] as? [[String: Any]], "\(trail)")
        func find(uid: Int, code: Int, target: String?) -> [String: Any]? {
            registers.first {
                $0["uid"] as? Int == uid && $0["code"] as? Int == code
                    && $0["method"] as? String == "/steward.v1.Connections/Register"
                    && (target == nil || $0["target"] as? String == target)
            }
        }
        let plainDenied = find(uid: plainUID, code: StatusNumber.permissionDenied, target: "people-c1")
        #expect(plainDenied?["userName"] as? String == "plain", "no denied Register by plain in \(registers)")
        #expect(plainDenied?["connectionKey"] as? String == "people-c1")
        let plainAllowed = find(uid: plainUID, code: StatusNumber.ok, target: "people-c1")
        #expect(plainAllowed?["userName"] as? String == "plain", "no successful Register by plain in \(registers)")
        let adminDenied = find(uid: userAdminUID, code: StatusNumber.permissionDenied, target: "people-c2")
        #expect(adminDenied?["userName"] as? String == "uadmin", "no denied Register by uadmin in \(registers)")
        let strangerDenied = find(uid: strangerUID, code: StatusNumber.unauthenticated, target: nil)
        #expect(strangerDenied?["userName"] as? String == "", "no UNAUTHENTICATED Register by the stranger in \(registers)")
        // Ids increase with every event: the denial came before the success.
        if let denied = plainDenied, let allowed = plainAllowed,
           let deniedID = (denied["id"] as? String).flatMap(UInt64.init),
           let allowedID = (allowed["id"] as? String).flatMap(UInt64.init) {
            #expect(deniedID < allowedID)
        } else {
            Issue.record("audit event ids are not decimal strings: \(registers)")
        }

        // --outcome denied: the three denials, and no success.
        let deniedTrail = try await steward.json(["audit", "--outcome", "denied", "--limit", "1000"])
        let denials = try #require(deniedTrail["events"] as? [[String: Any]], "\(deniedTrail)")
        #expect(denials.allSatisfy {
            [StatusNumber.permissionDenied, StatusNumber.unauthenticated].contains($0["code"] as? Int)
        }, "\(denials)")
        let deniedRegisters = denials.filter { $0["method"] as? String == "/steward.v1.Connections/Register" }
        #expect(deniedRegisters.contains { $0["uid"] as? Int == plainUID && $0["target"] as? String == "people-c1" })
        #expect(deniedRegisters.contains { $0["uid"] as? Int == userAdminUID && $0["target"] as? String == "people-c2" })
        #expect(deniedRegisters.contains { $0["uid"] as? Int == strangerUID && $0["code"] as? Int == StatusNumber.unauthenticated })
        // uadmin's attempt to hand on APPLICATION_ADMIN is there.
        #expect(denials.contains {
            $0["uid"] as? Int == userAdminUID && $0["method"] as? String == "/steward.v1.Users/Grant"
                && $0["target"] as? String == "plain"
                && ($0["message"] as? String ?? "").contains("does not hold APPLICATION_ADMIN")
        }, "\(denials)")
        // plain's attempt to grant itself USER_ADMIN is there too.
        #expect(denials.contains {
            $0["uid"] as? Int == plainUID && $0["method"] as? String == "/steward.v1.Users/Grant"
                && $0["target"] as? String == "plain"
        }, "\(denials)")

        try await steward.stop()
    }

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

    @Test("mapping import is all or nothing: a bad row 4 imports nothing; without it every row is imported")
    func importAllOrNothing() async throws {
        try #require(getuid() == 0, Self.needsRoot)
        try await OSUsers.ensure()
        let steward = try await PeopleDaemon.start()
        defer { steward.removeDirectory() }

        let userAdmin = try await steward.run(["user", "create", "uadmin", "--uid", OSUsers.userAdmin, "--grant", "USER_ADMIN"])
        try #require(userAdmin.status == 0, "\(userAdmin.standardError)")
        for (name, uid) in [("alice", "63001"), ("bob", "63002"), ("carol", "63003"), ("dave", "63004"), ("erin", "63005")] {
            let created = try await steward.run(["user", "create", name, "--uid", uid])
            try #require(created.status == 0, "\(created.standardError)")
        }
        let registered = try await steward.register("sales")
        try #require(registered.status == 0, "\(registered.standardError)")
        // A mapping from before, which a refused import must leave alone.
        let earlier = try await steward.run(["mapping", "set", "alice", "--postgres-username", "alice_old"])
        try #require(earlier.status == 0, "\(earlier.standardError)")
        let before = try await steward.run(["mapping", "list", "--json"])
        try #require(before.status == 0, "\(before.standardError)")

        let good = [
            "alice,,POSTGRES_USERNAME,alice_pg",
            "bob,sales,IAM_PRINCIPAL,arn:aws:iam::123456789012:role/Analyst",
            "dave,sales,NONE,",
            "erin,,UNSET,",
        ]
        let bad = "carol,,BOGUS,carol_pg"
        let withBadRow = steward.directory + "/people.csv"
        // Line 1 is the header, so the bad row is line 4.
        try (["user,connection,kind,value", good[0], good[1], bad, good[2], good[3]].joined(separator: "\n") + "\n")
            .write(toFile: withBadRow, atomically: true, encoding: .utf8)
        let refused = try await steward.run(["mapping", "import", withBadRow], as: OSUsers.userAdmin)
        #expect(refused.status == 2, "\(refused.standardError)")
        #expect(refused.standardError.contains("INVALID_ARGUMENT"))
        #expect(refused.standardError.contains("line 4"), "\(refused.standardError)")
        // The report keeps one bad row a line, indented under steward's own line.
        #expect(refused.standardError.contains("imported:\n  line 4: "), "\(refused.standardError)")
        #expect(refused.standardError.contains("BOGUS"), "\(refused.standardError)")
        for goodLine in [2, 3, 5, 6] {
            #expect(!refused.standardError.contains("line \(goodLine):"), "\(refused.standardError)")
        }
        let afterRefusal = try await steward.run(["mapping", "list", "--json"])
        #expect(afterRefusal.standardOutput == before.standardOutput, "a refused import changed the mappings")

        let withoutBadRow = steward.directory + "/people-good.csv"
        try (["user,connection,kind,value"] + good).joined(separator: "\n").appending("\n")
            .write(toFile: withoutBadRow, atomically: true, encoding: .utf8)
        let dryRun = try await steward.run(["mapping", "import", withoutBadRow, "--dry-run"], as: OSUsers.userAdmin)
        #expect(dryRun.status == 0, "\(dryRun.standardError)")
        #expect(dryRun.standardOutput.contains("would import 4 mappings"), "\(dryRun.standardOutput)")
        let afterDryRun = try await steward.run(["mapping", "list", "--json"])
        #expect(afterDryRun.standardOutput == before.standardOutput, "a dry run changed the mappings")

        let imported = try await steward.run(["mapping", "import", withoutBadRow], as: OSUsers.userAdmin)
        #expect(imported.status == 0, "\(imported.standardError)")
        #expect(imported.standardOutput.contains("imported 4 mappings"), "\(imported.standardOutput)")

        let after = try await steward.json(["mapping", "list"])
        let mappings = (after["mappings"] as? [[String: Any]] ?? []).map { mapping -> String in
            let identity = mapping["identity"] as? [String: Any] ?? [:]
            return [mapping["userName"], mapping["connectionKey"], identity["kind"], identity["value"]]
                .map { $0 as? String ?? "?" }.joined(separator: ",")
        }
        #expect(Set(mappings) == [
            "alice,,IDENTITY_KIND_POSTGRES_USERNAME,alice_pg",
            "bob,sales,IDENTITY_KIND_IAM_PRINCIPAL,arn:aws:iam::123456789012:role/Analyst",
            "dave,sales,IDENTITY_KIND_NONE,",
            "erin,,IDENTITY_KIND_UNSET,",
        ], "\(after)")
        #expect(mappings.count == 4)

        try await steward.stop()
    }
}

extension PeopleTests {
    @Test("mapping import reads a file that starts with a UTF-8 byte order mark, header row and all")
    func importWithByteOrderMark() async throws {
        try #require(getuid() == 0, Self.needsRoot)
        try await OSUsers.ensure()
        let steward = try await PeopleDaemon.start()
        defer { steward.removeDirectory() }
        for (name, uid) in [("alice", "65001"), ("bob", "65002")] {
            let created = try await steward.run(["user", "create", name, "--uid", uid])
            try #require(created.status == 0, "\(created.standardError)")
        }
        // As a spreadsheet saves it: EF BB BF, then the header row, CRLF line ends.
        let path = steward.directory + "/bom.csv"
        let text = "user,connection,kind,value\r\nalice,,POSTGRES_USERNAME,alice_pg\r\n"
        try Data([0xEF, 0xBB, 0xBF] + Array(text.utf8)).write(to: URL(fileURLWithPath: path))
        let imported = try await steward.run(["mapping", "import", path])
        #expect(imported.status == 0, "\(imported.standardError)")
        #expect(imported.standardOutput.contains("imported 1 mapping"), "\(imported.standardOutput)")
        // The same from standard input.
        let fromStandardInput = try await steward.run(
            ["mapping", "import", "-"], standardInput: "\u{FEFF}User,Connection,Kind,Value\nbob,,NONE,\n")
        #expect(fromStandardInput.status == 0, "\(fromStandardInput.standardError)")
        #expect(fromStandardInput.standardOutput.contains("imported 1 mapping"), "\(fromStandardInput.standardOutput)")

        let after = try await steward.json(["mapping", "list"])
        let mappings = (after["mappings"] as? [[String: Any]] ?? []).map { mapping -> String in
            let identity = mapping["identity"] as? [String: Any] ?? [:]
            return [mapping["userName"], identity["kind"], identity["value"]].map { $0 as? String ?? "?" }.joined(separator: ",")
        }
        #expect(mappings == ["alice,IDENTITY_KIND_POSTGRES_USERNAME,alice_pg", "bob,IDENTITY_KIND_NONE,"], "\(after)")
        try await steward.stop()
    }
}

/// gRPC status codes as the audit trail's `code` holds them.
private enum StatusNumber {
    static let ok = 0
    static let permissionDenied = 7
    static let unauthenticated = 16
}

/// A fresh stewardd with its own state directory whose socket every test
/// OS user can reach (through the shared group), and the CLI pointed at it.
private struct PeopleDaemon {
    let daemon: DaemonProcess
    let directory: String

    static func start() async throws -> PeopleDaemon {
        let directory = try makeTemporaryDirectory()
        chmod(directory, 0o755)  // the other users must be able to reach run/ (and read the CSV files)
        do {
            let daemon = try await DaemonProcess.start(
                socketPath: directory + "/run/steward.sock", arguments: ["--socket-group", OSUsers.group])
            return PeopleDaemon(daemon: daemon, directory: directory)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    func removeDirectory() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `steward ARGUMENTS --socket …`, as root or as `user`.
    func run(_ arguments: [String], as user: String? = nil, standardInput: String? = nil) async throws -> CommandResult {
        try await runCommand(
            Executables.steward, arguments + ["--socket", daemon.socketPath], asUser: user, standardInput: standardInput)
    }

    /// Runs with `--json`, requires exit 0, and parses the answer.
    func json(_ arguments: [String], as user: String? = nil) async throws -> [String: Any] {
        let result = try await run(arguments + ["--json"], as: user)
        try #require(result.status == 0, "steward \(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError)")
        return try parseJSON(result)
    }

    /// Registers a connection that names its governed database, so that no
    /// server is contacted.
    func register(_ key: String, as user: String? = nil) async throws -> CommandResult {
        try await run(
            ["connection", "register", key, "--deployment", "SELF_MANAGED", "--host", "db.example.com",
             "--state-database", "steward_state", "--database", "sales", "--username", "steward", "--password-stdin"],
            as: user, standardInput: "s3cret\n")
    }

    func stop() async throws {
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0, "\(daemon.stderrText)")
    }
}

private func parseJSON(_ result: CommandResult) throws -> [String: Any] {
    try #require(
        try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any],
        "not a JSON object: \(result.standardOutput)")
}
