import Foundation
import StewardModel

/// A connection's CA bundle as Steward keeps it: only its PEM `CERTIFICATE`
/// blocks. A private key pasted with the certificates (an easy mistake when
/// copying a server's files) is refused rather than stored, shown back and
/// written to temporary files; any other text or block is dropped.
public enum CABundle {
    static let field = "ca_certificate_pem"

    /// The certificate blocks of `pem`, one after another, each as
    /// `-----BEGIN CERTIFICATE-----`, its base64 lines, `-----END CERTIFICATE-----`.
    public static func certificates(in pem: String) throws(DomainError) -> String {
        var kept: [String] = []
        var block: (label: String, line: Int, body: [String])?
        let lines = pem.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let number = index + 1
            // Checked on every line, inside blocks or not, so that a key
            // whose delimiter is mangled is still refused.
            if line.uppercased().contains("PRIVATE KEY") {
                throw .invalidArgument(
                    field,
                    "line \(number) holds a private key; a CA bundle holds only certificates: remove the key (and treat it as exposed)")
            }
            if let label = delimiter(line, "BEGIN") {
                guard block == nil else {
                    throw .invalidArgument(field, "line \(number) begins a block inside the block begun on line \(block!.line)")
                }
                block = (label, number, [])
            } else if let label = delimiter(line, "END") {
                guard let open = block, open.label == label else {
                    throw .invalidArgument(field, "line \(number) ends a \(VisibleText.visible(label)) block that was never begun")
                }
                if label == "CERTIFICATE" {
                    guard !open.body.isEmpty, open.body.allSatisfy(isBase64) else {
                        throw .invalidArgument(field, "the certificate begun on line \(open.line) is not base64")
                    }
                    kept.append((["-----BEGIN CERTIFICATE-----"] + open.body + ["-----END CERTIFICATE-----"]).joined(separator: "\n"))
                }
                block = nil
            } else if !line.isEmpty, block != nil {
                block!.body.append(line)
            }
        }
        if let open = block {
            throw .invalidArgument(field, "the \(VisibleText.visible(open.label)) block begun on line \(open.line) never ends")
        }
        guard !kept.isEmpty else {
            throw .invalidArgument(field, "is not a PEM certificate bundle (no BEGIN CERTIFICATE block)")
        }
        return kept.joined(separator: "\n") + "\n"
    }

    /// The label of a `-----BEGIN label-----` (or END) line.
    private static func delimiter(_ line: String, _ kind: String) -> String? {
        let prefix = "-----\(kind) ", suffix = "-----"
        guard line.hasPrefix(prefix), line.hasSuffix(suffix), line.count > prefix.count + suffix.count else { return nil }
        return String(line.dropFirst(prefix.count).dropLast(suffix.count))
    }

    private static func isBase64(_ line: String) -> Bool {
        line.unicodeScalars.allSatisfy {
            ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "+" || $0 == "/" || $0 == "="
        }
    }
}
