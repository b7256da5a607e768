import Foundation
import StewardPostgres
import Testing

/// The scan of the server's waiting messages that the authentication-request
/// guard acts on: every complete message is looked at, a partial one asks
/// for the rest.
@Suite("Scanning the server's authentication messages")
struct AuthenticationMessageScanTests {
    static func request(_ code: UInt32, body: [UInt8] = []) -> [UInt8] {
        [UInt8(ascii: "R")] + bigEndian(UInt32(8 + body.count)) + bigEndian(code) + body
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static let sasl = request(10, body: Array("SCRAM-SHA-256".utf8) + [0, 0])
    static let error = [UInt8(ascii: "E")] + bigEndian(8) + Array("SFAT".utf8)

    @Test("SCRAM's steps and AuthenticationOk are allowed")
    func scramAllowed() {
        #expect(AuthenticationMessageScan(Self.sasl) == .allowed)
        #expect(AuthenticationMessageScan(Self.request(11, body: [1, 2, 3]) + Self.request(12)) == .allowed)
        #expect(AuthenticationMessageScan(Self.request(0)) == .allowed)
    }

    @Test("A request for another method is refused wherever it is among the messages")
    func otherMethodsRefused() {
        #expect(AuthenticationMessageScan(Self.request(3)) == .refused(code: 3))
        #expect(AuthenticationMessageScan(Self.sasl + Self.request(3)) == .refused(code: 3))
        #expect(AuthenticationMessageScan(Self.sasl + Self.request(5, body: [1, 2, 3, 4])) == .refused(code: 5))
        #expect(AuthenticationMessageScan(Self.request(11) + Self.request(12) + Self.request(7)) == .refused(code: 7))
    }

    @Test("A message cut short asks for the rest: its header, then its body")
    func partialWaits() {
        let both = Self.sasl + Self.request(3)
        #expect(AuthenticationMessageScan(both.prefix(3)) == .incomplete(needed: 5))
        #expect(AuthenticationMessageScan(both.prefix(9)) == .incomplete(needed: Self.sasl.count))
        #expect(AuthenticationMessageScan(both.prefix(Self.sasl.count + 2)) == .incomplete(needed: Self.sasl.count + 5))
        #expect(AuthenticationMessageScan(both.prefix(Self.sasl.count + 6)) == .incomplete(needed: both.count))
    }

    @Test("After AuthenticationOk or an error, libpq answers nothing more: the scan stops there")
    func stopsAtEnd() {
        #expect(AuthenticationMessageScan(Self.request(0) + Self.request(3)) == .allowed)
        #expect(AuthenticationMessageScan(Self.error + Self.request(3)) == .allowed)
    }

    @Test("More than 8 KiB before authentication ends is refused, not waited for")
    func tooLong() {
        let notice = [UInt8(ascii: "N")] + Self.bigEndian(9_000) + [UInt8](repeating: 0, count: 8_996)
        #expect(AuthenticationMessageScan(notice.prefix(5)) == .tooLong)
        #expect(AuthenticationMessageScan(Self.sasl + notice) == .tooLong)
    }
}
