import CLibPQ
import Glibc
import StewardModel

/// What the linked libpq can enforce about how a password is sent.
///
/// `require_auth` (refuse any authentication method but the listed ones,
/// before answering the server) exists from libpq 16; Debian 12 ships
/// libpq 15. `channel_binding=require` exists from libpq 13 and makes libpq
/// refuse every authentication request but SASL (SCRAM-SHA-256-PLUS), so
/// it closes the question under TLS with any libpq Steward links. Without
/// TLS and without `require_auth`, ``AuthenticationRequestGuard`` reads the
/// server's requests before libpq does (docs/connections.md).
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
    /// never happen there and ``AuthenticationRequestGuard`` is used instead.
    var requiresTLS: Bool {
        [.require, .verifyCA, .verifyFull].contains(sslMode) && isTCP
    }

    /// Not a Unix socket (a directory, or `@` for Linux's abstract namespace).
    var isTCP: Bool { !host.hasPrefix("/") && !host.hasPrefix("@") }

    /// Whether the password goes to a server that may or may not have TLS
    /// (`prefer`, `allow` over TCP). Such a login is made TLS-first with
    /// `sslmode=require` and channel binding, and in the clear, under the
    /// guard, only when the server answers that it has no TLS: libpq's own
    /// prefer/allow would send the password inside TLS unguarded (a
    /// cleartext request there cannot be peeked), and would retry in the
    /// clear after any failure, a wrong password included.
    var connectsTLSFirst: Bool {
        sendsPasswordOnlyBySCRAM && password != nil && [.prefer, .allow].contains(sslMode) && isTCP
    }

    func with(sslMode: SSLMode) -> ConnectionParameters {
        var parameters = self
        parameters.sslMode = sslMode
        return parameters
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

extension ConnectionParameters {
    /// The keyword/value pairs libpq gets (no timeouts), for tests that
    /// check what is asked of libpq. The password is among them.
    package var keywordValuesForTesting: [(String, String)] {
        keywordValues(connectTimeoutSeconds: nil)
    }
}
