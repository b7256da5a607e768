import StewardModel
import Testing

/// What fuzzing ConnectionNameRules found (Fuzz/regressions/connection-text,
/// docs/fuzzing.md): an IP address followed by a NUL passed as that address,
/// because inet_pton stops reading at the NUL, and whatever followed it —
/// line breaks and a path included — was accepted as part of the host.
@Suite("Hosts: an address is the whole text")
struct HostAddressTests {
    @Test("An address with a NUL and more after it is refused, naming the host",
          arguments: ["8080::1\u{0}\u{0}th/run/postgresql5", "127.0.0.1\u{0}\nevil", "::1\u{0}"])
    func addressCutAtNUL(host: String) {
        let problem: InputProblem?
        do throws(InputProblem) { try ConnectionNameRules.checkHost(host); problem = nil } catch { problem = error }
        #expect(problem?.field == "host")
        #expect(problem?.problem.contains("is not a DNS name, an IPv4 or IPv6 address") == true)
    }

    @Test("The same addresses without the NUL are accepted", arguments: ["8080::1", "127.0.0.1", "::1"])
    func address(host: String) throws {
        try ConnectionNameRules.checkHost(host)
    }
}
