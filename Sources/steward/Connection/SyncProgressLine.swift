import Foundation

/// A sync's progress on a terminal: one line on standard error, rewritten in
/// place as databases finish and every second between them, so a long scan
/// shows it is still going. Off a terminal (or with --json) nothing is drawn:
/// the per-database lines on standard output are the progress there.
actor SyncProgressLine {
    private let started = ContinuousClock.now
    private var databases = 0
    private var tables = 0
    private var drawn = false

    /// Whether a progress line belongs on standard error at all.
    static func wanted(json: Bool) -> Bool { !json && isatty(STDERR_FILENO) == 1 }

    /// "2 databases done, 1,234 tables seen, 5s elapsed". Only numbers: no
    /// name from the daemon is put in, so there is nothing to escape.
    static func text(databases: Int, tables: Int, elapsedSeconds: Int) -> String {
        "\(SyncText.counted(databases, "database")) done, \(SyncText.counted(tables, "table")) seen, "
            + "\(elapsedSeconds)s elapsed"
    }

    func databaseScanned(tables: Int) {
        databases += 1
        self.tables += tables
        draw()
    }

    /// Redraws the line with the time elapsed now.
    func draw() {
        let elapsed = Int((ContinuousClock.now - started).components.seconds)
        write("\r\u{1B}[K" + Self.text(databases: databases, tables: tables, elapsedSeconds: elapsed))
        drawn = true
    }

    /// Writes a line of standard output with the progress line off the
    /// screen (both share the terminal), then draws it again below.
    func printAbove(_ line: Data) {
        let wasDrawn = drawn
        clear()
        FileHandle.standardOutput.write(line)
        if wasDrawn { draw() }
    }

    /// Takes the line off the screen, leaving the cursor at a clean row.
    func clear() {
        guard drawn else { return }
        write("\r\u{1B}[K")
        drawn = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Redraws every second until cancelled.
    func tick() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if !Task.isCancelled { draw() }
        }
    }
}
