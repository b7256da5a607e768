/// One precedence for every setting: the flag, else its environment
/// variable, else the config file, else the default. Records where each
/// effective value came from, for `--print-config` and for error messages.
struct SettingLayers {
    /// The flags given, as text.
    let flags: [DaemonSettingKey: String]
    let environment: [String: String]
    let file: ConfigFile?
    private(set) var effective: [(key: DaemonSettingKey, value: String, origin: SettingOrigin)] = []

    init(flags: [DaemonSettingKey: String], environment: [String: String], file: ConfigFile?) {
        self.flags = flags
        self.environment = environment
        self.file = file
    }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// The value given for `key` and where, or nil when none of the layers
    /// gives one (an empty variable counts as unset).
    func given(_ key: DaemonSettingKey) -> (value: String, origin: SettingOrigin)? {
        if let flag = flags[key] { return (flag, .flag(key.flag)) }
        if let variable = environment[key.environmentVariable], !variable.isEmpty {
            return (variable, .environment(key.environmentVariable))
        }
        if let file, let entry = file.values[key] { return (entry.text, .file(path: file.path, line: entry.line)) }
        return nil
    }

    /// Text settings: the given value, else `fallback` (nil: unset).
    mutating func text(_ key: DaemonSettingKey, default fallback: (String, SettingOrigin)?) -> String? {
        guard let (value, origin) = given(key) ?? fallback else { return nil }
        effective.append((key, value, origin))
        return value
    }

    /// Whole-number settings, checked against `range`; the error names the
    /// value's origin (a flag, a variable, or the file and line).
    mutating func number(_ key: DaemonSettingKey, range: ClosedRange<Int>, default fallback: Int) throws -> Int {
        guard let (text, origin) = given(key) else {
            effective.append((key, String(fallback), .builtIn))
            return fallback
        }
        guard let value = Int(text) else { throw Invalid(description: "\(Self.subject(key, origin)): \(text) is not a whole number") }
        guard range.contains(value) else {
            throw Invalid(description: "\(Self.subject(key, origin)) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
        }
        effective.append((key, text, origin))
        return value
    }

    /// A setting named as the person gave it: `--max-connections`,
    /// `STEWARD_MAX_CONNECTIONS`, or `stewardd.toml line 3: max_connections`.
    static func subject(_ key: DaemonSettingKey, _ origin: SettingOrigin) -> String {
        switch origin {
        case .flag(let name), .environment(let name): return name
        case .file: return "\(origin): \(key.rawValue)"
        case .systemMode, .builtIn: return key.rawValue
        }
    }

    /// Yes/no settings: 1/true/yes or 0/false/no.
    mutating func yesNo(_ key: DaemonSettingKey) throws -> Bool {
        guard let (text, origin) = given(key) else {
            effective.append((key, "false", .builtIn))
            return false
        }
        let value: Bool
        switch text.lowercased() {
        case "1", "true", "yes": value = true
        case "0", "false", "no": value = false
        default: throw Invalid(description: "\(Self.subject(key, origin)): \(text) is not true or false")
        }
        effective.append((key, value ? "true" : "false", origin))
        return value
    }
}
