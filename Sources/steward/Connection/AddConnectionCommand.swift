import ArgumentParser
import Foundation
import Glibc
import StewardWire

/// `steward connection add`: the product's guided steps on a terminal.
struct AddConnection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a connection step by step on a terminal (name, register or resume, script, validate, complete, first sync).",
        discussion: "Interactive only; scripts use steward connection register and the commands after it.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        guard isatty(STDIN_FILENO) == 1 else {
            throw ValidationError("steward connection add is interactive; use steward connection register in scripts")
        }
        guard !options.json else { throw ValidationError("steward connection add is interactive; --json is not available") }
        let wizard = AddConnectionWizard(
            prompter: TerminalPrompter(colour: options.usesColor), daemon: DaemonConnections(options: options))
        do {
            try await wizard.run()
        } catch let failure as RPCError {
            throw CommandFailure(failure)
        } catch is AddConnectionWizard.EndOfInput {
            throw ExitCode(1)
        }
    }
}

/// Reads lines and passwords and writes text: the wizard's only terminal I/O.
protocol Prompter {
    /// Colour the validation report?
    var colour: Bool { get }
    /// Prints `text`; `coloured` text carries its own escape sequences and
    /// has escaped its values itself (a validation report).
    func say(_ text: String, coloured: Bool)
    /// Shows `prompt` and reads one line; nil at end of input.
    func ask(_ prompt: String) -> String?
    /// Shows `prompt` and reads one line without echo; nil at end of input.
    func askSecret(_ prompt: String) -> String?
}

extension Prompter {
    func say(_ text: String) { say(text, coloured: false) }
}

struct TerminalPrompter: Prompter {
    /// `--color` and NO_COLOR, decided once (``ColorChoice``).
    let colour: Bool

    /// Daemon messages and names reach the terminal through here: every
    /// control character but the line breaks is escaped (``TerminalText``).
    func say(_ text: String, coloured: Bool) {
        let shown = coloured ? text : TerminalText.escapedKeepingLineBreaks(text)
        FileHandle.standardOutput.write(Data((shown + "\n").utf8))
    }

    func ask(_ prompt: String) -> String? {
        FileHandle.standardOutput.write(Data(prompt.utf8))
        return readLine(strippingNewline: true)
    }

    func askSecret(_ prompt: String) -> String? {
        // PasswordInput refuses an empty line; the flow decides what empty means.
        (try? PasswordInput.read(prompt: prompt, fromStdin: false)) ?? ""
    }
}

/// The Connections calls the wizard makes; failures are the daemon's RPCError.
protocol ConnectionsBackend: Sendable {
    func register(_ name: String, _ settings: StewardV1.ConnectionSettings) async throws -> StewardV1.Connection
    func update(_ key: String, _ settings: StewardV1.ConnectionSettings, paths: [String]) async throws -> StewardV1.UpdateConnectionResponse
    func script(_ key: String) async throws -> String
    func validate(_ key: String) async throws -> StewardV1.ValidationReport
    func get(_ key: String) async throws -> StewardV1.Connection
    func complete(_ key: String) async throws -> StewardV1.Connection
    /// Syncs, handing each progress message to `each` as it arrives.
    func sync(_ key: String, _ each: (StewardV1.SyncProgress) -> Void) async throws
}

/// The backend over the daemon's socket.
struct DaemonConnections: ConnectionsBackend {
    let options: ClientOptions

    private func call<Request, Response>(_ method: UnaryMethod<Request, Response>, _ request: Request) async throws -> Response {
        do { return try await options.call(method, request) } catch let failure as CommandFailure { throw failure.error }
    }

    func register(_ name: String, _ settings: StewardV1.ConnectionSettings) async throws -> StewardV1.Connection {
        try await call(StewardV1.Connections.register, .init(displayName: name, settings: settings)).connection ?? .init()
    }

    func update(_ key: String, _ settings: StewardV1.ConnectionSettings, paths: [String]) async throws -> StewardV1.UpdateConnectionResponse {
        try await call(StewardV1.Connections.update, .init(key: key, settings: settings, updatePaths: paths))
    }

    func script(_ key: String) async throws -> String {
        try await call(StewardV1.Connections.getSetupScript, .init(key: key)).script
    }

    func validate(_ key: String) async throws -> StewardV1.ValidationReport {
        try await call(StewardV1.Connections.validate, .init(key: key)).report ?? .init()
    }

    func get(_ key: String) async throws -> StewardV1.Connection {
        try await call(StewardV1.Connections.get, .init(key: key)).connection ?? .init()
    }

    func complete(_ key: String) async throws -> StewardV1.Connection {
        try await call(StewardV1.Connections.completeSetup, .init(key: key)).connection ?? .init()
    }

    func sync(_ key: String, _ each: (StewardV1.SyncProgress) -> Void) async throws {
        let client = try options.connect()
        defer { client.close() }
        var summarised = false
        for try await progress in client.stream(
            StewardV1.Connections.sync, .init(key: key), timeout: options.timeout(for: StewardV1.Connections.sync)
        ) {
            if case .summary = progress.event { summarised = true }
            each(progress)
        }
        // As in `steward connection sync`: no summary, no stored sync.
        guard summarised else { throw RPCError(.internalError, "the daemon ended the sync without a summary") }
    }
}
