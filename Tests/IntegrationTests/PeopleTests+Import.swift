import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

/// mapping import through the CLI: all or nothing, and files as spreadsheets save them.
extension PeopleTests {
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
