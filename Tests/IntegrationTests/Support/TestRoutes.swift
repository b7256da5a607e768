import Foundation
import StewardServer
import StewardWire
import Synchronization

/// Test-only methods, registered on in-process servers only. They reuse
/// `steward.rpc.v1.MetadataEntry` as request and response so that no
/// test-only proto is needed.
enum TestRoutes {
    /// Answers with the request's key in `value`: each answer names its call.
    static let echo = UnaryMethod<StewardRpcV1.MetadataEntry, StewardRpcV1.MetadataEntry>(path: "/steward.testing.Echo/Echo")
    /// Sleeps `Int(key)` milliseconds (cancellable), then answers.
    static let sleep = UnaryMethod<StewardRpcV1.MetadataEntry, StewardRpcV1.MetadataEntry>(path: "/steward.testing.Echo/Sleep")
    /// Sleeps `Int(key)` milliseconds ignoring cancellation: a handler that
    /// outlives its deadline.
    static let stubbornSleep = UnaryMethod<StewardRpcV1.MetadataEntry, StewardRpcV1.MetadataEntry>(path: "/steward.testing.Echo/StubbornSleep")
    /// Streams numbered messages until the call ends, reporting to the probes.
    static let count = ServerStreamingMethod<StewardRpcV1.MetadataEntry, StewardRpcV1.MetadataEntry>(path: "/steward.testing.Echo/Count")

    static func register(in router: inout Router, probes: TestProbes) {
        router.register(echo, policy: .requires(.knownCaller)) { request, _ in
            StewardRpcV1.MetadataEntry(key: "echo", value: request.key)
        }
        router.register(sleep, policy: .requires(.knownCaller)) { request, _ in
            try await Task.sleep(for: .milliseconds(Int(request.key) ?? 0))
            return StewardRpcV1.MetadataEntry(key: "slept", value: request.key)
        }
        router.register(stubbornSleep, policy: .requires(.knownCaller)) { request, _ in
            let milliseconds = Int(request.key) ?? 0
            await withCheckedContinuation { continuation in
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                    continuation.resume()
                }
            }
            return StewardRpcV1.MetadataEntry(key: "slept", value: request.key)
        }
        router.register(count, policy: .requires(.knownCaller)) { request, _, stream in
            probes.streamStarted()
            defer { probes.streamFinished() }
            var index = 0
            while true {
                try await stream.send(StewardRpcV1.MetadataEntry(key: request.key, value: "\(index)"))
                probes.messageSent()
                index += 1
                // Paces the stream so a test can act half way; not synchronisation.
                try await Task.sleep(for: .milliseconds(2))
            }
        }
    }
}

/// What the test handlers report about themselves.
final class TestProbes: Sendable {
    private struct State {
        var messagesSent = 0
        var streamsRunning = 0
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func streamStarted() { state.withLock { $0.streamsRunning += 1 } }
    func messageSent() { state.withLock { $0.messagesSent += 1 } }

    func streamFinished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.streamsRunning -= 1
            defer { state.finishWaiters = [] }
            return state.streamsRunning == 0 ? state.finishWaiters : []
        }
        waiters.forEach { $0.resume() }
    }

    var messagesSent: Int { state.withLock { $0.messagesSent } }

    /// Returns once no streaming handler is running.
    func waitUntilStreamsFinish() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.streamsRunning == 0 { return true }
                state.finishWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
