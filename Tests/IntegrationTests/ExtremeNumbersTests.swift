import Foundation
import StewardCore
import StewardServer
import StewardWire
import Testing

/// No request can trap the daemon: every numeric field of every request of
/// every method, at every extreme a varint or fixed field can carry, gets a
/// status, and the daemon still answers Health afterwards. Found by walking
/// the descriptors (``ExtremeRequests``), so new fields are covered.
///
/// Once, Connections.Update with expected_revision 2^63 from a user without
/// permissions killed the daemon before the permission check, and
/// Audit.List with from_unix_ms = Int64.max crashed it.
@Suite("Extreme numbers", .timeLimit(.minutes(5)))
struct ExtremeNumbersTests {
    typealias FixedCaller = PermissionEnforcementTests.FixedCaller

    /// Every case of every method, one call at a time on one connection per
    /// method; a streaming call that starts answering is cancelled. Returns
    /// the answers' codes; a case that got no END fails the test.
    static func callEveryCase(socketPath: String) async throws -> [String: Int] {
        var codes: [String: Int] = [:]
        for method in StewardProtoRegistry.allMethods {
            let connection = try RawConnection(path: socketPath)
            var callID: UInt64 = 0
            for extreme in ExtremeRequests.cases(for: method.requestType) {
                callID += 1
                try await connection.send(Frames.request(callID, method.path, payload: extreme.payload, timeoutMilliseconds: 30_000))
                var end: StewardRpcV1.Frame?
                while end == nil {
                    let frame = try #require(
                        try await connection.nextFrame(timeoutMilliseconds: 30_000),
                        "\(method.path) \(extreme): the daemon closed the connection instead of answering")
                    #expect(frame.callID == callID, "\(method.path) \(extreme): an answer for call \(frame.callID)")
                    if frame.kind == .end {
                        end = frame
                    } else {
                        try await connection.send(Frames.cancel(callID))
                    }
                }
                let code = end!.statusCode
                // A trap is never an answer, and INTERNAL would mean a handler failed on the value.
                #expect(code != .internalError, "\(method.path) \(extreme): \(end!.statusMessage)")
                codes["\(code)", default: 0] += 1
            }
        }
        return codes
    }

    /// Health.Check still answers SERVING on a fresh connection.
    static func expectServing(_ socketPath: String) async throws {
        let connection = try RawConnection(path: socketPath)
        try await connection.send(Frames.request(1, GrpcHealthV1.Health.check, .init()))
        let answer = try #require(try await connection.nextFrame(), "Health.Check got no answer")
        #expect(answer.statusCode == .ok)
    }

    @Test("The walk finds the fields that once trapped the daemon")
    func coverage() {
        let update = ExtremeRequests.cases(for: StewardV1.UpdateConnectionRequest.self).map(\.fieldPath)
        #expect(update.contains("expected_revision"))
        #expect(update.contains("settings.port"))
        let audit = ExtremeRequests.cases(for: StewardV1.ListAuditEventsRequest.self).map(\.fieldPath)
        #expect(audit.contains("from_unix_ms") && audit.contains("until_unix_ms"))
    }

    @Test("An unknown caller and a user without permissions: every extreme value of every field is answered")
    func withoutPermissions() async throws {
        for callers in [FixedCaller { Caller.unknown(uid: $0) }, FixedCaller { Caller(uid: $0, userName: "plain") }] {
            try await withRegistryServer(limits: ServerLimits(), callers: callers) { socketPath, _, _ in
                let codes = try await Self.callEveryCase(socketPath: socketPath)
                #expect(!codes.isEmpty)
                try await Self.expectServing(socketPath)
            }
        }
    }

    @Test("An administrator, against stewardd: every extreme value of every field is answered and the daemon lives")
    func asAdministrator() async throws {
        // The test runs as root (or as the daemon's uid): stewardd's administrator.
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let codes = try await Self.callEveryCase(socketPath: daemon.socketPath)
        #expect(!codes.isEmpty)
        #expect(daemon.process.isRunning, "stewardd died: \(daemon.stderrText.suffix(2_000))")
        try await Self.expectServing(daemon.socketPath)
    }

    @Test("The two requests that once killed the daemon are INVALID_ARGUMENT naming their field")
    func knownTraps() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let connection = try RawConnection(path: daemon.socketPath)

        var update = StewardV1.UpdateConnectionRequest()
        update.key = "c1"
        update.updatePaths = ["host"]
        update.settings = StewardV1.ConnectionSettings()
        update.settings?.host = "h"
        update.expectedRevision = 1 << 63
        try await connection.send(Frames.request(1, StewardV1.Connections.update, update))
        let updated = try #require(try await connection.nextFrame())
        #expect(updated.statusCode == .invalidArgument, "\(updated.statusCode): \(updated.statusMessage)")
        #expect(updated.statusMessage.contains("expected_revision"))

        var list = StewardV1.ListAuditEventsRequest()
        list.fromUnixMs = .max
        try await connection.send(Frames.request(2, StewardV1.Audit.list, list))
        let audit = try #require(try await connection.nextFrame())
        #expect(audit.statusCode == .invalidArgument, "\(audit.statusCode): \(audit.statusMessage)")
        #expect(audit.statusMessage.contains("from_unix_ms"))
        try await Self.expectServing(daemon.socketPath)
    }

    @Test("Extreme values of the Frame's own numbers (call id, kind, timeout) are answered or end the connection cleanly")
    func frameNumbers() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let method = Array("/grpc.health.v1.Health/Check".utf8)
        let methodField = ExtremeRequests.key(3, 2) + ExtremeRequests.varint(UInt64(method.count)) + method
        for (name, value) in ExtremeRequests.varints {
            for (field, others) in [
                (1, ExtremeRequests.key(2, 0) + [1]),  // call_id, kind REQUEST
                (2, ExtremeRequests.key(1, 0) + [7]),  // kind, call_id 7
                (4, ExtremeRequests.key(1, 0) + [7] + ExtremeRequests.key(2, 0) + [1]),  // timeout_ms
            ] {
                let body = others + methodField + ExtremeRequests.key(UInt64(field), 0) + ExtremeRequests.varint(value)
                let connection = try RawConnection(path: daemon.socketPath)
                try await connection.send([0] + ExtremeRequests.bigEndian32(body.count) + body)
                let answer = try #require(
                    try await connection.nextFrame(timeoutMilliseconds: 10_000), "Frame field \(field) = \(name): no answer")
                #expect(answer.kind == .end, "Frame field \(field) = \(name)")
            }
        }
        #expect(daemon.process.isRunning, "stewardd died: \(daemon.stderrText.suffix(2_000))")
        try await Self.expectServing(daemon.socketPath)
    }
}

extension ExtremeRequests {
    static func bigEndian32(_ value: Int) -> [UInt8] {
        [UInt8(value >> 24 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }
}
