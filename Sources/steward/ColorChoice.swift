import ArgumentParser
import Glibc

/// `--color auto|always|never`: whether answers are coloured. `auto` colours
/// only a terminal, and not when `NO_COLOR` is set to anything
/// (https://no-color.org); `always` and `never` win over both.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case auto, always, never

    func resolved(environment: [String: String], isTerminal: Bool = isatty(STDOUT_FILENO) == 1) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto: return isTerminal && (environment["NO_COLOR"] ?? "").isEmpty
        }
    }
}
