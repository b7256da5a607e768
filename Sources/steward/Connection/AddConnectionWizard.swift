import Foundation
import StewardWire

/// Drives an ``AddConnectionFlow`` with a ``Prompter`` and the daemon: each
/// step's I/O and calls; the flow decides what comes next.
struct AddConnectionWizard {
    struct EndOfInput: Error {}

    let prompter: any Prompter
    let daemon: any ConnectionsBackend

    func run() async throws {
        var flow = AddConnectionFlow()
        prompter.say("Add a PostgreSQL connection. First create the separate database Steward keeps its state in (or let the setup script create it).")
        while true {
            switch flow.step {
            case .ask(let field):
                try ask(field, in: &flow)
            case .checkName:
                try await checkName(&flow)
            case .save:
                try await save(&flow)
            case .writeScript:
                try await writeScript(&flow, script: nil)
            case .pause:
                let answer = try line("Run the script as a superuser, then press Enter to validate (or type q to stop here): ")
                flow.step = answer.trimmingCharacters(in: .whitespaces).lowercased() == "q" ? .stopped : .validate
            case .validate:
                let report = try await daemon.validate(flow.key!)
                prompter.say(ValidationText.render(report, color: prompter.colour), coloured: true)
                flow.step = report.passed ? .summary : .failed
            case .failed:
                let answer = try line("Validation failed. [r] re-validate (after fixing in the database), [e] edit settings, [q] quit: ")
                switch answer.trimmingCharacters(in: .whitespaces).lowercased() {
                case "r", "": flow.step = .validate
                case "e": flow.edited = []; flow.step = .edit
                case "q": flow.step = .stopped
                default: prompter.say("  choose r, e or q")
                }
            case .edit:
                try chooseEdit(&flow)
            case .applyEdits:
                try await applyEdits(&flow)
            case .summary:
                let connection = try await daemon.get(flow.key!)
                prompter.say("\n" + ConnectionText.summary(connection))
                let answer = try line("Complete setup? [Y/n]: ").trimmingCharacters(in: .whitespaces).lowercased()
                if answer == "" || answer == "y" || answer == "yes" {
                    let done = try await daemon.complete(flow.key!)
                    prompter.say("\n" + ConnectionText.summary(done))
                    prompter.say("Setup complete: \(done.key) is \(ConnectionText.state(done.state))")
                    flow.step = done.state == .active ? .offerSync : .finished
                } else {
                    flow.step = .stopped
                }
            case .offerSync:
                try await offerSync(flow.key!)
                flow.step = .finished
            case .finished:
                return
            case .stopped:
                if let key = flow.key {
                    prompter.say("""
                        Stopped. \(key) stays registered; continue with:
                          steward connection validate \(key)
                          steward connection complete \(key)
                        """)
                } else {
                    prompter.say("Stopped; nothing was registered.")
                }
                return
            }
        }
    }

    private func line(_ prompt: String) throws -> String {
        guard let answer = prompter.ask(prompt) else { throw EndOfInput() }
        return answer
    }

    /// Asks one setting until it passes its checks.
    private func ask(_ field: AddConnectionField, in flow: inout AddConnectionFlow) throws {
        if field == .sslMode, flow.draft.deployment == .neon {
            prompter.say("sslmode: verify-full (NEON requires TLS with certificate verification)")
            _ = flow.apply(field, answer: "")
            flow.answered(field)
            return
        }
        let prompt = flow.prompt(for: field)
        let answer: String
        if field == .password {
            guard let secret = prompter.askSecret(prompt) else { throw EndOfInput() }
            answer = secret
        } else {
            answer = try line(prompt)
        }
        if let problem = flow.apply(field, answer: answer) {
            prompter.say("  \(field.label): \(problem)")
        } else {
            flow.answered(field)
        }
    }

    /// Looks the entered name up before anything else is asked: a free name
    /// goes on, a REGISTERED one may be resumed, any other is taken.
    private func checkName(_ flow: inout AddConnectionFlow) async throws {
        let name = flow.draft.displayName
        let existing: StewardV1.Connection
        do {
            existing = try await daemon.get(name)
        } catch let error as RPCError where error.code == .notFound {
            flow.nameIsFree()
            return
        }
        let state = ConnectionText.state(existing.state)
        guard existing.state == .registered else {
            prompter.say("  display name: \(existing.key) already exists (\(state)); choose another name")
            flow.step = .ask(.displayName)
            return
        }
        prompter.say("\(existing.key) is already registered and its setup was not finished.")
        let answer = try line("Resume it (its saved settings; next the setup script)? [Y/n]: ")
            .trimmingCharacters(in: .whitespaces).lowercased()
        if answer == "" || answer.hasPrefix("y") {
            flow.resume(existing)
            prompter.say("Resuming \(existing.key).")
        } else {
            prompter.say("  display name: choose another name")
            flow.step = .ask(.displayName)
        }
    }

    /// After setup completes: the first sync, on request, printed as
    /// `steward connection sync` prints it. A failed sync leaves the
    /// connection ACTIVE; the command to retry is shown.
    private func offerSync(_ key: String) async throws {
        let answer = try line("Run the first sync now (record its tables as data sources)? [Y/n]: ")
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "" || answer.hasPrefix("y") else {
            prompter.say("Sync later with: steward connection sync \(key)")
            return
        }
        do {
            try await daemon.sync(key) { progress in prompter.say(SyncText.render(progress)) }
        } catch let error as RPCError {
            prompter.say("  The sync failed: \(error.code.name): \(error.message)\nTry again with: steward connection sync \(key)")
        }
    }

    /// Registers; a refusal naming a field goes back to that field's step.
    private func save(_ flow: inout AddConnectionFlow) async throws {
        do {
            let connection = try await daemon.register(flow.draft.displayName, flow.draft.settings)
            flow.key = connection.key
            prompter.say("\nSaved: \(connection.key) is \(ConnectionText.state(connection.state)).")
            flow.step = .writeScript
        } catch let error as RPCError {
            prompter.say("  The daemon refused the connection: \(error.code.name): \(error.message)")
            guard flow.registerRefused(error) else { throw error }
        }
    }

    /// Asks for the file, writes the script, shows it and how to run it.
    private func writeScript(_ flow: inout AddConnectionFlow, script known: String?) async throws {
        let script: String
        if let known { script = known } else { script = try await daemon.script(flow.key!) }
        let fallback = flow.scriptPath ?? flow.defaultScriptPath
        let answer = try line("Write the setup script to [\(fallback)]: ").trimmingCharacters(in: .whitespaces)
        let path = answer.isEmpty ? fallback : (answer as NSString).expandingTildeInPath
        do {
            try script.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            prompter.say("  cannot write \(path): \(error.localizedDescription)")
            return
        }
        flow.scriptPath = path
        flow.writtenScript = script
        let settings = flow.draft
        prompter.say("\n----- \(path) -----\n\(script)\n----- end of \(path) -----")
        prompter.say("Wrote \(path). Run it as a superuser, e.g.:\n  psql -h \(settings.host) -p \(settings.port) -U postgres -d postgres -f \(path)")
        flow.step = .pause
    }

    /// One setting to change, or done.
    private func chooseEdit(_ flow: inout AddConnectionFlow) throws {
        let choices = AddConnectionFlow.editable
        var menu = ["Change which setting?"]
        for (index, field) in choices.enumerated() { menu.append("  \(index + 1)) \(field.label)") }
        prompter.say(menu.joined(separator: "\n"))
        let answer = try line("Number, or Enter when done\(flow.edited.isEmpty ? "" : " (changed: " + flow.edited.map(\.label).joined(separator: ", ") + ")"): ")
            .trimmingCharacters(in: .whitespaces)
        if answer.isEmpty {
            flow.step = flow.edited.isEmpty ? .failed : .applyEdits
        } else if let number = Int(answer), choices.indices.contains(number - 1) {
            flow.returnTo = .edit
            flow.step = .ask(choices[number - 1])
        } else {
            prompter.say("  choose a number from 1 to \(choices.count)")
        }
    }

    /// Sends the changes; offers to rewrite the script when it changed; validates again.
    private func applyEdits(_ flow: inout AddConnectionFlow) async throws {
        let (settings, paths) = flow.update
        do {
            let response = try await daemon.update(flow.key!, settings, paths: paths)
            var lines = ["Changed:"] + response.changes.map { "  \($0.path): \($0.oldValue) -> \($0.newValue)" }
            if response.changes.isEmpty { lines.append("  nothing (the values are already set)") }
            prompter.say(lines.joined(separator: "\n"))
        } catch let error as RPCError where error.code == .invalidArgument {
            prompter.say("  The daemon refused the change: \(error.message)")
            let name = error.message.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            if let field = AddConnectionField(serverField: name), field.updatePath != nil {
                flow.returnTo = .applyEdits
                flow.step = .ask(field)
            } else {
                flow.step = .edit
            }
            return
        }
        flow.edited = []
        let script = try await daemon.script(flow.key!)
        if script != flow.writtenScript {
            let answer = try line("The setup script changed with these settings. Rewrite it? [Y/n]: ").trimmingCharacters(in: .whitespaces).lowercased()
            if answer == "" || answer.hasPrefix("y") {
                try await writeScript(&flow, script: script)
                return
            }
            prompter.say("Get it later with: steward connection script \(flow.key!) --output FILE")
        }
        flow.step = .validate
    }
}
