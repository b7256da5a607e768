/// The parts of a `steward connection add` dialogue that the wizard tests
/// type the same way.
extension TerminalSession {
    /// Sends each answer once its prompt shows, in order.
    func answer(_ dialogue: [(prompt: String, answer: String)]) async throws {
        for (prompt, answer) in dialogue {
            try await waitFor(prompt)
            send(answer)
        }
    }

    /// The prompts of a SELF_MANAGED connection's settings, from the
    /// display name (a free one) to the username, and their answers.
    static func selfManagedSettings(
        key: String, host: String, port: String, stateDatabase: String, governed: String, username: String
    ) -> [(prompt: String, answer: String)] {
        [
            ("Display name", key), ("2) SELF_MANAGED", "2"), ("Hostname", host), ("Port [5432]: ", port),
            ("State database", stateDatabase), ("Databases to govern", governed), ("Username", username),
        ]
    }

    /// Types `password` at `prompt` once echo is off (PasswordInput flushes
    /// what is typed before), then keeps the default sslmode and no CA file.
    func enterPasswordKeepingTLSDefaults(_ password: String, at prompt: String) async throws {
        try await waitFor(prompt)
        try await waitForEchoOff()
        send(password)
        try await waitFor("sslmode (")
        send("")
        try await waitFor("CA certificate file")
        send("")
    }

    /// After the settings: the connection is saved and its setup script
    /// written to the offered file, and the wizard waits to validate.
    func acceptSavedAndDefaultScriptFile(key: String) async throws {
        try await waitFor("Saved: \(key) is REGISTERED")
        try await waitFor("Write the setup script to [./steward-setup-\(key).sql]: ")
        send("")
        try await waitFor("press Enter to validate")
    }

    /// After a passing validation: completes setup, accepts or declines
    /// the first sync, and waits for the wizard to end; its exit status and
    /// everything it wrote.
    func completeSetupAfterPassing(sync: Bool = false) async throws -> (status: Int32, output: String) {
        try await waitFor("PASSED")
        try await waitFor("Complete setup? [Y/n]: ")
        send("y")
        try await waitFor("Run the first sync now (record its tables as data sources)? [Y/n]: ")
        send(sync ? "" : "n")
        let status = try await waitForExit()
        return (status, transcript)
    }
}
