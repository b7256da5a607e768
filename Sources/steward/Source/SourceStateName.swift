import ArgumentParser
import StewardWire

/// Data source states as people type and read them: ENABLED, DISABLED.
enum SourceStateName {
    static func text(_ state: StewardV1.DataSourceState) -> String {
        (state.protoName ?? "\(state.rawValue)").replacing("DATA_SOURCE_STATE_", with: "")
    }

    /// Any case, so `--state disabled` works as well as the name tables print.
    @Sendable
    static func parse(_ argument: String) throws -> StewardV1.DataSourceState {
        switch argument.lowercased() {
        case "enabled": return .enabled
        case "disabled": return .disabled
        default: throw ValidationError("the state must be enabled or disabled, not \(argument)")
        }
    }
}
