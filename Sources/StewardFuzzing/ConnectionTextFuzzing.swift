import StewardCore
import StewardModel
import StewardPostgres
import StewardStore

/// Fuzz target 4: connection parameters as text from outside — the shared
/// registry's connection string (a `postgresql://` URL or libpq
/// keyword/value pairs, from the config file or the environment) and a
/// governed connection's host, names and CA bundle, as a caller gives them.
///
/// The same text goes to every parser. Properties beyond not crashing:
/// what is accepted is what may be passed on — parameters whose libpq
/// keyword/value pairs hold no NUL (libpq would cut the value there), and
/// refusals that show no raw control character; a host, database or role name
/// with no character that could break or disguise a line; a key of letters,
/// digits, '-' and '_'; a CA bundle that is nothing but certificate blocks
/// and reads back as itself.
public enum ConnectionTextFuzzing {
    public static func run(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        checkRegistryString(text)
        checkNames(text)
        checkCABundle(text)
    }

    static func checkRegistryString(_ text: String) {
        let parameters: ConnectionParameters
        do {
            parameters = try ConnectionParameters.parse(text)
        } catch {
            expect(!error.message.unicodeScalars.contains(where: VisibleText.needsEscape),
                   "a refusal shows a raw control character: \(VisibleText.visible(error.message))")
            return
        }
        for (keyword, value) in parameters.keywordValues(connectTimeoutSeconds: 5, statementTimeoutMilliseconds: 1_000) {
            expect(!value.utf8.contains(0), "the \(keyword) passed to libpq holds a NUL")
        }
    }

    static func checkNames(_ text: String) {
        if (try? ConnectionNameRules.checkHost(text)) != nil {
            expect(!text.unicodeScalars.contains(where: VisibleText.needsEscape),
                   "host \(VisibleText.quoted(text)) was accepted with a control character")
        }
        if (try? ConnectionNameRules.checkIdentifier(text, field: "username")) != nil {
            expect(!text.unicodeScalars.contains(where: VisibleText.needsEscape) && text.utf8.count <= 63,
                   "name \(VisibleText.quoted(text)) was accepted")
        }
        if (try? ConnectionNameRules.checkKey(text)) != nil {
            expect(text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-" || $0 == "_") },
                   "key \(VisibleText.quoted(text)) was accepted")
        }
    }

    static func checkCABundle(_ text: String) {
        let bundle: String
        do {
            bundle = try CABundle.certificates(in: text)
        } catch {
            expect(!error.message.unicodeScalars.contains(where: VisibleText.needsEscape),
                   "a refusal shows a raw control character: \(VisibleText.visible(error.message))")
            return
        }
        expect((try? CABundle.certificates(in: bundle)) == bundle, "a kept CA bundle does not read back as itself")
        for line in bundle.split(separator: "\n") {
            expect(line == "-----BEGIN CERTIFICATE-----" || line == "-----END CERTIFICATE-----"
                       || line.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+/=".unicodeScalars.contains($0)) },
                   "a kept CA bundle holds the line \(VisibleText.quoted(String(line)))")
        }
    }
}
