import StewardCore
import Testing

/// What fuzzing CABundle found (Fuzz/regressions/connection-text,
/// docs/fuzzing.md): a refusal repeated a block's label as pasted, control
/// characters and all, into the answer and the audit log.
@Suite("CA bundle refusals show a pasted block's label escaped")
struct CABundleRefusalTests {
    @Test("A block ended but never begun, or begun and never ended, is named with its control characters escaped",
          arguments: [
            ("-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERT\u{2}\u{1B}[2J-----\n", "line 3 ends a CERT\\u{0002}\\u{001B}[2J block that was never begun"),
            ("-----BEGIN X\u{202E}Y-----\nQUJD\n", "the X\\u{202E}Y block begun on line 1 never ends"),
          ])
    func labelEscaped(pem: String, message: String) {
        let error = #expect(throws: DomainError.self) { _ = try CABundle.certificates(in: pem) }
        #expect(error?.message == "ca_certificate_pem: " + message)
    }
}
