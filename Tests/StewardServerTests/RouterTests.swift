import Logging
import StewardCore
@testable import StewardServer
import StewardWire
import Synchronization
import Testing

/// The router decodes requests, runs handlers and maps whatever they throw to
/// a status, all without a socket: routes are invoked in-process here.
@Suite("Router")
struct RouterTests {
    typealias Entry = StewardRpcV1.MetadataEntry

    static let echo = UnaryMethod<Entry, Entry>(path: "/t.T/Echo")
    static let fail = UnaryMethod<Entry, Entry>(path: "/t.T/Fail")
    static let count = ServerStreamingMethod<Entry, Entry>(path: "/t.T/Count")

    /// A log handler that keeps every record, to show what reaches the log.
    final class LogRecorder: Sendable {
        struct Record: Sendable {
            var level: Logger.Level
            var message: String
            var metadata: Logger.Metadata
        }
        private let records = Mutex<[Record]>([])
        var all: [Record] { records.withLock { $0 } }
        func add(_ record: Record) { records.withLock { $0.append(record) } }

        /// Every message and metadata value logged, as one text.
        var text: String {
            all.map { "\($0.message) \($0.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: " "))" }
                .joined(separator: "\n")
        }
    }

    struct RecordingLogHandler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let metadata = self.metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.add(.init(level: event.level, message: event.message.description, metadata: metadata))
        }
    }

    /// A stream sink that records what a streaming handler sends, and can be
    /// told to fail from the n-th message on (as when the call has ended).
    final class RecordingSink: StreamSink {
        private let payloads = Mutex<[[UInt8]]>([])
        private let failFrom: Int?
        private let failure: @Sendable () -> any Error

        init(failFrom: Int? = nil, failure: @escaping @Sendable () -> any Error = { CancellationError() }) {
            self.failFrom = failFrom
            self.failure = failure
        }

        var sent: [[UInt8]] { payloads.withLock { $0 } }

        func sendMessage(_ payload: [UInt8]) async throws {
            try payloads.withLock { payloads in
                if let failFrom, payloads.count >= failFrom { throw failure() }
                payloads.append(payload)
            }
        }

        func messages() throws -> [Entry] { try sent.map { try Entry(serializedBytes: $0) } }
    }

    /// Counts handler runs, to show when a handler was not reached.
    final class Counter: Sendable {
        private let value = Mutex(0)
        func increment() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    static func context(method: String = "/t.T/Echo", recorder: LogRecorder = LogRecorder()) -> ServerCallContext {
        let logger = Logger(label: "router-tests") { _ in RecordingLogHandler(recorder: recorder) }
        return ServerCallContext(method: method, peer: PeerCredentials(pid: 1, uid: 1000, gid: 1000), logger: logger)
    }

    /// Invokes `path` on `router` as the connection would.
    static func invoke(
        _ router: Router, _ path: String, _ request: [UInt8], sink: RecordingSink = RecordingSink(),
        recorder: LogRecorder = LogRecorder()
    ) async throws -> CallOutcome {
        let route = try #require(router.route(for: path), "\(path) is not routed")
        return await route.invoke(request, context(method: path, recorder: recorder), sink)
    }

    /// A router whose /t.T/Fail handler throws `error`.
    static func failingRouter(_ error: @escaping @Sendable () -> any Error) -> Router {
        var router = Router()
        router.register(fail, policy: .requires(.knownCaller)) { _, _ in throw error() }
        return router
    }

    // MARK: Success

    @Test("a unary handler's response is the OK outcome's payload")
    func unaryOK() async throws {
        var router = Router()
        router.register(Self.echo, policy: .requires(.knownCaller)) { request, context in
            Entry(key: context.method, value: request.key + "!")
        }
        let outcome = try await Self.invoke(router, "/t.T/Echo", Entry(key: "hi").serializedBytes())
        #expect(outcome.code == .ok)
        #expect(outcome.message == "")
        #expect(try Entry(serializedBytes: outcome.payload) == Entry(key: "/t.T/Echo", value: "hi!"))
    }

    @Test("a streaming handler's messages go to the sink in order; the outcome is OK with no payload")
    func streamingOK() async throws {
        var router = Router()
        router.register(Self.count, policy: .requires(.knownCaller)) { request, _, stream in
            for index in 0..<Int(request.key)! {
                try await stream.send(Entry(key: "n", value: "\(index)"))
            }
        }
        let sink = RecordingSink()
        let outcome = try await Self.invoke(router, "/t.T/Count", Entry(key: "3").serializedBytes(), sink: sink)
        #expect(outcome.code == .ok)
        #expect(outcome.payload.isEmpty)
        #expect(try sink.messages().map(\.value) == ["0", "1", "2"])
    }

    // MARK: Errors a handler throws

    @Test("an RPCError keeps its code and message", arguments: [
        RPCError(.notFound, "no connection named db1"),
        RPCError(.permissionDenied, "uid 1000 may not register connections"),
        RPCError(.failedPrecondition, ""),
        RPCError(StatusCode(rawValue: 77), "a code from the future"),
    ])
    func rpcErrorKept(error: RPCError) async throws {
        let recorder = LogRecorder()
        let outcome = try await Self.invoke(Self.failingRouter { error }, "/t.T/Fail", [], recorder: recorder)
        #expect(outcome.code == error.code)
        #expect(outcome.message == error.message)
        #expect(outcome.payload.isEmpty)
    }

    @Test("a domain error that is RPCErrorConvertible answers with its own status")
    func convertibleError() async throws {
        struct NameTaken: RPCErrorConvertible {
            var rpcError: RPCError { RPCError(.alreadyExists, "connection key taken") }
        }
        let outcome = try await Self.invoke(Self.failingRouter { NameTaken() }, "/t.T/Fail", [])
        #expect(outcome.code == .alreadyExists)
        #expect(outcome.message == "connection key taken")
    }

    @Test("a thrown CancellationError becomes CANCELLED")
    func cancellation() async throws {
        let outcome = try await Self.invoke(Self.failingRouter { CancellationError() }, "/t.T/Fail", [])
        #expect(outcome.code == .cancelled)
        #expect(outcome.payload.isEmpty)
    }

    @Test("a handler cancelled while sleeping answers CANCELLED")
    func cancelledTask() async throws {
        var router = Router()
        router.register(Self.echo, policy: .requires(.knownCaller)) { _, _ in
            withUnsafeCurrentTask { $0?.cancel() }
            try await Task.sleep(for: .seconds(60))
            return Entry()
        }
        // In a task of its own, so that cancelling it leaves the test's task alone.
        let route = try #require(router.route(for: "/t.T/Echo"))
        let context = Self.context()
        let outcome = await Task { await route.invoke([], context, RecordingSink()) }.value
        #expect(outcome.code == .cancelled)
    }

    /// An unexpected failure whose text must never reach the client.
    struct LeakyError: Error, CustomStringConvertible {
        var description: String { "password=hunter2 at /var/lib/steward/state.db" }
    }

    @Test("any other error becomes INTERNAL with the message 'internal error'; its cause goes to the log only")
    func internalError() async throws {
        let recorder = LogRecorder()
        let outcome = try await Self.invoke(Self.failingRouter { LeakyError() }, "/t.T/Fail", [], recorder: recorder)
        #expect(outcome.code == .internalError)
        #expect(outcome.message == "internal error")
        #expect(!outcome.message.contains("hunter2"))
        #expect(outcome.payload.isEmpty)
        // The cause is logged, at error level, for the operator.
        #expect(recorder.text.contains("hunter2"))
        #expect(recorder.all.contains { $0.level == .error })
    }

    @Test("a Swift error from the standard library becomes INTERNAL too")
    func otherErrors() async throws {
        struct Plain: Error {}
        for error in [Plain() as any Error, DecodingProblem.bad as any Error] {
            let outcome = try await Self.invoke(Self.failingRouter { error }, "/t.T/Fail", [])
            #expect(outcome.code == .internalError)
            #expect(outcome.message == "internal error")
        }
    }

    enum DecodingProblem: Error { case bad }

    @Test("a streaming handler's errors map the same way, after the messages it sent")
    func streamingErrors() async throws {
        var router = Router()
        router.register(Self.count, policy: .requires(.knownCaller)) { request, _, stream in
            try await stream.send(Entry(key: "first"))
            switch request.key {
            case "rpc": throw RPCError(.aborted, "stopped")
            case "cancel": throw CancellationError()
            default: throw LeakyError()
            }
        }
        let cases: [(String, StatusCode, String)] = [
            ("rpc", .aborted, "stopped"), ("cancel", .cancelled, ""), ("other", .internalError, "internal error"),
        ]
        for (key, code, message) in cases {
            let sink = RecordingSink()
            let outcome = try await Self.invoke(router, "/t.T/Count", Entry(key: key).serializedBytes(), sink: sink)
            #expect(outcome.code == code, "\(key)")
            if !message.isEmpty { #expect(outcome.message == message, "\(key)") }
            #expect(try sink.messages().map(\.key) == ["first"], "\(key)")
        }
    }

    @Test("when the sink refuses a message (the call ended), the handler stops and the call is CANCELLED")
    func sinkRefuses() async throws {
        let sends = Counter()
        var router = Router()
        router.register(Self.count, policy: .requires(.knownCaller)) { _, _, stream in
            while true {
                sends.increment()
                try await stream.send(Entry(key: "more"))
            }
        }
        let sink = RecordingSink(failFrom: 2)
        let outcome = try await Self.invoke(router, "/t.T/Count", [], sink: sink)
        #expect(outcome.code == .cancelled)
        #expect(sink.sent.count == 2)
        #expect(sends.count == 3)
    }

    // MARK: Requests that never reach the handler

    @Test(
        "an undecodable request is INVALID_ARGUMENT naming the type, and the handler never runs",
        arguments: [[0x0A, 0x05, 0x61], [0x0A], [0x00], [0x0B]] as [[UInt8]])
    func undecodable(payload: [UInt8]) async throws {
        let runs = Counter()
        var router = Router()
        router.register(Self.echo, policy: .requires(.knownCaller)) { request, _ in
            runs.increment()
            return request
        }
        router.register(Self.count, policy: .requires(.knownCaller)) { _, _, _ in runs.increment() }
        for path in ["/t.T/Echo", "/t.T/Count"] {
            let sink = RecordingSink()
            let outcome = try await Self.invoke(router, path, payload, sink: sink)
            #expect(outcome.code == .invalidArgument, "\(path)")
            #expect(outcome.message.contains("steward.rpc.v1.MetadataEntry"), "\(path): \(outcome.message)")
            #expect(sink.sent.isEmpty)
        }
        #expect(runs.count == 0)
    }

    @Test(
        "invalid UTF-8 or a NUL in a request string is INVALID_ARGUMENT naming the field",
        arguments: [
            ([0x0A, 0x01, 0xFF], "key"),  // key = <FF>
            ([0x0A, 0x01, 0x61, 0x12, 0x02, 0xC0, 0x80], "value"),  // value = overlong NUL
            ([0x12, 0x03, 0x61, 0x00, 0x62], "value"),  // value = "a\0b"
        ] as [([UInt8], String)])
    func badString(payload: [UInt8], field: String) async throws {
        let runs = Counter()
        var router = Router()
        router.register(Self.echo, policy: .requires(.knownCaller)) { request, _ in
            runs.increment()
            return request
        }
        router.register(Self.count, policy: .requires(.knownCaller)) { _, _, _ in runs.increment() }
        for path in ["/t.T/Echo", "/t.T/Count"] {
            let outcome = try await Self.invoke(router, path, payload)
            #expect(outcome.code == .invalidArgument, "\(path)")
            #expect(outcome.message.contains("field \(field)"), "\(path): \(outcome.message)")
        }
        #expect(runs.count == 0)
    }

    @Test("an empty payload is the default request, not an error")
    func emptyPayload() async throws {
        var router = Router()
        router.register(Self.echo, policy: .requires(.knownCaller)) { request, _ in
            #expect(request == Entry())
            return Entry(key: "ok")
        }
        let outcome = try await Self.invoke(router, "/t.T/Echo", [])
        #expect(outcome.code == .ok)
        #expect(try Entry(serializedBytes: outcome.payload).key == "ok")
    }

    // MARK: The table

    @Test("methodPaths lists every routed path, sorted; unknown paths have no route")
    func methodPaths() {
        var router = Router()
        #expect(router.methodPaths.isEmpty)
        router.register(UnaryMethod<Entry, Entry>(path: "/t.T/Zeta"), policy: .requires(.knownCaller)) { request, _ in request }
        router.register(ServerStreamingMethod<Entry, Entry>(path: "/t.T/Alpha"), policy: .requires(.knownCaller)) { _, _, _ in }
        router.register(UnaryMethod<Entry, Entry>(path: "/a.B/Mid"), policy: .requires(.knownCaller)) { request, _ in request }
        router.register(UnaryMethod<Entry, Entry>(path: "/t.T/alpha"), policy: .requires(.knownCaller)) { request, _ in request }
        #expect(router.methodPaths == ["/a.B/Mid", "/t.T/Alpha", "/t.T/Zeta", "/t.T/alpha"])
        #expect(router.route(for: "/t.T/Missing") == nil)
        #expect(router.route(for: "/t.t/zeta") == nil)
        #expect(router.route(for: "/t.T/Alpha")?.method.isServerStreaming == true)
        #expect(router.route(for: "/t.T/Zeta")?.method.isServerStreaming == false)
    }

    /// A directory that asks a server that may be slow (as a shared
    /// registry's does).
    struct RemoteDirectory: CallerDirectory {
        let administrators = AdministratorRule()
        let answersPromptly = false
        func identify(uid: UInt32) -> Caller { .administrator(uid: uid) }
    }

    @Test("A read is answered on the I/O queue only when the registry's reads are prompt, its caller lookup included")
    func readsRunInlineOnlyOverAPromptRegistry() {
        func route(registryReadsArePrompt: Bool) -> RPCRoute? {
            var router = Router(registryReadsArePrompt: registryReadsArePrompt)
            router.registerRead(Self.echo, policy: .requires(.knownCaller)) { request, _ in request }
            return router.route(for: Self.echo.path)
        }
        #expect(route(registryReadsArePrompt: true)?.invokeInline != nil)
        #expect(route(registryReadsArePrompt: false)?.invokeInline == nil, "a shared registry's read would hold up the I/O queue")

        let remote = CallAdmission(callers: RemoteDirectory(), audit: nil)
        #expect(!remote.isPrompt(for: RoutePolicy<Entry>.requires(.knownCaller).rule))
        #expect(remote.isPrompt(for: RoutePolicy<Entry>.requires(.anyone).rule), "a method open to anyone asks nothing")
        #expect(CallAdmission(callers: DaemonAdministrators(), audit: nil).isPrompt(for: RoutePolicy<Entry>.requires(.knownCaller).rule))
    }
}
