import Foundation
import Testing

/// The CLI is built from the model and the client only (Package.swift), so
/// it links none of the daemon's libraries. Checked on the built binaries;
/// each check is run on stewardd as well, which must show what steward must
/// not, so that a check that can no longer see anything fails.
@Suite("steward links no libpq, SQLite or swift-crypto", .timeLimit(.minutes(1)))
struct CLILinkageTests {
    /// The shared libraries `ldd` lists for `executable`.
    static func sharedLibraries(_ executable: URL) async throws -> String {
        let result = try await runCommand(URL(fileURLWithPath: "/usr/bin/ldd"), [executable.path])
        try #require(result.status == 0, "ldd \(executable.path): \(result.standardError)")
        return result.standardOutput
    }

    @Test("ldd lists no libpq and no libsqlite3 for steward (it does for stewardd)")
    func sharedLibrariesOfTheCLI() async throws {
        let daemon = try await Self.sharedLibraries(Executables.stewardd)
        #expect(daemon.contains("libpq.so"), "\(daemon)")
        #expect(daemon.contains("libsqlite3.so"), "\(daemon)")

        let cli = try await Self.sharedLibraries(Executables.steward)
        #expect(!cli.contains("libpq"), "\(cli)")
        #expect(!cli.contains("libsqlite3"), "\(cli)")
    }

    /// swift-crypto is linked statically, so ldd cannot see it: the symbols
    /// of its BoringSSL copy (all prefixed `CCryptoBoringSSL_`) are looked
    /// for in the binary itself.
    @Test("steward holds no swift-crypto code (stewardd does)")
    func staticCrypto() throws {
        func holdsCrypto(_ executable: URL) throws -> Bool {
            let bytes = try Data(contentsOf: executable)
            return bytes.range(of: Data("CCryptoBoringSSL_".utf8)) != nil
        }
        #expect(try holdsCrypto(Executables.stewardd), "stewardd should hold swift-crypto (AES-GCM): is the binary stripped?")
        #expect(try !holdsCrypto(Executables.steward))
    }
}
