import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

/// `steward connection sync`'s progress, through the real binary against a
/// connection taken to ACTIVE on real PostgreSQL 17.
@Suite("steward connection sync: progress", .timeLimit(.minutes(2)))
struct SyncProgressCLITests {
    @Test("Off a terminal: plain lines only, nothing rewritten; on a terminal: databases, tables seen and elapsed on stderr, rewritten in place")
    func progress() async throws {
        let names = SyncEndToEndTests.Names()
        try await SyncEndToEndTests.withRegistry(names) { client, _ in
            try await names.admin(
                "CREATE ROLE \(SQLQuoting.identifier(names.role)) LOGIN PASSWORD \(SQLQuoting.literal(names.password))",
                "CREATE DATABASE \(SQLQuoting.identifier(names.first))",
                "CREATE DATABASE \(SQLQuoting.identifier(names.second))")
            try await names.admin(in: names.first, "CREATE TABLE public.a (id integer)", "CREATE TABLE public.b (id integer)")
            try await names.admin(in: names.second, "CREATE TABLE public.c (id integer)")
            _ = try await SyncEndToEndTests.activate(client, names, governed: [names.first, names.second])
            let arguments = ["connection", "sync", names.key, "--socket", client.socketPath]

            // A pipe: the lines as before, and no progress line to rewrite.
            let piped = try await runCommand(Executables.steward, arguments)
            #expect(piped.status == 0, "\(piped.standardError)")
            #expect(piped.standardError.isEmpty, "\(piped.standardError.debugDescription)")
            #expect(!piped.standardOutput.contains("\r") && !piped.standardOutput.contains("\u{1B}"))
            let lines = piped.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.prefix(3) == ["\(names.first): 2 tables", "\(names.second): 1 table", ""], "\(lines)")
            #expect(lines.contains("3 added, 0 updated, 0 disabled, 0 unchanged"), "\(lines)")

            // A terminal: the line is drawn, rewritten as databases finish,
            // and taken off the screen before each line of output.
            let directory = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let terminal = try TerminalSession(Executables.steward, arguments, directory: directory)
            try await terminal.waitFor("\r\u{1B}[K0 databases done, 0 tables seen, ")
            try await terminal.waitFor("\(names.first): 2 tables")
            try await terminal.waitFor("\r\u{1B}[K1 database done, 2 tables seen, ")
            try await terminal.waitFor("\(names.second): 1 table")
            try await terminal.waitFor("\r\u{1B}[K2 databases done, 3 tables seen, ")
            try await terminal.waitFor("0 added, 0 updated, 0 disabled, 3 unchanged")
            #expect(try await terminal.waitForExit() == 0)
        }
    }
}
