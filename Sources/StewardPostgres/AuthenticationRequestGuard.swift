import CLibPQ
import Glibc
import StewardModel

/// Reads the server's authentication requests off the socket (`recv` with
/// `MSG_PEEK`, so libpq still reads them) before libpq does, and ends the
/// connection when one asks for the password by anything but SCRAM: a
/// cleartext (3) or MD5 (5) request would otherwise be answered with the
/// password by libpq 15, which has no `require_auth`.
///
/// Used only in the clear (TLS bytes cannot be read here; under `sslmode`
/// prefer and allow Steward connects TLS-first with channel binding, see
/// ``PostgresConnection/connect(_:deadline:statementDeadline:)``).
///
/// Every complete message already on the socket is checked
/// (``AuthenticationMessageScan``), and libpq reads only once they are all
/// complete. Residual limit, stated in docs/connections.md: bytes that
/// arrive after this look and before libpq's own read, a moment later, are
/// read by libpq unchecked; a server that times a cleartext request into
/// that gap could still get an answer. libpq 16 and later close it with
/// `require_auth`, which Steward passes whenever the linked libpq has it.
package enum AuthenticationRequestGuard {
    /// The look ahead; bigger than the scan's limit, so that a buffer
    /// reaching past it is seen as such.
    static let peekSize = 65_536

    static func check(_ handle: OpaquePointer, deadline: Deadline, parameters: ConnectionParameters) throws(PostgresError) {
        guard PQstatus(handle) == CONNECTION_AWAITING_RESPONSE, PQsslInUse(handle) == 0 else { return }
        try checkWaitingMessages(on: PQsocket(handle), deadline: deadline, server: "\(parameters.host):\(parameters.port)")
    }

    /// Checks the messages waiting on `socket`, first waiting for the rest
    /// of one that has only partly arrived.
    package static func checkWaitingMessages(on socket: Int32, deadline: Deadline, server: String) throws(PostgresError) {
        var window = [UInt8](repeating: 0, count: peekSize)
        while true {
            let count = window.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_PEEK | MSG_DONTWAIT)) }
            if count < 0 && errno == EINTR { continue }
            // Nothing there yet, end of stream, or an error: libpq reads
            // nothing it could answer, and reports the rest itself.
            guard count > 0 else { return }
            switch AuthenticationMessageScan(window[..<count]) {
            case .allowed:
                return
            case .refused(let code):
                throw PostgresError(
                    kind: .authentication,
                    message: "the server at \(server) asked for the password by \(methodName(code)), not SCRAM-SHA-256; "
                        + "Steward sends a stored password only through SCRAM-SHA-256, so it did not send it and closed the connection")
            case .tooLong:
                throw PostgresError(
                    kind: .authentication,
                    message: "the server at \(server) sent more than \(AuthenticationMessageScan.lookAheadLimit) bytes before "
                        + "authenticating, which no PostgreSQL server does; Steward did not send the password and closed the connection")
            case .incomplete(let needed):
                switch SocketBytes.wait(socket, until: needed, deadline: deadline) {
                case .available: continue
                case .hungUp: return  // libpq reads the partial message and reports the closed connection
                case .timedOut:
                    throw PostgresError(kind: .timeout, message: "no complete authentication request from \(server) within the deadline")
                }
            }
        }
    }

    static func methodName(_ code: UInt32) -> String {
        switch code {
        case 3: "cleartext password (authentication request 3)"
        case 5: "MD5 (authentication request 5)"
        default: "authentication request \(code)"
        }
    }
}
