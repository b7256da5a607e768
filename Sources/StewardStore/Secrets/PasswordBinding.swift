import Crypto
import StewardModel

/// Where a stored password may be sent: the associated data its AES-GCM
/// seal authenticates.
///
/// The seal opens only for the exact host, port, username and TLS settings
/// it was made for, so a registry row whose destination was changed without
/// the password (by hand, or by another program in shared mode) fails to
/// decrypt instead of handing the password to the new destination. Every
/// change of these settings reseals the password (``SecretCipher/reseal``).
/// They are the fields whose descriptor `decidesPasswordDestination`
/// (``ConnectionSettingsField``); the encoding below is frozen per version.
///
/// Canonical and versioned: a fixed prefix, then each field as a 4-byte
/// big-endian length and its UTF-8 bytes, so no two different bindings
/// encode alike. The CA bundle is bound by its SHA-256, as the certificates
/// that decide which server may receive the password.
package struct PasswordBinding: Sendable, Hashable {
    package static let version = 2
    static let prefix = "steward/connection-password/v2"

    package var connectionKey: String
    package var host: String
    package var port: Int
    package var username: String
    package var sslMode: SSLMode
    package var caCertificate: String?

    package init(connectionKey: String, settings: ConnectionSettings) {
        self.connectionKey = connectionKey
        host = settings.host
        port = settings.port
        username = settings.username
        sslMode = settings.sslMode
        caCertificate = settings.caCertificate
    }

    var associatedData: [UInt8] {
        var bytes: [UInt8] = []
        func append(_ field: String) {
            let utf8 = Array(field.utf8)
            let count = UInt32(utf8.count)
            bytes += [UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
            bytes += utf8
        }
        append(Self.prefix)
        append(connectionKey)
        append(host)
        append(String(port))
        append(username)
        append(sslMode.rawValue)
        append(caCertificate.map { pem in
            "sha256:" + SHA256.hash(data: Array(pem.utf8)).map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined()
        } ?? "none")
        return bytes
    }
}

extension PasswordBinding {
    /// The associated data, for tests that compare bindings.
    package var associatedDataForTesting: [UInt8] { associatedData }
}
