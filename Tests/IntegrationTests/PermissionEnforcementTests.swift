import Foundation
import Logging
import StewardCore
import StewardModel
import StewardPostgres
import StewardServer
import StewardStore
import StewardWire
import Testing

/// Holds the services to the published table: every method of the contract
/// is called, over the real socket, by a known caller without permissions.
@Suite("Permission enforcement", .timeLimit(.minutes(2)))
struct PermissionEnforcementTests {
    /// A fake directory, because the test process runs as root (or as the
    /// daemon's own uid), which the real directory always treats as an
    /// administrator: here the caller is a plain Steward user.
    struct FixedCaller: CallerDirectory {
        let caller: @Sendable (UInt32) -> Caller
        /// The connection caps still spare root and the daemon's uid.
        let administrators = AdministratorRule()
        let answersPromptly = true
        func identify(uid: UInt32) -> Caller { caller(uid) }
    }

    /// The status of calling `path` with an empty request; a stream that
    /// starts answering (Health.Watch never ends) counts as OK.
    static func status(of path: String, socketPath: String) async throws -> (StatusCode, String) {
        let connection = try RawConnection(path: socketPath)
        try await connection.send(StewardRpcV1.Frame(callID: 1, kind: .request, method: path))
        let frame = try #require(try await connection.nextFrame(), "no answer for \(path)")
        guard frame.kind == .end else { return (.ok, "") }
        let status = frame.status ?? StewardRpcV1.Status()
        return (StatusCode(rawValue: status.code), status.message)
    }

    @Test("A user without permissions is denied exactly the methods that need one, and mutating denials are audited")
    func plainUserDenied() async throws {
        let plain = FixedCaller { Caller(uid: $0, userName: "plain") }
        try await withRegistryServer(limits: ServerLimits(), callers: plain) { socketPath, store, permissions in
            for method in StewardProtoRegistry.allMethods {
                let rule = try #require(permissions[method.path])
                let (code, message) = try await Self.status(of: method.path, socketPath: socketPath)
                switch rule.needs {
                case .applicationAdmin, .userAdmin, .eitherAdmin:
                    #expect(code == .permissionDenied, "\(method.path) answered \(code): \(message)")
                    #expect(message.contains("user \"plain\""), "\(method.path): \(message)")
                case .anyone, .knownCaller, .selfOrUserAdmin:
                    #expect(code != .permissionDenied && code != .unauthenticated, "\(method.path) answered \(code): \(message)")
                }
            }
            let denials = try store.listAuditEvents(AuditFilter(outcome: .denied), page: PageRequest(size: 1000)).items
            let mutating = Set(permissions.filter { $0.value.isMutating }.keys)
            #expect(Set(denials.map(\.method)) == mutating)
            #expect(denials.allSatisfy { $0.userName == "plain" && $0.uid == getuid() && $0.status == .permissionDenied })
        }
    }

    /// The answer to one REQUEST frame carrying `payload` raw.
    static func answer(_ path: String, payload: [UInt8], socketPath: String) async throws -> StewardRpcV1.Frame {
        let connection = try RawConnection(path: socketPath)
        try await connection.send(Frames.request(1, path, payload: payload))
        let frame = try #require(try await connection.nextFrame(), "no answer for \(path)")
        #expect(frame.kind == .end && frame.callID == 1)
        return frame
    }

    @Test("A mutating request refused before its service (undecodable, or a string that is not UTF-8) is audited; a read is not")
    func undecodableMutatingRequestsAudited() async throws {
        let administrator = FixedCaller { Caller.administrator(uid: $0) }
        try await withRegistryServer(limits: ServerLimits(), callers: administrator) { socketPath, store, _ in
            let create = "/steward.v1.Users/Create"
            // A varint that never ends.
            let undecodable: [UInt8] = [0xFF, 0xFF, 0xFF]
            // CreateUserRequest.name (field 1, wire type 2), two bytes: C3 28 is not UTF-8.
            let badUTF8: [UInt8] = [0x0A, 0x02, 0xC3, 0x28]

            let first = try await Self.answer(create, payload: undecodable, socketPath: socketPath)
            #expect(first.statusCode == .invalidArgument, "\(first.statusCode): \(first.statusMessage)")
            let second = try await Self.answer(create, payload: badUTF8, socketPath: socketPath)
            #expect(second.statusCode == .invalidArgument, "\(second.statusCode): \(second.statusMessage)")
            // The same bytes to a method that changes nothing: refused, not audited.
            let read = try await Self.answer("/steward.v1.Users/List", payload: undecodable, socketPath: socketPath)
            #expect(read.statusCode == .invalidArgument, "\(read.statusCode): \(read.statusMessage)")

            // Each answer was sent after its event was written.
            let events = try store.listAuditEvents(AuditFilter(), page: PageRequest(size: 1000)).items.reversed().map { $0 }
            #expect(events.map(\.method) == [create, create], "\(events)")
            #expect(events.allSatisfy { $0.status == .invalidArgument && $0.uid == getuid() && $0.target == nil })
            #expect(events.map(\.message) == [first.statusMessage, second.statusMessage])
            #expect(try store.listAuditEvents(AuditFilter(method: "/steward.v1.Users/List"), page: PageRequest()).items.isEmpty)
            // Nothing was created.
            #expect(try store.listUsers(page: PageRequest()).items.isEmpty)
        }
    }

    @Test("An unknown caller is refused everything but Health and WhoAmI, and its mutating attempts are audited")
    func unknownCallerRefused() async throws {
        let stranger = FixedCaller { Caller.unknown(uid: $0) }
        try await withRegistryServer(limits: ServerLimits(), callers: stranger) { socketPath, store, permissions in
            for method in StewardProtoRegistry.allMethods {
                let (code, message) = try await Self.status(of: method.path, socketPath: socketPath)
                if try #require(permissions[method.path]).needs == .anyone {
                    #expect(code != .unauthenticated, "\(method.path): \(message)")
                } else {
                    #expect(code == .unauthenticated, "\(method.path) answered \(code): \(message)")
                }
            }
            let denials = try store.listAuditEvents(AuditFilter(outcome: .denied), page: PageRequest(size: 1000)).items
            #expect(Set(denials.map(\.method)) == Set(permissions.filter { $0.value.isMutating }.keys))
            #expect(denials.allSatisfy { $0.status == .unauthenticated && $0.userName == nil })
        }
    }
}
