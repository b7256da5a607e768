@testable import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// Values that try to make psql run something: a line break (LF, CR or a
/// Unicode separator) followed by a meta-command, a backslash, a variable.
let hostileValues = [
    "a\n\\! touch /tmp/x", "a\r\\! touch /tmp/x", "a\n\\gexec", "a\n\\i /tmp/x.sql", "a\u{2028}\\! id",
    "a\u{85}\\! id", "a\u{202E}b", "back\\slash", "q'uote\"d", ":var :'v' :\"v\"", "tab\tbed", "\u{1}\u{7F}",
]

@Suite("psql scripts: quoting, the lexer, the writer (no database)")
struct PsqlScriptTests {
    @Test("Names and values with line breaks and control characters are escaped, never raw")
    func quotingEscapes() {
        #expect(SQLQuoting.identifier("a\nb") == #"U&"a\+00000Ab""#)
        #expect(SQLQuoting.identifier("a\\b\n\"") == #"U&"a\\b\+00000A""""#)
        #expect(SQLQuoting.literal("a\nb") == #"E'a\u000Ab'"#)
        #expect(SQLQuoting.literal("a\r'\\") == #"E'a\u000D''\\'"#)
        #expect(SQLQuoting.literal("x\u{2028}") == #"E'x\u2028'"#)
        // Names needing no escape keep the plain forms, exactly as stored.
        #expect(SQLQuoting.identifier("Mixed Case ü\"") == "\"Mixed Case ü\"\"\"")
        #expect(SQLQuoting.literal("it's") == "'it''s'")
        for value in hostileValues {
            for quoted in [SQLQuoting.identifier(value), SQLQuoting.literal(value), SQLQuoting.visible(value)] {
                #expect(!quoted.unicodeScalars.contains(where: SQLQuoting.needsEscape), "\(quoted.debugDescription)")
            }
            #expect(PsqlScriptLexer.problem(in: "SELECT \(SQLQuoting.literal(value)) AS \(SQLQuoting.identifier(value));") == nil, "\(value.debugDescription)")
        }
    }

    @Test("The lexer finds what psql would act on outside quotes, and nothing inside them")
    func lexer() {
        let refused = [
            "SELECT 1;\n\\! touch x", "SELECT 1 \\! touch x", "SELECT 1;\n   \\gexec", "SELECT :foo", "SELECT :'foo'",
            "SELECT 'a\nb'", "SELECT \"a\nb\"", "SELECT 1; -- c\r\\! id", "SELECT 'a\\'", "SELECT 'open",
            "DO $t$ ' $t$ \\! id '", "DO $t$ E' $t$ \\! x ' $t$", "SELECT /* a\n*/ 1", "SELECT 1\u{2028}",
        ]
        for sql in refused {
            #expect(PsqlScriptLexer.problem(in: sql) != nil, "\(sql.debugDescription)")
        }
        let accepted = [
            "SELECT 'a''b', E'x\\\\y\\'', \"q\"\"r\", U&\"a\\+00000A\", 1::int, $1;",
            "DO $t$\nBEGIN\n  RAISE EXCEPTION 'x %', 'y';\nEND\n$t$;", "SELECT 1; -- a comment \\! with a backslash",
            "SELECT /* nested /* \\ */ */ 1", "SELECT a$b FROM t",
        ]
        for sql in accepted {
            #expect(PsqlScriptLexer.problem(in: sql) == nil, "\(sql.debugDescription)")
        }
        #expect(PsqlScriptLexer.problem(in: "SELECT 1,\n2,\n3 \\gexec")?.line == 2)
    }

    @Test("The writer refuses a script in which psql would find a meta-command it did not put there")
    func writerRefuses() {
        var script = PsqlScript()
        script.meta(.set(.onErrorStop))
        script.sql("SELECT 1;")
        script.sql("GRANT x TO y;\n\\! touch /tmp/x")
        let refusal = #expect(throws: PsqlScript.Refusal.self) { try script.text() }
        #expect(refusal?.line == 4, "the line of the backslash")
        #expect(refusal?.description.contains("touch") == false, "the refusal never repeats the hostile text")
    }

    @Test("Comments and \\connect carry hostile text on one line each", arguments: hostileValues)
    func commentsAndConnect(value: String) throws {
        var script = PsqlScript()
        script.comment("Database \(PsqlScript.shown(value)) and, raw, \(value)")
        script.meta(.connect(database: value))
        var lines = try script.text().split(separator: "\n", omittingEmptySubsequences: true)
        // A raw line break in comment text starts another comment line, never a command.
        #expect(lines.removeLast().hasPrefix("\\connect -reuse-previous=on '"))
        #expect(lines.allSatisfy { $0.hasPrefix("-- ") }, "\(lines)")
        #expect(lines.first?.contains(#"Database "\#(SQLQuoting.visible(value))""#) == true)
        #expect(!lines.joined().unicodeScalars.contains(where: SQLQuoting.needsEscape))
    }

    @Test("Every line of a setup script for hostile settings is a comment, checked SQL or the writer's own meta-command")
    func setupScriptLines() throws {
        for value in hostileValues {
            let settings = ConnectionSettings(
                displayName: "k", deploymentType: .selfManaged, host: "/tmp/\(value)", port: 5432,
                stateDatabase: "state \(value)", governedDatabases: ["db \(value)", "other"], username: "role \(value)", sslMode: .prefer)
            let text = try SetupScript(connectionKey: "k", settings: settings, marker: "m \(value)").text
            #expect(!text.unicodeScalars.contains { $0 != "\n" && SQLQuoting.needsEscape($0) })
            for line in text.split(separator: "\n") {
                let trimmed = line.drop { $0 == " " }
                guard trimmed.hasPrefix("\\") else { continue }
                #expect(
                    ["\\set ON_ERROR_STOP on", "\\set QUIET on"].contains(String(trimmed)) || trimmed.hasPrefix("\\connect -reuse-previous=on '"),
                    "\(line)")
            }
        }
    }
}
