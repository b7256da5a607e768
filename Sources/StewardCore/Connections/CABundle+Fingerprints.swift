import Crypto
import Foundation

extension CABundle {
    /// How change reports show a CA bundle: the SHA-256 fingerprint of each
    /// certificate (of its DER bytes, as `openssl x509 -fingerprint -sha256`
    /// prints it), comma-separated; never the PEM, which is long and would
    /// make every report carry it. Empty for no bundle. Text that holds no
    /// certificate (a refused update's dry run) is shown by the hash of the
    /// text, so it is still told apart from the stored one without being echoed.
    static func fingerprints(of pem: String) -> String {
        guard !pem.isEmpty else { return "" }
        let blocks = ((try? certificates(in: pem)) ?? "").components(separatedBy: "-----END CERTIFICATE-----")
        let certificates: [Data] = blocks.compactMap { block in
            let base64 = block.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
            return base64.isEmpty ? nil : Data(base64Encoded: base64)
        }
        guard !certificates.isEmpty else { return "sha256:" + hex(SHA256.hash(data: Data(pem.utf8))) + " (not a certificate)" }
        return certificates.map { "SHA256:" + hex(SHA256.hash(data: $0), separator: ":") }.joined(separator: ", ")
    }

    private static func hex(_ digest: SHA256.Digest, separator: String = "") -> String {
        digest.map { String(format: "%02X", $0) }.joined(separator: separator)
    }
}
