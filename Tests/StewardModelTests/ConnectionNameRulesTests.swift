import StewardModel
import Testing

/// The daemon's answers to these names are tested in StewardCoreTests
/// (ConnectionInputRulesTests); here, that the model names the field and the
/// problem apart, as the CLI shows them.
@Suite("Connection name rules")
struct ConnectionNameRulesTests {
    func problem(_ check: () throws(InputProblem) -> Void) -> InputProblem? {
        do { try check(); return nil } catch { return error }
    }

    @Test("A refusal names its field and says what is wrong")
    func refusals() {
        #expect(problem { () throws(InputProblem) in try ConnectionNameRules.checkKey("sync") }
            == InputProblem("display_name", "\"sync\" is a reserved word; choose another name"))
        #expect(problem { () throws(InputProblem) in try ConnectionNameRules.checkIdentifier("a\nb", field: "username") }
            == InputProblem("username", "\"a\\nb\" contains a control character (such as a line break)"))
        #expect(problem { () throws(InputProblem) in try ConnectionNameRules.checkHost("bad host") }?.field == "host")
    }

    @Test("Good names pass", arguments: ["db.example.com", "10.0.0.1", "::1", "/var/run/postgresql"])
    func hosts(_ host: String) {
        #expect(problem { () throws(InputProblem) in try ConnectionNameRules.checkHost(host) } == nil)
    }
}
