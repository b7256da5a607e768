/// What the server's messages waiting on the socket, not yet read by libpq,
/// say about how it wants the password. Pure: ``AuthenticationRequestGuard``
/// peeks the bytes and acts on the answer.
///
/// Every complete message is looked at, not only the first: libpq 15
/// answers each authentication request in its buffer in one
/// `PQconnectPoll` call, so a cleartext request right behind a SASL one,
/// in the same read, would be answered too.
package enum AuthenticationMessageScan: Equatable, Sendable {
    /// Nothing here asks for the password by a method other than SCRAM.
    case allowed
    /// An authentication request ('R') for another method: its code
    /// (3 cleartext, 5 MD5, 7 GSSAPI, ...).
    case refused(code: UInt32)
    /// The bytes end inside a message: libpq must not read before this
    /// many bytes (counted from the first) are there, or the next look would
    /// start in the middle of a message and could not tell what it is.
    case incomplete(needed: Int)
    /// More than ``lookAheadLimit`` bytes of messages before authentication
    /// ends: no PostgreSQL server sends that (libpq itself allows 2000 bytes
    /// per request), and libpq might not read it all at once.
    case tooLong

    /// How far the checked messages may reach. libpq 15 keeps at least
    /// 8 KiB free before each read (`pqReadData`) and reads all that is
    /// there up to its free space, so messages ending within 8 KiB are
    /// read whole and the next look starts at a message boundary.
    package static let lookAheadLimit = 8_192

    /// AuthenticationOk (0: no password asked, or the login is done) and
    /// the SASL steps (10 request, 11 continue, 12 final).
    package static let allowedCodes: Set<UInt32> = [0, 10, 11, 12]

    /// Scans the messages in `bytes`, which start at a message boundary.
    /// Stops after AuthenticationOk or an ErrorResponse ('E'): libpq answers
    /// nothing after either while it authenticates.
    package init(_ bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 5 else {
                self = offset + 5 > Self.lookAheadLimit ? .tooLong : .incomplete(needed: offset + 5)
                return
            }
            let type = bytes[offset]
            let length = Int(Self.bigEndian(bytes, at: offset + 1))
            // A length below 4 is no message; libpq rejects it before answering.
            guard length >= 4 else { self = .allowed; return }
            let end = offset + 1 + length
            guard end <= Self.lookAheadLimit else { self = .tooLong; return }
            guard end <= bytes.count else { self = .incomplete(needed: end); return }
            if type == UInt8(ascii: "E") { self = .allowed; return }
            if type == UInt8(ascii: "R") {
                // libpq rejects an 'R' shorter than 8 bytes (no code) unanswered.
                guard length >= 8 else { self = .allowed; return }
                let code = Self.bigEndian(bytes, at: offset + 5)
                guard Self.allowedCodes.contains(code) else { self = .refused(code: code); return }
                if code == 0 { self = .allowed; return }
            }
            offset = end
        }
        self = .allowed
    }

    private static func bigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
