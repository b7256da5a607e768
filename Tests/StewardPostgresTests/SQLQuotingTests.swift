import PostgresTestSupport
import StewardPostgres
import Testing

@Suite("SQL quoting (without a server)", .timeLimit(.minutes(2)))
struct SQLQuotingTests {
    @Test("Identifiers are double-quoted with quotes doubled", arguments: [
        ("plain", "\"plain\""),
        ("MixedCase", "\"MixedCase\""),
        ("a\"b; DROP TABLE x; --", "\"a\"\"b; DROP TABLE x; --\""),
        ("ünïcödé", "\"ünïcödé\""),
    ])
    func identifiers(name: String, quoted: String) {
        #expect(SQLQuoting.identifier(name) == quoted)
    }

    @Test("Literals double quotes, and use E'' when a backslash is present", arguments: [
        ("it's", "'it''s'"),
        ("back\\slash", "E'back\\\\slash'"),
        ("'; DROP TABLE x; --", "'''; DROP TABLE x; --'"),
    ])
    func literals(value: String, quoted: String) {
        #expect(SQLQuoting.literal(value) == quoted)
    }
}
