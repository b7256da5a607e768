import CLibPQ
import Glibc

/// The server's one-byte answer to libpq's TLS request (SSLRequest): `S`
/// (go ahead) or `N` (this server has no TLS), read off the socket with
/// `MSG_PEEK` before libpq reads it.
///
/// Steward's TLS-first login under `sslmode` prefer or allow falls back to
/// the clear only on this `N`, seen on the wire: not on libpq's error text,
/// and never after a failure for another reason (a wrong password, an
/// untrusted certificate, a pg_hba rule), which libpq's own prefer would
/// retry in the clear.
enum TLSAnswer {
    /// Whether the byte waiting on the socket is the server's `N` to the
    /// TLS request: libpq is in `CONNECTION_SSL_STARTUP` and has not begun
    /// TLS (it then awaits that single byte, and the server sends nothing
    /// else until the client's next message).
    static func isNo(_ handle: OpaquePointer) -> Bool {
        guard PQstatus(handle) == CONNECTION_SSL_STARTUP, PQsslInUse(handle) == 0 else { return false }
        var byte: UInt8 = 0
        while true {
            let count = recv(PQsocket(handle), &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            if count < 0 && errno == EINTR { continue }
            return count == 1 && byte == UInt8(ascii: "N")
        }
    }
}
