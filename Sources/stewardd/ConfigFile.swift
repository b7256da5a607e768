import Foundation
import TOMLKit

/// stewardd's config file: TOML, read by TOMLKit (toml++), one flat table
/// of ``DaemonSettingKey`` keys. An unknown key (a misspelling would
/// otherwise be ignored silently) or a value of the wrong type is refused
/// with the key's name and line.
///
/// TOMLKit reports positions only for syntax errors, not for the keys of a
/// parsed document, so a key's line is found afterwards in the text that
/// toml++ has just accepted (``KeyLines``): with the syntax known valid,
/// a key is the first thing on its line.
struct ConfigFile: Sendable {
    let path: String
    /// Each setting the file gives, as text (numbers in decimal, yes/no as
    /// true/false), with its line.
    let values: [DaemonSettingKey: (text: String, line: Int?)]

    /// `/etc/steward/stewardd.toml`, read in system mode when it exists.
    static let systemPath = "/etc/steward/stewardd.toml"

    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    static func load(path: String) throws -> ConfigFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Refusal(description: "cannot read the config file \(path): \((error as NSError).localizedDescription)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw Refusal(description: "\(path) line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        }
        let lines = KeyLines(text)
        var values: [DaemonSettingKey: (text: String, line: Int?)] = [:]
        for (name, value) in table {
            let line = lines.line(of: name)
            let at = line.map { "\(path) line \($0)" } ?? path
            guard let key = DaemonSettingKey(rawValue: name) else {
                let known = DaemonSettingKey.allCases.map(\.rawValue).joined(separator: ", ")
                throw Refusal(description: "\(at): unknown key \"\(name)\"; the keys are \(known)")
            }
            switch key.kind {
            case .text:
                guard let string = value.string else { throw Refusal(description: "\(at): \(name) must be a string in quotes") }
                values[key] = (string, line)
            case .number:
                guard let number = value.int else { throw Refusal(description: "\(at): \(name) must be a whole number") }
                values[key] = (String(number), line)
            case .yesNo:
                guard let flag = value.bool else { throw Refusal(description: "\(at): \(name) must be true or false") }
                values[key] = (flag ? "true" : "false", line)
            }
        }
        return ConfigFile(path: path, values: values)
    }
}

/// The line each top-level key of a valid TOML document starts on: a bare
/// or quoted key before `=` (or before `.` for a dotted key), or a table
/// header `[key]` / `[[key]]`.
struct KeyLines {
    private let lines: [Substring]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    func line(of key: String) -> Int? {
        let spellings = [key, "\"\(key)\"", "'\(key)'"]
        for (index, raw) in lines.enumerated() {
            var line = raw.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("[") {
                line = line.drop { $0 == "[" || $0 == " " || $0 == "\t" }
            }
            for spelling in spellings where line.hasPrefix(spelling) {
                let rest = line.dropFirst(spelling.count).drop { $0 == " " || $0 == "\t" }
                if let next = rest.first, next == "=" || next == "." || next == "]" { return index + 1 }
            }
        }
        return nil
    }
}
