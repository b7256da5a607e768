import StewardStore
import Testing

/// The plaintext holders behind ``Secret`` (item 7: the daemon wipes its
/// password copies). That freed memory was wiped cannot be observed without
/// reading it after it is freed; what can be is tested here.
@Suite("Plaintext bytes are held in one place and wiped")
struct ZeroingBytesTests {
    @Test("A plaintext buffer is overwritten in place by wipe()")
    func wipe() {
        var plaintext = Array("fixture-password".utf8)
        plaintext.wipe()
        #expect(plaintext == [UInt8](repeating: 0, count: 16))
    }

    @Test("A Secret kept as bytes gives back the same text, compares by value, and handles empty and non-ASCII text")
    func roundTrip() {
        for text in ["", "pw", "pässwörd-🔑"] {
            let secret = Secret(text)
            #expect(secret.exposedValue == text)
            #expect(secret == Secret(text))
            #expect(Secret(utf8: Array(text.utf8)) == secret)
            #expect(secret.withExposedBytes { Array($0) } == Array(text.utf8))
        }
        #expect(Secret("a") != Secret("b"))
        #expect(Secret("a") != Secret("ab"))
    }
}
