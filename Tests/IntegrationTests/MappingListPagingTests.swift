import Foundation
import StewardClient
import StewardWire
import Testing

/// ListMappings is paged like every list; `steward mapping list` follows
/// the pages, so it shows every mapping however many there are.
@Suite("ListMappings pages, and the CLI follows them", .timeLimit(.minutes(2)))
struct MappingListPagingTests {
    @Test("120 mappings: a first page of the default 100 with a token, the rest after it; the CLI lists all 120")
    func pagesAndCLI() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let client = try StewardClient.connect(socketPath: daemon.socketPath)
        let names = (1...120).map { String(format: "pager%04d", $0) }
        for (index, name) in names.enumerated() {
            var create = StewardV1.CreateUserRequest()
            create.name = name
            create.uid = UInt32(64_001 + index)
            _ = try await client.call(StewardV1.Users.create, create)
        }
        var csv = StewardV1.ImportMappingsRequest()
        csv.csv = "user,connection,kind,value\n" + names.map { "\($0),,POSTGRES_USERNAME,\($0)_pg\n" }.joined()
        _ = try await client.call(StewardV1.Users.importMappings, csv)

        var request = StewardV1.ListMappingsRequest()
        let first = try await client.call(StewardV1.Users.listMappings, request)
        #expect(first.mappings.count == 100)
        #expect(!first.nextPageToken.isEmpty)
        request.pageToken = first.nextPageToken
        let second = try await client.call(StewardV1.Users.listMappings, request)
        #expect(second.mappings.count == 20)
        #expect(second.nextPageToken.isEmpty)
        #expect((first.mappings + second.mappings).map(\.userName) == names)

        request = StewardV1.ListMappingsRequest()
        request.pageSize = 1_000_000  // capped at the maximum, not refused
        #expect(try await client.call(StewardV1.Users.listMappings, request).mappings.count == 120)
        request.pageToken = "not-a-token"
        do {
            _ = try await client.call(StewardV1.Users.listMappings, request)
            Issue.record("a made-up page token was accepted")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("page token"), "\(error.message)")
        }
        client.close()

        let listed = try await runCommand(Executables.steward, ["mapping", "list", "--json", "--socket", daemon.socketPath])
        #expect(listed.status == 0, "\(listed.standardError)")
        let json = try JSONSerialization.jsonObject(with: Data(listed.standardOutput.utf8)) as? [String: Any]
        let mappings = json?["mappings"] as? [[String: Any]] ?? []
        #expect(mappings.compactMap { $0["userName"] as? String } == names)
        #expect(json?["nextPageToken"] as? String ?? "" == "")

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }
}
