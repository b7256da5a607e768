@testable import StewardCore
import StewardStore
import Testing

private typealias Record = CSVRecords.Record

@Suite("CSV records: quoting, line ends, and the line each record starts on", .timeLimit(.minutes(2)))
struct CSVRecordsTests {
    @Test("Plain records, with or without a trailing newline", arguments: ["a,b\nc,d\n", "a,b\nc,d"])
    func plain(text: String) throws {
        #expect(try CSVRecords.parse(text) == [Record(line: 1, fields: ["a", "b"]), Record(line: 2, fields: ["c", "d"])])
    }

    @Test("Empty fields are kept, including a trailing one")
    func emptyFields() throws {
        #expect(try CSVRecords.parse("a,,\n,\nx,") == [
            Record(line: 1, fields: ["a", "", ""]),
            Record(line: 2, fields: ["", ""]),
            Record(line: 3, fields: ["x", ""]),
        ])
    }

    @Test("A quoted field may hold commas and doubled quotes")
    func quoting() throws {
        #expect(try CSVRecords.parse("\"a, b\",c\n\"say \"\"hi\"\"\",\"\"\"\"\n") == [
            Record(line: 1, fields: ["a, b", "c"]),
            Record(line: 2, fields: ["say \"hi\"", "\""]),
        ])
    }

    @Test("An empty quoted field is a record, not a blank line")
    func emptyQuoted() throws {
        #expect(try CSVRecords.parse("\"\"\n") == [Record(line: 1, fields: [""])])
        #expect(try CSVRecords.parse("\"\"") == [Record(line: 1, fields: [""])])
    }

    @Test("A quoted field spanning lines keeps its newline, and the next record's line counts it")
    func multiLine() throws {
        #expect(try CSVRecords.parse("\"line one\nline two\",x\nnext,y\n") == [
            Record(line: 1, fields: ["line one\nline two", "x"]),
            Record(line: 3, fields: ["next", "y"]),
        ])
        #expect(try CSVRecords.parse("a,\"1\n2\n3\"\n\"p\nq\",r\nlast,z") == [
            Record(line: 1, fields: ["a", "1\n2\n3"]),
            Record(line: 4, fields: ["p\nq", "r"]),
            Record(line: 6, fields: ["last", "z"]),
        ])
    }

    @Test("CRLF line ends are line ends; inside quotes they are kept")
    func crlf() throws {
        #expect(try CSVRecords.parse("a,b\r\nc,\"d\"\r\n") == [Record(line: 1, fields: ["a", "b"]), Record(line: 2, fields: ["c", "d"])])
        #expect(try CSVRecords.parse("\"x\r\ny\",z\r\nw,v") == [
            Record(line: 1, fields: ["x\r\ny", "z"]),
            Record(line: 3, fields: ["w", "v"]),
        ])
    }

    @Test("A leading byte-order mark is not part of the header")
    func byteOrderMark() {
        let parsed = MappingImport(csv: "\u{FEFF}user,connection,kind,value\ncarol,,NONE,\n")
        #expect(parsed.problems.isEmpty)
        #expect(parsed.rows.map(\.line) == [2])
    }

    @Test("A lone CR ends a record too, so a last row ending in CR has no stray character")
    func loneCR() throws {
        #expect(try CSVRecords.parse("a,b\rc,d\r") == [Record(line: 1, fields: ["a", "b"]), Record(line: 2, fields: ["c", "d"])])
        let parsed = MappingImport(csv: "carol,c2,NONE,\r")
        #expect(parsed.problems.isEmpty)
        #expect(parsed.rows.map(\.mapping) == [IdentityMapping(userName: "carol", connectionKey: "c2", identity: .none)])
    }

    @Test("Blank lines are skipped but still counted")
    func blankLines() throws {
        #expect(try CSVRecords.parse("\n\na,b\n\n\r\nc,d\n\n") == [
            Record(line: 3, fields: ["a", "b"]),
            Record(line: 6, fields: ["c", "d"]),
        ])
        #expect(try CSVRecords.parse("") == [])
        #expect(try CSVRecords.parse("\n\r\n\n") == [])
    }

    @Test("Text other than ASCII passes through unchanged")
    func unicode() throws {
        #expect(try CSVRecords.parse("zoë,名前,\"😀, ü\"\n") == [Record(line: 1, fields: ["zoë", "名前", "😀, ü"])])
    }

    @Test("A quote that is never closed is reported on the line its record starts")
    func neverClosed() {
        #expect(throws: CSVRecords.Malformed(line: 2, problem: "a quoted field is never closed")) {
            try CSVRecords.parse("a,b\nc,\"d\ne,f\n")
        }
        #expect(throws: CSVRecords.Malformed(line: 4, problem: "a quoted field is never closed")) {
            try CSVRecords.parse("\"1\n2\",x\n\n\"open")
        }
    }

    @Test("Text after a closing quote is reported on the line where it is")
    func textAfterQuote() {
        #expect(throws: CSVRecords.Malformed(line: 2, problem: "text after a closing quote")) {
            try CSVRecords.parse("a,b\n\"c\"d,e\n")
        }
        #expect(throws: CSVRecords.Malformed(line: 3, problem: "text after a closing quote")) {
            try CSVRecords.parse("ok,1\n\"spans\ntwo\" ,x\n")
        }
    }

    @Test("A quote inside an unquoted field is refused")
    func quoteInsideUnquoted() {
        #expect(throws: CSVRecords.Malformed(
            line: 2, problem: "a quote inside an unquoted field (quote the whole field and double the quote)")
        ) {
            try CSVRecords.parse("a,b\nab\"c,d\n")
        }
    }
}

@Suite("Mapping import: CSV rows to mappings, every bad row by line", .timeLimit(.minutes(2)))
struct MappingImportTests {
    func mapping(_ user: String, _ connection: String?, _ identity: Identity) -> IdentityMapping {
        IdentityMapping(userName: user, connectionKey: connection, identity: identity)
    }

    @Test("A header row is optional and recognised whatever its case and spacing", arguments: [
        "", "user,connection,kind,value\n", "User , Connection,KIND,\tValue\r\n",
    ])
    func header(header: String) {
        let parsed = MappingImport(csv: header + "alice,,POSTGRES_USERNAME,alice_pg\nbob,c1,NONE,\n")
        #expect(parsed.problems == [])
        let offset = header.isEmpty ? 0 : 1
        #expect(parsed.rows.map(\.line) == [1 + offset, 2 + offset])
        #expect(parsed.rows.map(\.mapping) == [
            mapping("alice", nil, .postgresUsername("alice_pg")),
            mapping("bob", "c1", .none),
        ])
    }

    @Test("Kinds are case-insensitive and may carry the IDENTITY_KIND_ prefix", arguments: [
        ("POSTGRES_USERNAME", "role_a", Identity.postgresUsername("role_a")),
        ("postgres_username", "role_a", .postgresUsername("role_a")),
        ("IDENTITY_KIND_POSTGRES_USERNAME", "role_a", .postgresUsername("role_a")),
        ("identity_kind_iam_principal", "arn:aws:iam::123456789012:user/a", .iamPrincipal("arn:aws:iam::123456789012:user/a")),
        ("Iam_Principal", "arn:aws:iam::123456789012:user/a", .iamPrincipal("arn:aws:iam::123456789012:user/a")),
        (" unset ", "", .unset),
        ("Identity_Kind_Unset", "", .unset),
        ("none", "", .none),
        ("IDENTITY_KIND_NONE", "", .none),
    ])
    func kinds(kind: String, value: String, identity: Identity) {
        let parsed = MappingImport(csv: "alice,c1,\(kind),\(value)")
        #expect(parsed.problems == [])
        #expect(parsed.rows.map(\.mapping) == [mapping("alice", "c1", identity)])
    }

    @Test("An empty connection is the user's default; fields are trimmed of spaces and tabs")
    func defaultsAndTrimming() {
        let parsed = MappingImport(csv: "alice, ,UNSET,\n  bob\t, c2 , POSTGRES_USERNAME ,  bob_pg \n\"carol\",\"\",NONE,\"\"\n")
        #expect(parsed.problems == [])
        #expect(parsed.rows.map(\.mapping) == [
            mapping("alice", nil, .unset),
            mapping("bob", "c2", .postgresUsername("bob_pg")),
            mapping("carol", nil, .none),
        ])
    }

    @Test("A role name with a comma, quote or space survives quoting")
    func quotedValue() {
        let parsed = MappingImport(csv: "alice,c1,POSTGRES_USERNAME,\"O'Brien, \"\"the\"\" admin\"\n")
        #expect(parsed.problems == [])
        #expect(parsed.rows.map(\.mapping) == [mapping("alice", "c1", .postgresUsername("O'Brien, \"the\" admin"))])
    }

    @Test("Each kind of bad row is refused with its reason", arguments: [
        ("alice,c1,UNSET", "expected 4 fields (user,connection,kind,value), found 3"),
        ("alice,c1,UNSET,,", "expected 4 fields (user,connection,kind,value), found 5"),
        ("alice", "expected 4 fields (user,connection,kind,value), found 1"),
        ("alice,c1,UNSET,alice", "value: UNSET takes no value, found \"alice\""),
        ("alice,,NONE,x", "value: NONE takes no value, found \"x\""),
        ("alice,c1,POSTGRES_USERNAME,", "value: POSTGRES_USERNAME needs a value"),
        ("alice,c1,IAM_PRINCIPAL,  ", "value: IAM_PRINCIPAL needs a value"),
        ("alice,c1,ROLE,x", "kind: \"ROLE\" is not one of POSTGRES_USERNAME, IAM_PRINCIPAL, UNSET, NONE"),
        ("alice,c1,IDENTITY_KIND_UNSPECIFIED,", "kind: \"IDENTITY_KIND_UNSPECIFIED\" is not one of POSTGRES_USERNAME, IAM_PRINCIPAL, UNSET, NONE"),
        ("9lives,c1,UNSET,", "user: \"9lives\" must start with a letter or '_'"),
        (",c1,UNSET,", "user: is required"),
        ("alice,bad key!,UNSET,", "connection: \"bad key!\" may contain only letters, digits, '-' and '_'"),
        ("alice,c1,POSTGRES_USERNAME,pg_monitor", "value: \"pg_monitor\": role names starting with pg_ are reserved by PostgreSQL"),
        ("alice,c1,IAM_PRINCIPAL,arn:aws:iam::12345:user/alice", "value: \"arn:aws:iam::12345:user/alice\": the account id must be 12 digits, not \"12345\""),
    ])
    func badRow(row: String, message: String) {
        let parsed = MappingImport(csv: "bob,,UNSET,\n" + row + "\n")
        #expect(parsed.problems == [MappingImport.Problem(line: 2, message: message)])
        #expect(parsed.rows.map(\.line) == [1], "the good row is still parsed")
    }

    @Test("A repeated user and scope names the earlier line; the first stays")
    func repeatedScope() {
        let parsed = MappingImport(csv: """
            alice,,UNSET,
            alice,c1,NONE,
            bob,c1,NONE,
            alice, ,POSTGRES_USERNAME,a_pg
            alice,c1,UNSET,
            """)
        #expect(parsed.problems == [
            MappingImport.Problem(line: 4, message: "repeats line 1: both set the default of user \"alice\""),
            MappingImport.Problem(line: 5, message: "repeats line 2: both set user \"alice\" on connection \"c1\""),
        ])
        #expect(parsed.rows.map(\.line) == [1, 2, 3])
        #expect(parsed.rows.first?.mapping == mapping("alice", nil, .unset))
    }

    @Test("Every bad row is reported, by the line it starts on, not just the first")
    func everyBadRow() {
        let parsed = MappingImport(csv: """
            user,connection,kind,value
            alice,,POSTGRES_USERNAME,alice_pg
            bob,c1,UNSET,bob
            carol,c1,POSTGRES_USERNAME,"two
            lines"
            dave,,NONE,
            9x,,NONE,
            erin,c2,IAM_PRINCIPAL,arn:aws:iam::123456789012:group/g
            """)
        #expect(parsed.problems == [
            MappingImport.Problem(line: 3, message: "value: UNSET takes no value, found \"bob\""),
            MappingImport.Problem(line: 4, message: "value: a PostgreSQL username may not contain control characters"),
            MappingImport.Problem(line: 7, message: "user: \"9x\" must start with a letter or '_'"),
            MappingImport.Problem(
                line: 8,
                message: "value: \"arn:aws:iam::123456789012:group/g\" is not an IAM user or role (arn:aws:iam::<account>:user/... or :role/...) nor an assumed role (arn:aws:sts::<account>:assumed-role/...)"
            ),
        ])
        #expect(parsed.rows.map(\.line) == [2, 6])
    }

    @Test("A CSV that cannot be read is one problem at the line the reader names")
    func malformed() {
        let parsed = MappingImport(csv: "alice,,UNSET,\nbob,\"c1,UNSET,\n")
        #expect(parsed.problems == [MappingImport.Problem(line: 2, message: "a quoted field is never closed")])
        #expect(parsed.rows.isEmpty, "nothing of an unreadable file is imported")
    }

    @Test("A file with no rows is refused", arguments: ["", "\n\n", "user,connection,kind,value\n"])
    func noRows(csv: String) {
        let parsed = MappingImport(csv: csv)
        #expect(parsed.rows.isEmpty)
        #expect(parsed.problems == [MappingImport.Problem(line: 1, message: "no mappings: expected rows of user,connection,kind,value")])
    }
}
