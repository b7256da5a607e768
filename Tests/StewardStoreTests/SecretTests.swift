import Foundation
import StewardStore
import Testing

@Suite("Secrets never print")
struct SecretTests {
    let secret = Secret("hunter2-very-secret")

    @Test("Every way of turning a Secret into text shows [REDACTED]")
    func redacted() {
        #expect(String(describing: secret) == "[REDACTED]")
        #expect(String(reflecting: secret) == "[REDACTED]")
        #expect("\(secret)" == "[REDACTED]")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect(dumped.contains("[REDACTED]"))
        #expect(!String(describing: Mirror(reflecting: secret).children.map(\.value)).contains("hunter2"))
    }

    @Test("A Secret inside another value does not leak through its description either")
    func nested() {
        struct Carrier { var name = "c"; var password: Secret }
        let carrier = Carrier(password: secret)
        #expect(!"\(carrier)".contains("hunter2"))
        #expect(!String(reflecting: [carrier]).contains("hunter2"))
        var dumped = ""
        dump(carrier, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect(!"\(Optional(secret) as Any)".contains("hunter2"))
    }

    @Test("The value is reachable only as exposedValue; equality compares values")
    func value() {
        #expect(secret.exposedValue == "hunter2-very-secret")
        #expect(secret == Secret("hunter2-very-secret"))
        #expect(secret != Secret("hunter2-very-secreT"))
        #expect(secret != Secret("hunter2"))
    }

    @Test("The store key prints redacted too")
    func storeKey() {
        let key = StoreKey(bytes: [UInt8](repeating: 0xAB, count: 32))!
        #expect("\(key)" == "[REDACTED]")
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.lowercased().contains("ab, ") && !dumped.contains("171"))
        #expect(StoreKey(bytes: [1, 2, 3]) == nil)
    }
}
