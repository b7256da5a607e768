import Foundation
import StewardModel
import StewardWire

/// Calls over one raw connection, each answer timed from its sending.
final class TimedCaller: @unchecked Sendable {
    struct Answer: CustomStringConvertible {
        let code: StatusCode
        let message: String
        let elapsedMilliseconds: Double
        var description: String { "\(code) after \(Int(elapsedMilliseconds)) ms: \(message)" }
    }

    private let raw: RawConnection
    private var nextCallID: UInt64 = 0
    private var sentAt: [UInt64: UInt64] = [:]
    /// Answers that arrived while waiting for others.
    private var early: [UInt64: (frame: StewardRpcV1.Frame, arrivedAt: UInt64)] = [:]

    init(_ raw: RawConnection) { self.raw = raw }

    func send<Request: ProtoMessage>(
        count: Int, _ method: UnaryMethod<Request, some ProtoMessage>, _ request: Request, timeout: UInt32
    ) async throws -> [UInt64] {
        var ids: [UInt64] = []
        for _ in 0..<count {
            nextCallID += 1
            sentAt[nextCallID] = DispatchTime.now().uptimeNanoseconds
            try await raw.send(Frames.request(nextCallID, method, request, timeoutMilliseconds: timeout))
            ids.append(nextCallID)
        }
        return ids
    }

    func answers(to ids: [UInt64]) async throws -> [Answer] {
        var answers: [Answer] = []
        for id in ids {
            let (frame, arrivedAt) = try await answer(to: id)
            let elapsed = Double(arrivedAt - sentAt[id]!) / 1e6
            answers.append(Answer(code: frame.statusCode, message: frame.statusMessage, elapsedMilliseconds: elapsed))
        }
        return answers
    }

    /// Which of `ids` have been answered already (seen while waiting for other calls).
    func answeredAlready(_ ids: [UInt64]) -> [UInt64] { ids.filter { early[$0] != nil } }

    /// The END of call `id` and when it arrived (uptime nanoseconds).
    private func answer(to id: UInt64) async throws -> (frame: StewardRpcV1.Frame, arrivedAt: UInt64) {
        if let early = early.removeValue(forKey: id) { return early }
        while true {
            guard let frame = try await raw.nextFrame(timeoutMilliseconds: 60_000) else {
                throw RawConnection.Timeout()
            }
            let arrivedAt = DispatchTime.now().uptimeNanoseconds
            guard frame.kind == .end else { continue }
            if frame.callID == id { return (frame, arrivedAt) }
            early[frame.callID] = (frame, arrivedAt)
        }
    }

    func call<Request: ProtoMessage>(
        _ method: UnaryMethod<Request, some ProtoMessage>, _ request: Request, timeout: UInt32
    ) async throws -> StewardRpcV1.Frame {
        let ids = try await send(count: 1, method, request, timeout: timeout)
        return try await answer(to: ids[0]).frame
    }

    /// Calls until one answers OK (true) or the time is up (false).
    func pollUntilOK<Request: ProtoMessage>(
        _ method: UnaryMethod<Request, some ProtoMessage>, _ request: Request, withinMilliseconds limit: Int
    ) async throws -> Bool {
        let end = Deadline.after(milliseconds: limit)
        while !end.hasPassed {
            if try await call(method, request, timeout: 5_000).statusCode == .ok { return true }
            try await Task.sleep(for: .milliseconds(100))  // between attempts, not to synchronise
        }
        return false
    }

    func healthOfRegistry() async throws -> GrpcHealthV1.HealthCheckResponse.ServingStatus {
        try await health("steward.v1.Registry")
    }

    func healthOfServer() async throws -> GrpcHealthV1.HealthCheckResponse.ServingStatus {
        try await health("")
    }

    private func health(_ service: String) async throws -> GrpcHealthV1.HealthCheckResponse.ServingStatus {
        let frame = try await call(GrpcHealthV1.Health.check, .init(service: service), timeout: 5_000)
        guard frame.statusCode == .ok else { return .unknown }
        return try GrpcHealthV1.HealthCheckResponse(serializedBytes: frame.payload).status
    }

    /// Asks Health until the registry is `status` (true) or the time is up.
    func pollHealthOfRegistry(
        until status: GrpcHealthV1.HealthCheckResponse.ServingStatus, withinMilliseconds limit: Int
    ) async throws -> Bool {
        let end = Deadline.after(milliseconds: limit)
        while !end.hasPassed {
            if try await healthOfRegistry() == status { return true }
            try await Task.sleep(for: .milliseconds(100))  // between attempts, not to synchronise
        }
        return false
    }
}
