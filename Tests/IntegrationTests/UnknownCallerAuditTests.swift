import Foundation
import StewardCore
import StewardServer
import StewardStore
import StewardWire
import Testing

/// An unknown caller's attempts at mutating methods are audited, but folded:
/// a local account hammering the socket cannot grow the append-only trail
/// by a row per frame.
@Suite("Unknown callers' audit rows", .timeLimit(.minutes(2)))
struct UnknownCallerAuditTests {
    @Test("Two hundred refused attempts from one unknown uid leave ten rows (the rest are folded into a summary at the window's end)")
    func folded() async throws {
        let stranger = PermissionEnforcementTests.FixedCaller { Caller.unknown(uid: $0) }
        try await withRegistryServer(limits: ServerLimits(), callers: stranger) { socketPath, store, _ in
            let connection = try RawConnection(path: socketPath)
            var request = StewardV1.RegisterConnectionRequest()
            request.displayName = "flood"
            for callID in UInt64(1)...200 {
                try await connection.send(Frames.request(callID, StewardV1.Connections.register, request))
                let answer = try #require(try await connection.nextFrame())
                #expect(answer.statusCode == .unauthenticated, "\(answer.statusMessage)")
            }
            // Each answer left after its row (if any) was written.
            let rows = try store.listAuditEvents(AuditFilter(uid: getuid()), page: PageRequest(size: 1_000)).items
            #expect(rows.count == 10, "\(rows.count) rows")
            #expect(rows.allSatisfy { $0.status == .unauthenticated && $0.method == StewardV1.Connections.register.path })
        }
    }
}
