import Foundation
@testable import StewardCore
import StewardPostgres
import StewardStore
import StewardWire
import Testing

/// Importing mappings from CSV: all or nothing, its limits, who may.
extension UsersServiceTests {
    // MARK: Importing mappings

    func importFixture() throws {
        try user("alice", uid: 2001)
        try user("bob", uid: 2002)
        try user("carol", uid: 2003)
        try connection("c1")
        try connection("c2")
        try store.setMapping(mapping("alice", "c1", .postgresUsername("shared")))
    }

    @Test("Import is all or nothing: a syntactically bad row and a row the store refuses are both reported, and nothing changes")
    func importAllOrNothing() throws {
        try importFixture()
        let before = try allMappings()
        let csv = """
            user,connection,kind,value
            carol,,POSTGRES_USERNAME,carol_pg
            bob,c1,POSTGRES_USERNAME,shared
            carol,c2,IAM_PRINCIPAL,arn:aws:iam::12345:user/carol
            bob,,NONE,
            """
        for dryRun in [false, true] {
            let error = #expect(throws: DomainError.self) { _ = try service.importMappings(csv: csv, dryRun: dryRun, caller: root) }
            #expect(error == DomainError(.invalidArgument, """
                2 bad rows; nothing was imported:
                line 3: PostgreSQL username "shared" on connection "c1" already belongs to user "alice"
                line 4: value: "arn:aws:iam::12345:user/carol": the account id must be 12 digits, not "12345"
                """))
        }
        #expect(try allMappings() == before)
        #expect(try service.listMappings(MappingFilter(), page: PageRequest(), caller: root).items == before)

        let events = try audit(AuditFilter(method: "/steward.v1.Users/ImportMappings"))
        #expect(events.count == 2)
        #expect(events.allSatisfy { $0.status == .invalidArgument && $0.uid == 0 && $0.target == nil })
        #expect(events.first?.message.hasPrefix("2 bad rows; nothing was imported:") == true)
    }

    @Test("Rows only the store can refuse (unknown user or connection, a clash within the file) are each reported by line")
    func importStoreRefusals() throws {
        try importFixture()
        let error = #expect(throws: DomainError.self) {
            _ = try service.importMappings(csv: """
                zed,,NONE,
                alice,c9,NONE,
                bob,c2,POSTGRES_USERNAME,dup
                carol,c2,POSTGRES_USERNAME,dup
                """, dryRun: false, caller: root)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == """
            3 bad rows; nothing was imported:
            line 1: no user named "zed"
            line 2: no connection with key "c9"
            line 4: PostgreSQL username "dup" on connection "c2" already belongs to user "bob"
            """)
        #expect(try allMappings() == [mapping("alice", "c1", .postgresUsername("shared"))])
    }

    @Test("A good CSV imports every row, replacing the user's mapping in a scope; the import is audited")
    func importGood() throws {
        try importFixture()
        let csv = [
            "User,Connection,Kind,Value",
            "alice,c1,UNSET,",
            "bob,c1,postgres_username,shared",
            "carol,,IDENTITY_KIND_IAM_PRINCIPAL,arn:aws:iam::123456789012:role/analysts/carol",
            "carol,c2,NONE,",
        ].map { $0 + "\r\n" }.joined()
        let count = try service.importMappings(csv: csv, dryRun: false, caller: root)
        #expect(count == 4)
        #expect(try allMappings() == [
            mapping("alice", "c1", .unset),
            mapping("bob", "c1", .postgresUsername("shared")),
            mapping("carol", nil, .iamPrincipal("arn:aws:iam::123456789012:role/analysts/carol")),
            mapping("carol", "c2", .none),
        ])
        let event = try #require(try audit().first)
        #expect(event.method == "/steward.v1.Users/ImportMappings")
        #expect(event.status == .ok && event.uid == 0 && event.target == nil && event.message.isEmpty)
    }

    @Test("A dry run checks every row and returns the count, importing nothing")
    func importDryRun() throws {
        try importFixture()
        let before = try allMappings()
        let count = try service.importMappings(csv: "bob,,POSTGRES_USERNAME,bob_pg\ncarol,c1,NONE,\n", dryRun: true, caller: root)
        #expect(count == 2)
        #expect(try allMappings() == before)
        #expect(try audit(AuditFilter(method: "/steward.v1.Users/ImportMappings")).map(\.status) == [.ok])
    }

    @Test("Importing needs USER_ADMIN, and the denial is audited")
    func importDenied() throws {
        try importFixture()
        let plain = try user("plain", uid: 2009, [.applicationAdmin])
        let error = #expect(throws: DomainError.self) {
            _ = try service.importMappings(csv: "bob,,NONE,\n", dryRun: false, caller: plain)
        }
        #expect(error?.code == .permissionDenied)
        #expect(try store.listMappings(MappingFilter(userName: "bob")).isEmpty)
        let event = try #require(try audit().first)
        #expect(event.method == "/steward.v1.Users/ImportMappings" && event.status == .permissionDenied)
        #expect(event.uid == 2009 && event.userName == "plain")
    }

    @Test("An import of more than maxImportRows rows is refused INVALID_ARGUMENT naming the limit, before any row is checked")
    func importRowCap() throws {
        try importFixture()
        let before = try allMappings()
        // Every row is well formed and sets its own scope, so each one counts.
        let rows = UsersService.maxImportRows + 1
        let csv = "user,connection,kind,value\n" + (0..<rows).map { "u\($0),,NONE,\n" }.joined()
        let error = #expect(throws: DomainError.self) { _ = try service.importMappings(csv: csv, dryRun: true, caller: root) }
        #expect(error == DomainError(
            .invalidArgument, "csv: \(rows) rows; at most \(UsersService.maxImportRows) are imported at once: split the file"))
        #expect(try allMappings() == before)
        let event = try #require(try audit(AuditFilter(method: "/steward.v1.Users/ImportMappings")).first)
        #expect(event.status == .invalidArgument && event.message == error?.message)
    }

    @Test("An import with 150 bad rows lists the first 100 by line, then counts the other 50")
    func importReportCap() throws {
        try importFixture()
        // Lines 2…151: odd lines are malformed (the parser's problem), even
        // lines name a user who does not exist (the store's), so the report
        // is the two merged by line.
        var lines = ["user,connection,kind,value"]
        for line in 2...151 {
            lines.append(line.isMultiple(of: 2) ? "ghost\(line),,NONE," : "carol\(line),,BOGUS,")
        }
        let csv = lines.joined(separator: "\n") + "\n"
        let error = try #require(#expect(throws: DomainError.self) {
            _ = try service.importMappings(csv: csv, dryRun: false, caller: root)
        })
        #expect(error.code == .invalidArgument)
        let report = error.message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(report.count == 1 + 100 + 1, "\(report.count) lines")
        #expect(report.first == "150 bad rows; nothing was imported:")
        let listed = report.dropFirst().dropLast()
        #expect(listed.map { $0.prefix { $0 != ":" } } == (2...101).map { "line \($0)"[...] })
        #expect(listed.first == "line 2: no user named \"ghost2\"")
        #expect(listed.dropFirst().first?.hasPrefix("line 3: kind: \"BOGUS\" is not one of") == true)
        #expect(report.last == "… and 50 more bad rows")
        #expect(!error.message.contains("line 102:"))
        #expect(try store.listMappings(MappingFilter()).count == 1)
    }
}
