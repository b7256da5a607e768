import StewardModel

extension SSLMode {
    /// "disable, allow, …, verify-ca or verify-full", for help and for
    /// refusals: the model's list, so the CLI never offers a mode it lacks.
    static var choices: String {
        let names = allCases.map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
