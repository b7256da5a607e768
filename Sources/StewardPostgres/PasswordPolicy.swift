import CLibPQ
import Glibc

/// What the linked libpq can enforce about how a password is sent.
///
/// `require_auth` (refuse any authentication method but the listed ones,
/// before answering the server) exists from libpq 16; Debian 12 ships
/// libpq 15. `channel_binding=require` exists from libpq 13 and makes libpq
/// refuse every authentication request but SASL (SCRAM-SHA-256-PLUS), so
/// it closes the question under TLS with any libpq Steward links. Without
/// TLS and without `require_auth`, ``AuthenticationRequestGuard`` reads the
/// server's request before libpq does (docs/connections.md).
public enum LibPQPasswordSupport {
    /// Whether the linked libpq knows `require_auth` (`PQconndefaults`
    /// lists every keyword it accepts; freed by `PQconninfoFree`).
    public static let hasRequireAuth: Bool = {
        guard let options = PQconndefaults() else { return false }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "require_auth" { return true }
            option += 1
        }
        return false
    }()
}

extension ConnectionParameters {
    /// Whether libpq will only talk to the server over TLS: an sslmode that
    /// requires it, over TCP. libpq never uses TLS on a Unix socket (a host
    /// that is a directory), whatever the sslmode, so channel binding could
    /// never happen there and the guard below is used instead.
    var requiresTLS: Bool {
        [.require, .verifyCA, .verifyFull].contains(sslMode) && !host.hasPrefix("/") && !host.hasPrefix("@")
    }

    /// The libpq keywords that keep the password off any method but SCRAM.
    var passwordPolicyKeywordValues: [(String, String)] {
        guard sendsPasswordOnlyBySCRAM else { return [] }
        var pairs: [(String, String)] = []
        if LibPQPasswordSupport.hasRequireAuth { pairs.append(("require_auth", "scram-sha-256")) }
        // Under TLS, also prove the server holds the certificate's key
        // through SCRAM (tls-server-end-point), and refuse any other request.
        if requiresTLS { pairs.append(("channel_binding", "require")) }
        return pairs
    }

    /// Whether Steward itself must check the server's authentication
    /// request before libpq answers it: only where neither libpq keyword
    /// above guards the connection.
    var needsAuthenticationRequestGuard: Bool {
        sendsPasswordOnlyBySCRAM && password != nil && !LibPQPasswordSupport.hasRequireAuth && !requiresTLS
    }
}

/// Reads the server's authentication request off the socket (`recv` with
/// `MSG_PEEK`, so libpq still reads it) before libpq answers it, and ends
/// the connection when the request is for anything but SCRAM: a cleartext
/// (3) or MD5 (5) request would otherwise be answered with the password by
/// libpq 15, which has no `require_auth`.
///
/// Used only on a connection in the clear (TLS bytes cannot be read here;
/// under `sslmode` prefer or allow a server that does offer TLS is not
/// guarded by this check). Limit, stated in docs/connections.md: it sees
/// what has arrived when libpq is about to read, so a server that sends a
/// second request right behind a SCRAM one, in the same read, is not seen.
/// libpq 16 and later close that with `require_auth`.
enum AuthenticationRequestGuard {
    /// AuthenticationOk (no password asked) and the SASL steps.
    static let allowedCodes: Set<UInt32> = [0, 10, 11, 12]

    static func check(_ handle: OpaquePointer, deadline: Deadline, parameters: ConnectionParameters) throws(PostgresError) {
        guard PQstatus(handle) == CONNECTION_AWAITING_RESPONSE, PQsslInUse(handle) == 0 else { return }
        let socket = PQsocket(handle)
        var header = [UInt8](repeating: 0, count: 9)
        while true {
            let count = recv(socket, &header, header.count, Int32(MSG_PEEK | MSG_DONTWAIT))
            // Errors and end of stream are libpq's to report.
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard count > 0, header[0] == UInt8(ascii: "R") else { return }
            guard count == header.count else {
                // Part of the header is here: libpq must not read it before
                // the rest, or this check would never see the code.
                guard !deadline.hasPassed else {
                    throw PostgresError(kind: .timeout, message: "no authentication request from \(parameters.host):\(parameters.port) within the deadline")
                }
                usleep(1_000)
                continue
            }
            let code = header[5...8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if allowedCodes.contains(code) { return }
            throw PostgresError(
                kind: .authentication,
                message: "the server at \(parameters.host):\(parameters.port) asked for the password by "
                    + "\(methodName(code)), not SCRAM-SHA-256; Steward sends a stored password only through "
                    + "SCRAM-SHA-256, so it did not send it and closed the connection")
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

extension ConnectionParameters {
    /// The keyword/value pairs libpq gets (no timeouts), for tests that
    /// check what is asked of libpq. The password is among them.
    package var keywordValuesForTesting: [(String, String)] {
        keywordValues(connectTimeoutSeconds: nil)
    }
}
